package alert

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// SystemRulePrefix marks the rules the evaluator keeps in step with a workspace's budget and
// performance health thresholds; edits to them are overwritten, deleting the setting
// deletes them.
const SystemRulePrefix = "system-"

// SettingsSource reads the settings system rules follow.
type SettingsSource interface {
	ListWorkspaces(ctx context.Context) ([]model.Workspace, error)
	GetHealthThresholds(ctx context.Context, workspaceID string) (*model.HealthThresholds, error)
}

// SystemRules are the rules a workspace's settings imply: one per budget threshold (and
// 100 %), instances per budget period so that a crossing fires once a period, and two on
// the health thresholds (p95 latency and error rate, degraded as warning, critical as
// critical). They notify every configured channel.
func SystemRules(ws string, b *model.Budget, h *model.HealthThresholds, channels []string, now time.Time) []model.AlertRule {
	var out []model.AlertRule
	base := func(id, name, metric string) model.AlertRule {
		r := model.AlertRule{WorkspaceID: ws, ID: SystemRulePrefix + id, Name: name, Metric: metric, Operator: ">=",
			Window: model.Duration(5 * time.Minute), Channels: channels, Enabled: true, CreatedAt: now, UpdatedAt: now}
		return r
	}
	if b != nil {
		pcts := append([]float64(nil), b.ThresholdsPct...)
		if !slices.Contains(pcts, 100) {
			pcts = append(pcts, 100)
		}
		for _, p := range pcts {
			r := base(fmt.Sprintf("budget-%g", p), fmt.Sprintf("Budget %g%% used", p), "budget_used_pct")
			r.Threshold, r.Severity, r.PerPeriod = p, "warning", true
			if p >= 100 {
				r.Severity = "critical"
			}
			r.RepeatInterval = model.Duration(30 * 24 * time.Hour) // once a period
			out = append(out, r)
		}
	}
	if h != nil {
		lat := base("health-latency", "Latency p95 above the health threshold", "latency_p95")
		lat.Operator, lat.Threshold, lat.WarningThreshold, lat.Severity = ">", h.CriticalP95Ms, &h.DegradedP95Ms, "critical"
		errs := base("health-errors", "Error rate above the health threshold", "error_rate")
		errs.Operator, errs.Threshold, errs.WarningThreshold, errs.Severity = ">", h.CriticalErrorRatePct, &h.DegradedErrorRatePct, "critical"
		out = append(out, lat, errs)
	}
	for i := range out {
		out[i].ApplyDefaults()
	}
	return out
}

// SyncSystemRules makes the stored system rules of every workspace match its settings.
func SyncSystemRules(ctx context.Context, st Store, settings SettingsSource, now time.Time) error {
	wss, err := settings.ListWorkspaces(ctx)
	if err != nil {
		return err
	}
	for _, w := range wss {
		b, err := st.GetBudget(ctx, w.ID)
		if model.ErrorCode(err) == model.ENOTFOUND {
			b, err = nil, nil
		}
		if err != nil {
			return err
		}
		h, err := settings.GetHealthThresholds(ctx, w.ID)
		if model.ErrorCode(err) == model.ENOTFOUND {
			h, err = nil, nil
		}
		if err != nil {
			return err
		}
		configured, err := st.ListIntegrations(ctx, w.ID)
		if err != nil {
			return err
		}
		channels := []string{}
		for _, typ := range model.IntegrationTypes {
			if _, ok := configured[typ]; ok {
				channels = append(channels, typ)
			}
		}
		want := SystemRules(w.ID, b, h, channels, now)
		have, err := st.ListAlertRules(ctx, w.ID)
		if err != nil {
			return err
		}
		existing := map[string]model.AlertRule{}
		for _, r := range have {
			if strings.HasPrefix(r.ID, SystemRulePrefix) {
				existing[r.ID] = r
			}
		}
		for _, r := range want {
			old, ok := existing[r.ID]
			delete(existing, r.ID)
			if ok {
				r.CreatedAt, r.UpdatedAt = old.CreatedAt, old.UpdatedAt
				if sameRule(old, r) {
					continue
				}
				r.UpdatedAt = now
			}
			if err := st.PutAlertRule(ctx, r); err != nil {
				return err
			}
		}
		for id := range existing {
			if err := st.DeleteAlertRule(ctx, w.ID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func sameRule(a, b model.AlertRule) bool {
	return a.Name == b.Name && a.Threshold == b.Threshold && a.Severity == b.Severity && a.Operator == b.Operator &&
		slices.Equal(a.Channels, b.Channels) && (a.WarningThreshold == nil) == (b.WarningThreshold == nil) &&
		(a.WarningThreshold == nil || *a.WarningThreshold == *b.WarningThreshold) && a.PerPeriod == b.PerPeriod
}
