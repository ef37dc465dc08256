package query

import (
	"context"
	"net/http"
)

// Endpoint is one route the query service answers. httpapi registers them all, and the
// query tests call them through the same table, so both see the same set.
type Endpoint struct {
	Method, Path string
	// Write marks routes that change the workspace's settings; the others only read.
	Write bool
	Serve func(s *Service, ctx context.Context, ws string, r *http.Request) (Result, error)
}

func get(path string, f func(s *Service, ctx context.Context, ws string, r *http.Request) (Result, error)) Endpoint {
	return Endpoint{Method: http.MethodGet, Path: path, Serve: f}
}

// query adapts a method that reads only the query string.
func query(m func(*Service, context.Context, string, urlValues) (Result, error)) func(*Service, context.Context, string, *http.Request) (Result, error) {
	return func(s *Service, ctx context.Context, ws string, r *http.Request) (Result, error) {
		return m(s, ctx, ws, r.URL.Query())
	}
}

// Endpoints lists every route of the query service.
func Endpoints() []Endpoint {
	return []Endpoint{
		get("/api/v1/metrics/home-kpis", query((*Service).HomeKPIs)),
		get("/api/v1/alerts/recent", query((*Service).RecentAlerts)),
		get("/api/v1/activity/stream", query((*Service).ActivityStream)),
		get("/api/v1/metrics/aggregations", query((*Service).Aggregations)),
		get("/api/v1/traces", query((*Service).ListTraces)),
		get("/api/v1/sessions", query((*Service).Sessions)),
		get("/api/v1/sessions/{session_id}", func(s *Service, ctx context.Context, ws string, r *http.Request) (Result, error) {
			return s.Session(ctx, ws, r.PathValue("session_id"), r.URL.Query())
		}),
		get("/api/v1/users", query((*Service).Users)),
		get("/api/v1/usage/overview", query((*Service).UsageOverview)),
		get("/api/v1/usage/calls-over-time", query((*Service).CallsOverTime)),
		get("/api/v1/usage/agent-distribution", query((*Service).AgentDistribution)),
		get("/api/v1/usage/top-users", query((*Service).TopUsers)),
		get("/api/v1/cost/overview", query((*Service).CostOverview)),
		get("/api/v1/cost/trend", query((*Service).CostTrend)),
		get("/api/v1/cost/by-model", query((*Service).CostByModel)),
		get("/api/v1/cost/budget", query((*Service).GetBudget)),
		{Method: http.MethodPut, Path: "/api/v1/cost/budget", Write: true,
			Serve: func(s *Service, ctx context.Context, ws string, r *http.Request) (Result, error) {
				return s.PutBudget(ctx, ws, r.Body)
			}},
		get("/api/v1/performance/overview", query((*Service).PerformanceOverview)),
		get("/api/v1/performance/thresholds", query((*Service).GetThresholds)),
		{Method: http.MethodPut, Path: "/api/v1/performance/thresholds", Write: true,
			Serve: func(s *Service, ctx context.Context, ws string, r *http.Request) (Result, error) {
				return s.PutThresholds(ctx, ws, r.Body)
			}},
		get("/api/v1/performance/latency", query((*Service).Latency)),
		get("/api/v1/performance/throughput", query((*Service).Throughput)),
		get("/api/v1/performance/errors", query((*Service).Errors)),
	}
}
