package realtime

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TraceSummary is one newly committed trace as the traces channel announces it.
type TraceSummary struct {
	TraceID   string    `json:"trace_id"`
	AgentID   string    `json:"agent_id"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	StartTime time.Time `json:"start_time"`
	LatencyMs int64     `json:"latency_ms"`
	Model     string    `json:"model,omitempty"`
	CostUSD   *float64  `json:"cost_usd,omitempty"`
}

// NewTraces is the data of a new_traces event. Traces holds at most MaxSummaries of Count.
type NewTraces struct {
	Count  int            `json:"count"`
	Traces []TraceSummary `json:"traces"`
}

// KPIDelta is the data of a kpi_delta event: what one commit adds to the workspace's totals.
type KPIDelta struct {
	Requests       int     `json:"requests"`
	Errors         int     `json:"errors"`
	CostUSD        float64 `json:"cost_usd"`
	Tokens         int64   `json:"tokens"`
	LatencyMsTotal int64   `json:"latency_ms_total"`
}

// MaxSummaries bounds the trace summaries of one message; Count still says how many came.
const MaxSummaries = 50

// Feed publishes live hints on hub: committed traces (its Committed method is what the app
// hands the pipeline's commit hook), alert state changes and stored violations. It never
// blocks its caller for long.
type Feed struct {
	hub Hub
	log *slog.Logger
	now func() time.Time
}

// NewFeed returns a feed publishing on hub.
func NewFeed(hub Hub, log *slog.Logger) *Feed {
	return &Feed{hub: hub, log: log, now: time.Now}
}

// Committed publishes a new_traces and a kpi_delta event per workspace of traces.
func (f *Feed) Committed(traces []model.Trace) {
	byWS := map[string][]int{}
	var order []string
	for i, t := range traces {
		if _, ok := byWS[t.WorkspaceID]; !ok {
			order = append(order, t.WorkspaceID)
		}
		byWS[t.WorkspaceID] = append(byWS[t.WorkspaceID], i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, ws := range order {
		nt := NewTraces{Count: len(byWS[ws]), Traces: []TraceSummary{}}
		var kd KPIDelta
		for _, i := range byWS[ws] {
			// The store rolls spans up into its own copy; do the same for this hint (a
			// trace sent in several parts shows this part's totals).
			rolled := traces[i]
			model.RollUp(&rolled, rolled.Spans)
			t := &rolled
			if len(nt.Traces) < MaxSummaries {
				nt.Traces = append(nt.Traces, TraceSummary{TraceID: t.TraceID, AgentID: t.AgentID, Name: t.Name, Status: string(t.Status),
					StartTime: t.StartTime, LatencyMs: t.LatencyMs, Model: t.Model, CostUSD: t.CostUSD})
			}
			kd.Requests++
			if t.Status == model.StatusError || t.Status == model.StatusTimeout {
				kd.Errors++
			}
			if t.CostUSD != nil {
				kd.CostUSD += *t.CostUSD
			}
			if t.TokensTotal != nil {
				kd.Tokens += *t.TokensTotal
			}
			kd.LatencyMsTotal += t.LatencyMs
		}
		sent := f.now()
		publish(ctx, f.hub, f.log, ws, ChannelTraces, "new_traces", nt, sent)
		publish(ctx, f.hub, f.log, ws, ChannelKPIs, "kpi_delta", kd, sent)
	}
}
