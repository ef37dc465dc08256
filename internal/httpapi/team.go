package httpapi

import (
	"net/http"

	"github.com/agentobs/agentobs/internal/model"
)

func (a *API) listMembers(r *http.Request) (any, error) {
	return a.cfg.Auth.ListMembers(r.Context(), principal(r.Context()))
}

func (a *API) invite(r *http.Request) (any, error) {
	var in struct {
		Email string     `json:"email"`
		Role  model.Role `json:"role"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	res, err := a.cfg.Auth.Invite(r.Context(), principal(r.Context()), in.Email, in.Role)
	if err != nil {
		return nil, err
	}
	a.audit(r, "member.invite", model.NormalizeEmail(in.Email), map[string]any{"role": in.Role})
	return response{status: http.StatusCreated, body: res}, nil
}

func (a *API) cancelInvite(r *http.Request) (any, error) {
	if err := a.cfg.Auth.CancelInvite(r.Context(), principal(r.Context()), r.PathValue("email")); err != nil {
		return nil, err
	}
	a.audit(r, "member.invite_cancel", model.NormalizeEmail(r.PathValue("email")), nil)
	return response{status: http.StatusNoContent}, nil
}

func (a *API) setRole(r *http.Request) (any, error) {
	var in struct {
		Role model.Role `json:"role"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	if err := a.cfg.Auth.SetRole(r.Context(), principal(r.Context()), r.PathValue("user_id"), in.Role); err != nil {
		return nil, err
	}
	a.audit(r, "member.role", r.PathValue("user_id"), map[string]any{"role": in.Role})
	return map[string]any{"user_id": r.PathValue("user_id"), "role": in.Role}, nil
}

func (a *API) removeMember(r *http.Request) (any, error) {
	p := principal(r.Context())
	if err := a.cfg.Auth.RemoveMember(r.Context(), p, r.PathValue("user_id"), allowed(p, PermAdmin)); err != nil {
		return nil, err
	}
	a.audit(r, "member.remove", r.PathValue("user_id"), nil)
	return response{status: http.StatusNoContent}, nil
}
