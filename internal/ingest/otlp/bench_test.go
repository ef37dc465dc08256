package otlp

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// benchRequest builds a request of 100 spans as an instrumented agent sends them: 20 runs
// of an agent span, two chat spans with GenAI attributes and messages, a tool span and a
// retrieval span, under a resource with the usual SDK attributes.
func benchRequest() *coltracepb.ExportTraceServiceRequest {
	s := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	n := func(k string, v int64) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
	}
	question := "How do I reset my password on the mobile app? I tried the link in the email but it expired."
	answer := "Open the app, tap Settings > Account > Reset password, and use the new link within 15 minutes."
	in := fmt.Sprintf(`[{"role":"user","parts":[{"type":"text","content":%q}]}]`, question)
	out := fmt.Sprintf(`[{"role":"assistant","parts":[{"type":"text","content":%q}],"finish_reason":"stop"}]`, answer)
	var spans []*tracepb.Span
	start := uint64(1795600800000000000)
	for r := 0; r < 20; r++ {
		tid := []byte{byte(r), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
		id := func(i int) []byte { return []byte{0, 0, 0, 0, 0, 0, byte(r), byte(i)} }
		at := func(ms int) uint64 { return start + uint64(r)*1e9 + uint64(ms)*1e6 }
		chat := func(i int, ms int) *tracepb.Span {
			return &tracepb.Span{TraceId: tid, SpanId: id(i), ParentSpanId: id(1), Name: "chat gpt-4o-mini", Kind: tracepb.Span_SPAN_KIND_CLIENT,
				StartTimeUnixNano: at(ms), EndTimeUnixNano: at(ms + 800), Attributes: []*commonpb.KeyValue{
					s("gen_ai.operation.name", "chat"), s("gen_ai.provider.name", "openai"), s("gen_ai.request.model", "gpt-4o-mini"),
					s("gen_ai.response.model", "gpt-4o-mini-2024-07-18"), s("gen_ai.response.id", "chatcmpl-AbCdEf0123456789"),
					n("gen_ai.usage.input_tokens", 1200), n("gen_ai.usage.output_tokens", 80), n("gen_ai.request.max_tokens", 512),
					s("gen_ai.input.messages", in), s("gen_ai.output.messages", out), s("server.address", "api.openai.com"), n("server.port", 443)},
				Status: &tracepb.Status{}}
		}
		spans = append(spans,
			&tracepb.Span{TraceId: tid, SpanId: id(1), Name: "invoke_agent support-bot", StartTimeUnixNano: at(0), EndTimeUnixNano: at(3000),
				Attributes: []*commonpb.KeyValue{s("gen_ai.operation.name", "invoke_agent"), s("gen_ai.agent.name", "support-bot"),
					s("gen_ai.conversation.id", fmt.Sprintf("conv-%d", r)), s("user.id", "user-42")}},
			chat(2, 10),
			&tracepb.Span{TraceId: tid, SpanId: id(3), ParentSpanId: id(1), Name: "execute_tool search_docs", StartTimeUnixNano: at(900), EndTimeUnixNano: at(1100),
				Attributes: []*commonpb.KeyValue{s("gen_ai.operation.name", "execute_tool"), s("gen_ai.tool.name", "search_docs"),
					s("gen_ai.tool.call.id", "call_123"), s("gen_ai.tool.call.arguments", `{"query":"reset password mobile"}`),
					s("gen_ai.tool.call.result", `["docs/account.md","docs/mobile.md"]`)}},
			&tracepb.Span{TraceId: tid, SpanId: id(4), ParentSpanId: id(3), Name: "retrieval kb", StartTimeUnixNano: at(920), EndTimeUnixNano: at(1080),
				Attributes: []*commonpb.KeyValue{s("gen_ai.operation.name", "retrieval"), s("gen_ai.data_source.id", "kb-support-v3"), n("db.vector.query.top_k", 5)}},
			chat(5, 1200))
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{s("service.name", "support-api"), s("service.version", "2.4.1"),
			s("deployment.environment.name", "prod"), s("telemetry.sdk.name", "opentelemetry"), s("telemetry.sdk.language", "python"),
			s("telemetry.sdk.version", "1.45.2"), s("host.name", "ip-10-0-3-17")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "opentelemetry.instrumentation.openai_v2", Version: "2.4b0"}, Spans: spans}},
	}}}
}

func benchBodies(b *testing.B) (pb, js []byte, spans int) {
	req := benchRequest()
	pb, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	js, err = json.Marshal(json.RawMessage(otlpJSON(b, req)))
	if err != nil {
		b.Fatal(err)
	}
	return pb, js, len(req.ResourceSpans[0].ScopeSpans[0].Spans)
}

// otlpJSON encodes req in OTLP/JSON: protojson with hex ids.
func otlpJSON(b testing.TB, req *coltracepb.ExportTraceServiceRequest) []byte {
	out, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		b.Fatal(err)
	}
	for _, rs := range doc["resourceSpans"].([]any) {
		for _, ss := range rs.(map[string]any)["scopeSpans"].([]any) {
			for _, sp := range ss.(map[string]any)["spans"].([]any) {
				m := sp.(map[string]any)
				for _, k := range []string{"traceId", "spanId", "parentSpanId"} {
					if v, ok := m[k].(string); ok {
						raw, _ := base64Decode(v)
						m[k] = fmt.Sprintf("%x", raw)
					}
				}
			}
		}
	}
	out, _ = json.Marshal(doc)
	return out
}

func base64Decode(s string) ([]byte, error) {
	var j jsonDecoder
	return j.id(s, "id"), j.err
}

// cpuTime is the CPU time the process has used (user and system, all threads, the garbage
// collector's included). Rates per CPU second hold on a busy machine, where wall-clock
// rates measure the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perCPU reports spans per CPU second for the loop that started at cpu0.
func perCPU(b *testing.B, cpu0 time.Duration, spans int) {
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(b.N*spans)/d.Seconds(), "spans/cpu-s")
	}
}

// BenchmarkDecodeProto is the OTLP/HTTP protobuf hot path without the store: decoding
// alone, and decoding plus mapping onto traces.
func BenchmarkDecodeProto(b *testing.B) {
	pb, _, spans := benchBodies(b)
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(pb)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			if _, err := DecodeProto(pb); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
		perCPU(b, cpu0, spans)
	})
	b.Run("decode+map", func(b *testing.B) {
		b.SetBytes(int64(len(pb)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			req, err := DecodeProto(pb)
			if err != nil {
				b.Fatal(err)
			}
			if res := Convert(req, testWorkspace, Limits{}); res.Spans != spans {
				b.Fatalf("mapped %d spans", res.Spans)
			}
		}
		b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
		perCPU(b, cpu0, spans)
	})
	b.Run("proto.Unmarshal", func(b *testing.B) { // the reference, for comparison
		b.SetBytes(int64(len(pb)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(pb, &req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
		perCPU(b, cpu0, spans)
	})
}

func BenchmarkDecodeJSON(b *testing.B) {
	_, js, spans := benchBodies(b)
	b.SetBytes(int64(len(js)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		req, err := DecodeJSON(js)
		if err != nil {
			b.Fatal(err)
		}
		Convert(req, testWorkspace, Limits{})
	}
	b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
	perCPU(b, cpu0, spans)
}
