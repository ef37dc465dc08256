package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// otlpPart is one OTLP request's view of trace "otlp-1": the trace fields derived from its
// root span when it holds the root, else from its earliest span (model.OriginPartial).
func otlpPart(spans ...model.Span) model.Trace {
	return otlpPartOf("otlp-1", spans...)
}

func otlpPartOf(id string, spans ...model.Span) model.Trace {
	t := model.Trace{WorkspaceID: ws1, TraceID: id, Metadata: json.RawMessage(`{}`),
		Declared: model.Declared{Status: model.StatusSuccess, Origin: model.OriginPartial}}
	for i := range spans {
		spans[i].WorkspaceID, spans[i].TraceID = ws1, id
		spans[i].Attributes = json.RawMessage(`{}`)
		spans[i].LatencyMs = spans[i].EndTime.Sub(spans[i].StartTime).Milliseconds()
	}
	t.Spans = spans
	root := &spans[0]
	for i := range spans {
		if spans[i].ParentSpanID == "" {
			root, t.Declared.Origin = &spans[i], model.OriginRoot
			break
		}
		if spans[i].StartTime.Before(root.StartTime) {
			root = &spans[i]
		}
	}
	t.AgentID, t.Name, t.StartTime, t.Input, t.Output = "svc", root.Name, root.StartTime, root.Input, root.Output
	if t.Declared.Origin == model.OriginRoot {
		t.AgentID, t.SessionID = "weather-agent", "conv-1"
	}
	return t
}

var (
	otlpRoot = model.Span{SpanID: "r", Kind: model.KindAgent, Name: "invoke_agent", StartTime: t0, EndTime: t0.Add(3 * time.Second),
		Status: model.StatusSuccess, Input: "what is the weather?", Output: "sunny"}
	otlpLLM = model.Span{SpanID: "l", ParentSpanID: "r", Kind: model.KindLLM, Name: "chat", StartTime: t0.Add(time.Second),
		EndTime: t0.Add(2 * time.Second), Status: model.StatusSuccess, Model: "gpt-4o-mini", Input: "llm prompt", Output: "llm answer",
		TokensInput: model.Int64(100), TokensOutput: model.Int64(10), TokensTotal: model.Int64(110)}
	otlpTool = model.Span{SpanID: "t", ParentSpanID: "r", Kind: model.KindTool, Name: "get_weather", StartTime: t0.Add(2 * time.Second),
		EndTime: t0.Add(2500 * time.Millisecond), Status: model.StatusError, StatusMessage: "boom"}
)

func checkRootFields(t *testing.T, s store.Store, when string) {
	t.Helper()
	got := mustGet(t, s, ws1, "otlp-1")
	if got.AgentID != "weather-agent" || got.Name != "invoke_agent" || !got.StartTime.Equal(t0) ||
		got.Input != "what is the weather?" || got.Output != "sunny" || got.SessionID != "conv-1" {
		t.Errorf("%s: trace fields are not the root's: agent=%q name=%q start=%v input=%q output=%q session=%q",
			when, got.AgentID, got.Name, got.StartTime, got.Input, got.Output, got.SessionID)
	}
	if got.SpanCount != 3 || got.ErrorSpanCount != 1 || got.Status != model.StatusError || got.LatencyMs != 3000 ||
		got.TokensTotal == nil || *got.TokensTotal != 110 || got.Model != "gpt-4o-mini" {
		t.Errorf("%s: roll-up spans=%d errors=%d status=%s latency=%d tokens=%v model=%q",
			when, got.SpanCount, got.ErrorSpanCount, got.Status, got.LatencyMs, got.TokensTotal, got.Model)
	}
}

// testRootArrivesLast: OpenTelemetry exporters send a trace's spans as they end, so the
// children usually arrive before their root and in several requests. The trace row must
// end up with the root's fields, and a later part without the root must not undo that.
func testRootArrivesLast(t *testing.T, s store.Store) {
	// Child first, then a later child, then the root, each in its own write.
	mustWrite(t, s, otlpPart(otlpTool))
	if got := mustGet(t, s, ws1, "otlp-1"); got.Name != "get_weather" || got.AgentID != "svc" {
		t.Errorf("partial trace = %q by %q", got.Name, got.AgentID)
	}
	mustWrite(t, s, otlpPart(otlpLLM))
	if got := mustGet(t, s, ws1, "otlp-1"); got.Name != "chat" || !got.StartTime.Equal(t0.Add(time.Second)) {
		t.Errorf("the earlier-starting part should name the trace until the root arrives: %q at %v", got.Name, got.StartTime)
	}
	mustWrite(t, s, otlpPart(otlpRoot))
	checkRootFields(t, s, "root last")

	// A retried child after the root changes nothing.
	mustWrite(t, s, otlpPart(otlpLLM))
	checkRootFields(t, s, "child retried after the root")

	// Root and children as separate parts of one batch, root first.
	if err := s.WriteTraces(ctx(), []model.Trace{otlpPart(otlpRoot), otlpPart(otlpTool), otlpPart(otlpLLM)}); err != nil {
		t.Fatal(err)
	}
	checkRootFields(t, s, "one batch")

	testRootWithoutContent(t, s)
}

// A root that records no conversation (an agent span) shows its model call's prompt and
// answer, not those of whichever part arrived first (here a tool's arguments).
func testRootWithoutContent(t *testing.T, s store.Store) {
	root := otlpRoot
	root.Input, root.Output = "", ""
	tool := otlpTool
	tool.Input, tool.Output = `{"city":"Paris"}`, `{"c":14}`
	mustWrite(t, s, otlpPartOf("otlp-2", tool))
	mustWrite(t, s, otlpPartOf("otlp-2", root))
	mustWrite(t, s, otlpPartOf("otlp-2", otlpLLM))
	got := mustGet(t, s, ws1, "otlp-2")
	if got.Name != "invoke_agent" || got.Input != "llm prompt" || got.Output != "llm answer" || got.AgentID != "weather-agent" {
		t.Errorf("trace = name %q input %q output %q agent %q", got.Name, got.Input, got.Output, got.AgentID)
	}
}
