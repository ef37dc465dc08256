package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Config is one load test.
type Config struct {
	URL string // base URL of the server
	// DashboardURL is where the dashboard's reads go; empty: URL. In scale-out, ingest
	// and the query API are separate processes.
	DashboardURL string
	Key          string // API key with the ingest and read scopes
	Shape        Shape
	// DashboardShare is the part of the load sent to the dashboard's read endpoints (the
	// rest posts traces); 0 sends only traces.
	DashboardShare float64
	Timeout        time.Duration
	// Connections caps idle connections per host; 0: vegeta's default.
	Connections int
	// MaxInFlight caps requests waiting for an answer per group; 0: no cap (a stalled
	// server then sees ever more connections, as it would from real clients).
	MaxInFlight uint64
	// RunID makes trace ids unique per run; empty: the start time.
	RunID string
}

// Groups of endpoints the report tells apart.
const (
	GroupIngest    = "ingest"
	GroupDashboard = "dashboard"
)

// DashboardPaths are what the dashboard's pages read, as a browser asks for them.
var DashboardPaths = []string{
	"/api/v1/metrics/home-kpis?range=24h",
	"/api/v1/usage/overview?range=24h",
	"/api/v1/usage/calls-over-time?range=24h",
	"/api/v1/cost/overview?range=24h",
	"/api/v1/performance/overview?range=24h",
	"/api/v1/traces?limit=50",
}

var (
	agents = []string{"support-bot", "research-agent", "code-assistant", "sales-copilot", "triage-agent"}
	models = []struct{ model, provider string }{
		{"gpt-4o", "openai"}, {"gpt-4o-mini", "openai"}, {"claude-3-5-sonnet", "anthropic"},
		{"gemini-1.5-pro", "google"}, {"gpt-4-turbo", "openai"},
	}
)

// traceInput is the plan's TraceInput, as the k6 script posts it.
type traceInput struct {
	TraceID      string  `json:"trace_id"`
	AgentID      string  `json:"agent_id"`
	Timestamp    string  `json:"timestamp"`
	Input        string  `json:"input"`
	Output       string  `json:"output"`
	LatencyMs    int     `json:"latency_ms"`
	Status       string  `json:"status"`
	Model        string  `json:"model"`
	Provider     string  `json:"model_provider"`
	TokensInput  int     `json:"tokens_input"`
	TokensOutput int     `json:"tokens_output"`
	CostUSD      float64 `json:"cost_usd"`
}

// ingestTargeter posts one trace per request: a new id each time (run id and sequence),
// the current time, agents and models in turn, one in twenty an error.
func ingestTargeter(base, key, runID string) vegeta.Targeter {
	var seq atomic.Uint64
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}}
	url := base + "/api/v1/traces"
	return func(t *vegeta.Target) error {
		n := seq.Add(1)
		m := models[n%uint64(len(models))]
		status := "success"
		if n%20 == 0 {
			status = "error"
		}
		body, err := json.Marshal(traceInput{TraceID: "bench-" + runID + "-" + strconv.FormatUint(n, 10),
			AgentID: agents[n%uint64(len(agents))], Timestamp: time.Now().UTC().Format(time.RFC3339Nano),
			Input: "Test input", Output: "Test output", LatencyMs: 200 + int(n%1800), Status: status,
			Model: m.model, Provider: m.provider, TokensInput: 100 + int(n%400), TokensOutput: 200, CostUSD: 0.005})
		if err != nil {
			return err
		}
		t.Method, t.URL, t.Body, t.Header = "POST", url, body, hdr
		return nil
	}
}

// dashboardTargeter reads the dashboard's endpoints in turn.
func dashboardTargeter(base, key string) vegeta.Targeter {
	var seq atomic.Uint64
	hdr := http.Header{"Authorization": {"Bearer " + key}}
	return func(t *vegeta.Target) error {
		n := seq.Add(1)
		t.Method, t.URL, t.Body, t.Header = "GET", base+DashboardPaths[n%uint64(len(DashboardPaths))], nil, hdr
		return nil
	}
}

// GroupResult is the outcome of one endpoint group.
type GroupResult struct {
	Group    string         `json:"group"`
	Requests uint64         `json:"requests"`
	RPS      float64        `json:"rps"`
	P50      time.Duration  `json:"p50_ns"`
	P95      time.Duration  `json:"p95_ns"`
	P99      time.Duration  `json:"p99_ns"`
	Max      time.Duration  `json:"max_ns"`
	Errors   uint64         `json:"errors"`
	Codes    map[string]int `json:"status_codes"`
	// Messages are the distinct errors, at most ten.
	Messages []string `json:"error_messages,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Shape    Shape         `json:"-"`
	Duration time.Duration `json:"duration_ns"`
	Groups   []GroupResult `json:"groups"`
	Total    GroupResult   `json:"total"`
}

// Run sends the load and returns the report; progress, when not nil, gets a progress bar.
// Cancelling ctx ends the run early with the report so far.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	if err := cfg.Shape.Validate(); err != nil {
		return nil, err
	}
	if cfg.DashboardShare < 0 || cfg.DashboardShare >= 1 {
		return nil, fmt.Errorf("dashboard share must be at least 0 and below 1")
	}
	base := strings.TrimRight(cfg.URL, "/")
	runID := cfg.RunID
	if runID == "" {
		runID = strconv.FormatInt(time.Now().UnixMilli(), 36)
	}
	opts := []func(*vegeta.Attacker){vegeta.Timeout(cfg.Timeout), vegeta.KeepAlive(true), vegeta.MaxBody(1024)}
	if cfg.Connections > 0 {
		opts = append(opts, vegeta.Connections(cfg.Connections))
	}
	if cfg.MaxInFlight > 0 {
		opts = append(opts, vegeta.MaxWorkers(cfg.MaxInFlight), vegeta.Workers(min(cfg.MaxInFlight, vegeta.DefaultWorkers)))
	}
	type attack struct {
		group    string
		targeter vegeta.Targeter
		share    float64
	}
	attacks := []attack{{GroupIngest, ingestTargeter(base, cfg.Key, runID), 1 - cfg.DashboardShare}}
	if cfg.DashboardShare > 0 {
		dash := strings.TrimRight(cfg.DashboardURL, "/")
		if dash == "" {
			dash = base
		}
		attacks = append(attacks, attack{GroupDashboard, dashboardTargeter(dash, cfg.Key), cfg.DashboardShare})
	}
	metrics := map[string]*vegeta.Metrics{}
	var total vegeta.Metrics
	var mu sync.Mutex
	var sent, failed atomic.Uint64
	var wg sync.WaitGroup
	start := time.Now()
	for _, a := range attacks {
		m := &vegeta.Metrics{}
		metrics[a.group] = m
		attacker := vegeta.NewAttacker(opts...)
		results := attacker.Attack(a.targeter, newPacer(cfg.Shape, a.share), cfg.Shape.Duration(), a.group)
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := context.AfterFunc(ctx, func() { attacker.Stop() })
			defer stop()
			for r := range results {
				sent.Add(1)
				if r.Error != "" {
					failed.Add(1)
				}
				mu.Lock()
				m.Add(r)
				total.Add(r)
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	bar := progressBar{w: progress, shape: cfg.Shape, share: newPacer(cfg.Shape, 1)}
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-ticker.C:
			bar.draw(time.Since(start), sent.Load(), failed.Load())
		}
	}
	bar.finish(time.Since(start), sent.Load(), failed.Load())

	rep := &Report{Shape: cfg.Shape, Duration: time.Since(start)}
	for _, a := range attacks {
		m := metrics[a.group]
		m.Close()
		rep.Groups = append(rep.Groups, groupResult(a.group, m))
	}
	total.Close()
	rep.Total = groupResult("total", &total)
	return rep, ctx.Err()
}

func groupResult(name string, m *vegeta.Metrics) GroupResult {
	g := GroupResult{Group: name, Requests: m.Requests, RPS: m.Rate, P50: m.Latencies.P50, P95: m.Latencies.P95,
		P99: m.Latencies.P99, Max: m.Latencies.Max, Codes: m.StatusCodes}
	g.Errors = uint64(float64(m.Requests)*(1-m.Success) + 0.5)
	g.Messages = m.Errors
	if len(g.Messages) > 10 {
		g.Messages = g.Messages[:10]
	}
	return g
}

// progressBar redraws one line: how far through the shape, the rate due now, sent, errors.
type progressBar struct {
	w     io.Writer
	shape Shape
	share pacer
}

func (b progressBar) line(elapsed time.Duration, sent, failed uint64) string {
	total := b.shape.Duration()
	frac := min(float64(elapsed)/float64(total), 1)
	const width = 30
	filled := int(frac * width)
	return fmt.Sprintf("\r[%s%s] %3.0f%% %s/%s  target %5.0f rps  sent %d  errors %d ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100,
		elapsed.Truncate(time.Second), total.Truncate(time.Second), b.share.Rate(elapsed), sent, failed)
}

func (b progressBar) draw(elapsed time.Duration, sent, failed uint64) {
	if b.w != nil {
		io.WriteString(b.w, b.line(elapsed, sent, failed))
	}
}

func (b progressBar) finish(elapsed time.Duration, sent, failed uint64) {
	if b.w != nil {
		io.WriteString(b.w, b.line(min(elapsed, b.shape.Duration()), sent, failed)+"\n")
	}
}

// WriteTable prints the report as a table.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "load: ramp %s to %.0f rps, hold %s, ramp %s to %.0f rps, hold %s, ramp %s down (%s in all)\n\n",
		r.Shape.Ramp, r.Shape.Rate, r.Shape.Hold, r.Shape.Ramp, r.Shape.Peak, r.Shape.Hold, r.Shape.Ramp, r.Duration.Truncate(time.Millisecond))
	fmt.Fprintf(w, "%-10s %10s %9s %10s %10s %10s %10s %8s  %s\n", "endpoints", "requests", "rps", "p50", "p95", "p99", "max", "errors", "status codes")
	for _, g := range append(append([]GroupResult{}, r.Groups...), r.Total) {
		var codes []string
		for c, n := range g.Codes {
			codes = append(codes, fmt.Sprintf("%s:%d", c, n))
		}
		sort.Strings(codes)
		fmt.Fprintf(w, "%-10s %10d %9.1f %10s %10s %10s %10s %8d  %s\n", g.Group, g.Requests, g.RPS, ms(g.P50), ms(g.P95), ms(g.P99), ms(g.Max),
			g.Errors, strings.Join(codes, " "))
	}
	for _, g := range r.Groups {
		for _, m := range g.Messages {
			fmt.Fprintf(w, "%s error: %s\n", g.Group, m)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
