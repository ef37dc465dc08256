package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/insight"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store"
)

// RoleInsights runs cost, error and feedback analyses, the daily summary and the Impact page.
const RoleInsights = "insights"

// InsightsConfig is the insights role's settings.
type InsightsConfig struct {
	// NarrationOff keeps the deterministic text even when a model is configured (the
	// judge's provider narrates otherwise).
	NarrationOff bool
	// Tick is how often the daily job looks for a finished day to summarise (default 1 min).
	Tick time.Duration
}

// newInsights builds the insights service; with the role active and a model configured,
// that model narrates findings.
func newInsights(cfg Config, active bool, st store.Store, prices *pricing.Table, judge *provider.Client, log *slog.Logger) *insight.Service {
	ic := insight.Config{Store: st, Prices: prices, Log: log}
	if active && !cfg.Insights.NarrationOff && judge != nil {
		ic.Narrator = &insight.Narrator{Client: judge, Prices: prices, DailyBudgetUSD: cfg.Judge.DailyBudgetUSD}
		log.Info("insights narration configured", "model", judge.Provider().Model())
	}
	return insight.New(ic)
}

// startDaily runs the daily summary job; nil when the role is off.
func startDaily(ctx context.Context, cfg Config, svc *insight.Service, st store.Store, log *slog.Logger) *loop {
	if svc == nil {
		return nil
	}
	host, _ := os.Hostname()
	job := &insight.Daily{Service: svc, Store: st, Holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), auth.NewUUID()[:8]),
		Tick: cfg.Insights.Tick, Log: log}
	return startLoop(ctx, job.Run)
}
