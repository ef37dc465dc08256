package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/query"
	"github.com/agentobs/agentobs/internal/queue/memory"
	"github.com/agentobs/agentobs/internal/store/duckdb"
	"github.com/agentobs/agentobs/internal/synth"
)

const (
	queryKey      = "ao_test_query_0000000000000000000"
	otherKey      = "ao_test_query_other_000000000000"
	queryWS       = "11111111-1111-4111-8111-111111111111"
	otherWS       = "22222222-2222-4222-8222-222222222222"
	seededTraces  = 1500
	seededSession = "seeded"
)

type queryServer struct {
	srv *httptest.Server
	st  *duckdb.Store
	api *API
}

// newQueryServer runs the API the way app wires it in one process: the query service caches
// answers and the committer bumps its data versions. The workspace holds synthetic traces.
func newQueryServer(t *testing.T) *queryServer {
	t.Helper()
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []struct{ id, key string }{{queryWS, queryKey}, {otherWS, otherKey}} {
		if err := st.CreateWorkspace(ctx, model.Workspace{ID: ws.id, Name: ws.id[:4], CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIKey(ctx, model.APIKey{ID: ws.key, WorkspaceID: ws.id, Name: "k", Prefix: "ao_test", Hash: auth.HashAPIKey(ws.key), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	storeSetupKey(t, st, queryWS)
	if _, err := synth.Generate(ctx, st, synth.Config{WorkspaceID: queryWS, Traces: seededTraces, Days: 7, End: time.Now().UTC(), Seed: 3}, nil); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	analytics := query.New(query.Config{Store: st, Cache: query.NewMemoryCache(8 << 20), Versions: query.NewMemoryVersions(), Log: log})
	api := New(Config{Store: st, Keys: auth.NewKeyCache(st, time.Minute), Prices: pricing.Default(), Log: log,
		Registry: prometheus.NewRegistry(), API: true, Ingest: true, Query: true, Analytics: analytics})
	proc := pipeline.NewProcessor(st, log, nil)
	proc.OnCommit(query.CommitHook(analytics.Versions(), log))
	gc := memory.New(proc.Handle, memory.Options{})
	t.Cleanup(func() { gc.Close(context.Background()) })
	api.SetPublisher(gc)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &queryServer{srv: srv, st: st, api: api}
}

// ownerToken signs up the first user, who owns the first workspace (the seeded one), and
// returns an access token: settings need a signed-in member, not an API key.
func (q *queryServer) ownerToken(t *testing.T) string {
	t.Helper()
	a := q.do(t, "", "POST", "/api/v1/auth/register", `{"email":"owner@example.com","password":"correct horse battery","name":"Owner","setup_key":"`+testSetupKey+`"}`)
	if a.status != 201 {
		t.Fatalf("register = %d %s", a.status, a.body)
	}
	m := a.json(t)
	if m["workspace_id"] != queryWS {
		t.Fatalf("the first user owns %v, want the seeded workspace", m["workspace_id"])
	}
	return m["access_token"].(string)
}

type qAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (q *queryServer) do(t *testing.T, key, method, path, body string) qAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, q.srv.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return q.doReq(t, req)
}

func (q *queryServer) doReq(t *testing.T, req *http.Request) qAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return qAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (a qAnswer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("qAnswer is not a JSON object: %v: %s", err, a.body)
	}
	return m
}

// TestQueryAnswersMatchDocument calls every route of the query role with its defaults and
// with variations, and validates each qAnswer against openapi.json.
func TestQueryAnswersMatchDocument(t *testing.T) {
	q := newQueryServer(t)
	doc := loadOpenAPI(t)
	list := q.do(t, queryKey, "GET", "/api/v1/traces?limit=200", "").json(t)
	var traceID, spanTraceID, sessionID string
	for _, tr := range list["traces"].([]any) {
		m := tr.(map[string]any)
		if m["span_count"].(float64) == 0 && traceID == "" {
			traceID = m["trace_id"].(string)
		}
		if m["span_count"].(float64) > 2 && spanTraceID == "" {
			spanTraceID = m["trace_id"].(string)
		}
		if s := m["session_id"].(string); s != "" && sessionID == "" {
			sessionID = s
		}
	}
	if traceID == "" || spanTraceID == "" || sessionID == "" {
		t.Fatalf("the synthetic data lacks a flat trace, a span trace or a session")
	}
	variants := map[string][]string{
		"/api/v1/metrics/aggregations":     {"type=daily&tz=Europe/Berlin", "range=1h"},
		"/api/v1/traces":                   {"sort=cost_usd&order=asc&limit=5", "status=error&q=the", "range=24h&tag=env:prod"},
		"/api/v1/sessions":                 {"limit=3&offset=2", "range=30d"},
		"/api/v1/users":                    {"sort=last_seen", "range=24h&limit=2"},
		"/api/v1/usage/calls-over-time":    {"range=24h&granularity=5m&top=2"},
		"/api/v1/cost/trend":               {"range=7d&granularity=hourly&top=3", "from=2026-01-01T00:00:00.5Z&to=2026-01-02T00:00:00Z"},
		"/api/v1/cost/by-model":            {"range=24h", "from=2026-01-01T00:00:00.5Z&to=2026-01-02T00:00:00Z"},
		"/api/v1/performance/latency":      {"range=1h", "range=30d&granularity=weekly&tz=America/New_York"},
		"/api/v1/performance/throughput":   {"range=7d"},
		"/api/v1/performance/errors":       {"limit=2"},
		"/api/v1/usage/top-users":          {"range=30d&limit=3"},
		"/api/v1/metrics/home-kpis":        {"from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z"},
		"/api/v1/performance/overview":     {"range=1h"},
		"/api/v1/usage/agent-distribution": {"range=7d"},
		"/api/v1/cost/overview":            {"range=7d&tz=Asia/Tokyo"},
		"/api/v1/usage/overview":           {"range=30d&agent_id=support-bot"},
		"/api/v1/activity/stream":          {"limit=5"},
		"/api/v1/alerts/recent":            {"limit=3"},
		"/api/v1/sessions/{session_id}":    {"limit=2"},
		"/api/v1/cost/budget":              {""},
		"/api/v1/performance/thresholds":   {""},
		"/api/v1/traces/{trace_id}":        {""},
		"/api/v1/agents":                   {""},
		"/api/v1/openapi.json":             {""},
	}
	owner := q.ownerToken(t)
	check := func(method, pattern, path, body string, want int) {
		t.Helper()
		cred := queryKey
		if method == "PUT" {
			cred = owner
		}
		a := q.do(t, cred, method, path, body)
		if a.status != want {
			t.Errorf("%s %s = %d, want %d: %s", method, path, a.status, want, a.body)
			return
		}
		if pattern != "/api/v1/openapi.json" {
			validateAnswer(t, doc, method, pattern, a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	fill := func(pattern string) string {
		return strings.NewReplacer("{session_id}", url.PathEscape(sessionID), "{trace_id}", traceID).Replace(pattern)
	}
	patterns := []string{"/api/v1/traces/{trace_id}", "/api/v1/agents", "/api/v1/openapi.json"}
	for _, e := range query.Endpoints() {
		if e.Method == http.MethodGet {
			patterns = append(patterns, e.Path)
		}
	}
	for _, pattern := range patterns {
		path := fill(pattern)
		check("GET", pattern, path, "", 200)
		for _, v := range variants[pattern] {
			if v != "" {
				check("GET", pattern, path+"?"+v, "", 200)
			}
		}
		if pattern != "/api/v1/openapi.json" && pattern != "/api/v1/agents" && pattern != "/api/v1/traces/{trace_id}" {
			// A misspelt parameter is a 400 problem naming it.
			a := q.do(t, queryKey, "GET", path+"?bogus=1", "")
			if a.status != 400 || !strings.Contains(string(a.body), `"field":"bogus"`) {
				t.Errorf("GET %s?bogus=1 = %d %s, want 400 naming bogus", path, a.status, a.body)
			}
			validateAnswer(t, doc, "GET", pattern, a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	check("GET", "/api/v1/traces/{trace_id}", "/api/v1/traces/"+spanTraceID, "", 200)
	check("GET", "/api/v1/traces/{trace_id}", "/api/v1/traces/nope", "", 404)
	check("GET", "/api/v1/sessions/{session_id}", "/api/v1/sessions/nope", "", 404)
	check("PUT", "/api/v1/cost/budget", "/api/v1/cost/budget", `{"monthly_limit_usd": 50, "thresholds_pct": [50, 90]}`, 200)
	check("GET", "/api/v1/cost/budget", "/api/v1/cost/budget", "", 200)
	check("GET", "/api/v1/cost/overview", "/api/v1/cost/overview", "", 200)
	check("PUT", "/api/v1/cost/budget", "/api/v1/cost/budget", `{"monthly_limit_usd": 0}`, 400)
	check("PUT", "/api/v1/performance/thresholds", "/api/v1/performance/thresholds",
		`{"degraded_p95_ms": 1000, "critical_p95_ms": 3000, "degraded_error_rate_pct": 2, "critical_error_rate_pct": 8}`, 200)
	check("PUT", "/api/v1/performance/thresholds", "/api/v1/performance/thresholds", `{"degraded_p95_ms": 1000}`, 400)
	if a := q.do(t, owner, "PUT", "/api/v1/cost/budget", ""); a.status != 400 {
		t.Errorf("PUT budget without a body = %d", a.status)
	}
	// Settings are not for API keys, which are read or ingest credentials.
	if a := q.do(t, queryKey, "PUT", "/api/v1/cost/budget", `{"monthly_limit_usd": 50}`); a.status != 403 {
		t.Errorf("PUT budget with an API key = %d, want 403", a.status)
	}
}

// TestQueryRoutePermissions: reads need read, settings need write, and everything needs a
// credential of the workspace.
func TestQueryRoutePermissions(t *testing.T) {
	q := newQueryServer(t)
	want := map[string]Permission{}
	for _, e := range query.Endpoints() {
		p := PermRead
		if e.Method != http.MethodGet {
			p = PermWrite
		}
		want[e.Method+" "+e.Path] = p
	}
	want["GET /api/v1/traces/{trace_id}"] = PermRead
	want["GET /api/v1/agents"] = PermRead
	found := 0
	for _, rt := range q.api.Routes() {
		if p, ok := want[rt.Pattern]; ok {
			found++
			if rt.Permission != p {
				t.Errorf("%s needs %s, want %s", rt.Pattern, rt.Permission, p)
			}
		}
	}
	if found != len(want) {
		t.Errorf("%d of %d query routes are registered", found, len(want))
	}
	for _, e := range query.Endpoints() {
		path := strings.ReplaceAll(e.Path, "{session_id}", "x")
		if a := q.do(t, "", e.Method, path, ""); a.status != 401 {
			t.Errorf("%s %s without credentials = %d, want 401", e.Method, path, a.status)
		}
	}
}

// TestQueryCacheNeverHidesAcknowledgedData: an qAnswer is cached until an acknowledged write
// to the workspace, and a write to another workspace leaves it cached.
func TestQueryCacheNeverHidesAcknowledgedData(t *testing.T) {
	q := newQueryServer(t)
	get := func() (float64, string) {
		a := q.do(t, queryKey, "GET", "/api/v1/metrics/home-kpis?range=1h", "")
		if a.status != 200 {
			t.Fatalf("home-kpis = %d %s", a.status, a.body)
		}
		return a.json(t)["total_requests"].(map[string]any)["value"].(float64), a.header.Get("X-Cache")
	}
	n0, c := get()
	if c != "miss" {
		t.Fatalf("first qAnswer X-Cache = %q", c)
	}
	if n, c := get(); n != n0 || c != "hit" {
		t.Fatalf("second qAnswer = %v %q, want %v hit", n, c, n0)
	}
	body := fmt.Sprintf(`{"trace_id":"cache-1","agent_id":"bot","timestamp":%q,"latency_ms":5}`, time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano))
	if a := q.do(t, otherKey, "POST", "/api/v1/traces", body); a.status != 202 {
		t.Fatalf("ingest = %d %s", a.status, a.body)
	}
	if _, c := get(); c != "hit" {
		t.Errorf("a write to another workspace evicted the qAnswer: X-Cache %q", c)
	}
	if a := q.do(t, queryKey, "POST", "/api/v1/traces", body); a.status != 202 {
		t.Fatalf("ingest = %d %s", a.status, a.body)
	}
	if n, c := get(); n != n0+1 || c != "miss" {
		t.Fatalf("after an acknowledged trace: %v %q, want %v miss", n, c, n0+1)
	}
	// Cache-Control: no-cache computes afresh.
	req, _ := http.NewRequest("GET", q.srv.URL+"/api/v1/metrics/home-kpis?range=1h", nil)
	req.Header.Set("Authorization", "Bearer "+queryKey)
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Cache") != "miss" {
		t.Errorf("no-cache answered from the cache")
	}
	// The other workspace sees only its own trace.
	a := q.do(t, otherKey, "GET", "/api/v1/traces", "")
	if n := a.json(t)["total"].(float64); n != 1 {
		t.Errorf("other workspace sees %v traces, want 1", n)
	}
	if a := q.do(t, otherKey, "GET", "/api/v1/sessions/"+seededSession, ""); a.status != 404 {
		t.Errorf("session lookup crossed workspaces: %d", a.status)
	}
}

// TestTracePagesWhileIngesting walks every page of the trace list while new traces, older
// and newer than those listed, are being acknowledged: every trace that existed before the
// walk is returned exactly once, and no trace twice.
func TestTracePagesWhileIngesting(t *testing.T) {
	q := newQueryServer(t)
	before := map[string]bool{}
	first := q.do(t, queryKey, "GET", "/api/v1/traces?limit=500", "").json(t)
	for {
		for _, tr := range first["traces"].([]any) {
			before[tr.(map[string]any)["trace_id"].(string)] = true
		}
		c, ok := first["next_cursor"].(string)
		if !ok {
			break
		}
		first = q.do(t, queryKey, "GET", "/api/v1/traces?limit=500&cursor="+url.QueryEscape(c), "").json(t)
	}
	if len(before) != seededTraces {
		t.Fatalf("listed %d traces, want %d", len(before), seededTraces)
	}
	for _, sortBy := range []string{"start_time", "latency_ms", "cost_usd"} {
		t.Run(sortBy, func(t *testing.T) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				now := time.Now().UTC()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var items []string
					for j := 0; j < 20; j++ {
						start := now.Add(-time.Duration((i*20+j)%(7*24*60)) * time.Minute)
						items = append(items, fmt.Sprintf(`{"trace_id":"live-%s-%d-%d","agent_id":"bot","timestamp":%q,"latency_ms":%d,"cost_usd":%g}`,
							sortBy, i, j, start.Format(time.RFC3339Nano), (i*37+j*11)%5000, float64((i+j)%7)/100))
					}
					if a := q.do(t, queryKey, "POST", "/api/v1/traces/batch", `{"traces":[`+strings.Join(items, ",")+`]}`); a.status != 202 {
						t.Errorf("ingest = %d %s", a.status, a.body)
						return
					}
				}
			}()
			seen := map[string]int{}
			path := "/api/v1/traces?limit=97&sort=" + sortBy
			next := path
			for pages := 0; ; pages++ {
				a := q.do(t, queryKey, "GET", next, "")
				if a.status != 200 {
					t.Fatalf("page %d = %d %s", pages, a.status, a.body)
				}
				page := a.json(t)
				for _, tr := range page["traces"].([]any) {
					seen[tr.(map[string]any)["trace_id"].(string)]++
				}
				c, ok := page["next_cursor"].(string)
				if !ok {
					break
				}
				next = path + "&cursor=" + url.QueryEscape(c)
			}
			close(stop)
			wg.Wait()
			for id, n := range seen {
				if n > 1 {
					t.Errorf("trace %s returned %d times", id, n)
				}
			}
			for id := range before {
				if seen[id] != 1 {
					t.Errorf("trace %s returned %d times, want once", id, seen[id])
				}
			}
		})
	}
}

// TestQueryErrorsNameTheField checks the problem documents of malformed requests.
func TestQueryErrorsNameTheField(t *testing.T) {
	q := newQueryServer(t)
	for path, field := range map[string]string{
		"/api/v1/usage/overview?range=2d":                         "range",
		"/api/v1/traces?status=ok":                                "status",
		"/api/v1/cost/trend?granularity=yearly":                   "granularity",
		"/api/v1/performance/latency?from=2026-01-01":             "from",
		"/api/v1/metrics/aggregations?type=hourly&tz=Nowhere/Zed": "tz",
		"/api/v1/traces?min_cost_usd=cheap":                       "min_cost_usd",
	} {
		a := q.do(t, queryKey, "GET", path, "")
		var p Problem
		if err := json.Unmarshal(a.body, &p); err != nil || a.status != 400 || a.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s = %d %s", path, a.status, a.body)
			continue
		}
		if len(p.Errors) == 0 || p.Errors[0].Field != field || p.Type != ProblemTypeBase+"validation" {
			t.Errorf("%s: problem %+v, want field %q", path, p, field)
		}
	}
	owner := q.ownerToken(t)
	if a := q.do(t, owner, "PUT", "/api/v1/cost/budget", `{"monthly_limit_usd": 5}`); a.status != 200 {
		t.Fatalf("budget = %d %s", a.status, a.body)
	}
	req, _ := http.NewRequest("PUT", q.srv.URL+"/api/v1/cost/budget", bytes.NewReader([]byte(`monthly_limit_usd=5`)))
	req.Header.Set("Authorization", "Bearer "+owner)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("form body = %d, want 415", resp.StatusCode)
	}
}
