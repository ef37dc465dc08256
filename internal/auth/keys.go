package auth

import (
	"context"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// CreateKeyInput is the body of POST /api/v1/api-keys.
type CreateKeyInput struct {
	Name      string        `json:"name"`
	Scopes    []model.Scope `json:"scopes"`
	ExpiresAt *time.Time    `json:"expires_at"`
}

// CreatedKey is a new key with its secret, which is shown only this once.
type CreatedKey struct {
	model.APIKey
	Key string `json:"key"`
}

// CreateAPIKey creates a key in the caller's workspace. Without scopes it gets both.
func (s *Service) CreateAPIKey(ctx context.Context, p *Principal, in CreateKeyInput) (*CreatedKey, error) {
	var fe model.FieldErrors
	checkName(&fe, model.Path{"name"}, in.Name, true)
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = []model.Scope{model.ScopeIngest, model.ScopeRead}
	}
	seen := map[model.Scope]bool{}
	uniq := scopes[:0:0]
	for i, sc := range scopes {
		if !sc.Valid() {
			fe.Add(model.Path{"scopes", i}, "must be %q or %q", model.ScopeIngest, model.ScopeRead)
		} else if !seen[sc] {
			seen[sc] = true
			uniq = append(uniq, sc)
		}
	}
	now := s.now().UTC()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		fe.Add(model.Path{"expires_at"}, "must be in the future")
	}
	if err := fe.Err("invalid API key"); err != nil {
		return nil, err
	}
	secret := GenerateAPIKey()
	k := model.APIKey{ID: NewUUID(), WorkspaceID: p.WorkspaceID, Name: strings.TrimSpace(in.Name),
		Prefix: DisplayPrefix(secret), Last4: Last4(secret), Hash: s.keys.Hasher().Hash(secret),
		Scopes: uniq, CreatedBy: p.UserID, CreatedAt: now}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	if err := s.st.CreateAPIKey(ctx, k); err != nil {
		return nil, err
	}
	return &CreatedKey{APIKey: k, Key: secret}, nil
}

// ListAPIKeys lists the workspace's keys, newest last: all of them when all is set (the
// caller may manage every key), else only the caller's own.
func (s *Service) ListAPIKeys(ctx context.Context, p *Principal, all bool) ([]model.APIKey, error) {
	list, err := s.st.ListAPIKeys(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, k := range list {
		if all || (k.CreatedBy != "" && k.CreatedBy == p.UserID) {
			if k.Scopes == nil {
				k.Scopes = []model.Scope{}
			}
			out = append(out, k)
		}
	}
	return out, nil
}

// RevokeAPIKey revokes a key of the caller's workspace (only their own unless all), with
// immediate effect in this process. Revoking a revoked key answers it unchanged.
func (s *Service) RevokeAPIKey(ctx context.Context, p *Principal, id string, all bool) (*model.APIKey, error) {
	k, err := s.st.GetAPIKey(ctx, p.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if !all && (k.CreatedBy == "" || k.CreatedBy != p.UserID) {
		return nil, model.Errorf(model.ENOTFOUND, "api key %q not found", id)
	}
	if k, err = s.st.RevokeAPIKey(ctx, p.WorkspaceID, id, s.now().UTC()); err != nil {
		return nil, err
	}
	s.keys.Invalidate(k.Hash)
	return k, nil
}

// FlushKeyUsage writes the last-use times of keys used since the previous flush.
func (s *Service) FlushKeyUsage(ctx context.Context) error {
	return s.st.TouchAPIKeys(ctx, s.keys.TakeUsage())
}
