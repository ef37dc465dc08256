package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Result is what a run measured. Counts and rates cover the time after the warmup;
// the warmup's requests are only counted, so failures there are not hidden.
type Result struct {
	RunID       string  `json:"run_id"` // part of every trace_id: lg-<run_id>-<worker>-<seq>
	URL         string  `json:"url"`
	Mode        string  `json:"mode"`
	Batch       int     `json:"batch"` // traces per request
	Concurrency int     `json:"concurrency"`
	Spans       int     `json:"spans"`
	Seed        uint64  `json:"seed"`
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`

	Requests       int64            `json:"requests"`
	TracesSent     int64            `json:"traces_sent"`
	TracesAcked    int64            `json:"traces_acknowledged"`
	FailedRequests int64            `json:"failed_requests"`
	Errors         map[string]int64 `json:"errors"` // HTTP status or "transport: <cause>" -> requests
	ElapsedS       float64          `json:"elapsed_s"`
	RequestsPerS   float64          `json:"requests_per_s"`
	OfferedPerS    float64          `json:"offered_requests_per_s,omitempty"` // -rate, when set
	TracesPerS     float64          `json:"traces_per_s"`                     // acknowledged traces / elapsed
	Latency        LatencyMs        `json:"latency_ms"`
	// Visibility is ack-to-queryable (-probe): from a probe trace's 202 to the first GET
	// that finds it.
	Visibility    *LatencyMs `json:"visibility_ms,omitempty"`
	ProbeFailures int        `json:"probe_failures,omitempty"`

	WarmupRequests       int64             `json:"warmup_requests"`
	WarmupFailedRequests int64             `json:"warmup_failed_requests"`
	WarmupErrs           map[string]int64  `json:"warmup_errors"`
	Samples              map[string]string `json:"error_samples"` // first answer or error per key
}

// LatencyMs is the request latency, from sending to the end of the answer, over all
// requests after the warmup (failed ones included).
type LatencyMs struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func writeJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func writeText(w io.Writer, r *Result) error {
	var b strings.Builder
	shape, unit := "single", "traces"
	switch r.Mode {
	case "batch":
		shape = fmt.Sprintf("batch of %d", r.Batch)
	case "otlp", "grpc", "langfuse-otlp":
		shape, unit = fmt.Sprintf("%s, %d spans per request", r.Mode, r.Batch), "spans" // counts are spans
	case "langfuse":
		shape, unit = fmt.Sprintf("langfuse, %d events per request", r.Batch), "events" // counts are events
	}
	fmt.Fprintf(&b, "agentobs loadgen  run %s  %s  concurrency %d  spans %d  seed %d  %s\n",
		r.RunID, shape, r.Concurrency, r.Spans, r.Seed, r.URL)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-20s "+format+"\n", append([]any{name}, args...)...)
	}
	row("requests", "%d", r.Requests)
	row(unit+" sent", "%d", r.TracesSent)
	row(unit+" acknowledged", "%d", r.TracesAcked)
	row("failed requests", "%d", r.FailedRequests)
	row("elapsed", "%.3f s (after %g s warmup: %d requests, %d failed)",
		r.ElapsedS, r.WarmupS, r.WarmupRequests, r.WarmupFailedRequests)
	if r.OfferedPerS > 0 {
		behind := ""
		if r.RequestsPerS < 0.95*r.OfferedPerS {
			behind = "  (below the offered rate: the server did not keep up)"
		}
		row("requests/s", "%.1f of %g offered%s", r.RequestsPerS, r.OfferedPerS, behind)
	} else {
		row("requests/s", "%.1f", r.RequestsPerS)
	}
	row(unit+"/s", "%.1f", r.TracesPerS)
	l := r.Latency
	row("latency ms", "p50 %.2f  p95 %.2f  p99 %.2f  max %.2f  mean %.2f", l.P50, l.P95, l.P99, l.Max, l.Mean)
	if v := r.Visibility; v != nil {
		row("ack-to-read ms", "p50 %.2f  p95 %.2f  p99 %.2f  max %.2f  mean %.2f  (%d probes failed)", v.P50, v.P95, v.P99, v.Max, v.Mean, r.ProbeFailures)
	}
	errorRows(&b, "errors", r.Errors)
	if len(r.WarmupErrs) > 0 {
		errorRows(&b, "warmup errors", r.WarmupErrs)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Samples)) {
		fmt.Fprintf(&b, "  sample %s: %s\n", k, r.Samples[k])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func errorRows(b *strings.Builder, name string, errs map[string]int64) {
	if len(errs) == 0 {
		fmt.Fprintf(b, "%-20s none\n", name)
		return
	}
	fmt.Fprintf(b, "%s\n", name)
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		fmt.Fprintf(b, "  %-32s %d\n", k, errs[k])
	}
}

// failureLine sums up the failures in one line for stderr.
func failureLine(r *Result) string {
	all := maps.Clone(r.Errors)
	for k, v := range r.WarmupErrs {
		all[k] += v
	}
	parts := make([]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, all[k]))
	}
	return fmt.Sprintf("%d of %d requests failed (%s)",
		r.FailedRequests+r.WarmupFailedRequests, r.Requests+r.WarmupRequests, strings.Join(parts, ", "))
}
