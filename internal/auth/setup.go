package auth

import (
	"context"

	"github.com/agentobs/agentobs/internal/model"
)

// SetupPrefix starts every setup secret, so that one pasted into the wrong field is
// recognisable.
const SetupPrefix = "aosetup_"

// GenerateSetupSecret returns a new one-time setup secret (160 random bits).
func GenerateSetupSecret() string { return randomToken(SetupPrefix) }

// HashSetupSecret is what the store keeps of a setup secret; like keys, it is a long
// random string, so a fast hash is enough.
func HashSetupSecret(secret string) string { return HashAPIKey(secret) }

// errNeedSetupKey explains what the first sign-up must send.
func errNeedSetupKey(detail string) error {
	return &model.Error{Code: model.EFORBIDDEN,
		Message: "the first account takes over the workspace created at first start, which needs proof that you run this server",
		Fields:  []model.FieldError{{Path: model.Path{"setup_key"}, Detail: detail}}}
}

// claimWorkspace checks the proof that the caller set this server up: the setup secret
// printed at first start, or an API key of the workspace (AGENTOBS_INIT_API_KEY or the
// printed key). Either way it uses the stored setup secret up, so of concurrent claims,
// even through several API processes, exactly one wins.
func (s *Service) claimWorkspace(ctx context.Context, workspaceID, proof string) error {
	if proof == "" {
		return errNeedSetupKey("is required: the setup key printed by the server at first start (or its API key)")
	}
	taken, err := s.st.TakeSetupSecret(ctx, workspaceID, HashSetupSecret(proof))
	if err != nil || taken {
		return err
	}
	k, err := s.keys.Authenticate(ctx, proof)
	if err != nil || k.WorkspaceID != workspaceID {
		return errNeedSetupKey("is not this server's setup key or an API key of its first workspace")
	}
	if taken, err = s.st.TakeSetupSecret(ctx, workspaceID, ""); err != nil || taken {
		return err
	}
	return errNeedSetupKey("was already used: restart the server to print a new setup key")
}

// SetupStatus tells a sign-up form whether the next account claims the first workspace
// and so needs the setup key.
type SetupStatus struct {
	SetupRequired bool `json:"setup_required"`
}

// Setup reports whether the next sign-up must carry the setup key.
func (s *Service) Setup(ctx context.Context) (*SetupStatus, error) {
	n, err := s.st.CountUsers(ctx)
	if err != nil || n > 0 {
		return &SetupStatus{}, err
	}
	ws, err := s.unownedWorkspace(ctx)
	return &SetupStatus{SetupRequired: ws != nil}, err
}
