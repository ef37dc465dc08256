package main

// Scale-out process tests: separate ingest, process and query processes of the real binary
// on a real PostgreSQL and Redis, which e2e/scaleout/run.sh starts (make test-scaleout).
// Without AGENTOBS_SCALEOUT_TESTS they are skipped; with it, missing services fail them.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/queue/redisstream"
	"github.com/agentobs/agentobs/internal/store/postgres"
)

const (
	scaleSalt   = "scaleout-test-salt-0123456789abcdef0123"
	scaleSecret = "scaleout-test-jwt-secret-0123456789abcdef"
)

type scaleEnv struct {
	t        *testing.T
	dsn      string
	redisURL string
	stream   string
	services string
}

func newScaleEnv(t *testing.T) *scaleEnv {
	t.Helper()
	if os.Getenv("AGENTOBS_SCALEOUT_TESTS") == "" {
		t.Skip("set AGENTOBS_SCALEOUT_TESTS=1 with the services of e2e/scaleout/services.sh (make test-scaleout does)")
	}
	admin, redisURL, services := os.Getenv("AGENTOBS_TEST_POSTGRES_DSN"), os.Getenv("AGENTOBS_TEST_REDIS_URL"), os.Getenv("AGENTOBS_SCALEOUT_SERVICES")
	if admin == "" || redisURL == "" || services == "" {
		t.Fatal("AGENTOBS_SCALEOUT_TESTS is set but AGENTOBS_TEST_POSTGRES_DSN, AGENTOBS_TEST_REDIS_URL or AGENTOBS_SCALEOUT_SERVICES is not")
	}
	var b [5]byte
	rand.Read(b[:])
	name := "so_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	cfg, _ := pgx.ParseConfig(admin)
	dsn := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	return &scaleEnv{t: t, dsn: dsn, redisURL: redisURL, stream: "test:" + name, services: services}
}

// start runs one process with the given roles on the test's database and stream.
func (e *scaleEnv) start(roles string, extra ...string) *server {
	e.t.Helper()
	args := append([]string{"--roles=" + roles, "--store=postgres", "--postgres-dsn", e.dsn, "--redis-url", e.redisURL,
		"--queue-stream", e.stream, "--queue-claim-idle", "2s", "--api-key-salt", scaleSalt, "--jwt-secret", scaleSecret}, extra...)
	return startServer(e.t, e.t.TempDir(), args...)
}

func (e *scaleEnv) service(action string) {
	e.t.Helper()
	out, err := exec.Command(e.services, action).CombinedOutput()
	if err != nil {
		e.t.Fatalf("services.sh %s: %v\n%s", action, err, out)
	}
}

// awaitStored waits until every acknowledged trace is stored, then checks each is stored
// exactly once and the roll-ups agree with the traces.
func (e *scaleEnv) awaitStored(acked []string, timeout time.Duration) {
	e.t.Helper()
	st, err := postgres.Open(context.Background(), e.dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(timeout)
	var counts map[string]int
	for {
		counts, err = st.TraceIDCounts(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		missing := 0
		for _, id := range acked {
			if counts[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d acknowledged traces not stored after %s", missing, len(acked), timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, id := range acked {
		if counts[id] != 1 {
			e.t.Fatalf("acknowledged trace %s stored %d times", id, counts[id])
		}
	}
	// Concurrent process roles, redeliveries and crashes must leave the roll-ups exact.
	bad, err := st.VerifyRollups(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range bad {
		e.t.Error(b)
	}
}

func TestScaleOutPipeline(t *testing.T) {
	e := newScaleEnv(t)
	query := e.start("api,query")
	ingest := e.start("ingest")
	p1 := e.start("process")
	p2 := e.start("process")

	// Traces sent in three parts by concurrent requests, so that both process roles may
	// hold parts of one trace at once: the roll-up must still count every span once.
	var wg sync.WaitGroup
	for part := 0; part < 3; part++ {
		wg.Add(1)
		go func(part int) {
			defer wg.Done()
			var traces []any
			for i := 0; i < 50; i++ {
				tr := traceInput(fmt.Sprintf("parts-%d", i))
				tr["spans"] = []map[string]any{{"span_id": fmt.Sprintf("s%d", part), "kind": "llm", "name": "step",
					"start_time": "2026-11-25T10:00:00Z", "latency_ms": 100, "model": "gpt-4o-mini", "tokens_input": 10, "tokens_output": 1}}
				traces = append(traces, tr)
			}
			if code, body := ingest.post("/api/v1/traces/batch", map[string]any{"traces": traces}); code != 202 {
				t.Errorf("part %d = %d %s", part, code, body)
			}
		}(part)
	}
	acked := ingestBurst(ingest, "pipe", 1000, 40)
	wg.Wait()
	if len(acked) != 3000 {
		t.Fatalf("acknowledged %d of 3000 traces", len(acked))
	}
	for i := 0; i < 50; i++ {
		acked = append(acked, fmt.Sprintf("parts-%d", i))
	}
	e.awaitStored(acked, 60*time.Second)

	// The query role reads what the process roles wrote.
	for i := 0; i < 50; i += 7 {
		code, body, _ := query.do("GET", fmt.Sprintf("/api/v1/traces/parts-%d", i), testKey, "", nil)
		var tr struct {
			SpanCount   int   `json:"span_count"`
			TokensTotal int64 `json:"tokens_total"`
		}
		if code != 200 || json.Unmarshal(body, &tr) != nil || tr.SpanCount != 3 || tr.TokensTotal != 33 {
			t.Errorf("trace parts-%d = %d %s, want 3 spans and 33 tokens", i, code, body)
		}
	}
	// The query API's analytics run on PostgreSQL too: every committed trace is counted.
	code, body, _ := query.do("GET", "/api/v1/traces?from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z&limit=5", testKey, "", nil)
	var list struct {
		Total  int   `json:"total"`
		Traces []any `json:"traces"`
	}
	if code != 200 || json.Unmarshal(body, &list) != nil || list.Total != len(acked) || len(list.Traces) != 5 {
		t.Errorf("GET /api/v1/traces = %d %.300s, want total %d", code, body, len(acked))
	}
	code, body, _ = query.do("GET", "/api/v1/usage/overview?from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z", testKey, "", nil)
	if code != 200 || !strings.Contains(string(body), `"total_calls":{"value":`) {
		t.Errorf("GET /api/v1/usage/overview = %d %.300s", code, body)
	}
	// An Ingress sends every /api/v1/traces request to the query role, whatever its method:
	// the query role takes a single trace (through the queue, as ingest does) and feedback,
	// and refuses a bad body as ingest would.
	if code, body := query.post("/api/v1/traces", traceInput("via-query")); code != 202 {
		t.Errorf("POST /api/v1/traces on the query role = %d %s", code, body)
	}
	if code, body, _ := query.do("POST", "/api/v1/traces", testKey, "application/json", []byte(`{}`)); code != 400 || !strings.Contains(string(body), "trace_id") {
		t.Errorf("bad trace on the query role = %d %s", code, body)
	}
	e.awaitStored(append(acked, "via-query"), 60*time.Second)
	code, body, _ = query.do("GET", "/api/v1/traces/via-query", testKey, "", nil)
	if code != 200 || !strings.Contains(string(body), `"trace_id":"via-query"`) {
		t.Errorf("trace taken by the query role = %d %.300s", code, body)
	}
	if code, body := query.post("/api/v1/traces/via-query/feedback", map[string]any{"thumbs": "up"}); code != 201 {
		t.Errorf("feedback on the query role = %d %s", code, body)
	}
	// Each process serves only its roles' routes, and every process its operational ones.
	if code, _, _ := ingest.do("GET", "/api/v1/traces/pipe-s-1", testKey, "", nil); code != 404 {
		t.Errorf("ingest role serves reads: %d", code)
	}
	committed := 0
	for _, s := range []*server{p1, p2} {
		_, m, _ := s.do("GET", "/metrics", "", "", nil)
		committed += metricValue(string(m), "agentobs_commit_batch_traces_sum")
		if !strings.Contains(string(m), "agentobs_queue_consumer_lag") {
			t.Errorf("process role metrics lack the queue lag")
		}
	}
	if committed < len(acked) {
		t.Errorf("process roles committed %d traces, want at least %d", committed, len(acked))
	}
	_, m, _ := ingest.do("GET", "/metrics", "", "", nil)
	for _, name := range []string{"agentobs_queue_stream_length", "agentobs_queue_consumer_lag", "agentobs_queue_pending"} {
		if !strings.Contains(string(m), name+" ") {
			t.Errorf("ingest metrics lack %s", name)
		}
	}
}

func metricValue(metrics, name string) int {
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return int(f)
		}
	}
	return 0
}

func TestScaleOutKill9ProcessRole(t *testing.T) {
	e := newScaleEnv(t)
	ingest := e.start("ingest")
	victim := e.start("process", "--queue-batch", "200")
	e.start("process", "--queue-batch", "200")
	var acked []string
	done := make(chan struct{})
	go func() {
		acked = ingestBurst(ingest, "k9", 2000, 60)
		close(done)
	}()
	time.Sleep(700 * time.Millisecond)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	<-done
	if len(acked) != 5000 {
		t.Fatalf("acknowledged %d of 5000 traces", len(acked))
	}
	// The survivor takes over what the victim held once it has been idle for 2 s.
	e.awaitStored(acked, 90*time.Second)
	t.Logf("%d acknowledged traces stored exactly once after kill -9 of a process role", len(acked))
}

// ingestSteadily posts single traces until stop closes and returns the acknowledged ids
// and how many answers were 503 with Retry-After; any other failure fails the test.
func ingestSteadily(t *testing.T, s *server, prefix string, stop <-chan struct{}) (acked []string, unavailable int) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return acked, unavailable
		default:
		}
		id := fmt.Sprintf("%s-%d", prefix, i)
		body, _ := json.Marshal(traceInput(id))
		code, resp, hdr := s.do("POST", "/api/v1/traces", testKey, "application/json", body)
		switch {
		case code == 202:
			acked = append(acked, id)
		case code == 503 && hdr.Get("Retry-After") != "":
			unavailable++
			time.Sleep(50 * time.Millisecond)
		default:
			t.Errorf("POST %s = %d %s", id, code, resp)
			return acked, unavailable
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScaleOutPostgresOutage(t *testing.T) {
	e := newScaleEnv(t)
	ingest := e.start("ingest")
	e.start("process")
	stop := make(chan struct{})
	var acked []string
	var unavailable int
	done := make(chan struct{})
	go func() {
		acked, unavailable = ingestSteadily(t, ingest, "pg", stop)
		close(done)
	}()
	time.Sleep(time.Second)
	e.service("stop-postgres")
	time.Sleep(30 * time.Second)
	e.service("start-postgres")
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	if unavailable > 0 {
		t.Errorf("ingest answered 503 %d times while only PostgreSQL was down", unavailable)
	}
	if len(acked) < 1000 {
		t.Fatalf("only %d traces acknowledged across a 30 s database outage", len(acked))
	}
	e.awaitStored(acked, 120*time.Second)
	t.Logf("%d traces acknowledged across a 30 s PostgreSQL outage, all stored exactly once", len(acked))
}

func TestScaleOutRedisOutage(t *testing.T) {
	e := newScaleEnv(t)
	ingest := e.start("ingest")
	e.start("process")
	stop := make(chan struct{})
	var acked []string
	var unavailable int
	done := make(chan struct{})
	go func() {
		acked, unavailable = ingestSteadily(t, ingest, "rd", stop)
		close(done)
	}()
	time.Sleep(time.Second)
	e.service("stop-redis")
	time.Sleep(5 * time.Second)
	e.service("start-redis")
	time.Sleep(5 * time.Second)
	close(stop)
	<-done
	if unavailable == 0 {
		t.Errorf("ingest never answered 503 while Redis was down")
	}
	e.awaitStored(acked, 60*time.Second)
	// Recovered: a trace sent now is acknowledged and stored.
	if code, body := ingest.post("/api/v1/traces", traceInput("after-redis")); code != 202 {
		t.Fatalf("after Redis returned: %d %s", code, body)
	}
	e.awaitStored(append(acked, "after-redis"), 30*time.Second)
	t.Logf("%d traces acknowledged, %d refused with 503 during the Redis outage; all acknowledged stored once", len(acked), unavailable)
}

func TestScaleOutPoisonMessage(t *testing.T) {
	e := newScaleEnv(t)
	ingest := e.start("ingest")
	e.start("process")
	// A producer bug: an entry no process role can decode, between good traces.
	if code, body := ingest.post("/api/v1/traces", traceInput("before-poison")); code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	out, err := exec.Command("redis-cli", "-u", e.redisURL, "XADD", e.stream, "*", "w", "nobody", "t", "{not json").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v %s", err, out)
	}
	acked := ingestBurst(ingest, "after-poison", 300, 4)
	e.awaitStored(append(acked, "before-poison"), 30*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := exec.Command("redis-cli", "-u", e.redisURL, "XLEN", e.stream+":dead").CombinedOutput()
		if strings.TrimSpace(string(out)) == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("poison entry not in the dead-letter stream: XLEN = %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := postgres.Open(context.Background(), e.dsn, postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var reason string
	if err := st.Pool().QueryRow(context.Background(), `SELECT reason FROM dead_letters WHERE source = 'queue'`).Scan(&reason); err != nil || !strings.Contains(reason, "cannot decode") {
		t.Errorf("dead-letter table: %q, %v", reason, err)
	}
}

// TestScaleOutPhase1Scenarios runs the plan's five Phase 1 integration scenarios against
// separate ingest, process and query processes.
func TestScaleOutPhase1Scenarios(t *testing.T) {
	e := newScaleEnv(t)
	query := e.start("api,query")
	ingest := e.start("ingest", "--rate-limit-key", "20", "--rate-limit-key-burst", "150")
	e.start("process")
	t.Run("HappyPath", func(t *testing.T) {
		if code, body := ingest.post("/api/v1/traces", traceInput("happy")); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
		e.awaitStored([]string{"happy"}, 30*time.Second)
		code, body, _ := query.do("GET", "/api/v1/traces/happy", testKey, "", nil)
		if code != 200 || !strings.Contains(string(body), `"tokens_total":1280`) {
			t.Errorf("GET = %d %s", code, body)
		}
	})
	t.Run("Batch100", func(t *testing.T) {
		var traces []any
		var ids []string
		for i := 0; i < 100; i++ {
			ids = append(ids, fmt.Sprintf("batch-%d", i))
			traces = append(traces, traceInput(ids[i]))
		}
		if code, body := ingest.post("/api/v1/traces/batch", map[string]any{"traces": traces}); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
		e.awaitStored(ids, 30*time.Second)
	})
	t.Run("InvalidRejected", func(t *testing.T) {
		bad := traceInput("invalid")
		bad["status"] = "fine"
		if code, body := ingest.post("/api/v1/traces", bad); code != 400 {
			t.Fatalf("%d %s", code, body)
		}
		time.Sleep(time.Second)
		if code, _, _ := query.do("GET", "/api/v1/traces/invalid", testKey, "", nil); code != 404 {
			t.Errorf("invalid trace stored: %d", code)
		}
	})
	t.Run("Authentication", func(t *testing.T) {
		body, _ := json.Marshal(traceInput("anon"))
		if code, _, _ := ingest.do("POST", "/api/v1/traces", "", "application/json", body); code != 401 {
			t.Errorf("no key = %d", code)
		}
		if code, _, _ := query.do("GET", "/api/v1/traces/happy", "", "", nil); code != 401 {
			t.Errorf("read without key = %d", code)
		}
	})
	t.Run("RateLimiting", func(t *testing.T) {
		limited := false
		for i := 0; i < 400 && !limited; i++ {
			body, _ := json.Marshal(traceInput(fmt.Sprintf("rl-%d", i)))
			code, _, hdr := ingest.do("POST", "/api/v1/traces", testKey, "application/json", body)
			if code == 429 {
				limited = hdr.Get("Retry-After") != ""
			}
		}
		if !limited {
			t.Errorf("no 429 with Retry-After past the key's limit")
		}
	})
}

// TestScaleOutSharedState checks what processes share through Redis: a key revoked through
// the api process stops working on an ingest process at once (not after its 30 s cache),
// and two ingest processes draw on one rate-limit budget.
func TestScaleOutSharedState(t *testing.T) {
	e := newScaleEnv(t)
	api := e.start("api,query")
	limit := []string{"--rate-limit-key", "1", "--rate-limit-key-burst", "10"}
	in1 := e.start("ingest", limit...)
	in2 := e.start("ingest", limit...)
	e.start("process")

	code, body := api.post("/api/v1/auth/register", map[string]any{"email": "ops@example.com", "password": "correct horse battery staple 42",
		"name": "Ops", "create_workspace": true, "setup_key": testKey})
	var session struct {
		AccessToken string `json:"access_token"`
	}
	if code != 201 || json.Unmarshal(body, &session) != nil || session.AccessToken == "" {
		t.Fatalf("register = %d %s", code, body)
	}
	req, _ := json.Marshal(map[string]any{"name": "ingest", "scopes": []string{"ingest", "read"}})
	code, body, _ = api.do("POST", "/api/v1/api-keys", session.AccessToken, "application/json", req)
	var created struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if code != 201 || json.Unmarshal(body, &created) != nil || created.Key == "" {
		t.Fatalf("create key = %d %s", code, body)
	}
	send := func(s *server, id string) int {
		b, _ := json.Marshal(traceInput(id))
		code, _, _ := s.do("POST", "/api/v1/traces", created.Key, "application/json", b)
		return code
	}
	// One budget of 10 (plus about one per second) across both ingest processes.
	accepted := 0
	for i := 0; i < 24; i++ {
		s := in1
		if i%2 == 1 {
			s = in2
		}
		switch code := send(s, fmt.Sprintf("rl-%d", i)); code {
		case 202:
			accepted++
		case 429:
		default:
			t.Fatalf("request %d = %d", i, code)
		}
	}
	if accepted < 10 || accepted > 14 {
		t.Errorf("two ingest processes accepted %d of 24 requests with a shared burst of 10", accepted)
	}
	// Both ingest processes now have the key cached; revoking it through the api process
	// must reach them well before the cache would expire.
	time.Sleep(2 * time.Second)
	if code, body, _ := api.do("DELETE", "/api/v1/api-keys/"+created.ID, session.AccessToken, "", nil); code != 200 {
		t.Fatalf("revoke = %d %s", code, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, s := range []*server{in1, in2} {
		for {
			if code := send(s, "after-revoke"); code == 401 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("revoked key still accepted by an ingest process after 5 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestScaleOutOTLPParts sends an OpenTelemetry trace in two requests, the root span first:
// the part without the root must not overwrite the root's fields after crossing the queue.
func TestScaleOutOTLPParts(t *testing.T) {
	e := newScaleEnv(t)
	query := e.start("api,query")
	ingest := e.start("ingest")
	e.start("process")
	const traceID = "5b8efff798038103d269b633813fc60c"
	part := func(spanID, parent, name string, startSec int) []byte {
		span := map[string]any{"traceId": traceID, "spanId": spanID, "name": name, "kind": 1,
			"startTimeUnixNano": fmt.Sprint(int64(1764064800+startSec) * 1e9), "endTimeUnixNano": fmt.Sprint(int64(1764064800+startSec+1) * 1e9)}
		if parent != "" {
			span["parentSpanId"] = parent
		}
		b, _ := json.Marshal(map[string]any{"resourceSpans": []any{map[string]any{
			"resource":   map[string]any{"attributes": []any{map[string]any{"key": "service.name", "value": map[string]any{"stringValue": "otel-agent"}}}},
			"scopeSpans": []any{map[string]any{"spans": []any{span}}}}}})
		return b
	}
	for i, body := range [][]byte{part("eee19b7ec3c1b173", "", "answer question", 0), part("eee19b7ec3c1b174", "eee19b7ec3c1b173", "call tool", 1)} {
		if code, resp, _ := ingest.do("POST", "/v1/traces", testKey, "application/json", body); code != 200 {
			t.Fatalf("OTLP part %d = %d %s", i, code, resp)
		}
		want := i + 1
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, resp, _ := query.do("GET", "/api/v1/traces/"+traceID, testKey, "", nil)
			var tr struct {
				Name      string `json:"name"`
				SpanCount int    `json:"span_count"`
			}
			if code == 200 && json.Unmarshal(resp, &tr) == nil && tr.SpanCount == want {
				if tr.Name != "answer question" {
					t.Fatalf("after part %d the trace is named %q, want the root span's name", i, tr.Name)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("part %d not stored: %d %s", i, code, resp)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestScaleOutVolatileRedisRefused: an ingest role refuses to start on a Redis that could
// lose acknowledged entries, unless --redis-allow-volatile is given; then /ready says so.
func TestScaleOutVolatileRedisRefused(t *testing.T) {
	e := newScaleEnv(t)
	rdb, err := redisstream.NewClient(e.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the setting is restored before the client closes
	// (a deferred Close would run first and leave Redis volatile for the tests after this).
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.ConfigSet(ctx, "appendfsync", "everysec").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.ConfigSet(context.Background(), "appendfsync", "always") })
	args := []string{"serve", "--roles=ingest", "--addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--otlp-grpc-addr", "",
		"--data-dir", t.TempDir(), "--store=postgres", "--postgres-dsn", e.dsn, "--redis-url", e.redisURL,
		"--queue-stream", e.stream, "--api-key-salt", scaleSalt, "--jwt-secret", scaleSecret}
	out, err := exec.Command(binPath, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "appendfsync everysec") || !strings.Contains(string(out), "--redis-allow-volatile") {
		t.Fatalf("ingest on a volatile Redis: %v\n%s", err, out)
	}
	s := e.start("ingest", "--redis-allow-volatile")
	code, body, _ := s.do("GET", "/ready", "", "", nil)
	if code != 200 || !strings.Contains(string(body), `"redis_volatile":"appendonly yes, appendfsync everysec"`) {
		t.Fatalf("/ready = %d %s", code, body)
	}
	if !strings.Contains(s.log.String(), "redis is not durable") {
		t.Error("no warning in the log")
	}
}

// TestScaleOutLiveAcrossProcesses: a browser connected to the api process hears of a trace
// that an ingest process accepted and a separate process role committed, through Redis.
func TestScaleOutLiveAcrossProcesses(t *testing.T) {
	e := newScaleEnv(t)
	api := e.start("api,query")
	in := e.start("ingest")
	e.start("process")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cred := "agentobs.bearer." + base64.RawURLEncoding.EncodeToString([]byte(testKey))
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(api.base, "http")+"/api/v1/ws", &websocket.DialOptions{Subprotocols: []string{"agentobs.v1", cred}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","channels":["traces"]}`)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.Read(ctx); err != nil || !strings.Contains(string(b), `"subscribed"`) {
		t.Fatalf("subscribe: %s %v", b, err)
	}
	id := fmt.Sprintf("live-scale-%d", time.Now().UnixNano())
	if code, body := in.post("/api/v1/traces", traceInput(id)); code != 202 {
		t.Fatalf("ingest = %d %s", code, body)
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("no live message for a trace committed by another process: %v", err)
		}
		if strings.Contains(string(b), id) {
			if !strings.Contains(string(b), `"type":"new_traces"`) {
				t.Errorf("message = %s", b)
			}
			return
		}
	}
}

// TestScaleOutTwoAlertProcesses runs two alert processes on one PostgreSQL: one holds the
// evaluator lease and notifies, the other stays quiet; after the holder is killed with
// SIGKILL the other takes over and notifies the next alert. Each alert reaches the webhook
// exactly once.
func TestScaleOutTwoAlertProcesses(t *testing.T) {
	e := newScaleEnv(t)
	var mu sync.Mutex
	var msgs []alert.Message
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m alert.Message
		if json.NewDecoder(r.Body).Decode(&m) == nil {
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	received := func() []alert.Message {
		mu.Lock()
		defer mu.Unlock()
		return append([]alert.Message(nil), msgs...)
	}
	shared := []string{"--encryption-key", "scaleout-test-encryption-key-0123456789abcdef", "--alert-tick", "200ms"}
	front := e.start("api,ingest,process,query", shared...)
	alerters := []*server{e.start("alert", shared...), e.start("alert", shared...)}

	code, body := front.post("/api/v1/auth/register", map[string]any{"email": "oncall@example.com", "password": "correct horse battery staple 42",
		"name": "Ops", "create_workspace": true, "setup_key": testKey})
	var session struct {
		AccessToken string `json:"access_token"`
	}
	if code != 201 || json.Unmarshal(body, &session) != nil {
		t.Fatalf("register = %d %s", code, body)
	}
	call := func(s *server, method, path string, v any, want int) {
		t.Helper()
		b, _ := json.Marshal(v)
		if code, out, _ := s.do(method, path, session.AccessToken, "application/json", b); code != want {
			t.Fatalf("%s %s = %d %s", method, path, code, out)
		}
	}
	call(alerters[0], "PUT", "/api/v1/integrations/webhook", map[string]any{"url": hook.URL}, 200)
	call(alerters[1], "POST", "/api/v1/alert-rules", map[string]any{"name": "Busy agent", "metric": "request_count", "operator": ">",
		"threshold": 5, "window": "10m", "group_by": "agent", "notification_channels": []string{"webhook"}, "evaluation_interval": "10s",
		"min_samples": 5, "group_wait": "1s", "group_interval": "1s"}, 201)
	ingest := func(agent string) {
		for i := 0; i < 10; i++ {
			tr := traceInput(fmt.Sprintf("%s-%d-%d", agent, time.Now().UnixNano(), i))
			tr["agent_id"], tr["timestamp"] = agent, time.Now().UTC().Format(time.RFC3339Nano)
			if code, b := front.post("/api/v1/traces", tr); code != 202 {
				t.Fatalf("ingest = %d %s", code, b)
			}
		}
	}
	firingAgents := func() []string {
		var out []string
		for _, m := range received() {
			for _, a := range m.Firing {
				out = append(out, a.Labels["agent"])
			}
		}
		return out
	}
	ingest("agent-x")
	waitFor(t, "a FIRING webhook for agent-x", 60*time.Second, func() bool { return len(received()) > 0 })
	time.Sleep(3 * time.Second) // room for a duplicate from the other process
	if got := firingAgents(); len(received()) != 1 || strings.Join(got, ",") != "agent-x" {
		t.Fatalf("messages after the first alert: %+v", received())
	}

	// Kill the lease holder: its pid is in the lease's holder name.
	conn, err := pgx.Connect(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	var holder string
	err = conn.QueryRow(context.Background(), `SELECT holder FROM alert_leases WHERE name = 'alert-evaluator'`).Scan(&holder)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var leader *server
	for _, s := range alerters {
		if strings.Contains(holder, fmt.Sprintf("/%d/", s.cmd.Process.Pid)) {
			leader = s
		}
	}
	if leader == nil {
		t.Fatalf("lease holder %q is neither alert process", holder)
	}
	leader.cmd.Process.Kill()
	<-leader.done

	ingest("agent-y")
	waitFor(t, "the other process notifying agent-y", 90*time.Second, func() bool { return len(received()) > 1 })
	time.Sleep(3 * time.Second)
	if got := firingAgents(); len(received()) != 2 || !slices.Contains(got, "agent-y") || strings.Count(strings.Join(got, ","), "agent-x") > 2 {
		t.Fatalf("messages after the takeover: %+v", received())
	}
}
