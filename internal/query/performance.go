package query

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Health badges of the performance page.
const (
	HealthHealthy  = "healthy"
	HealthDegraded = "degraded"
	HealthCritical = "critical"
)

// Health judges a p95 latency and an error rate; no requests is healthy.
func Health(h model.HealthThresholds, p95 *float64, errorRatePct *float64) string {
	at := func(v *float64, limit float64) bool { return v != nil && *v >= limit }
	switch {
	case at(p95, h.CriticalP95Ms) || at(errorRatePct, h.CriticalErrorRatePct):
		return HealthCritical
	case at(p95, h.DegradedP95Ms) || at(errorRatePct, h.DegradedErrorRatePct):
		return HealthDegraded
	}
	return HealthHealthy
}

// PerformanceOverview is the answer of GET /api/v1/performance/overview.
type PerformanceOverview struct {
	Range        RangeJSON              `json:"range"`
	Requests     int64                  `json:"requests"`
	Errors       int64                  `json:"errors"`
	Timeouts     int64                  `json:"timeouts"`
	P50LatencyMs KPI                    `json:"p50_latency_ms"`
	P95LatencyMs KPI                    `json:"p95_latency_ms"`
	P99LatencyMs KPI                    `json:"p99_latency_ms"`
	AvgLatencyMs KPI                    `json:"avg_latency_ms"`
	ErrorRatePct KPI                    `json:"error_rate_pct"`
	Health       string                 `json:"health"`
	Thresholds   model.HealthThresholds `json:"thresholds"`
}

var latencyPercentiles = []float64{0.5, 0.95, 0.99}

func (s *Service) thresholds(ctx context.Context, ws string) (model.HealthThresholds, error) {
	h, err := s.st.GetHealthThresholds(ctx, ws)
	if isNotFound(err) {
		return model.DefaultHealthThresholds, nil
	}
	if err != nil {
		return model.HealthThresholds{}, err
	}
	return *h, nil
}

func errorRate(r store.StatsRow) *float64 {
	return pct(float64(r.Errors+r.Timeouts), float64(r.Count))
}

// PerformanceOverview answers the performance page's cards and health badge.
func (s *Service) PerformanceOverview(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "24h", "")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "performance-overview", req, func() (any, error) {
		res, err := s.stats(ctx,
			store.StatsQuery{Filter: filterOf(ws, w, req.Agents), Percentiles: latencyPercentiles},
			store.StatsQuery{Filter: filterOf(ws, w.Previous(), req.Agents), Percentiles: latencyPercentiles})
		if err != nil {
			return nil, err
		}
		h, err := s.thresholds(ctx, ws)
		if err != nil {
			return nil, err
		}
		c, pr := one(res[0]), one(res[1])
		return PerformanceOverview{
			Range: rangeOf(w, true), Requests: c.Count, Errors: c.Errors, Timeouts: c.Timeouts,
			P50LatencyMs: kpi(percentile(c, 0), percentile(pr, 0)),
			P95LatencyMs: kpi(percentile(c, 1), percentile(pr, 1)),
			P99LatencyMs: kpi(percentile(c, 2), percentile(pr, 2)),
			AvgLatencyMs: kpi(avg(float64(c.LatencySumMs), c.Count), avg(float64(pr.LatencySumMs), pr.Count)),
			ErrorRatePct: kpi(errorRate(c), errorRate(pr)),
			Health:       Health(h, percentile(c, 1), errorRate(c)),
			Thresholds:   h,
		}, nil
	})
}

// GetThresholds answers the workspace's health thresholds.
func (s *Service) GetThresholds(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	h, err := s.thresholds(ctx, ws)
	if err != nil {
		return Result{}, err
	}
	raw, err := json.Marshal(h)
	return Result{Body: raw}, err
}

// PutThresholds stores the thresholds sent in body.
func (s *Service) PutThresholds(ctx context.Context, ws string, body io.Reader) (Result, error) {
	var in struct {
		DegradedP95Ms        *float64 `json:"degraded_p95_ms"`
		CriticalP95Ms        *float64 `json:"critical_p95_ms"`
		DegradedErrorRatePct *float64 `json:"degraded_error_rate_pct"`
		CriticalErrorRatePct *float64 `json:"critical_error_rate_pct"`
	}
	if err := decodeBody(body, &in); err != nil {
		return Result{}, err
	}
	var fe model.FieldErrors
	get := func(name string, v *float64) float64 {
		if v == nil {
			fe.Add(model.Path{name}, "is required")
			return 0
		}
		return *v
	}
	h := model.HealthThresholds{WorkspaceID: ws,
		DegradedP95Ms: get("degraded_p95_ms", in.DegradedP95Ms), CriticalP95Ms: get("critical_p95_ms", in.CriticalP95Ms),
		DegradedErrorRatePct: get("degraded_error_rate_pct", in.DegradedErrorRatePct), CriticalErrorRatePct: get("critical_error_rate_pct", in.CriticalErrorRatePct),
		UpdatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := fe.Err("invalid thresholds"); err != nil {
		return Result{}, err
	}
	if err := h.Validate(); err != nil {
		return Result{}, err
	}
	if err := s.st.PutHealthThresholds(ctx, h); err != nil {
		return Result{}, err
	}
	if err := s.versions.Bump(ctx, ws); err != nil {
		return Result{}, err
	}
	raw, err := json.Marshal(h)
	return Result{Body: raw}, err
}

// LatencyBucket is one bucket of the latency chart.
type LatencyBucket struct {
	Timestamp string  `json:"timestamp"`
	Requests  int64   `json:"requests"`
	P50Ms     float64 `json:"p50_ms"`
	P95Ms     float64 `json:"p95_ms"`
	P99Ms     float64 `json:"p99_ms"`
	AvgMs     float64 `json:"avg_ms"`
}

// LatencySeries is the answer of GET /api/v1/performance/latency.
type LatencySeries struct {
	Range       RangeJSON       `json:"range"`
	Granularity Granularity     `json:"granularity"`
	Timezone    string          `json:"timezone"`
	Buckets     []LatencyBucket `json:"buckets"`
}

// Latency answers latency percentiles per bucket.
func (s *Service) Latency(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "24h", "granularity")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "latency", req, func() (any, error) {
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: filterOf(ws, w, req.Agents), Buckets: bucketing(w, req.Gran),
			Percentiles: latencyPercentiles})
		if err != nil {
			return nil, err
		}
		byLabel := rowsByBucket(res.Rows)
		out := LatencySeries{Range: rangeOf(w, false), Granularity: req.Gran, Timezone: req.TZ, Buckets: []LatencyBucket{}}
		for _, b := range buckets(w, req.Gran) {
			lb := LatencyBucket{Timestamp: formatIn(b.Start, w.Loc)}
			if r, ok := byLabel[b.Label]; ok && r.Count > 0 {
				lb.Requests = r.Count
				lb.P50Ms, lb.P95Ms, lb.P99Ms = r.Percentiles[0], r.Percentiles[1], r.Percentiles[2]
				lb.AvgMs = float64(r.LatencySumMs) / float64(r.Count)
			}
			out.Buckets = append(out.Buckets, lb)
		}
		return out, nil
	})
}

// ThroughputBucket is one bucket of the throughput chart.
type ThroughputBucket struct {
	Timestamp         string  `json:"timestamp"`
	Requests          int64   `json:"requests"`
	Success           int64   `json:"success"`
	Errors            int64   `json:"errors"`
	Timeouts          int64   `json:"timeouts"`
	RequestsPerSecond float64 `json:"requests_per_second"`
	ErrorRatePct      float64 `json:"error_rate_pct"`
}

// Throughput is the answer of GET /api/v1/performance/throughput.
type Throughput struct {
	Range       RangeJSON          `json:"range"`
	Granularity Granularity        `json:"granularity"`
	Timezone    string             `json:"timezone"`
	Buckets     []ThroughputBucket `json:"buckets"`
}

// Throughput answers requests per bucket, split by outcome.
func (s *Service) Throughput(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "24h", "granularity")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "throughput", req, func() (any, error) {
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: filterOf(ws, w, req.Agents), Buckets: bucketing(w, req.Gran)})
		if err != nil {
			return nil, err
		}
		byLabel := rowsByBucket(res.Rows)
		out := Throughput{Range: rangeOf(w, false), Granularity: req.Gran, Timezone: req.TZ, Buckets: []ThroughputBucket{}}
		for _, b := range buckets(w, req.Gran) {
			r := byLabel[b.Label]
			tb := ThroughputBucket{Timestamp: formatIn(b.Start, w.Loc), Requests: r.Count, Success: r.Success, Errors: r.Errors,
				Timeouts: r.Timeouts, ErrorRatePct: pct0(float64(r.Errors+r.Timeouts), float64(r.Count))}
			if b.Seconds > 0 {
				tb.RequestsPerSecond = float64(r.Count) / b.Seconds
			}
			out.Buckets = append(out.Buckets, tb)
		}
		return out, nil
	})
}

// ErrorGroup is one row of the error analysis table.
type ErrorGroup struct {
	ErrorType     string    `json:"error_type"`
	Count         int64     `json:"count"`
	PctOfFailed   float64   `json:"pct_of_failed"`
	PctOfRequests float64   `json:"pct_of_requests"`
	LastSeen      time.Time `json:"last_seen"`
	LastTraceID   string    `json:"last_trace_id"`
	SampleMessage string    `json:"sample_message"`
	Agents        []string  `json:"agents"`
}

// ErrorAnalysis is the answer of GET /api/v1/performance/errors.
type ErrorAnalysis struct {
	Range         RangeJSON    `json:"range"`
	TotalRequests int64        `json:"total_requests"`
	TotalFailed   int64        `json:"total_failed"`
	Errors        []ErrorGroup `json:"errors"`
}

// Errors answers failed traces grouped by error type. Counts and agents come from one
// aggregate; the latest trace of each type from the newest failed traces, which the store
// reads newest first without scanning the window.
func (s *Service) Errors(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "24h", "")
	req.Limit = p.intIn("limit", 20, 1, 100)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "errors", req, func() (any, error) {
		failed := filterOf(ws, w, req.Agents)
		failed.Statuses = []model.Status{model.StatusError, model.StatusTimeout}
		res, err := s.stats(ctx,
			store.StatsQuery{Filter: filterOf(ws, w, req.Agents)},
			store.StatsQuery{Filter: failed, GroupBy: []store.Dimension{store.DimErrorType, store.DimAgent}})
		if err != nil {
			return nil, err
		}
		all := one(res[0])
		out := ErrorAnalysis{Range: rangeOf(w, false), TotalRequests: all.Count, TotalFailed: all.Errors + all.Timeouts, Errors: []ErrorGroup{}}
		groups := map[string]*ErrorGroup{}
		var order []*ErrorGroup
		for _, r := range res[1].Rows {
			g := groups[r.Keys[0]]
			if g == nil {
				g = &ErrorGroup{ErrorType: r.Keys[0], Agents: []string{}}
				groups[r.Keys[0]] = g
				order = append(order, g)
			}
			g.Count += r.Count
			g.Agents = append(g.Agents, r.Keys[1])
		}
		sort.Slice(order, func(i, j int) bool {
			if order[i].Count != order[j].Count {
				return order[i].Count > order[j].Count
			}
			return order[i].ErrorType < order[j].ErrorType
		})
		if len(order) > req.Limit {
			order = order[:req.Limit]
		}
		if err := s.latestErrors(ctx, failed, order); err != nil {
			return nil, err
		}
		for _, g := range order {
			sort.Strings(g.Agents)
			g.PctOfFailed = pct0(float64(g.Count), float64(out.TotalFailed))
			g.PctOfRequests = pct0(float64(g.Count), float64(out.TotalRequests))
			out.Errors = append(out.Errors, *g)
		}
		return out, nil
	})
}

// latestErrors fills the latest trace of each group: first from one page of the newest
// failed traces, then, for types that page lacks, one lookup each.
func (s *Service) latestErrors(ctx context.Context, failed store.TraceFilter, groups []*ErrorGroup) error {
	if len(groups) == 0 {
		return nil
	}
	byType := map[string]*ErrorGroup{}
	for _, g := range groups {
		byType[g.ErrorType] = g
		failed.ErrorTypes = append(failed.ErrorTypes, g.ErrorType)
	}
	fill := func(traces []model.TraceSummary) {
		for _, t := range traces {
			typ := t.ErrorType
			if typ == "" {
				typ = string(t.Status)
			}
			if g := byType[typ]; g != nil && g.LastTraceID == "" {
				g.LastSeen, g.LastTraceID, g.SampleMessage = t.StartTime, t.TraceID, t.ErrorMessage
			}
		}
	}
	page, err := s.st.ListTraces(ctx, store.ListQuery{Filter: failed, Sort: store.SortStartTime, Limit: 200})
	if err != nil {
		return err
	}
	fill(page.Traces)
	for _, g := range groups {
		if g.LastTraceID != "" {
			continue
		}
		one := failed
		one.ErrorTypes = []string{g.ErrorType}
		page, err := s.st.ListTraces(ctx, store.ListQuery{Filter: one, Sort: store.SortStartTime, Limit: 1})
		if err != nil {
			return err
		}
		fill(page.Traces)
	}
	return nil
}
