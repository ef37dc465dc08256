// Package alert evaluates alert rules over stored traces, scores and violations, keeps each
// group's state (normal, pending, firing, resolved...) with its history, and delivers
// grouped, deduplicated notifications through a durable queue, in the manner of Prometheus
// and Alertmanager.
package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Source is what evaluation reads.
type Source interface {
	TraceStats(ctx context.Context, q store.StatsQuery) (store.StatsResult, error)
	SignalStats(ctx context.Context, q store.SignalQuery) ([]store.SignalRow, error)
	GetBudget(ctx context.Context, workspaceID string) (*model.Budget, error)
}

// Sample is a metric's value for one group over one window.
type Sample struct {
	Labels map[string]string
	// Value is set unless the window holds nothing to compute it from.
	Value *float64
	// N counts what the value was computed from: traces, scores or violations.
	N int64
	// Events and Trials feed the anomaly tests: Events counted among Trials (requests).
	Events, Trials int64
}

var groupDims = map[string]store.Dimension{
	"agent": store.DimAgent, "model": store.DimModel, "user": store.DimUser, "provider": store.DimProvider,
}

// countMetrics are totals, not estimates: the minimum sample count does not gate them.
var countMetrics = map[string]bool{
	"request_count": true, "cost_total": true, "tokens_total": true, "guardrail_violations": true,
	"budget_used_pct": true, "no_activity": true,
}

// GatedByMinSamples reports whether the rule's minimum sample count applies to its metric.
func GatedByMinSamples(metric string) bool { return !countMetrics[metric] }

func filterOf(r *model.AlertRule, from, to time.Time) store.TraceFilter {
	f := store.TraceFilter{WorkspaceID: r.WorkspaceID, From: from, To: to}
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	f.AgentIDs, f.Models, f.Providers = one(r.Filters.Agent), one(r.Filters.Model), one(r.Filters.Provider)
	f.UserIDs, f.Tags = one(r.Filters.User), one(r.Filters.Tag)
	return f
}

func fp(v float64) *float64 { return &v }

// Measure computes the rule's metric over [from, to) per group. Groups without data are
// absent, except that a rule without group_by always has its single group "".
func Measure(ctx context.Context, src Source, r *model.AlertRule, from, to time.Time) (map[string]Sample, error) {
	out := map[string]Sample{}
	var dim store.Dimension
	if r.GroupBy != "" {
		dim = groupDims[r.GroupBy]
	}
	labelsOf := func(key string) map[string]string {
		if r.GroupBy == "" {
			return map[string]string{}
		}
		return map[string]string{r.GroupBy: key}
	}
	switch r.Metric {
	case "eval_score_avg", "feedback_score_avg", "guardrail_violations":
		q := store.SignalQuery{Filter: filterOf(r, from, to), Name: r.Criterion, GroupBy: dim}
		switch r.Metric {
		case "eval_score_avg":
			q.ScoreSources = []string{string(model.ScoreSourceEval)}
		case "feedback_score_avg":
			q.ScoreSources = []string{string(model.ScoreSourceHuman)}
		default:
			q.Violations = true
		}
		rows, err := src.SignalStats(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			s := Sample{Labels: labelsOf(row.Key), N: row.Count, Events: row.Count}
			if q.Violations {
				s.Value = fp(float64(row.Count))
			} else if row.Count > 0 {
				s.Value = fp(row.Sum / float64(row.Count))
			}
			out[row.Key] = s
		}
	case "budget_used_pct":
		b, err := src.GetBudget(ctx, r.WorkspaceID)
		if model.ErrorCode(err) == model.ENOTFOUND {
			break
		}
		if err != nil {
			return nil, err
		}
		start := BudgetPeriodStart(b, to)
		res, err := src.TraceStats(ctx, store.StatsQuery{Filter: store.TraceFilter{WorkspaceID: r.WorkspaceID, From: start, To: to},
			Measures: store.MeasureCost})
		if err != nil {
			return nil, err
		}
		var cost float64
		var n int64
		for _, row := range res.Rows {
			cost += row.CostUSD
			n += row.Count
		}
		key := ""
		labels := map[string]string{}
		if r.PerPeriod {
			loc, _ := time.LoadLocation(b.Timezone)
			if loc == nil {
				loc = time.UTC
			}
			key = start.In(loc).Format("2006-01")
			labels["period"] = key
		}
		out[key] = Sample{Labels: labels, Value: fp(cost / b.MonthlyLimitUSD * 100), N: n}
	default:
		q := store.StatsQuery{Filter: filterOf(r, from, to)}
		if dim != "" {
			q.GroupBy = []store.Dimension{dim}
		}
		// Every trace metric asks the same question, so rules that differ only in their
		// metric share one query (see cachedSource).
		q.Percentiles = []float64{0.5, 0.95, 0.99}
		pct := map[string]int{"latency_p50": 0, "latency_p95": 1, "latency_p99": 2}
		res, err := src.TraceStats(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, row := range res.Rows {
			key := ""
			if dim != "" {
				key = row.Keys[0]
			}
			s := Sample{Labels: labelsOf(key), N: row.Count, Trials: row.Count}
			switch r.Metric {
			case "request_count", "no_activity":
				s.Value, s.Events = fp(float64(row.Count)), row.Count
			case "error_rate":
				s.Events = row.Errors + row.Timeouts
				if row.Count > 0 {
					s.Value = fp(float64(s.Events) / float64(row.Count) * 100)
				}
			case "latency_p50", "latency_p95", "latency_p99":
				if row.Count > 0 && len(row.Percentiles) == 3 {
					s.Value = fp(row.Percentiles[pct[r.Metric]])
				}
			case "cost_total":
				s.Value, s.N = fp(row.CostUSD), row.PricedCount
			case "cost_per_trace":
				s.N = row.PricedCount
				if row.PricedCount > 0 {
					s.Value = fp(row.CostUSD / float64(row.PricedCount))
				}
			case "tokens_total":
				s.Value = fp(float64(row.TokensTotal))
			}
			out[key] = s
		}
	}
	if r.GroupBy == "" && !r.PerPeriod {
		if _, ok := out[""]; !ok {
			s := Sample{Labels: map[string]string{}}
			switch r.Metric {
			case "request_count", "no_activity", "cost_total", "tokens_total", "guardrail_violations":
				s.Value = fp(0) // nothing happened: a count of zero, which rules may watch
			}
			out[""] = s
		}
	}
	return out, nil
}

// BudgetPeriodStart is the start of the calendar month of b's time zone holding t.
func BudgetPeriodStart(b *model.Budget, t time.Time) time.Time {
	loc, err := time.LoadLocation(b.Timezone)
	if err != nil {
		loc = time.UTC
	}
	local := t.Add(-time.Nanosecond).In(loc)
	return time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc).UTC()
}

// cachedSource answers repeated trace aggregates of one evaluation round from memory: a
// thousand rules over a handful of windows and splits ask a handful of questions.
type cachedSource struct {
	Source
	stats map[string]store.StatsResult
}

func (c *cachedSource) TraceStats(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	key := fmt.Sprintf("%+v", q)
	if r, ok := c.stats[key]; ok {
		return r, nil
	}
	r, err := c.Source.TraceStats(ctx, q)
	if err == nil {
		c.stats[key] = r
	}
	return r, err
}
