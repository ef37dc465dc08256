package query

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// HomeKPIs is the answer of GET /api/v1/metrics/home-kpis.
type HomeKPIs struct {
	Range          RangeJSON `json:"range"`
	TotalRequests  KPI       `json:"total_requests"`
	AvgLatencyMs   KPI       `json:"avg_latency_ms"`
	P95LatencyMs   KPI       `json:"p95_latency_ms"`
	TotalCostUSD   KPI       `json:"total_cost_usd"`
	SuccessRatePct KPI       `json:"success_rate_pct"`
}

// HomeKPIs answers the home page's cards.
func (s *Service) HomeKPIs(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "24h", "")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "home-kpis", req, func() (any, error) {
		prev := w.Previous()
		res, err := s.stats(ctx,
			store.StatsQuery{Filter: filterOf(ws, w, req.Agents), Percentiles: []float64{0.95}},
			store.StatsQuery{Filter: filterOf(ws, prev, req.Agents), Percentiles: []float64{0.95}})
		if err != nil {
			return nil, err
		}
		c, pr := one(res[0]), one(res[1])
		return HomeKPIs{
			Range:          rangeOf(w, true),
			TotalRequests:  kpi(fp(float64(c.Count)), fp(float64(pr.Count))),
			AvgLatencyMs:   kpi(avg(float64(c.LatencySumMs), c.Count), avg(float64(pr.LatencySumMs), pr.Count)),
			P95LatencyMs:   kpi(percentile(c, 0), percentile(pr, 0)),
			TotalCostUSD:   kpi(fp(c.CostUSD), fp(pr.CostUSD)),
			SuccessRatePct: kpi(pct(float64(c.Success), float64(c.Count)), pct(float64(pr.Success), float64(pr.Count))),
		}, nil
	})
}

// AlertsAnswer is the answer of GET /api/v1/alerts/recent.
type AlertsAnswer struct {
	Alerts []model.Alert `json:"alerts"`
}

// RecentAlerts lists the newest alerts.
func (s *Service) RecentAlerts(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	limit := p.intIn("limit", 10, 1, 100)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	// Not cached: the alert role changes alerts without committing traces, which is what
	// moves the cache's data version, and the newest rows of a small table are cheap.
	alerts, err := s.st.ListAlerts(ctx, ws, limit)
	if err != nil {
		return Result{}, err
	}
	body, err := json.Marshal(AlertsAnswer{Alerts: alerts})
	return Result{Body: body}, err
}

// Activity is one entry of the activity stream.
type Activity struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // trace | event
	Timestamp time.Time `json:"timestamp"`
	AgentID   string    `json:"agent_id"`
	Action    string    `json:"action"`
	Status    string    `json:"status"`
	TraceID   string    `json:"trace_id"`
	LatencyMs *int64    `json:"latency_ms"`
	CostUSD   *float64  `json:"cost_usd"`
	EventType string    `json:"event_type"`
	Severity  string    `json:"severity"`
}

// ActivityAnswer is the answer of GET /api/v1/activity/stream.
type ActivityAnswer struct {
	Activity []Activity `json:"activity"`
}

// ActivityStream merges the newest traces and events, newest first.
func (s *Service) ActivityStream(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	limit := p.intIn("limit", 50, 1, 200)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "activity", request{Limit: limit}, func() (any, error) {
		page, err := s.st.ListTraces(ctx, store.ListQuery{Filter: store.TraceFilter{WorkspaceID: ws}, Sort: store.SortStartTime, Limit: limit})
		if err != nil {
			return nil, err
		}
		events, err := s.st.ListEvents(ctx, ws, limit)
		if err != nil {
			return nil, err
		}
		out := make([]Activity, 0, len(page.Traces)+len(events))
		for _, t := range page.Traces {
			lat := t.LatencyMs
			out = append(out, Activity{ID: "trace:" + t.TraceID, Kind: "trace", Timestamp: t.StartTime, AgentID: t.AgentID,
				Action: t.Name, Status: string(t.Status), TraceID: t.TraceID, LatencyMs: &lat, CostUSD: t.CostUSD})
		}
		for _, e := range events {
			out = append(out, Activity{ID: "event:" + e.ID, Kind: "event", Timestamp: e.Time.UTC(), AgentID: e.AgentID,
				Action: e.Title, Status: e.Severity, EventType: e.Type, Severity: e.Severity})
		}
		sort.SliceStable(out, func(i, j int) bool {
			if !out[i].Timestamp.Equal(out[j].Timestamp) {
				return out[i].Timestamp.After(out[j].Timestamp)
			}
			return out[i].ID < out[j].ID
		})
		if len(out) > limit {
			out = out[:limit]
		}
		return ActivityAnswer{Activity: out}, nil
	})
}

// AggBucket is one bucket of GET /api/v1/metrics/aggregations.
type AggBucket struct {
	Timestamp    string  `json:"timestamp"`
	Requests     int64   `json:"requests"`
	Success      int64   `json:"success"`
	Errors       int64   `json:"errors"`
	Timeouts     int64   `json:"timeouts"`
	AvgLatencyMs float64 `json:"avg_latency_ms"`
	CostUSD      float64 `json:"cost_usd"`
	TokensInput  int64   `json:"tokens_input"`
	TokensOutput int64   `json:"tokens_output"`
	TokensTotal  int64   `json:"tokens_total"`
}

// Aggregations is the answer of GET /api/v1/metrics/aggregations.
type Aggregations struct {
	Range    RangeJSON   `json:"range"`
	Type     Granularity `json:"type"`
	Timezone string      `json:"timezone"`
	Buckets  []AggBucket `json:"buckets"`
}

// Aggregations answers per-bucket totals.
func (s *Service) Aggregations(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "7d", "type")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "aggregations", req, func() (any, error) {
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: filterOf(ws, w, req.Agents), Buckets: bucketing(w, req.Gran)})
		if err != nil {
			return nil, err
		}
		byLabel := rowsByBucket(res.Rows)
		out := Aggregations{Range: rangeOf(w, false), Type: req.Gran, Timezone: req.TZ, Buckets: []AggBucket{}}
		for _, b := range buckets(w, req.Gran) {
			r := byLabel[b.Label]
			ab := AggBucket{Timestamp: formatIn(b.Start, w.Loc), Requests: r.Count, Success: r.Success, Errors: r.Errors,
				Timeouts: r.Timeouts, CostUSD: r.CostUSD, TokensInput: r.TokensInput, TokensOutput: r.TokensOutput, TokensTotal: r.TokensTotal}
			if a := avg(float64(r.LatencySumMs), r.Count); a != nil {
				ab.AvgLatencyMs = *a
			}
			out.Buckets = append(out.Buckets, ab)
		}
		return out, nil
	})
}

// rowsByBucket indexes ungrouped bucket rows by label.
func rowsByBucket(rows []store.StatsRow) map[int64]store.StatsRow {
	m := make(map[int64]store.StatsRow, len(rows))
	for _, r := range rows {
		m[r.Bucket] = r
	}
	return m
}
