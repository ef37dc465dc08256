package insight

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Thresholds of a change that matters in the daily summary.
const (
	minCostChange  = 0.25 // of the previous days' mean daily cost
	minCostDiffUSD = 0.01
	minErrorPoints = 0.05 // error rate, absolute
	minDayErrors   = 5
	baselineDays   = 7
)

// DailyID is the id of the stored summary of a day: one per day, rebuilt until the day ends.
func DailyID(day time.Time) string { return "daily-" + day.UTC().Format("2006-01-02") }

// DailySummary returns the summary of the UTC day holding day: the stored one when it was
// built after the day ended, otherwise a fresh one, stored.
func (s *Service) DailySummary(ctx context.Context, ws string, day time.Time) (*model.InsightRun, error) {
	from := day.UTC().Truncate(24 * time.Hour)
	to := from.Add(24 * time.Hour)
	if from.After(s.now()) {
		return nil, model.Errorf(model.EINVALID, "the day %s has not begun", from.Format("2006-01-02"))
	}
	stored, err := s.st.GetInsightRun(ctx, ws, DailyID(from))
	if err == nil && !stored.CreatedAt.Before(to) {
		return stored, nil
	}
	if err != nil && model.ErrorCode(err) != model.ENOTFOUND {
		return nil, err
	}
	findings, err := s.dailyFindings(ctx, ws, from, to)
	if err != nil {
		return nil, err
	}
	run := s.newRun(ws, model.InsightDailySummary, from, to, findings, nil)
	run.ID = DailyID(from)
	if stored != nil {
		run.Notified = stored.Notified
	}
	s.narrate(ctx, run)
	if err := s.st.PutInsightRun(ctx, *run); err != nil {
		return nil, err
	}
	return run, nil
}

// dailyFindings lists the day's changes that matter, each with its evidence: cost and error
// rate against the previous days, error spikes and new errors, feedback drops, the largest
// savings, and the day's events.
func (s *Service) dailyFindings(ctx context.Context, ws string, from, to time.Time) ([]model.Finding, error) {
	day := store.InsightQuery{WorkspaceID: ws, From: from, To: to}
	base := store.InsightQuery{WorkspaceID: ws, From: from.Add(-baselineDays * 24 * time.Hour), To: from}
	now, err := s.st.InsightUsage(ctx, day)
	if err != nil {
		return nil, err
	}
	before, err := s.st.InsightUsage(ctx, base)
	if err != nil {
		return nil, err
	}
	out := compareDays(byAgent(now), byAgent(before), from, to)

	errs, err := s.analyseErrors(ctx, store.InsightQuery{WorkspaceID: ws, From: base.From, To: to})
	if err != nil {
		return nil, err
	}
	for _, f := range errs {
		if (f.Kind == "error_spike" && !f.Evidence.From.Before(from)) || f.Kind == "new_error" {
			out = append(out, f)
		}
	}
	fb, err := s.analyseFeedback(ctx, store.InsightQuery{WorkspaceID: ws, From: from.Add(-24 * time.Hour), To: to})
	if err != nil {
		return nil, err
	}
	for _, f := range fb {
		if f.Kind == "score_drop" || f.Kind == "negative_sentiment" {
			out = append(out, f)
		}
	}
	cost, _, err := s.analyseCost(ctx, day)
	if err != nil {
		return nil, err
	}
	out = append(out, cost[:min(3, len(cost))]...)

	events, err := s.st.QueryEvents(ctx, store.EventQuery{WorkspaceID: ws, From: from, To: to, Types: []string{"deployment", "config_change", "incident"}, Limit: 20})
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		sev := "info"
		if e.Type == "incident" {
			sev = "high"
		}
		out = append(out, model.Finding{Kind: "event", Severity: sev, AgentID: e.AgentID, Title: fmt.Sprintf("%s: %s", e.Type, e.Title),
			Detail: fmt.Sprintf("Recorded at %s.", e.Time.Format(time.RFC3339)), Confidence: model.ConfidenceMeasured,
			Attributes: model.MapString{"event_id": e.ID, "event_type": e.Type},
			Evidence:   model.Evidence{TraceIDs: []string{}, Metric: "event", From: e.Time, To: e.Time}})
	}
	sort.SliceStable(out, func(i, j int) bool { return severityRank[out[i].Severity] < severityRank[out[j].Severity] })
	return out, nil
}

type agentDay struct {
	traces, success int64
	cost            float64
}

func byAgent(rows []store.UsageRow) map[string]agentDay {
	out := map[string]agentDay{}
	for _, r := range rows {
		a := out[r.AgentID]
		a.traces += r.Traces
		a.success += r.Success
		a.cost += r.CostUSD
		out[r.AgentID] = a
	}
	return out
}

// compareDays reports agents whose cost rose by minCostChange over their mean day of the
// baseline, or whose error rate rose by minErrorPoints.
func compareDays(now, before map[string]agentDay, from, to time.Time) []model.Finding {
	agents := make([]string, 0, len(now))
	for a := range now {
		agents = append(agents, a)
	}
	sort.Strings(agents)
	ev := func(metric string, v float64) model.Evidence {
		return model.Evidence{TraceIDs: []string{}, Metric: metric, Value: v, From: from, To: to}
	}
	var out []model.Finding
	for _, a := range agents {
		d, b := now[a], before[a]
		mean := b.cost / baselineDays
		if diff := d.cost - mean; diff >= minCostDiffUSD && (mean == 0 || diff/mean >= minCostChange) {
			sev := "medium"
			if mean > 0 && diff/mean >= 1 {
				sev = "high"
			}
			out = append(out, model.Finding{Kind: "cost_change", Severity: sev, AgentID: a,
				Title:      fmt.Sprintf("%s spent %s, against %s on an average day", a, usd(d.cost), usd(mean)),
				Detail:     fmt.Sprintf("%d traces cost %s; the previous %d days averaged %s a day.", d.traces, usd(d.cost), baselineDays, usd(mean)),
				Confidence: model.ConfidenceMeasured, Evidence: ev("cost_usd", round(d.cost, 6))})
		}
		errDay := d.traces - d.success
		if d.traces == 0 || errDay < minDayErrors {
			continue
		}
		rate := float64(errDay) / float64(d.traces)
		prev := 0.0
		if b.traces > 0 {
			prev = float64(b.traces-b.success) / float64(b.traces)
		}
		if rate-prev >= minErrorPoints {
			out = append(out, model.Finding{Kind: "error_rate_change", Severity: "high", AgentID: a,
				Title:      fmt.Sprintf("%s failed %.1f%% of traces, against %.1f%% before", a, 100*rate, 100*prev),
				Detail:     fmt.Sprintf("%d of %d traces failed; over the previous %d days %d of %d did.", errDay, d.traces, baselineDays, b.traces-b.success, b.traces),
				Confidence: model.ConfidenceMeasured, Evidence: ev("error_rate", round(rate, 6))})
		}
	}
	return out
}

// JobStore is what the daily job needs beyond the service's store.
type JobStore interface {
	ListWorkspaces(ctx context.Context) ([]model.Workspace, error)
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	EnqueueNotification(ctx context.Context, n model.Notification) (bool, error)
}

// Daily builds each workspace's summary of the previous UTC day once it has ended and hands
// it to the workspace's chosen notification channels, where the alert role delivers it.
// One process at a time does it (a lease); a notification is enqueued once per day and
// channel whatever happens (its dedup key).
type Daily struct {
	Service *Service
	Store   JobStore
	Holder  string
	Tick    time.Duration
	Log     *slog.Logger
}

const dailyLease = "insights-daily"

// Run ticks until ctx ends.
func (d *Daily) Run(ctx context.Context) {
	tick := d.Tick
	if tick <= 0 {
		tick = time.Minute
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if err := d.Once(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("daily insights summary failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once summarises yesterday in every workspace that lacks a notified summary.
func (d *Daily) Once(ctx context.Context) error {
	now := d.Service.now().UTC()
	ok, err := d.Store.AcquireLease(ctx, dailyLease, d.Holder, now, 5*time.Minute)
	if err != nil || !ok {
		return err
	}
	wss, err := d.Store.ListWorkspaces(ctx)
	if err != nil {
		return err
	}
	day := now.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	for _, w := range wss {
		if err := d.one(ctx, w.ID, day, now); err != nil {
			d.Log.Error("daily insights summary failed", "workspace", w.ID, "err", err)
		}
	}
	return nil
}

func (d *Daily) one(ctx context.Context, ws string, day, now time.Time) error {
	if r, err := d.Service.st.GetInsightRun(ctx, ws, DailyID(day)); err == nil && r.Notified {
		return nil
	}
	run, err := d.Service.DailySummary(ctx, ws, day)
	if err != nil {
		return err
	}
	settings, err := d.Service.st.GetImpactSettings(ctx, ws)
	if err != nil {
		return err
	}
	if len(settings.DailySummaryChannels) == 0 {
		return nil
	}
	msg := SummaryMessage(run)
	for _, ch := range settings.DailySummaryChannels {
		n := model.Notification{WorkspaceID: ws, ID: newID(), DedupKey: "insights:" + run.ID + ":" + ch, Channel: ch,
			Kind: "insight", Payload: msg, State: model.NotifyPending, NextAt: now, CreatedAt: now}
		if _, err := d.Store.EnqueueNotification(ctx, n); err != nil {
			return err
		}
	}
	run.Notified = true
	return d.Service.st.PutInsightRun(ctx, *run)
}

// SummaryMessage renders a run as the alert role's message, so that every channel the alert
// role delivers to (webhook, Slack, email, PagerDuty...) can carry it.
func SummaryMessage(run *model.InsightRun) string {
	text := run.Summary
	if run.Narration != "" {
		text = run.Narration + "\n\n" + run.Summary
	}
	sev := "info"
	for _, f := range run.Findings {
		if f.Severity == "high" {
			sev = "warning"
		}
	}
	title := "Daily summary " + run.From.Format("2006-01-02")
	m := alert.Message{Status: "firing", RuleID: "insights-daily", RuleName: title, Severity: sev,
		Firing: []model.Alert{{ID: run.ID, RuleID: "insights-daily", Severity: sev, Status: "firing", Title: title,
			Description: text, TriggeredAt: run.CreatedAt, Labels: map[string]string{"kind": run.Kind},
			Value: math.Round(run.TotalSavingsUSD*100) / 100}}, Resolved: []model.Alert{}}
	return mustJSON(m)
}
