package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Bootstrap makes sure a first workspace and a working API key exist, so that a fresh
// install can ingest before anyone registers. On a new database it creates the "Default"
// workspace and an ordinary key of it with both scopes: the given one
// (AGENTOBS_INIT_API_KEY) or a generated one, printed once to out. A given key is also added
// to an existing database when it is not known yet. Keys are stored hashed with hasher.
// The first user to register becomes the owner of this workspace. It returns the workspace.
func Bootstrap(ctx context.Context, s store.Store, hasher auth.KeyHasher, initKey string, out io.Writer) (*model.Workspace, error) {
	list, err := s.ListWorkspaces(ctx)
	if err != nil {
		return nil, err
	}
	var ws model.Workspace
	created := false
	if len(list) == 0 {
		ws = model.Workspace{ID: auth.NewUUID(), Name: "Default", CreatedAt: time.Now().UTC()}
		if err := s.CreateWorkspace(ctx, ws); err != nil {
			return nil, err
		}
		created = true
	} else {
		ws = list[0]
	}
	key := initKey
	switch {
	case key != "":
		if _, err := s.APIKeyByHash(ctx, hasher.Hash(key)); err == nil {
			return &ws, nil
		} else if model.ErrorCode(err) != model.ENOTFOUND {
			return nil, err
		}
		// A database from before keyed hashes: upgrade the key's hash in place.
		if old, err := s.LegacyAPIKeyByHash(ctx, auth.HashAPIKey(key)); err == nil {
			return &ws, s.UpgradeAPIKeyHash(ctx, old.ID, hasher.Hash(key))
		} else if model.ErrorCode(err) != model.ENOTFOUND {
			return nil, err
		}
	case created:
		key = auth.GenerateAPIKey()
	default:
		return &ws, nil
	}
	rec := model.APIKey{
		ID: auth.NewUUID(), WorkspaceID: ws.ID, Name: "bootstrap", Prefix: auth.DisplayPrefix(key), Last4: auth.Last4(key),
		Hash: hasher.Hash(key), Scopes: []model.Scope{model.ScopeIngest, model.ScopeRead}, CreatedAt: time.Now().UTC(),
	}
	if err := s.CreateAPIKey(ctx, rec); err != nil {
		return nil, err
	}
	if initKey == "" && out != nil {
		fmt.Fprintf(out, "\nCreated workspace %q (%s) and its API key. It is shown only this once:\n\n    %s\n\nexport AGENTOBS_API_KEY=%s\n\n", ws.Name, ws.ID, key, key)
	}
	return &ws, nil
}

// PrepareSetup makes sure the first user can claim ws, the workspace holding the data, and
// nobody else can: while the server has no user and ws no member, the hash of a setup
// secret is stored (so any API process can check it) and the secret is printed once to
// out. A chosen secret (AGENTOBS_SETUP_SECRET) replaces the stored one; otherwise the one
// stored by an earlier start stays, and is not printed again.
func PrepareSetup(ctx context.Context, s store.Store, ws *model.Workspace, chosen string, out io.Writer, log *slog.Logger) error {
	users, err := s.CountUsers(ctx)
	if err != nil || users > 0 {
		return err
	}
	members, err := s.ListMembers(ctx, ws.ID)
	if err != nil || len(members) > 0 {
		return err
	}
	secret := chosen
	if secret == "" {
		secret = auth.GenerateSetupSecret()
	}
	stored, err := s.PutSetupSecret(ctx, ws.ID, auth.HashSetupSecret(secret), time.Now().UTC(), chosen != "")
	switch {
	case err != nil:
		return err
	case !stored:
		log.Warn("nobody has signed up yet; the first account needs the setup key printed at the first start, or an API key of the workspace (set AGENTOBS_SETUP_SECRET to choose a new setup key)", "workspace", ws.ID)
	case chosen == "" && out != nil:
		fmt.Fprintf(out, "\nThe first account to sign up will own workspace %q. Give this setup key when signing up\n(it is shown only this once and works once):\n\n    %s\n\n", ws.Name, secret)
	}
	return nil
}
