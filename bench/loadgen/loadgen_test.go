package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "test-key"

// recorder is a fake ingestion server that keeps every body it was sent.
type recorder struct {
	t      *testing.T
	path   string // expected request path
	status int
	answer string
	delay  time.Duration // per request, to bound how many bodies a test has to check

	mu     sync.Mutex
	bodies [][]byte
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rec.t.Errorf("reading body: %v", err)
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != rec.path:
		rec.t.Errorf("got %s %s, want POST %s", r.Method, r.URL.Path, rec.path)
	case r.Header.Get("Authorization") != "Bearer "+testKey:
		rec.t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
	case r.Header.Get("Content-Type") != "application/json":
		rec.t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	case r.ContentLength != int64(len(body)):
		rec.t.Errorf("Content-Length %d, body %d bytes", r.ContentLength, len(body))
	}
	rec.mu.Lock()
	rec.bodies = append(rec.bodies, body)
	rec.mu.Unlock()
	time.Sleep(rec.delay)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.status)
	io.WriteString(w, rec.answer)
}

func newServer(t *testing.T, rec *recorder) *httptest.Server {
	t.Helper()
	rec.t = t
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv
}

func testConfig(url string) config {
	return config{
		URL:         url,
		Key:         testKey,
		Mode:        "single",
		Batch:       100,
		Concurrency: 4,
		Duration:    150 * time.Millisecond,
		Warmup:      0,
		Timeout:     5 * time.Second,
		Seed:        7,
	}
}

// checkTrace checks one TraceInput against docs/ingestion.md and returns its trace_id.
func checkTrace(t *testing.T, raw json.RawMessage, wantSpans int) string {
	t.Helper()
	var tr struct {
		TraceID   *string `json:"trace_id"`
		AgentID   *string `json:"agent_id"`
		Timestamp *string `json:"timestamp"`
		EndTime   string  `json:"end_time"`
		Status    string  `json:"status"`
		Model     string  `json:"model"`
		Input     string  `json:"input"`
		Spans     []struct {
			SpanID       string `json:"span_id"`
			ParentSpanID string `json:"parent_span_id"`
			Kind         string `json:"kind"`
			Name         string `json:"name"`
			StartTime    string `json:"start_time"`
			EndTime      string `json:"end_time"`
		} `json:"spans"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&tr); err != nil {
		t.Fatalf("trace is not valid JSON: %v\n%s", err, raw)
	}
	if tr.TraceID == nil || len(*tr.TraceID) == 0 || len(*tr.TraceID) > 256 {
		t.Fatalf("bad trace_id in %s", raw)
	}
	if tr.AgentID == nil || *tr.AgentID == "" {
		t.Fatalf("bad agent_id in %s", raw)
	}
	if tr.Timestamp == nil {
		t.Fatalf("no timestamp in %s", raw)
	}
	start, err := time.Parse(time.RFC3339, *tr.Timestamp)
	if err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	if time.Since(start) > time.Hour || time.Until(start) > time.Minute {
		t.Errorf("timestamp %s is not about now", start)
	}
	end, err := time.Parse(time.RFC3339, tr.EndTime)
	if err != nil || end.Before(start) {
		t.Errorf("end_time %q (%v) is not after timestamp %s", tr.EndTime, err, start)
	}
	switch tr.Status {
	case "success", "error", "timeout":
	default:
		t.Errorf("status %q", tr.Status)
	}
	if tr.Model == "" || len(tr.Input) < 100 {
		t.Errorf("trace lacks a model or a realistic input: %s", raw)
	}
	if len(tr.Spans) != wantSpans {
		t.Fatalf("%d spans, want %d", len(tr.Spans), wantSpans)
	}
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		if s.SpanID == "" || ids[s.SpanID] || s.ParentSpanID == s.SpanID || s.Name == "" || s.Kind == "" {
			t.Errorf("bad span %+v", s)
		}
		ids[s.SpanID] = true
		ss, err1 := time.Parse(time.RFC3339, s.StartTime)
		se, err2 := time.Parse(time.RFC3339, s.EndTime)
		if err1 != nil || err2 != nil || se.Before(ss) || ss.Before(start) || se.After(end) {
			t.Errorf("span %s times %s..%s outside trace %s..%s", s.SpanID, s.StartTime, s.EndTime, start, end)
		}
	}
	return *tr.TraceID
}

func TestSingleMode(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces", status: http.StatusAccepted, answer: `{"trace_id":"x","spans":1}`,
		delay: time.Millisecond}
	srv := newServer(t, rec)

	res, err := run(context.Background(), testConfig(srv.URL))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := int64(len(rec.bodies))
	if n == 0 || res.Requests != n || res.TracesSent != n || res.TracesAcked != n {
		t.Errorf("server got %d requests; result says requests %d, sent %d, acked %d",
			n, res.Requests, res.TracesSent, res.TracesAcked)
	}
	if res.FailedRequests != 0 || len(res.Errors) != 0 || res.WarmupRequests != 0 {
		t.Errorf("unexpected failures or warmup: %+v", res)
	}
	seen := map[string]bool{}
	for _, b := range rec.bodies {
		id := checkTrace(t, b, 0)
		if !strings.Contains(id, res.RunID) {
			t.Errorf("trace_id %q lacks run id %q", id, res.RunID)
		}
		if seen[id] {
			t.Fatalf("trace_id %q sent twice", id)
		}
		seen[id] = true
	}
	checkRates(t, res)
}

func checkRates(t *testing.T, res *Result) {
	t.Helper()
	if res.ElapsedS < 0.15 || res.ElapsedS > 2 {
		t.Errorf("elapsed %v s for a 150ms run", res.ElapsedS)
	}
	if got := float64(res.TracesAcked) / res.ElapsedS; abs(got-res.TracesPerS) > 1e-6*got {
		t.Errorf("traces/s %v, want %v", res.TracesPerS, got)
	}
	if got := float64(res.Requests) / res.ElapsedS; abs(got-res.RequestsPerS) > 1e-6*got {
		t.Errorf("requests/s %v, want %v", res.RequestsPerS, got)
	}
	l := res.Latency
	if !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max && l.Mean <= l.Max) {
		t.Errorf("latency out of order: %+v", l)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestBatchModeWithSpans(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces/batch", status: http.StatusAccepted, answer: `{"accepted":7,"rejected":0}`,
		delay: 2 * time.Millisecond}
	srv := newServer(t, rec)
	cfg := testConfig(srv.URL + "/") // a trailing slash must not matter
	cfg.Mode, cfg.Batch, cfg.Spans = "batch", 7, 4

	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := int64(len(rec.bodies))
	if n == 0 || res.Requests != n || res.TracesSent != 7*n || res.TracesAcked != 7*n || res.Batch != 7 {
		t.Errorf("server got %d requests; result: %+v", n, res)
	}
	seen := map[string]bool{}
	for _, b := range rec.bodies {
		var batch map[string][]json.RawMessage
		if err := json.Unmarshal(b, &batch); err != nil {
			t.Fatalf("batch is not {\"traces\": [...]}: %v", err)
		}
		if len(batch) != 1 || len(batch["traces"]) != 7 {
			t.Fatalf("batch has keys %d and %d traces, want only traces with 7", len(batch), len(batch["traces"]))
		}
		for _, raw := range batch["traces"] {
			id := checkTrace(t, raw, 4)
			if seen[id] {
				t.Fatalf("trace_id %q sent twice", id)
			}
			seen[id] = true
		}
	}
	checkRates(t, res)
}

func TestServerUnavailable(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces", status: http.StatusServiceUnavailable,
		answer: `{"title":"Store unavailable","status":503}`}
	srv := newServer(t, rec)

	res, err := run(context.Background(), testConfig(srv.URL))
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	rec.mu.Lock()
	n := int64(len(rec.bodies))
	rec.mu.Unlock()
	if n == 0 || res.Requests != n || res.FailedRequests != n || res.Errors["503"] != n || len(res.Errors) != 1 {
		t.Errorf("server answered 503 to %d requests; result: %+v", n, res)
	}
	if res.TracesAcked != 0 || res.TracesPerS != 0 {
		t.Errorf("acknowledged %d traces from a failing server", res.TracesAcked)
	}
	if !strings.Contains(res.Samples["503"], "Store unavailable") {
		t.Errorf("no sample of the 503 answer: %q", res.Samples["503"])
	}
	var out bytes.Buffer
	writeText(&out, res)
	if !strings.Contains(out.String(), fmt.Sprintf("\n  %-32s %d\n", "503", n)) {
		t.Errorf("text output lacks the 503 row:\n%s", out.String())
	}
	if line := failureLine(res); !strings.HasPrefix(line, fmt.Sprintf("%d of %d requests failed (503: %d)", n, n, n)) {
		t.Errorf("failure line %q", line)
	}
}

func TestPartialBatch(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces/batch", status: http.StatusMultiStatus,
		answer: `{"accepted":3,"rejected":2,"items":[]}`}
	srv := newServer(t, rec)
	cfg := testConfig(srv.URL)
	cfg.Mode, cfg.Batch = "batch", 5

	res, err := run(context.Background(), cfg)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	n := res.Requests
	if n == 0 || res.TracesSent != 5*n || res.TracesAcked != 3*n || res.Errors["207"] != n {
		t.Errorf("result: %+v", res)
	}
}

func TestTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more

	cfg := testConfig(url)
	cfg.Duration = 50 * time.Millisecond
	res, err := run(context.Background(), cfg)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	if res.FailedRequests == 0 || res.Errors["transport: connection refused"] != res.FailedRequests {
		t.Errorf("errors %v, failed %d", res.Errors, res.FailedRequests)
	}
}

func TestWarmupExcluded(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces", status: http.StatusAccepted, answer: `{}`}
	srv := newServer(t, rec)
	cfg := testConfig(srv.URL)
	cfg.Warmup, cfg.Duration = 100*time.Millisecond, 100*time.Millisecond

	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	rec.mu.Lock()
	n := int64(len(rec.bodies))
	rec.mu.Unlock()
	if res.WarmupRequests == 0 || res.Requests == 0 || res.WarmupRequests+res.Requests != n {
		t.Errorf("server got %d; warmup %d + measured %d", n, res.WarmupRequests, res.Requests)
	}
	if res.ElapsedS < 0.1 || res.ElapsedS > 1 {
		t.Errorf("elapsed %v s should cover only the 100ms after the warmup", res.ElapsedS)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	thousand := make([]int, 1000)
	for i := range thousand {
		thousand[i] = i + 1
	}
	tests := []struct {
		vals []time.Duration
		p    float64
		want int
	}{
		{nil, 50, 0},
		{ms(5), 50, 5},
		{ms(5), 99, 5},
		{ms(1, 2), 50, 1},
		{ms(1, 2), 51, 2},
		{ms(1, 2, 3, 4), 50, 2},
		{ms(1, 2, 3, 4), 75, 3},
		{ms(1, 2, 3, 4), 100, 4},
		{ms(1, 2, 3, 4), 0, 1},
		{ms(hundred...), 50, 50},
		{ms(hundred...), 95, 95},
		{ms(hundred...), 99, 99},
		{ms(hundred...), 100, 100},
		{ms(thousand...), 99.9, 999},
		{ms(thousand...), 95, 950},
	}
	for _, tt := range tests {
		got := percentile(tt.vals, tt.p)
		if got != time.Duration(tt.want)*time.Millisecond {
			t.Errorf("percentile(%d values, %v) = %v, want %dms", len(tt.vals), tt.p, got, tt.want)
		}
	}
}

func TestSummarizeCounts(t *testing.T) {
	cfg := testConfig("http://x")
	a, b := &worker{st: newStats(), warm: newStats()}, &worker{st: newStats(), warm: newStats()}
	a.st = stats{requests: 3, sent: 3, acked: 2, failed: 1, errors: map[string]int64{"503": 1},
		samples: map[string]string{"503": "busy"}, lat: []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}}
	b.st = stats{requests: 1, sent: 1, acked: 1, errors: map[string]int64{}, samples: map[string]string{},
		lat: []time.Duration{40 * time.Millisecond}}
	b.warm = stats{requests: 2, failed: 1, errors: map[string]int64{"transport: timeout": 1}, samples: map[string]string{}}

	r := summarize(&cfg, "run", []*worker{a, b}, 2*time.Second)
	if r.Requests != 4 || r.TracesSent != 4 || r.TracesAcked != 3 || r.FailedRequests != 1 ||
		r.WarmupRequests != 2 || r.WarmupFailedRequests != 1 || r.Errors["503"] != 1 || r.WarmupErrs["transport: timeout"] != 1 {
		t.Errorf("counts: %+v", r)
	}
	if r.RequestsPerS != 2 || r.TracesPerS != 1.5 {
		t.Errorf("rates %v req/s, %v traces/s", r.RequestsPerS, r.TracesPerS)
	}
	want := LatencyMs{P50: 20, P95: 40, P99: 40, Max: 40, Mean: 25}
	if r.Latency != want {
		t.Errorf("latency %+v, want %+v", r.Latency, want)
	}
}

func TestTemplatesAreValid(t *testing.T) {
	for _, spans := range []int{0, 1, 9} {
		g, err := newGenerator(3, spans)
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]int{}
		now := time.Now().UTC()
		for i := range g.templates {
			raw := g.templates[i].appendTo(nil, []byte("lg-test-0-"), uint64(i), now)
			if bytes.Contains(raw, []byte(sentinelMark)) {
				t.Fatalf("sentinel left in %s", raw)
			}
			checkTrace(t, raw, spans)
			var s struct{ Status string }
			json.Unmarshal(raw, &s)
			statuses[s.Status]++
		}
		if statuses["success"] < len(g.templates)*8/10 || statuses["success"] == len(g.templates) {
			t.Errorf("spans=%d: statuses %v, want mostly success and some failures", spans, statuses)
		}
	}
}

// TestRateSpacesRequests: with -rate the workers keep to the schedule instead of sending
// as fast as they are answered, and the report gives the offered rate.
func TestRateSpacesRequests(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces", status: http.StatusAccepted, answer: `{}`}
	srv := newServer(t, rec)
	cfg := testConfig(srv.URL)
	cfg.Duration = 500 * time.Millisecond
	cfg.Rate = 40 // 20 requests in half a second; an unpaced run sends thousands
	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Requests < 15 || res.Requests > 22 {
		t.Errorf("%d requests at 40/s for 0.5 s, want about 20", res.Requests)
	}
	if res.OfferedPerS != 40 {
		t.Errorf("offered %v, want 40", res.OfferedPerS)
	}
	var out strings.Builder
	if err := writeText(&out, res); err != nil || !strings.Contains(out.String(), "of 40 offered") ||
		strings.Contains(out.String(), "did not keep up") {
		t.Errorf("report: %v\n%s", err, out.String())
	}

	// A server slower than the schedule: the report says it did not keep up.
	slow := &recorder{path: "/api/v1/traces", status: http.StatusAccepted, answer: `{}`, delay: 50 * time.Millisecond}
	cfg = testConfig(newServer(t, slow).URL)
	cfg.Concurrency, cfg.Duration, cfg.Rate = 1, 300*time.Millisecond, 100
	if res, err = run(context.Background(), cfg); err != nil {
		t.Fatalf("run: %v", err)
	}
	out.Reset()
	_ = writeText(&out, res)
	if res.RequestsPerS > 30 || !strings.Contains(out.String(), "did not keep up") {
		t.Errorf("%.1f requests/s against a 50 ms server; report:\n%s", res.RequestsPerS, out.String())
	}
}

func TestFlags(t *testing.T) {
	env := func(k string) string {
		if k == "AGENTOBS_API_KEY" {
			return "from-env"
		}
		return ""
	}
	cfg, err := parseFlags(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{URL: "http://127.0.0.1:8000", Key: "from-env", Mode: "single", Batch: 100, Concurrency: 64,
		Duration: 10 * time.Second, Warmup: 2 * time.Second, Timeout: 30 * time.Second, Seed: 1}
	if cfg != want {
		t.Errorf("defaults %+v, want %+v", cfg, want)
	}
	cfg, err = parseFlags([]string{"-key", "k", "-mode", "batch", "-batch", "10", "-spans", "3", "-json"}, env, io.Discard)
	if err != nil || cfg.Key != "k" || cfg.Mode != "batch" || cfg.Batch != 10 || cfg.Spans != 3 || !cfg.JSON {
		t.Errorf("parsed %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-mode", "bulk"}, {"-concurrency", "0"}, {"-url", "127.0.0.1:8000"}, {"extra"},
		{"-rate", "-5"}, {"-rate", "NaN"}, {"-rate", "fast"}} {
		if _, err := parseFlags(args, env, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	if _, err := parseFlags(nil, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("no error without a key")
	}
	var stderr bytes.Buffer
	if code := mainErr([]string{"-h"}, env, io.Discard, &stderr); code != 0 || !strings.Contains(stderr.String(), "-concurrency") {
		t.Errorf("-h: exit %d, output %q", code, stderr.String())
	}
}

func TestMainJSONExitStatus(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces", status: http.StatusServiceUnavailable, answer: `{}`}
	srv := newServer(t, rec)
	var stdout, stderr bytes.Buffer
	args := []string{"-url", srv.URL, "-key", testKey, "-concurrency", "2", "-duration", "50ms", "-warmup", "0", "-json"}
	code := mainErr(args, func(string) string { return "" }, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "requests failed (503: ") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	var res Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || res.FailedRequests == 0 {
		t.Errorf("stdout is not one JSON result (%v): %s", err, stdout.String())
	}
}

// TestBodyReuse checks that a worker reuses its request buffer instead of allocating one
// per request, and still sends distinct, complete bodies.
func TestBodyReuse(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces/batch", status: http.StatusAccepted, answer: `{}`}
	srv := newServer(t, rec)
	cfg := testConfig(srv.URL)
	cfg.Mode, cfg.Batch = "batch", 3
	gen, err := newGenerator(cfg.Seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{
		cfg:      &cfg,
		client:   srv.Client(),
		endpoint: srv.URL + "/api/v1/traces/batch",
		header:   http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + testKey}},
		gen:      gen,
		rng:      mrand.New(mrand.NewPCG(1, 2)),
		idPrefix: []byte("lg-reuse-0-"),
		st:       newStats(),
		warm:     newStats(),
	}
	const n = 200
	for range n {
		if !w.do() {
			t.Fatalf("transport error: %v", w.st.samples)
		}
	}
	if w.st.requests != n || w.st.acked != 3*n || w.st.failed != 0 {
		t.Errorf("stats %+v", w.st)
	}
	if w.newBodies > 5 {
		t.Errorf("%d bodies allocated for %d requests", w.newBodies, n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	seen, seenTickets := map[string]bool{}, map[string]bool{}
	for _, b := range rec.bodies {
		var batch struct{ Traces []json.RawMessage }
		if err := json.Unmarshal(b, &batch); err != nil || len(batch.Traces) != 3 {
			t.Fatalf("bad batch (%v): %s", err, b)
		}
		for _, raw := range batch.Traces {
			id := checkTrace(t, raw, 0)
			var texts struct{ Input, Output string }
			if err := json.Unmarshal(raw, &texts); err != nil {
				t.Fatal(err)
			}
			ticket := ticketOf(t, texts.Input)
			if texts.Output != "" && !strings.Contains(texts.Output, "About ticket "+ticket+": ") {
				t.Fatalf("trace %s output does not name ticket %s: %q", id, ticket, texts.Output)
			}
			if seenTickets[ticket] {
				t.Fatalf("ticket %s named by two traces", ticket)
			}
			seenTickets[ticket] = true
			if seen[id] {
				t.Fatalf("trace_id %q sent twice", id)
			}
			seen[id] = true
		}
	}
}

// TestRepeatResendsIDs: with -repeat 0.5 about half the traces reuse an id the same worker
// sent before, and none is an id never sent.
func TestRepeatResendsIDs(t *testing.T) {
	t.Parallel()
	rec := &recorder{path: "/api/v1/traces", status: http.StatusAccepted, answer: `{}`}
	srv := newServer(t, rec)
	cfg := testConfig(srv.URL)
	cfg.Repeat = 0.5
	cfg.Concurrency = 1
	cfg.Duration = 400 * time.Millisecond
	if _, err := run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	seen, repeats := map[string]bool{}, 0
	for _, b := range rec.bodies {
		id := checkTrace(t, b, 0)
		if seen[id] {
			repeats++
		}
		seen[id] = true
	}
	share := float64(repeats) / float64(len(rec.bodies))
	// Enough traces for the share to be meaningful on a busy machine, a wide band for chance.
	if len(rec.bodies) < 20 || share < 0.2 || share > 0.8 {
		t.Fatalf("%d of %d traces repeated", repeats, len(rec.bodies))
	}
}

// TestProbeMeasuresVisibility: the probe posts its own traces and polls until the server
// finds them; a server that makes them readable after 20 ms gives about 20 ms.
func TestProbeMeasuresVisibility(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	posted := map[string]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost {
			var in struct {
				TraceID string `json:"trace_id"`
			}
			json.Unmarshal(body, &in)
			mu.Lock()
			posted[in.TraceID] = time.Now()
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/api/v1/traces/")
		mu.Lock()
		at, ok := posted[id]
		mu.Unlock()
		if !ok || time.Since(at) < 20*time.Millisecond {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.Probe, cfg.Duration = true, 400*time.Millisecond
	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Visibility; v == nil || v.P50 < 19 || v.P50 > 200 {
		t.Fatalf("visibility %+v", res.Visibility)
	}
}

// ticketOf returns the ticket a generated question names: capital letters only, so that no
// detector takes it for a number.
func ticketOf(t *testing.T, text string) string {
	t.Helper()
	i := strings.LastIndex(text, "(ticket ")
	if i < 0 || len(text) < i+8+ticketLen+1 || text[i+8+ticketLen] != ')' {
		t.Fatalf("no ticket in %q", text)
	}
	ticket := text[i+8 : i+8+ticketLen]
	if strings.Trim(ticket, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		t.Fatalf("ticket %q is not capital letters", ticket)
	}
	return ticket
}
