package otlp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/agentobs/agentobs/internal/model"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func ns(ms int) uint64 { return uint64(t0.Add(time.Duration(ms) * time.Millisecond).UnixNano()) }

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

var tid = []byte{0xa1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}

func sid(n byte) []byte { return []byte{0, 0, 0, 0, 0, 0, 0, n} }

func requestOf(spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "svc")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "test"}, Spans: spans}},
	}}}
}

func TestRejectsUnusableSpans(t *testing.T) {
	good := &tracepb.Span{TraceId: tid, SpanId: sid(1), Name: "ok", StartTimeUnixNano: ns(0), EndTimeUnixNano: ns(5)}
	res := Convert(requestOf(
		good,
		&tracepb.Span{TraceId: []byte{1, 2}, SpanId: sid(2), StartTimeUnixNano: ns(0)},
		&tracepb.Span{TraceId: make([]byte, 16), SpanId: sid(3), StartTimeUnixNano: ns(0)},
		&tracepb.Span{TraceId: tid, SpanId: nil, StartTimeUnixNano: ns(0)},
		&tracepb.Span{TraceId: tid, SpanId: sid(4)},
	), testWorkspace, Limits{})
	if res.Spans != 1 || res.Rejected != 4 || len(res.Traces) != 1 {
		t.Fatalf("spans=%d rejected=%d traces=%d", res.Spans, res.Rejected, len(res.Traces))
	}
	for _, want := range []string{"4 span(s) rejected", "invalid trace id", "invalid span id", "no valid start time"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message %q lacks %q", res.Message, want)
		}
	}
}

func TestTolerates(t *testing.T) {
	sp := &tracepb.Span{TraceId: tid, SpanId: sid(1), ParentSpanId: []byte{1, 2, 3}, Name: "x",
		Kind: tracepb.Span_SpanKind(99), StartTimeUnixNano: ns(10), EndTimeUnixNano: ns(5),
		Status: &tracepb.Status{Code: tracepb.Status_StatusCode(7)}}
	res := Convert(requestOf(sp), testWorkspace, Limits{})
	got := res.Traces[0].Spans[0]
	if got.ParentSpanID != "" || got.Status != model.StatusSuccess || !got.EndTime.Equal(got.StartTime) || got.Kind != model.KindChain {
		t.Errorf("span = %+v", got)
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	sp := &tracepb.Span{TraceId: tid, SpanId: sid(1), Name: "bad\xffname", StartTimeUnixNano: ns(0),
		Attributes: []*commonpb.KeyValue{str("input.value", "caf\xc3"), str("k\xfe", "v\xff")}}
	// proto.Marshal refuses invalid UTF-8, so the body is written field by field.
	body := rawRequest(t, sp)
	if err := proto.Unmarshal(body, &coltracepb.ExportTraceServiceRequest{}); err == nil {
		t.Fatal("expected the reference decoder to refuse invalid UTF-8")
	}
	req, err := DecodeProto(body)
	if err != nil {
		t.Fatal(err)
	}
	res := Convert(req, testWorkspace, Limits{})
	checkResult(t, res, Limits{})
	got := res.Traces[0].Spans[0]
	if got.Name != "bad\uFFFDname" || got.Input != "caf\uFFFD" || !strings.Contains(string(got.Attributes), `"k\ufffd":"v\ufffd"`) && !strings.Contains(string(got.Attributes), "k\uFFFD") {
		t.Errorf("span = %q %q %s", got.Name, got.Input, got.Attributes)
	}
}

// rawRequest encodes a request with one span by hand, strings unchecked.
func rawRequest(t *testing.T, sp *tracepb.Span) []byte {
	t.Helper()
	bytesField := func(b []byte, num protowire.Number, v []byte) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, v)
	}
	var span []byte
	span = bytesField(span, 1, sp.TraceId)
	span = bytesField(span, 2, sp.SpanId)
	span = bytesField(span, 5, []byte(sp.Name))
	span = protowire.AppendTag(span, 7, protowire.Fixed64Type)
	span = protowire.AppendFixed64(span, sp.StartTimeUnixNano)
	for _, kv := range sp.Attributes {
		var val, kvb []byte
		val = bytesField(val, 1, []byte(kv.Value.GetStringValue()))
		kvb = bytesField(kvb, 1, []byte(kv.Key))
		kvb = bytesField(kvb, 2, val)
		span = bytesField(span, 9, kvb)
	}
	scope := bytesField(nil, 2, span)
	rs := bytesField(nil, 2, scope)
	return bytesField(nil, 1, rs)
}

func TestDecodeProtoRefusesDeepNesting(t *testing.T) {
	inner := []byte{0x0a, 0x00} // AnyValue{string_value: ""}
	for i := 0; i < maxDepth+5; i++ {
		arr := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), inner) // ArrayValue.values
		inner = protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), arr)  // AnyValue.array_value
	}
	kv := protowire.AppendBytes(protowire.AppendTag(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte("k")), 2, protowire.BytesType), inner)
	span := protowire.AppendBytes(protowire.AppendTag(nil, 9, protowire.BytesType), kv)
	scope := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), span)
	rs := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), scope)
	body := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), rs)
	if _, err := DecodeProto(body); err == nil || !strings.Contains(err.Error(), "nested too deep") {
		t.Fatalf("err = %v", err)
	}
	if _, err := DecodeProto([]byte{0x0a, 0x05, 0x01}); err == nil {
		t.Fatal("truncated body decoded")
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6000 bytes
	attrs := []*commonpb.KeyValue{str("input.value", long), str("big", long)}
	for i := 0; i < 20; i++ {
		attrs = append(attrs, num("n"+string(rune('a'+i)), int64(i)))
	}
	sp := &tracepb.Span{TraceId: tid, SpanId: sid(1), Name: strings.Repeat("n", 5000), StartTimeUnixNano: ns(0),
		Attributes: attrs, DroppedAttributesCount: 3}
	lim := Limits{MaxTextBytes: 1000, MaxAttributesBytes: 2000, MaxAttributes: 10, MaxValueBytes: 100}
	res := Convert(requestOf(sp), testWorkspace, lim)
	checkResult(t, res, lim)
	got := res.Traces[0].Spans[0]
	if len(got.Name) != maxNameLen || len(got.Input) > 1000 || !strings.HasSuffix(got.Input, "…[truncated 6000 bytes]") {
		t.Errorf("name %d bytes, input %d bytes ending %q", len(got.Name), len(got.Input), got.Input[len(got.Input)-30:])
	}
	var attrsOut map[string]any
	if err := json.Unmarshal(got.Attributes, &attrsOut); err != nil {
		t.Fatal(err)
	}
	if s, _ := attrsOut["big"].(string); !strings.HasSuffix(s, "…[truncated 6000 bytes]") || len(s) > 100 {
		t.Errorf("big = %q", s)
	}
	// 21 candidate attributes, 10 kept, plus the 3 the SDK had dropped already.
	if attrsOut["otel.dropped_attributes_count"] != float64(11+3) {
		t.Errorf("dropped = %v (attributes %s)", attrsOut["otel.dropped_attributes_count"], got.Attributes)
	}
}

func TestRootAndPartialTraces(t *testing.T) {
	child := &tracepb.Span{TraceId: tid, SpanId: sid(2), ParentSpanId: sid(1), Name: "chat", StartTimeUnixNano: ns(100), EndTimeUnixNano: ns(200),
		Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "gpt-4o-mini"),
			str("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`),
			str("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]`)}}
	grandchild := &tracepb.Span{TraceId: tid, SpanId: sid(3), ParentSpanId: sid(2), Name: "http", StartTimeUnixNano: ns(90), EndTimeUnixNano: ns(95)}
	root := &tracepb.Span{TraceId: tid, SpanId: sid(1), Name: "agent", StartTimeUnixNano: ns(0), EndTimeUnixNano: ns(300),
		Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "invoke_agent"), str("gen_ai.agent.name", "helper")}}

	// Root last in the request: still the root.
	res := Convert(requestOf(child, grandchild, root), testWorkspace, Limits{})
	tr := res.Traces[0]
	model.RollUp(&tr, tr.Spans)
	if tr.Declared.Origin != model.OriginRoot || tr.Name != "agent" || tr.AgentID != "helper" || !tr.StartTime.Equal(t0) {
		t.Errorf("rooted trace = %s %q %q %v", originName(tr.Declared.Origin), tr.Name, tr.AgentID, tr.StartTime)
	}
	if tr.Input != `[{"role":"user","content":"hi"}]` || tr.Output != "hello" {
		t.Errorf("the root's missing input/output should come from its model call: %q %q", tr.Input, tr.Output)
	}
	// Without the root: partial, named after the earliest span whose parent is absent, and
	// starting at the earliest span.
	res = Convert(requestOf(child, grandchild), testWorkspace, Limits{})
	tr = res.Traces[0]
	if tr.Declared.Origin != model.OriginPartial || tr.Name != "chat" || tr.AgentID != "svc" || !tr.StartTime.Equal(t0.Add(90*time.Millisecond)) {
		t.Errorf("partial trace = %s %q %q %v", originName(tr.Declared.Origin), tr.Name, tr.AgentID, tr.StartTime)
	}
}

func originName(o model.Origin) string {
	return map[model.Origin]string{model.OriginDeclared: "declared", model.OriginRoot: "root", model.OriginPartial: "partial"}[o]
}

func TestStatus(t *testing.T) {
	exc := &tracepb.Span_Event{Name: "exception", Attributes: []*commonpb.KeyValue{str("exception.type", "ValueError"), str("exception.message", "bad input")}}
	cases := []struct {
		name   string
		span   *tracepb.Span
		status model.Status
		msg    string
	}{
		{"error code", &tracepb.Span{Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"}}, model.StatusError, "boom"},
		{"exception, unset", &tracepb.Span{Events: []*tracepb.Span_Event{exc}}, model.StatusError, "ValueError: bad input"},
		{"exception, ok", &tracepb.Span{Events: []*tracepb.Span_Event{exc}, Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK}}, model.StatusSuccess, ""},
		{"error.type", &tracepb.Span{Attributes: []*commonpb.KeyValue{str("error.type", "500")}}, model.StatusError, "500"},
		{"timeout", &tracepb.Span{Attributes: []*commonpb.KeyValue{str("error.type", "ReadTimeout")}, Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}}, model.StatusTimeout, "ReadTimeout"},
	}
	for _, tc := range cases {
		tc.span.TraceId, tc.span.SpanId, tc.span.StartTimeUnixNano = tid, sid(1), ns(0)
		got := Convert(requestOf(tc.span), testWorkspace, Limits{}).Traces[0]
		if sp := got.Spans[0]; sp.Status != tc.status || sp.StatusMessage != tc.msg {
			t.Errorf("%s: status %s %q, want %s %q", tc.name, sp.Status, sp.StatusMessage, tc.status, tc.msg)
		}
	}
}

func TestDecodeJSONLenient(t *testing.T) {
	body := `{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},
	  "scope_spans":[{"spans":[{"trace_id":"oQAAAAAAAAAAAAAAAAAAAQ==","span_id":"0000000000000001","kind":"SPAN_KIND_CLIENT",
	  "start_time_unix_nano":1795600800000000000,"end_time_unix_nano":"1795600800500000000","status":{"code":"STATUS_CODE_ERROR"},
	  "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":7}},{"key":"d","value":{"doubleValue":"NaN"}},
	  {"key":"b","value":{"bytesValue":"AAE="}}],"unknownField":{"x":1}}]}]}],"extra":true}`
	req, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	res := Convert(req, testWorkspace, Limits{})
	checkResult(t, res, Limits{})
	sp := res.Traces[0].Spans[0]
	if res.Traces[0].TraceID != "a1000000000000000000000000000001" || sp.SpanID != "0000000000000001" || sp.Status != model.StatusError || sp.LatencyMs != 500 {
		t.Errorf("trace %s span %+v", res.Traces[0].TraceID, sp)
	}
	for _, bad := range []string{`[]`, `{"resourceSpans":{}}`, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not hex!"}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"-1"}]}]}]}`, `{} {}`, `{`} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%s) succeeded", bad)
		}
	}
}
