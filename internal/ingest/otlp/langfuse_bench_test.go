package otlp

import (
	"fmt"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// langfuseBenchRequest is benchRequest as Langfuse's Python SDK sends the same runs: the
// same spans, times and resource, with langfuse.* attributes instead of GenAI ones.
func langfuseBenchRequest() *coltracepb.ExportTraceServiceRequest {
	req := benchRequest()
	s := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	question := "How do I reset my password on the mobile app? I tried the link in the email but it expired."
	answer := "Open the app, tap Settings > Account > Reset password, and use the new link within 15 minutes."
	ss := req.ResourceSpans[0].ScopeSpans[0]
	ss.Scope = &commonpb.InstrumentationScope{Name: "langfuse-sdk", Version: "5.0.4"}
	for i, sp := range ss.Spans {
		common := []*commonpb.KeyValue{s("user.id", "user-42"), s("session.id", fmt.Sprintf("conv-%d", i/5)), s("langfuse.environment", "prod")}
		switch {
		case sp.ParentSpanId == nil:
			sp.Name = "support-bot"
			sp.Attributes = append(common, s("langfuse.observation.type", "agent"), s("langfuse.trace.name", "support"),
				s("langfuse.observation.input", fmt.Sprintf(`{"args":[%q],"kwargs":{}}`, question)), s("langfuse.observation.output", answer))
		case sp.Kind == tracepb.Span_SPAN_KIND_CLIENT:
			sp.Name = "chat"
			sp.Attributes = append(common, s("langfuse.observation.type", "generation"), s("langfuse.observation.model.name", "gpt-4o-mini"),
				s("langfuse.observation.model.parameters", `{"max_tokens":512}`), s("langfuse.observation.usage_details", `{"input":1200,"output":80}`),
				s("langfuse.observation.input", fmt.Sprintf(`[{"role":"user","content":%q}]`, question)),
				s("langfuse.observation.output", fmt.Sprintf(`{"role":"assistant","content":%q}`, answer)),
				s("langfuse.observation.completion_start_time", `"2026-11-26T08:00:00.300000Z"`))
		case sp.Name == "retrieval kb":
			sp.Attributes = append(common, s("langfuse.observation.type", "retriever"), s("langfuse.observation.input", `{"query":"reset password mobile"}`),
				s("langfuse.observation.output", `["docs/account.md","docs/mobile.md"]`))
		default:
			sp.Name = "search_docs"
			sp.Attributes = append(common, s("langfuse.observation.type", "tool"), s("langfuse.observation.input", `{"query":"reset password mobile"}`),
				s("langfuse.observation.output", `["docs/account.md","docs/mobile.md"]`))
		}
		sp.Kind = tracepb.Span_SPAN_KIND_INTERNAL
	}
	return req
}

// BenchmarkLangfuseProto is BenchmarkDecodeProto's decode+map for the same runs sent by
// Langfuse's SDK; the two should cost about the same per span.
func BenchmarkLangfuseProto(b *testing.B) {
	pb, err := proto.Marshal(langfuseBenchRequest())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pb)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		req, err := DecodeProto(pb)
		if err != nil {
			b.Fatal(err)
		}
		if res := Convert(req, testWorkspace, Limits{}); res.Spans != 100 || res.Traces[0].Spans[1].TokensInput == nil {
			b.Fatalf("mapped %d spans", res.Spans)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "spans/s")
	perCPU(b, cpu0, 100)
}
