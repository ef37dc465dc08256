package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/pricing"
)

func basic(secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("pk-lf-1234:"+secret))
}

func postAs(t *testing.T, srv *httptest.Server, path, authorization, contentType string, body []byte, gz bool) (int, []byte) {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(body)
		w.Close()
		body = buf.Bytes()
	}
	req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(res.Body)
	return res.StatusCode, out.Bytes()
}

func TestLangfuseOTLPPathWithBasicAuth(t *testing.T) {
	srv, _ := newTestServer(t)
	code, body := postAs(t, srv, "/api/public/otel/v1/traces", basic(key), "application/x-protobuf", fixture(t, "langfuse.binpb"), true)
	if code != 200 {
		t.Fatalf("export = %d %q", code, body)
	}
	code, tr := call(t, srv, "GET", "/api/v1/traces/5d4c1e7a9b0f4e2c8a1b3c5d7e9f0a12", "")
	if code != 200 {
		t.Fatalf("read back = %d %v", code, tr)
	}
	if tr["agent_id"] != "weather-agent" || tr["name"] != "weather-request" || tr["user_id"] != "lf-user-1" ||
		tr["session_id"] != "lf-session-1" || tr["span_count"] != float64(9) || tr["tokens_input"] != float64(1312) {
		t.Errorf("trace = %v", tr)
	}
	// The first generation is priced from the table, the second carries its own cost.
	own, _ := pricing.Default().Cost("gpt-4o-mini", 1000, 200, 100)
	emb, _ := pricing.Default().Cost("text-embedding-3-small", 12, 0, 0)
	if c, ok := tr["cost_usd"].(float64); !ok || math.Abs(c-(own+emb+0.0005)) > 1e-12 {
		t.Errorf("cost = %v, want %v", tr["cost_usd"], own+emb+0.0005)
	}

	// JSON on the same path, and the credential checks every route makes.
	if code, body := postAs(t, srv, "/api/public/otel/v1/traces", basic(key), "application/json", fixture(t, "phoenix.json"), false); code != 200 {
		t.Errorf("JSON export = %d %q", code, body)
	}
	for _, cred := range []string{basic("ao_wrong_secret_0000000000000000"), "Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon")), ""} {
		if code, body := postAs(t, srv, "/api/public/otel/v1/traces", cred, "application/x-protobuf", fixture(t, "langfuse.binpb"), false); code != 401 {
			t.Errorf("credential %q = %d %q, want 401", cred, code, body)
		}
	}
}

func TestLangfuseHealth(t *testing.T) {
	srv, _ := newTestServer(t)
	res, err := http.Get(srv.URL + "/api/public/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]string
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 200 || out["status"] != "OK" {
		t.Errorf("health = %d %v", res.StatusCode, out)
	}
}

type ingestionAnswer struct {
	Successes []struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
	} `json:"successes"`
	Errors []struct {
		ID      string `json:"id"`
		Status  int    `json:"status"`
		Message string `json:"message"`
		Error   string `json:"error"`
	} `json:"errors"`
}

func ingestEvents(t *testing.T, srv *httptest.Server, events ...string) ingestionAnswer {
	t.Helper()
	code, body := postAs(t, srv, "/api/public/ingestion", basic(key), "application/json",
		[]byte(`{"batch":[`+strings.Join(events, ",")+`],"metadata":{"sdk_name":"js"}}`), false)
	if code != 207 {
		t.Fatalf("ingestion = %d %s", code, body)
	}
	var a ingestionAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLangfuseIngestionMergesUpdates(t *testing.T) {
	srv, _ := newTestServer(t)
	const ts = `"timestamp":"2026-11-25T10:00:00.000Z"`
	a := ingestEvents(t, srv,
		`{"id":"e1","type":"trace-create",`+ts+`,"body":{"id":"lf-t1","name":"support","userId":"u-1","sessionId":"s-1","input":{"q":"refund?"},"tags":["beta"],"metadata":{"plan":"pro"},"release":"1.2.0","timestamp":"2026-11-25T10:00:00.000Z"}}`,
		`{"id":"e2","type":"span-create",`+ts+`,"body":{"id":"o-agent","traceId":"lf-t1","name":"agent","startTime":"2026-11-25T10:00:00.010Z","input":"refund?"}}`,
		`{"id":"e3","type":"generation-create",`+ts+`,"body":{"id":"o-gen","traceId":"lf-t1","parentObservationId":"o-agent","name":"chat","model":"gpt-4o-mini","startTime":"2026-11-25T10:00:00.020Z","input":[{"role":"user","content":"refund?"}],"modelParameters":{"temperature":0}}}`,
		`{"id":"e4","type":"event-create",`+ts+`,"body":{"id":"o-ev","traceId":"lf-t1","parentObservationId":"o-agent","name":"cache-miss","startTime":"2026-11-25T10:00:00.015Z"}}`,
		`{"id":"e5","type":"sdk-log",`+ts+`,"body":{"log":"hello"}}`,
		`{"id":"e6","type":"dataset-create",`+ts+`,"body":{}}`,
		`{"id":"e7","type":"span-create",`+ts+`,"body":{"id":"o-bad"}}`,
		`{"id":"e8","type":"generation-create",`+ts+`,"body":{"id":"o-x","traceId":"lf-t1","level":"LOUD"}}`,
		`"not an object"`,
		`{"id":"e9","type":"score-create",`+ts+`,"body":{"id":"sc-1","traceId":"lf-t1","name":"helpful","value":1,"comment":"ok"}}`,
	)
	if len(a.Successes) != 6 || len(a.Errors) != 4 {
		t.Fatalf("answer = %+v", a)
	}
	for _, e := range a.Errors {
		if e.Status != 400 || e.Error == "" {
			t.Errorf("error item = %+v", e)
		}
	}
	// The second request completes the observations and the trace, as SDKs do on end().
	a = ingestEvents(t, srv,
		`{"id":"e10","type":"generation-update",`+ts+`,"body":{"id":"o-gen","traceId":"lf-t1","endTime":"2026-11-25T10:00:00.520Z","output":{"role":"assistant","content":"Yes."},"usage":{"input":100,"output":20,"unit":"TOKENS"}}}`,
		`{"id":"e11","type":"span-update",`+ts+`,"body":{"id":"o-agent","traceId":"lf-t1","endTime":"2026-11-25T10:00:00.600Z","output":"Yes.","level":"ERROR","statusMessage":"tool failed"}}`,
		`{"id":"e12","type":"trace-create",`+ts+`,"body":{"id":"lf-t1","output":"Yes.","tags":["refunds"]}}`,
		// Out of order: the update of an observation arrives before its create.
		`{"id":"e13","type":"span-update",`+ts+`,"body":{"id":"o-late","traceId":"lf-t1","endTime":"2026-11-25T10:00:00.590Z","output":"done"}}`,
	)
	if len(a.Errors) != 0 {
		t.Fatalf("answer = %+v", a)
	}
	a = ingestEvents(t, srv,
		`{"id":"e14","type":"span-create",`+ts+`,"body":{"id":"o-late","traceId":"lf-t1","parentObservationId":"o-agent","name":"lookup","startTime":"2026-11-25T10:00:00.530Z"}}`)
	if len(a.Errors) != 0 {
		t.Fatalf("answer = %+v", a)
	}

	code, tr := call(t, srv, "GET", "/api/v1/traces/lf-t1", "")
	if code != 200 {
		t.Fatalf("read back = %d %v", code, tr)
	}
	if tr["name"] != "support" || tr["agent_id"] != "support" || tr["user_id"] != "u-1" || tr["session_id"] != "s-1" ||
		tr["input"] != `{"q":"refund?"}` || tr["output"] != "Yes." || tr["status"] != "error" ||
		tr["tokens_input"] != float64(100) || tr["tokens_output"] != float64(20) || tr["model"] != "gpt-4o-mini" || tr["span_count"] != float64(4) {
		t.Errorf("trace = %v", tr)
	}
	if tags, _ := json.Marshal(tr["tags"]); string(tags) != `["beta","refunds"]` {
		t.Errorf("tags = %s", tags)
	}
	if md, _ := json.Marshal(tr["metadata"]); !strings.Contains(string(md), `"plan":"pro"`) || !strings.Contains(string(md), `"release":"1.2.0"`) {
		t.Errorf("metadata = %s", md)
	}
	want, _ := pricing.Default().Cost("gpt-4o-mini", 100, 20, 0)
	if c, ok := tr["cost_usd"].(float64); !ok || math.Abs(c-want) > 1e-12 {
		t.Errorf("cost = %v, want %v", tr["cost_usd"], want)
	}
	spans, _ := tr["spans"].([]any)
	if len(spans) != 1 {
		t.Fatalf("spans = %v", spans)
	}
	agent := spans[0].(map[string]any)
	if agent["kind"] != "chain" || agent["status"] != "error" || agent["status_message"] != "tool failed" || agent["latency_ms"] != float64(590) {
		t.Errorf("agent span = %v", agent)
	}
	kinds := map[string]map[string]any{}
	for _, c := range agent["children"].([]any) {
		m := c.(map[string]any)
		kinds[m["name"].(string)] = m
	}
	if g := kinds["chat"]; g == nil || g["kind"] != "llm" || g["output"] != `{"role":"assistant","content":"Yes."}` || g["latency_ms"] != float64(500) {
		t.Errorf("generation = %v", g)
	}
	if l := kinds["lookup"]; l == nil || l["output"] != "done" || l["latency_ms"] != float64(60) {
		t.Errorf("late span = %v", l)
	}
	if e := kinds["cache-miss"]; e == nil || e["kind"] != "event" {
		t.Errorf("event = %v", e)
	}
	if scores, _ := tr["scores"].([]any); len(scores) != 1 || scores[0].(map[string]any)["name"] != "helpful" {
		t.Errorf("scores = %v", tr["scores"])
	}

	// Not an ingestion request at all: one problem naming the field.
	code, body := postAs(t, srv, "/api/public/ingestion", basic(key), "application/json", []byte(`{"events":[]}`), false)
	if code != 400 || !strings.Contains(string(body), `"batch"`) {
		t.Errorf("envelope without batch = %d %s", code, body)
	}
}

func TestLangfuseScores(t *testing.T) {
	srv, _ := newTestServer(t)
	if code, body := postAs(t, srv, "/api/public/otel/v1/traces", basic(key), "application/json", fixture(t, "langfuse.json"), false); code != 200 {
		t.Fatalf("export = %d %s", code, body)
	}
	const tid = "5d4c1e7a9b0f4e2c8a1b3c5d7e9f0a12"
	code, body := postAs(t, srv, "/api/public/scores", basic(key), "application/json", []byte(`[
		{"id":"s1","traceId":"`+tid+`","name":"accuracy","value":0.9,"dataType":"NUMERIC"},
		{"id":"s2","traceId":"`+tid+`","observationId":"a000000000000003","name":"correct","value":true,"dataType":"BOOLEAN","comment":"checked"},
		{"id":"s3","traceId":"`+tid+`","name":"tone","value":"friendly","dataType":"CATEGORICAL"},
		{"id":"s4","name":"orphan","value":1}]`), false)
	if code != 207 || !strings.Contains(string(body), `"accepted":2`) || !strings.Contains(string(body), `"rejected":2`) {
		t.Fatalf("scores = %d %s", code, body)
	}
	code, body = postAs(t, srv, "/api/public/scores", basic(key), "application/json", []byte(`{"traceId":"`+tid+`","name":"latency-ok","value":1}`), false)
	if code != 200 || !strings.Contains(string(body), `"id":"`) {
		t.Fatalf("single score = %d %s", code, body)
	}
	code, body = postAs(t, srv, "/api/public/scores", basic(key), "application/json", []byte(`{"traceId":"`+tid+`","value":1}`), false)
	if code != 400 || !strings.Contains(string(body), `"name"`) {
		t.Errorf("score without name = %d %s", code, body)
	}
	code, tr := call(t, srv, "GET", "/api/v1/traces/"+tid, "")
	if code != 200 {
		t.Fatalf("read back = %d", code)
	}
	scores, _ := tr["scores"].([]any)
	if len(scores) != 3 {
		t.Fatalf("scores = %v", tr["scores"])
	}
	// Scores never change what the trace's spans said.
	if tr["name"] != "weather-request" || tr["agent_id"] != "weather-agent" || tr["span_count"] != float64(9) {
		t.Errorf("trace after scores = %v", tr)
	}
}

// TestLangfusePublicKey checks the Basic user: a Langfuse public key is ignored, one of ours
// must be the start of the API key sent beside it.
func TestLangfusePublicKey(t *testing.T) {
	srv, _ := newTestServer(t)
	as := func(public string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(public+":"+key))
	}
	for _, tc := range []struct {
		public string
		want   int
	}{
		{"pk-lf-1234", 200},
		{"", 200},
		{key[:7], 200},
		{key, 200},
		{"ao_zzzz", 401},
		{key + "x", 401},
	} {
		code, body := postAs(t, srv, "/api/public/scores", as(tc.public), "application/json",
			[]byte(`{"traceId":"pk-check","name":"n","value":1}`), false)
		if code != tc.want {
			t.Errorf("public key %q = %d %s, want %d", tc.public, code, body, tc.want)
		}
		if tc.want == 401 && !strings.Contains(string(body), "public key") {
			t.Errorf("public key %q: the problem should say what is wrong: %s", tc.public, body)
		}
	}
}
