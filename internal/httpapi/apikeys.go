package httpapi

import (
	"net/http"

	"github.com/agentobs/agentobs/internal/auth"
)

func (a *API) createAPIKey(r *http.Request) (any, error) {
	var in auth.CreateKeyInput
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	k, err := a.cfg.Auth.CreateAPIKey(r.Context(), principal(r.Context()), in)
	if err != nil {
		return nil, err
	}
	a.audit(r, "api_key.create", k.ID, map[string]any{"name": k.Name, "scopes": k.Scopes, "prefix": k.Prefix, "expires_at": k.ExpiresAt})
	return response{status: http.StatusCreated, body: k, headers: map[string]string{"Cache-Control": "no-store"}}, nil
}

func (a *API) listAPIKeys(r *http.Request) (any, error) {
	p := principal(r.Context())
	keys, err := a.cfg.Auth.ListAPIKeys(r.Context(), p, allowed(p, PermAdmin))
	if err != nil {
		return nil, err
	}
	return map[string]any{"api_keys": keys}, nil
}

func (a *API) revokeAPIKey(r *http.Request) (any, error) {
	p := principal(r.Context())
	k, err := a.cfg.Auth.RevokeAPIKey(r.Context(), p, r.PathValue("id"), allowed(p, PermAdmin))
	if err != nil {
		return nil, err
	}
	a.audit(r, "api_key.revoke", k.ID, map[string]any{"name": k.Name, "prefix": k.Prefix})
	return k, nil
}
