package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "otlp", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type otlpAnswer struct {
	status  int
	header  http.Header
	body    []byte
	resp    *coltracepb.ExportTraceServiceResponse
	problem *spb.Status
}

func postOTLP(t *testing.T, url, contentType string, body []byte, gz bool) otlpAnswer {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(body)
		w.Close()
		body = buf.Bytes()
	}
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+key)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	a := otlpAnswer{status: res.StatusCode, header: res.Header}
	a.body, _ = io.ReadAll(res.Body)
	unmarshal := proto.Unmarshal
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		unmarshal = protojson.Unmarshal
	}
	if res.StatusCode == 200 {
		a.resp = &coltracepb.ExportTraceServiceResponse{}
		if err := unmarshal(a.body, a.resp); err != nil {
			t.Fatalf("answer is not an ExportTraceServiceResponse (%s): %v %q", res.Header.Get("Content-Type"), err, a.body)
		}
	} else if strings.HasPrefix(res.Header.Get("Content-Type"), "application/") && !strings.Contains(res.Header.Get("Content-Type"), "problem") {
		a.problem = &spb.Status{}
		if err := unmarshal(a.body, a.problem); err != nil {
			t.Fatalf("error answer is not a google.rpc.Status: %v %q", err, a.body)
		}
	}
	return a
}

func TestOTLPHTTPExportAndReadBack(t *testing.T) {
	srv, _ := newTestServer(t)

	// Binary protobuf on the standard path; the GenAI fixture's trace id is upper-case hex.
	a := postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", fixture(t, "genai.binpb"), false)
	if a.status != 200 || a.resp.GetPartialSuccess() != nil || a.header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("export = %d %s %q", a.status, a.header.Get("Content-Type"), a.body)
	}
	code, tr := call(t, srv, "GET", "/api/v1/traces/5b8efff798038103d269b633813fc60c", "")
	if code != 200 {
		t.Fatalf("read back = %d %v", code, tr)
	}
	if tr["agent_id"] != "weather-agent" || tr["session_id"] != "conv-42" || tr["span_count"] != float64(4) ||
		tr["tokens_input"] != float64(300) || tr["tokens_output"] != float64(65) || tr["model"] != "gpt-4o-mini" {
		t.Errorf("trace = %v", tr)
	}
	want, _ := pricing.Default().Cost("gpt-4o-mini", 120, 40, 20)
	more, _ := pricing.Default().Cost("gpt-4o-mini", 180, 25, 0)
	if c, ok := tr["cost_usd"].(float64); !ok || math.Abs(c-(want+more)) > 1e-12 {
		t.Errorf("cost = %v, want %v from the price table", tr["cost_usd"], want+more)
	}
	spans, _ := tr["spans"].([]any)
	if len(spans) != 1 {
		t.Fatalf("want one top-level span (the agent), got %d", len(spans))
	}
	root := spans[0].(map[string]any)
	children, _ := root["children"].([]any)
	if root["kind"] != "agent" || len(children) != 3 {
		t.Fatalf("root = %v", root)
	}
	kinds := ""
	for _, c := range children {
		kinds += c.(map[string]any)["kind"].(string) + " "
	}
	if kinds != "llm tool llm " {
		t.Errorf("children kinds = %q", kinds)
	}

	// OTLP/JSON, gzip, on the plan's path.
	a = postOTLP(t, srv.URL+"/api/v1/traces/otlp", "application/json", fixture(t, "openinference.json"), true)
	if a.status != 200 || a.header.Get("Content-Type") != "application/json" || strings.TrimSpace(string(a.body)) != "{}" {
		t.Fatalf("JSON export = %d %s %q", a.status, a.header.Get("Content-Type"), a.body)
	}
	if code, tr := call(t, srv, "GET", "/api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736", ""); code != 200 || tr["user_id"] != "user-3" || tr["span_count"] != float64(4) {
		t.Errorf("OpenInference trace = %d %v", code, tr)
	}
}

func TestOTLPHTTPErrors(t *testing.T) {
	srv, _ := newTestServer(t)
	a := postOTLP(t, srv.URL+"/v1/traces", "text/plain", []byte("hi"), false)
	if a.status != 415 || a.problem == nil || !strings.Contains(a.problem.GetMessage(), "application/x-protobuf") {
		t.Errorf("415: %d %q", a.status, a.body)
	}
	a = postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", []byte{0x0a, 0xff, 0x01}, false)
	if a.status != 400 || a.problem == nil || !strings.Contains(a.problem.GetMessage(), "cannot decode") {
		t.Errorf("400: %d %q", a.status, a.body)
	}
	a = postOTLP(t, srv.URL+"/v1/traces", "application/json", []byte(`{"resourceSpans":`), false)
	if a.status != 400 || a.problem == nil {
		t.Errorf("400 JSON: %d %q", a.status, a.body)
	}
	a = postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", bytes.Repeat([]byte{0}, 9<<20), false)
	if a.status != 413 {
		t.Errorf("413: %d", a.status)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/traces", bytes.NewReader(fixture(t, "genai.binpb")))
	req.Header.Set("Content-Type", "application/x-protobuf")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("no key: %d", res.StatusCode)
	}
	// An empty request is a success.
	if a := postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", nil, false); a.status != 200 {
		t.Errorf("empty request: %d %q", a.status, a.body)
	}
}

func otlpSpan(trace byte, span, parent byte, name string, startMs int, attrs ...*commonpb.KeyValue) *tracepb.Span {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sp := &tracepb.Span{TraceId: []byte{trace, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, SpanId: []byte{0, 0, 0, 0, 0, 0, 0, span},
		Name: name, StartTimeUnixNano: uint64(t0.Add(time.Duration(startMs) * time.Millisecond).UnixNano()),
		EndTimeUnixNano: uint64(t0.Add(time.Duration(startMs+100) * time.Millisecond).UnixNano()), Attributes: attrs}
	if parent != 0 {
		sp.ParentSpanId = []byte{0, 0, 0, 0, 0, 0, 0, parent}
	}
	return sp
}

func otlpBody(t *testing.T, spans ...*tracepb.Span) []byte {
	t.Helper()
	b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func kvStr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func TestOTLPHTTPPartialSuccessAndRootLast(t *testing.T) {
	srv, _ := newTestServer(t)
	bad := otlpSpan(7, 1, 0, "bad", 0)
	bad.TraceId = []byte{1, 2, 3}
	child := otlpSpan(7, 2, 1, "chat", 10, kvStr("gen_ai.operation.name", "chat"), kvStr("gen_ai.request.model", "gpt-4o-mini"))
	a := postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", otlpBody(t, bad, child), false)
	if a.status != 200 || a.resp.GetPartialSuccess().GetRejectedSpans() != 1 || !strings.Contains(a.resp.GetPartialSuccess().GetErrorMessage(), "invalid trace id") {
		t.Fatalf("partial success = %d %v", a.status, a.resp)
	}
	const id = "07000000000000000000000000000001"
	if _, tr := call(t, srv, "GET", "/api/v1/traces/"+id, ""); tr["name"] != "chat" || tr["agent_id"] != "unknown_service" {
		t.Errorf("partial trace = %v", tr)
	}
	root := otlpSpan(7, 1, 0, "invoke_agent", 0, kvStr("gen_ai.operation.name", "invoke_agent"), kvStr("gen_ai.agent.name", "planner"))
	if a := postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", otlpBody(t, root), false); a.status != 200 {
		t.Fatalf("root = %d", a.status)
	}
	if _, tr := call(t, srv, "GET", "/api/v1/traces/"+id, ""); tr["name"] != "invoke_agent" || tr["agent_id"] != "planner" || tr["span_count"] != float64(2) || tr["model"] != "gpt-4o-mini" {
		t.Errorf("trace after its root = %v", tr)
	}
}

type failingPublisher struct{ err error }

func (f failingPublisher) Publish(context.Context, []queue.Item) error { return f.err }

func TestOTLPHTTPOverload(t *testing.T) {
	srv, rs := newTestServer(t)
	srv.Close()
	for _, tc := range []struct {
		err    error
		status int
	}{
		{model.Errorf(model.ETOOMANYREQUEST, "queue full"), 429},
		{model.Errorf(model.EUNAVAILABLE, "store down"), 503},
		{context.DeadlineExceeded, 503},
	} {
		api := New(Config{Store: rs, Keys: auth.NewKeyCache(rs.Store, time.Minute), Prices: pricing.Default(),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), API: true, Ingest: true})
		api.SetPublisher(failingPublisher{tc.err})
		s := httptest.NewServer(api.Handler())
		a := postOTLP(t, s.URL+"/v1/traces", "application/json", fixture(t, "vercel.json"), false)
		s.Close()
		if a.status != tc.status || a.header.Get("Retry-After") == "" || a.problem == nil {
			t.Errorf("%v: %d retry-after=%q %q", tc.err, a.status, a.header.Get("Retry-After"), a.body)
		}
	}
}
