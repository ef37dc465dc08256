package httpapi

import (
	"net/http"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

func (a *API) listWorkspaces(r *http.Request) (any, error) {
	me, err := a.cfg.Auth.Me(r.Context(), principal(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"workspaces": me.Workspaces}, nil
}

func (a *API) createWorkspace(r *http.Request) (any, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	ws, err := a.cfg.Auth.CreateWorkspace(r.Context(), principal(r.Context()), in.Name)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: ws}, nil
}

// WorkspaceView is the caller's workspace with the rate limits in force.
type WorkspaceView struct {
	model.Workspace
	Role       model.Role       `json:"role,omitempty"`
	RateLimits model.RateLimits `json:"rate_limits"` // the workspace's overrides (0: default)
	Effective  EffectiveLimits  `json:"effective_rate_limits"`
	// RetentionDays: traces older than this many days are deleted; 0 keeps everything.
	RetentionDays int `json:"retention_days"`
}

// EffectiveLimits are the limits in force; a rate of 0 means unlimited.
type EffectiveLimits struct {
	KeyRate        float64 `json:"key_rate"`
	KeyBurst       int     `json:"key_burst"`
	WorkspaceRate  float64 `json:"workspace_rate"`
	WorkspaceBurst int     `json:"workspace_burst"`
}

func (a *API) getWorkspace(r *http.Request) (any, error) {
	p := principal(r.Context())
	ws, err := a.cfg.Auth.Workspace(r.Context(), p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	o, kl, wl, err := a.cfg.Auth.WorkspaceLimits(r.Context(), p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	days, err := a.cfg.Auth.RetentionDays(r.Context(), p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return WorkspaceView{Workspace: *ws, Role: p.Role, RateLimits: o, RetentionDays: days,
		Effective: EffectiveLimits{KeyRate: kl.Rate, KeyBurst: kl.Burst, WorkspaceRate: wl.Rate, WorkspaceBurst: wl.Burst}}, nil
}

func (a *API) updateWorkspace(r *http.Request) (any, error) {
	var in auth.WorkspaceUpdate
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	p := principal(r.Context())
	if err := a.cfg.Auth.UpdateWorkspace(r.Context(), p, in); err != nil {
		return nil, err
	}
	a.audit(r, "workspace.update", p.WorkspaceID, in)
	return a.getWorkspace(r)
}
