// Package otel tests OTLP ingestion end to end with OpenTelemetry clients we did not write:
// the Node SDK with its three trace exporters and the Vercel AI SDK, the Python SDK with
// its two exporters and two third-party openai instrumentors, and the Langfuse (Python 5,
// JavaScript 5 and the 3.x batch ingestion client) and Phoenix SDKs. Each client sends a small
// agent run to the built binary; the test reads it back through the API. Run it with
// e2e/otel/run.sh (make test-otel), which installs the clients first.
package otel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/pricing"
)

const apiKey = "ao_e2e_otel_0000000000000000000000"

type span struct {
	SpanID       string   `json:"span_id"`
	Kind         string   `json:"kind"`
	Name         string   `json:"name"`
	Status       string   `json:"status"`
	Model        string   `json:"model"`
	TokensInput  *int64   `json:"tokens_input"`
	TokensOutput *int64   `json:"tokens_output"`
	CostUSD      *float64 `json:"cost_usd"`
	Input        string   `json:"input"`
	Output       string   `json:"output"`
	Children     []span   `json:"children"`
}

type traceDoc struct {
	TraceID      string   `json:"trace_id"`
	AgentID      string   `json:"agent_id"`
	Name         string   `json:"name"`
	UserID       string   `json:"user_id"`
	SessionID    string   `json:"session_id"`
	Status       string   `json:"status"`
	Model        string   `json:"model"`
	Input        string   `json:"input"`
	Output       string   `json:"output"`
	TokensInput  *int64   `json:"tokens_input"`
	TokensOutput *int64   `json:"tokens_output"`
	CostUSD      *float64 `json:"cost_usd"`
	SpanCount    int64    `json:"span_count"`
	Spans        []span   `json:"spans"`
	Scores       []struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	} `json:"scores"`
}

// server runs the built binary on free ports of the loopback interface.
type server struct {
	url, grpcURL string
	log          *bytes.Buffer
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type lockedBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func startServer(t *testing.T) *server {
	t.Helper()
	bin := os.Getenv("AGENTOBS_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../bin/agentobs")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("agentobs binary not found (make build, or set AGENTOBS_BIN): %v", err)
	}
	httpPort, grpcPort := freePort(t), freePort(t)
	log := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--otlp-grpc-addr", fmt.Sprintf("127.0.0.1:%d", grpcPort), "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "AGENTOBS_INIT_API_KEY="+apiKey)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	s := &server{url: fmt.Sprintf("http://127.0.0.1:%d", httpPort), grpcURL: fmt.Sprintf("http://127.0.0.1:%d", grpcPort), log: &log.Buffer}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(s.url + "/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// gRPC listens before HTTP serves, but wait for it explicitly all the same.
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.grpcURL, "http://"), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OTLP/gRPC not listening: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// waitCommitted waits until the server has committed every acknowledged record to the
// store: it acknowledges once records are in its write-ahead log (docs/ingestion.md).
func (s *server) waitCommitted(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ready struct {
			Ingestion struct {
				Lag *int64 `json:"commit_lag_records"`
			} `json:"ingestion"`
		}
		res, err := http.Get(s.url + "/ready")
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&ready)
			res.Body.Close()
		}
		if err == nil && (ready.Ingestion.Lag == nil || *ready.Ingestion.Lag == 0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("records still not committed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) getTrace(t *testing.T, id string) traceDoc {
	t.Helper()
	s.waitCommitted(t)
	req, _ := http.NewRequest("GET", s.url+"/api/v1/traces/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc traceDoc
	if res.StatusCode != 200 {
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		t.Fatalf("GET trace %s = %d %s", id, res.StatusCode, b.String())
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// client is one program run: a command, the endpoint it exports to, and what its trace
// must look like.
type client struct {
	name string
	cmd  []string
	grpc bool
	plan bool // export to the plan's path /api/v1/traces/otlp instead of the standard one
	// env adds the variables of SDKs that do not read the OpenTelemetry ones (Langfuse,
	// Phoenix), as their users set them.
	env   func(s *server) []string
	check func(t *testing.T, tr traceDoc)
}

func run(t *testing.T, s *server, c client) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.cmd[0], c.cmd[1:]...)
	endpoint := s.url
	if c.grpc {
		endpoint = s.grpcURL
	}
	cmd.Env = append(os.Environ(),
		"OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint,
		// agentobs-wait=commit: the export returns once the store has the spans, so the
		// test reads them back at once (docs/ingestion.md).
		"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20"+apiKey+",agentobs-wait=commit",
		"OTEL_EXPORTER_OTLP_TIMEOUT=20000",
	)
	if c.plan {
		cmd.Env = append(cmd.Env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+s.url+"/api/v1/traces/otlp")
	}
	if c.env != nil {
		cmd.Env = append(cmd.Env, c.env(s)...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", strings.Join(c.cmd, " "), err, out, stderr.String())
	}
	// Exporters log failures without failing the program: an error line means data was lost.
	if strings.Contains(strings.ToLower(stderr.String()), "error") {
		t.Fatalf("%s reported errors:\n%s", c.name, stderr.String())
	}
	var line struct {
		TraceID string `json:"trace_id"`
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		_ = json.Unmarshal(sc.Bytes(), &line)
	}
	if len(line.TraceID) < 32 { // hex, or a UUID from the Langfuse 3.x client
		t.Fatalf("%s printed no trace id: %q", c.name, out)
	}
	return line.TraceID
}

func price(t *testing.T, model string, in, out int64) float64 {
	t.Helper()
	usd, ok := pricing.Default().Cost(model, in, out, 0)
	if !ok {
		t.Fatalf("model %s is not priced", model)
	}
	return usd
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantTokens(t *testing.T, what string, got *int64, n int64) {
	t.Helper()
	if got == nil || *got != n {
		t.Errorf("%s = %v, want %d", what, got, n)
	}
}

func wantCost(t *testing.T, got *float64, usd float64) {
	t.Helper()
	if got == nil || math.Abs(*got-usd) > 1e-12 {
		t.Errorf("cost_usd = %v, want %g (price table)", got, usd)
	}
}

// kinds lists the kinds of spans in tree order.
func kinds(spans []span) string {
	var parts []string
	for _, s := range spans {
		k := s.Kind
		if len(s.Children) > 0 {
			k += "(" + kinds(s.Children) + ")"
		}
		parts = append(parts, k)
	}
	return strings.Join(parts, " ")
}

// wantWeatherCall checks the roll-up of the weather runs' one model call: gpt-4o-mini,
// 1000 tokens in and 200 out, priced from the table, and a successful trace.
func wantWeatherCall(t *testing.T, tr traceDoc) {
	t.Helper()
	want(t, "model", tr.Model, "gpt-4o-mini")
	want(t, "status", tr.Status, "success")
	wantTokens(t, "tokens_input", tr.TokensInput, 1000)
	wantTokens(t, "tokens_output", tr.TokensOutput, 200)
	wantCost(t, tr.CostUSD, price(t, "gpt-4o-mini", 1000, 200))
}

// checkManual is the agent run the manual programs emit: agent -> llm, tool.
func checkManual(session string) func(t *testing.T, tr traceDoc) {
	return func(t *testing.T, tr traceDoc) {
		want(t, "tree", kinds(tr.Spans), "agent(llm tool)")
		want(t, "agent_id", tr.AgentID, "weather-agent")
		want(t, "name", tr.Name, "invoke_agent weather-agent")
		want(t, "session_id", tr.SessionID, session)
		wantWeatherCall(t, tr)
		if !strings.Contains(tr.Input, "What is the weather in Paris?") {
			t.Errorf("trace input = %q", tr.Input)
		}
		if len(tr.Spans) == 1 && len(tr.Spans[0].Children) == 2 {
			llm, tool := tr.Spans[0].Children[0], tr.Spans[0].Children[1]
			want(t, "llm model", llm.Model, "gpt-4o-mini")
			want(t, "tool name", tool.Name, "get_weather")
			if !strings.Contains(tool.Input, "Paris") || !strings.Contains(tool.Output, "14") {
				t.Errorf("tool input/output = %q / %q", tool.Input, tool.Output)
			}
		}
	}
}

// checkInstrumented is a third-party instrumentor's openai call under an agent span.
func checkInstrumented(rootKind, agent string) func(t *testing.T, tr traceDoc) {
	return func(t *testing.T, tr traceDoc) {
		want(t, "tree", kinds(tr.Spans), rootKind+"(llm)")
		want(t, "agent_id", tr.AgentID, agent)
		wantTokens(t, "tokens_input", tr.TokensInput, 42)
		wantTokens(t, "tokens_output", tr.TokensOutput, 9)
		if !strings.HasPrefix(tr.Model, "gpt-4o-mini") {
			t.Errorf("model = %q", tr.Model)
		}
		wantCost(t, tr.CostUSD, price(t, "gpt-4o-mini", 42, 9))
		want(t, "output", tr.Output, "It is 14 degrees and raining in Paris.")
		if !strings.Contains(tr.Input, `{"role":"system","content":"You answer briefly."}`) || !strings.Contains(tr.Input, "What is the weather in Paris?") {
			t.Errorf("input = %q", tr.Input)
		}
	}
}

func checkAISDK(t *testing.T, tr traceDoc) {
	want(t, "tree", kinds(tr.Spans), "chain(llm tool llm)")
	want(t, "name", tr.Name, "ai.generateText")
	want(t, "agent_id", tr.AgentID, "e2e-node-ai-sdk")
	want(t, "user_id", tr.UserID, "node-ai-user")
	want(t, "session_id", tr.SessionID, "node-ai-session")
	want(t, "model", tr.Model, "gpt-4o-mini")
	wantTokens(t, "tokens_input", tr.TokensInput, 130)
	wantTokens(t, "tokens_output", tr.TokensOutput, 20)
	wantCost(t, tr.CostUSD, price(t, "gpt-4o-mini", 50, 8)+price(t, "gpt-4o-mini", 80, 12))
	want(t, "output", tr.Output, "It is 14 degrees and raining in Paris.")
	if len(tr.Spans) == 1 && len(tr.Spans[0].Children) == 3 {
		want(t, "tool name", tr.Spans[0].Children[1].Name, "get_weather")
	}
}

// langfuseEnv points Langfuse's SDKs at agentobs: the base URL (LANGFUSE_BASEURL for the
// 3.x JavaScript client) and an API key as the secret key.
func langfuseEnv(s *server) []string {
	return []string{"LANGFUSE_BASE_URL=" + s.url, "LANGFUSE_BASEURL=" + s.url,
		"LANGFUSE_PUBLIC_KEY=pk-lf-e2e", "LANGFUSE_SECRET_KEY=" + apiKey}
}

// phoenixEnv points arize-phoenix-otel at agentobs's OTLP/gRPC port.
func phoenixEnv(s *server) []string {
	return []string{"PHOENIX_COLLECTOR_ENDPOINT=" + s.grpcURL, "PHOENIX_GRPC_PORT=" + s.grpcURL[strings.LastIndexByte(s.grpcURL, ':')+1:],
		"PHOENIX_API_KEY=" + apiKey, "PHOENIX_PROJECT_NAME=py-phoenix-project"}
}

// checkLangfuse is the Langfuse programs' run: tree, names, user, session, model, tokens,
// cost from the price table, and the score when the program sends one.
func checkLangfuse(tree, agent, name, user, session string, score bool) func(t *testing.T, tr traceDoc) {
	return func(t *testing.T, tr traceDoc) {
		want(t, "tree", kinds(tr.Spans), tree)
		want(t, "agent_id", tr.AgentID, agent)
		want(t, "name", tr.Name, name)
		want(t, "user_id", tr.UserID, user)
		want(t, "session_id", tr.SessionID, session)
		wantWeatherCall(t, tr)
		if !strings.Contains(tr.Output, "It is 14 degrees and raining in Paris.") {
			t.Errorf("output = %q", tr.Output)
		}
		if score && (len(tr.Scores) != 1 || tr.Scores[0].Name != "helpfulness" || tr.Scores[0].Value != 0.9) {
			t.Errorf("scores = %+v", tr.Scores)
		}
	}
}

func TestOTLPClients(t *testing.T) {
	if os.Getenv("AGENTOBS_E2E_OTEL") == "" {
		t.Skip("set AGENTOBS_E2E_OTEL=1 (make test-otel installs the clients and does)")
	}
	s := startServer(t)
	py := filepath.Join(".venv", "bin", "python")
	clients := []client{
		{name: "node-http-json", cmd: []string{"node", "node/agent.mjs", "http-json"}, check: checkManual("node-http-json-conv")},
		{name: "node-http-proto", cmd: []string{"node", "node/agent.mjs", "http-proto"}, plan: true, check: checkManual("node-http-proto-conv")},
		{name: "node-grpc", cmd: []string{"node", "node/agent.mjs", "grpc"}, grpc: true, check: checkManual("node-grpc-conv")},
		{name: "node-ai-sdk", cmd: []string{"node", "node/agent.mjs", "ai-sdk"}, check: checkAISDK},
		{name: "python-http", cmd: []string{py, "python/agent.py", "http"}, check: checkManual("py-http-conv")},
		{name: "python-grpc", cmd: []string{py, "python/agent.py", "grpc"}, grpc: true, check: checkManual("py-grpc-conv")},
		{name: "python-openinference", cmd: []string{py, "python/agent.py", "openinference"}, check: checkInstrumented("agent", "py-openinference")},
		{name: "python-openllmetry", cmd: []string{py, "python/agent.py", "openllmetry"}, check: checkInstrumented("chain", "e2e-python-openllmetry")},
		{name: "python-langfuse", cmd: []string{py, "python/langfuse_agent.py", "langfuse"}, env: langfuseEnv,
			check: checkLangfuse("chain(agent(llm tool))", "py-weather-agent", "handle-request", "py-lf-user", "py-lf-session", true)},
		{name: "node-langfuse-otel", cmd: []string{"node", "node/langfuse.mjs", "otel"}, env: langfuseEnv,
			check: checkLangfuse("chain(agent(llm tool))", "js-weather-agent", "js-weather", "js-lf-user", "js-lf-session", false)},
		{name: "node-langfuse-legacy", cmd: []string{"node", "node/langfuse.mjs", "legacy"}, env: langfuseEnv,
			check: checkLangfuse("chain(llm chain)", "js-legacy-weather", "js-legacy-weather", "js-legacy-user", "js-legacy-session", true)},
		{name: "python-phoenix", cmd: []string{py, "python/langfuse_agent.py", "phoenix"}, env: phoenixEnv,
			check: checkLangfuse("agent(llm tool)", "py-phoenix-project", "weather-agent", "py-phoenix-user", "py-phoenix-session", false)},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tr := s.getTrace(t, run(t, s, c))
			c.check(t, tr)
		})
	}
}
