package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
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

// BillingUsage is the answer of GET /api/v1/billing/usage: the workspace's ingestion per
// UTC day (every day of the window, zeros included) and the plan's trace quota beside it.
type BillingUsage struct {
	From           time.Time            `json:"from"`
	To             time.Time            `json:"to"`
	Days           []store.DayIngestion `json:"days"`
	TracesPerMonth *int64               `json:"traces_per_month"` // null: no quota on this server
}

func (a *API) billingUsage(r *http.Request) (any, error) {
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			var fe model.FieldErrors
			fe.Add(model.Path{"days"}, "must be a whole number from 1 to 366")
			return nil, fe.Err("invalid usage query")
		}
		days = n
	}
	to := a.now().Truncate(24 * time.Hour).Add(24 * time.Hour)
	from := to.Add(-time.Duration(days) * 24 * time.Hour)
	st, ok := a.cfg.Store.(store.Ingestion)
	if !ok {
		return nil, model.Errorf(model.EUNAVAILABLE, "this process's store cannot count ingestion")
	}
	rows, err := st.DailyIngestion(r.Context(), workspaceID(r.Context()), from, to)
	if err != nil {
		return nil, err
	}
	byDay := map[time.Time]store.DayIngestion{}
	for _, d := range rows {
		byDay[d.Day] = d
	}
	out := BillingUsage{From: from, To: to, Days: make([]store.DayIngestion, 0, days)}
	for d := from; d.Before(to); d = d.Add(24 * time.Hour) {
		row, ok := byDay[d]
		if !ok {
			row = store.DayIngestion{Day: d}
		}
		out.Days = append(out.Days, row)
	}
	return out, nil
}
