package alert

import (
	"context"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TestBudgetFiresOncePerPeriod: the stored budget becomes rules; crossing 80 % fires one
// episode for the month, which stays open (no repeat) until the month ends.
func TestBudgetFiresOncePerPeriod(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	hook := newReceiver(t)
	h.channel("webhook", ChannelConfig{URL: hook.URL})
	if err := h.s.CreateWorkspace(ctx, model.Workspace{ID: ws, Name: "w", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.PutBudget(ctx, model.Budget{WorkspaceID: ws, MonthlyLimitUSD: 10, ThresholdsPct: []float64{80}, Timezone: "UTC", UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.PutHealthThresholds(ctx, model.HealthThresholds{WorkspaceID: ws, DegradedP95Ms: 1000, CriticalP95Ms: 3000,
		DegradedErrorRatePct: 5, CriticalErrorRatePct: 20, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	sync := func() {
		t.Helper()
		if err := SyncSystemRules(ctx, h.s, h.s, h.clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	rules, _ := h.s.ListAlertRules(ctx, ws)
	if len(rules) != 4 { // 80 %, 100 %, latency, errors
		t.Fatalf("system rules = %+v", rules)
	}
	// 9 USD spent: 90 % → the 80 % rule fires, the 100 % one does not.
	if err := h.s.WriteTraces(ctx, []model.Trace{trace("a", t0.Add(-time.Hour), model.StatusSuccess, 10, 9)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		h.round()
		h.clk.Add(time.Minute)
	}
	h.clk.Add(5 * time.Hour) // past the default 4 h repeat
	h.round()
	active, _ := h.s.QueryAlerts(ctx, ws, "active", 10)
	if len(active) != 1 || active[0].RuleID != "system-budget-80" || active[0].Labels["period"] != "2026-11" {
		t.Fatalf("active = %+v", active)
	}
	if n := len(hook.got()); n != 1 {
		t.Fatalf("%d notifications for one crossing in one period", n)
	}
	// December: a new period; November's episode resolves.
	h.clk.Set(time.Date(2026, 12, 1, 0, 10, 0, 0, time.UTC))
	h.round()
	if active, _ := h.s.QueryAlerts(ctx, ws, "active", 10); len(active) != 0 {
		t.Errorf("still active in the next period: %+v", active)
	}
	// Removing the thresholds removes their rules.
	if err := h.s.PutBudget(ctx, model.Budget{WorkspaceID: ws, MonthlyLimitUSD: 10, ThresholdsPct: []float64{}, Timezone: "UTC", UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	sync()
	rules, _ = h.s.ListAlertRules(ctx, ws)
	if len(rules) != 3 {
		t.Errorf("after removing the 80 %% threshold: %d rules", len(rules))
	}
}
