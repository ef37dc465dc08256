package main

// Process-level tests: they build the real binary, start it on a temporary data directory
// and talk to it over HTTP, the way a user and an SDK do.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/store/duckdb"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "agentobs-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "agentobs")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build agentobs:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testKey = "ao_test_process_key_0123456789"

type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string
	dataDir string
	log     *bytes.Buffer
	done    chan error
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	port := freePort(t)
	args := append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dataDir}, extra...)
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "AGENTOBS_INIT_API_KEY="+testKey)
	logBuf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logBuf, logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), dataDir: dataDir, log: &logBuf.Buffer, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			logBuf.mu.Lock()
			t.Logf("server log:\n%s", logBuf.String())
			logBuf.mu.Unlock()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited before ready: %v\n%s", err, logBuf.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server not ready in time")
	return nil
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func (s *server) do(method, path, key, contentType string, body []byte) (int, []byte, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// awaitCommitted waits until everything acknowledged is committed to the store: a 202
// means durable in the write-ahead log, and the store catches up a moment later.
func (s *server) awaitCommitted() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, body, _ := s.do("GET", "/ready", "", "", nil)
		var ready struct {
			Ingestion struct {
				Records   int  `json:"commit_lag_records"`
				Replaying bool `json:"replaying"`
			} `json:"ingestion"`
		}
		if code == 200 && json.Unmarshal(body, &ready) == nil && ready.Ingestion.Records == 0 && !ready.Ingestion.Replaying {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.t.Fatal("the store did not catch up with the ingestion log in 30s")
}

func (s *server) post(path string, v any) (int, []byte) {
	body, _ := json.Marshal(v)
	code, b, _ := s.do("POST", path, testKey, "application/json", body)
	return code, b
}

func traceInput(id string) map[string]any {
	return map[string]any{
		"trace_id": id, "agent_id": "support-bot", "timestamp": "2026-11-25T10:00:00Z",
		"input": "Where is my order?", "output": "It ships tomorrow.", "latency_ms": 840,
		"status": "success", "model": "gpt-4o-mini", "model_provider": "openai",
		"tokens_input": 1200, "tokens_output": 80, "metadata": map[string]any{"release": "1.2"}, "tags": []string{"prod"},
	}
}

func TestIngestAndReadBack(t *testing.T) {
	s := startServer(t, t.TempDir())
	code, body := s.post("/api/v1/traces", traceInput("t-1"))
	if code != 202 {
		t.Fatalf("POST /api/v1/traces = %d %s", code, body)
	}
	agentRun := map[string]any{
		"trace_id": "run-1", "agent_id": "research-agent", "timestamp": "2026-11-25T10:00:00Z",
		"spans": []map[string]any{
			{"span_id": "root", "kind": "agent", "name": "research", "start_time": "2026-11-25T10:00:00Z", "end_time": "2026-11-25T10:00:03Z"},
			{"span_id": "llm-1", "parent_span_id": "root", "kind": "llm", "name": "plan", "start_time": "2026-11-25T10:00:00.5Z", "end_time": "2026-11-25T10:00:01.5Z",
				"model": "claude-sonnet-4-5", "tokens_input": 2000, "tokens_output": 300},
			{"span_id": "tool-1", "parent_span_id": "root", "kind": "tool", "name": "search", "start_time": "2026-11-25T10:00:02Z", "latency_ms": 400, "status": "error", "status_message": "HTTP 502"},
		},
		"scores": []map[string]any{{"name": "helpfulness", "value": 0.8, "source": "eval"}},
	}
	if code, body := s.post("/api/v1/traces/batch", map[string]any{"traces": []any{agentRun, traceInput("t-2")}}); code != 202 {
		t.Fatalf("batch = %d %s", code, body)
	}
	s.awaitCommitted()
	code, body, _ = s.do("GET", "/api/v1/traces/t-1", testKey, "", nil)
	if code != 200 {
		t.Fatalf("GET trace = %d %s", code, body)
	}
	var flat struct {
		TraceID     string   `json:"trace_id"`
		TokensTotal int64    `json:"tokens_total"`
		CostUSD     *float64 `json:"cost_usd"`
		Provider    string   `json:"model_provider"`
		Spans       []struct {
			SpanID string `json:"span_id"`
			Kind   string `json:"kind"`
		} `json:"spans"`
	}
	json.Unmarshal(body, &flat)
	if flat.TokensTotal != 1280 || flat.CostUSD == nil || *flat.CostUSD <= 0 || len(flat.Spans) != 1 || flat.Spans[0].Kind != "llm" {
		t.Errorf("flat trace = %s", body)
	}
	code, body, _ = s.do("GET", "/api/v1/traces/run-1", testKey, "", nil)
	if code != 200 {
		t.Fatalf("GET run = %d %s", code, body)
	}
	var run struct {
		Status         string   `json:"status"`
		SpanCount      int      `json:"span_count"`
		ErrorSpanCount int      `json:"error_span_count"`
		TokensTotal    int64    `json:"tokens_total"`
		CostUSD        *float64 `json:"cost_usd"`
		LatencyMs      int64    `json:"latency_ms"`
		Spans          []struct {
			SpanID   string `json:"span_id"`
			Children []struct {
				SpanID    string `json:"span_id"`
				LatencyMs int64  `json:"latency_ms"`
			} `json:"children"`
		} `json:"spans"`
		Scores []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"scores"`
	}
	json.Unmarshal(body, &run)
	if run.Status != "error" || run.SpanCount != 3 || run.ErrorSpanCount != 1 || run.TokensTotal != 2300 || run.CostUSD == nil || run.LatencyMs != 3000 {
		t.Errorf("rolled-up run = %s", body)
	}
	if len(run.Spans) != 1 || len(run.Spans[0].Children) != 2 || run.Spans[0].Children[1].LatencyMs != 400 {
		t.Errorf("tree = %s", body)
	}
	if len(run.Scores) != 1 || run.Scores[0].Value != 0.8 {
		t.Errorf("scores = %s", body)
	}
	if code, body, _ := s.do("GET", "/api/v1/traces/missing", testKey, "", nil); code != 404 || !strings.Contains(string(body), "not found") {
		t.Errorf("missing trace = %d %s", code, body)
	}
}

func TestBatchMixedValidAndInvalid(t *testing.T) {
	s := startServer(t, t.TempDir())
	bad := traceInput("t-bad")
	bad["status"] = "fine"
	bad["tokens_input"] = -3
	code, body := s.post("/api/v1/traces/batch", map[string]any{"traces": []any{traceInput("t-a"), bad, traceInput("t-b")}})
	if code != 207 {
		t.Fatalf("mixed batch = %d %s", code, body)
	}
	var res struct {
		Accepted, Rejected int
		Items              []struct {
			Index   int
			TraceID string `json:"trace_id"`
			Status  int
			Errors  []struct{ Field, Pointer, Detail string }
		}
	}
	json.Unmarshal(body, &res)
	if res.Accepted != 2 || res.Rejected != 1 || res.Items[1].Status != 400 || res.Items[1].TraceID != "t-bad" || len(res.Items[1].Errors) != 2 {
		t.Fatalf("batch result = %s", body)
	}
	if e := res.Items[1].Errors[0]; e.Field != "traces[1].status" || e.Pointer != "/traces/1/status" {
		t.Errorf("error path = %+v", e)
	}
	for _, id := range []string{"t-a", "t-b"} {
		s.awaitCommitted()
		if code, _, _ := s.do("GET", "/api/v1/traces/"+id, testKey, "", nil); code != 200 {
			t.Errorf("valid item %s not stored: %d", id, code)
		}
	}
	if code, _, _ := s.do("GET", "/api/v1/traces/t-bad", testKey, "", nil); code != 404 {
		t.Errorf("invalid item stored: %d", code)
	}
	code, body = s.post("/api/v1/traces/batch", map[string]any{"traces": []any{bad}})
	if code != 400 || !strings.Contains(string(body), `"pointer":"/traces/0/tokens_input"`) {
		t.Errorf("all-invalid batch = %d %s", code, body)
	}
	many := make([]any, 101)
	for i := range many {
		many[i] = traceInput(fmt.Sprintf("m-%d", i))
	}
	if code, body := s.post("/api/v1/traces/batch", map[string]any{"traces": many}); code != 413 {
		t.Errorf("101 items = %d %s", code, body)
	}
}

func TestRejections(t *testing.T) {
	s := startServer(t, t.TempDir(), "--max-body-bytes", "1MiB")
	body, _ := json.Marshal(traceInput("t-1"))
	cases := []struct {
		name        string
		key, ctype  string
		body        []byte
		wantStatus  int
		wantProblem string
	}{
		{"no key", "", "application/json", body, 401, "unauthorized"},
		{"wrong key", "ao_wrong", "application/json", body, 401, "unauthorized"},
		{"text body", testKey, "text/plain", body, 415, "unsupported-media-type"},
		{"oversized", testKey, "application/json", append([]byte(`{"input":"`), bytes.Repeat([]byte("x"), 2<<20)...), 413, "too-large"},
		{"invalid", testKey, "application/json", []byte(`{"trace_id":"x"}`), 400, "validation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, resp, hdr := s.do("POST", "/api/v1/traces", tc.key, tc.ctype, tc.body)
			if code != tc.wantStatus {
				t.Fatalf("status = %d %s", code, resp)
			}
			if hdr.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(resp), "/problems/"+tc.wantProblem) {
				t.Errorf("problem = %s (%s)", resp, hdr.Get("Content-Type"))
			}
		})
	}
	if code, _, _ := s.do("GET", "/api/v1/traces/t-1", "", "", nil); code != 401 {
		t.Errorf("read without key = %d", code)
	}
	code, metrics, _ := s.do("GET", "/metrics", "", "", nil)
	if code != 200 || !strings.Contains(string(metrics), `agentobs_rejected_items_total{reason="unauthorized"} 3`) ||
		!strings.Contains(string(metrics), "go_goroutines") || !strings.Contains(string(metrics), "agentobs_commit_duration_seconds") {
		t.Errorf("metrics missing expected series")
	}
}

// ingestBurst posts traces from several goroutines and returns the ids acknowledged with 2xx.
// Requests that fail (the server may be gone) are simply not acknowledged.
func ingestBurst(s *server, prefix string, singles, batches int) []string {
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var ids []string
				var body []byte
				path := "/api/v1/traces"
				if i < singles {
					id := fmt.Sprintf("%s-s-%d", prefix, i)
					ids = []string{id}
					body, _ = json.Marshal(traceInput(id))
				} else {
					path = "/api/v1/traces/batch"
					var traces []any
					for j := 0; j < 50; j++ {
						id := fmt.Sprintf("%s-b-%d-%d", prefix, i, j)
						ids = append(ids, id)
						traces = append(traces, traceInput(id))
					}
					body, _ = json.Marshal(map[string]any{"traces": traces})
				}
				req, _ := http.NewRequest("POST", s.base+path, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 202 {
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < singles+batches; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return acked
}

// storedCounts opens the database file directly (the server must be stopped) and returns
// how many rows each trace id has.
func storedCounts(t *testing.T, dataDir string) map[string]int {
	t.Helper()
	st, err := duckdb.Open(context.Background(), filepath.Join(dataDir, duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.TraceIDCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

func TestKill9LosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	acked := ingestBurst(s, "k9", 1500, 40)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	if len(acked) < 3000 {
		t.Fatalf("only %d traces acknowledged before the kill", len(acked))
	}
	// Restart on the same file: the write-ahead log is replayed.
	s2 := startServer(t, dir)
	s2.awaitCommitted()
	for _, id := range []string{acked[0], acked[len(acked)/2], acked[len(acked)-1]} {
		if code, body, _ := s2.do("GET", "/api/v1/traces/"+id, testKey, "", nil); code != 200 {
			t.Errorf("acknowledged %s missing after restart: %d %s", id, code, body)
		}
	}
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-s2.done; err != nil {
		t.Fatalf("restarted server exit: %v", err)
	}
	counts := storedCounts(t, dir)
	missing := 0
	for _, id := range acked {
		if counts[id] != 1 {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged trace %s stored %d times", id, counts[id])
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged traces not stored exactly once", missing, len(acked))
	}
	t.Logf("%d acknowledged traces all present exactly once after kill -9", len(acked))
}

func TestSIGTERMDrains(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	var acked []string
	done := make(chan struct{})
	go func() {
		acked = ingestBurst(s, "term", 3000, 30)
		close(done)
	}()
	time.Sleep(300 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	<-done
	if !strings.Contains(s.log.String(), "shutdown complete") {
		t.Errorf("no clean shutdown in log")
	}
	counts := storedCounts(t, dir)
	for _, id := range acked {
		if counts[id] != 1 {
			t.Fatalf("acknowledged %s stored %d times after SIGTERM", id, counts[id])
		}
	}
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before SIGTERM")
	}
	t.Logf("%d traces acknowledged before and during drain, all stored", len(acked))
}

func TestCommands(t *testing.T) {
	out, err := exec.Command(binPath, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "agentobs ") {
		t.Errorf("version = %q, %v", out, err)
	}
	for _, cmd := range []string{"serve", "migrate", "seed", "backup", "restore"} {
		out, err := exec.Command(binPath, cmd, "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage: agentobs "+cmd) || !strings.Contains(string(out), "AGENTOBS_DATA_DIR") {
			t.Errorf("%s --help = %q, %v", cmd, out, err)
		}
	}
	out, err = exec.Command(binPath, "frobnicate").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "unknown command") {
		t.Errorf("unknown command: exit %d %q", code, out)
	}
	dir := t.TempDir()
	out, err = exec.Command(binPath, "migrate", "--data-dir", dir).CombinedOutput()
	latest := duckdb.LatestSchemaVersion()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("applied %d migration(s); schema is at version %d", duckdb.MigrationCount(), latest)) {
		t.Errorf("migrate = %q, %v", out, err)
	}
	out, _ = exec.Command(binPath, "migrate", "--data-dir", dir).CombinedOutput()
	if !strings.Contains(string(out), "applied 0 migration(s)") {
		t.Errorf("second migrate = %q", out)
	}
	cmd := exec.Command(binPath, "serve", "--data-dir", dir)
	cmd.Env = append(os.Environ(), "AGENTOBS_ADDR=bad address")
	out, err = cmd.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "cannot listen") {
		t.Errorf("bad address: %q", out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestGeneratedKeyPrintedOnce(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	run := func() string {
		cmd := exec.Command(binPath, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dir)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(out.String(), "agentobs ready") {
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		return out.String()
	}
	first := run()
	i := strings.Index(first, "export AGENTOBS_API_KEY=")
	if i < 0 {
		t.Fatalf("no key printed on first start:\n%s", first)
	}
	key := strings.TrimSpace(strings.SplitN(first[i+len("export AGENTOBS_API_KEY="):], "\n", 2)[0])
	if !strings.HasPrefix(key, "ao_") || len(key) < 30 {
		t.Fatalf("key %q", key)
	}
	second := run()
	if strings.Contains(second, key) || strings.Contains(second, "AGENTOBS_API_KEY=") {
		t.Errorf("key printed again on second start")
	}
}

func TestSeedThenServe(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binPath, "seed", "--data-dir", dir, "--traces", "3000", "--days", "7", "--seed", "42", "--quiet")
	cmd.Env = append(os.Environ(), "AGENTOBS_INIT_API_KEY="+testKey)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "seeded 3000 traces") || !strings.Contains(string(out), "100 events, 50 violations") {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	s := startServer(t, dir)
	code, body, _ := s.do("GET", "/api/v1/agents", testKey, "", nil)
	var res struct {
		Agents []struct {
			AgentID string   `json:"agent_id"`
			Models  []string `json:"models"`
		} `json:"agents"`
	}
	if code != 200 || json.Unmarshal(body, &res) != nil || len(res.Agents) < 8 {
		t.Fatalf("agents after seed = %d %s", code, body)
	}
	for _, a := range res.Agents {
		if len(a.Models) == 0 {
			t.Errorf("agent %s has no models", a.AgentID)
		}
	}
}

// TestOperationsListener: with --ops-addr, metrics and profiles move to that listener and
// need the metrics token when one is set; the API port no longer serves /metrics.
func TestOperationsListener(t *testing.T) {
	opsPort := freePort(t)
	s := startServer(t, t.TempDir(), "--ops-addr", fmt.Sprintf("127.0.0.1:%d", opsPort), "--metrics-token", "scrape-token-42")
	if code, _, _ := s.do("GET", "/metrics", "", "", nil); code != 404 {
		t.Errorf("/metrics on the API port = %d, want 404", code)
	}
	ops := &server{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", opsPort)}
	if code, _, _ := ops.do("GET", "/metrics", "", "", nil); code != 401 {
		t.Errorf("ops /metrics without the token = %d, want 401", code)
	}
	code, body, _ := ops.do("GET", "/metrics", "scrape-token-42", "", nil)
	if code != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("ops /metrics with the token = %d", code)
	}
	if code, _, _ := ops.do("GET", "/debug/pprof/", "scrape-token-42", "", nil); code != 200 {
		t.Errorf("ops profiles with the token = %d", code)
	}
}
