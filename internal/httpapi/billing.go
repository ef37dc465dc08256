package httpapi

import (
	"net/http"

	"github.com/agentobs/agentobs/internal/model"
)

// agentobs has no billing provider: a self-hosted server is not billed. The plan routes say
// exactly that rather than show invented invoices, and report the limits really in force.

// BillingPlan is the answer of GET /api/v1/billing/plan.
type BillingPlan struct {
	Plan            string          `json:"plan"`
	BillingProvider *string         `json:"billing_provider"` // null: none configured
	RateLimits      EffectiveLimits `json:"rate_limits"`
	// TracesPerMonth is null: this server enforces no such limit. RetentionDays is the
	// workspace's setting (PUT /api/v1/workspace), null when it keeps everything.
	TracesPerMonth *int64 `json:"traces_per_month"`
	RetentionDays  *int   `json:"retention_days"`
}

func (a *API) billingPlan(r *http.Request) (any, error) {
	ws := workspaceID(r.Context())
	_, kl, wl, err := a.cfg.Auth.WorkspaceLimits(r.Context(), ws)
	if err != nil {
		return nil, err
	}
	days, err := a.cfg.Auth.RetentionDays(r.Context(), ws)
	if err != nil {
		return nil, err
	}
	var retention *int
	if days > 0 {
		retention = &days
	}
	return BillingPlan{Plan: "self-hosted", RetentionDays: retention,
		RateLimits: EffectiveLimits{KeyRate: kl.Rate, KeyBurst: kl.Burst, WorkspaceRate: wl.Rate, WorkspaceBurst: wl.Burst}}, nil
}

// BillingHistory is the answer of GET /api/v1/billing/history.
type BillingHistory struct {
	Configured bool  `json:"configured"`
	Invoices   []any `json:"invoices"`
}

func (a *API) billingHistory(r *http.Request) (any, error) {
	return BillingHistory{Configured: false, Invoices: []any{}}, nil
}

func (a *API) setPaymentMethod(r *http.Request) (any, error) {
	return nil, model.Errorf(model.ECONFLICT, "no billing provider is configured on this server, so there is no payment method to set")
}
