package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// -mode otlp posts OTLP/HTTP binary protobuf to /v1/traces, -batch spans per request, in
// traces of -spans spans (5 when 0) shaped like an instrumented agent run with the GenAI
// semantic conventions: an invoke_agent root, chat calls with messages and token usage,
// tool calls and retrievals. As for JSON, the body is encoded once; each request only
// overwrites the trace ids (fresh per request) and the timestamps in place.

// otlpTemplate is an encoded ExportTraceServiceRequest with the byte offsets of what
// changes per request.
type otlpTemplate struct {
	body     []byte
	traceIDs [][]int // per trace: offsets of its 16-byte id in every span
	tickets  [][]int // per trace: offsets of its ticket reference in its texts
	times    []otlpTime
	traces   int
}

// otlpTime is a fixed64 timestamp field: off is where its 8 bytes are, rel how long before
// the send time it lies.
type otlpTime struct {
	off int
	rel time.Duration
}

// newOTLPTemplate builds the request. Markers that cannot occur elsewhere in the body stand
// for the ids and times while it is encoded, and are located afterwards.
// With langfuse set, the spans carry the attributes Langfuse's SDKs write (langfuse.*
// observation types, JSON usage details, JSON input and output) instead of GenAI ones.
func newOTLPTemplate(seed uint64, spans, spansPerTrace int, langfuse bool) (*otlpTemplate, error) {
	if spansPerTrace <= 0 {
		spansPerTrace = 5
	}
	rng := rand.New(rand.NewPCG(seed, 0x07171))
	s := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	n := func(k string, v int64) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
	}
	traceMarker := func(t int) []byte {
		id := make([]byte, 16)
		copy(id, "\xf0\x0d\xfa\xce")
		binary.BigEndian.PutUint32(id[4:], uint32(t))
		copy(id[8:], "\xde\xad\xbe\xef\xca\xfe\xba\xbe")
		return id
	}
	// The texts name a ticket (appendTicket): a marker of its length stands for it.
	textMarker := func(t int) string { return fmt.Sprintf("tkt%05d%s", t, strings.Repeat("q", ticketLen-8)) }
	var timeMarks []time.Duration
	mark := func(rel time.Duration) uint64 {
		timeMarks = append(timeMarks, rel)
		return 0xfeedface00000000 | uint64(len(timeMarks)-1)
	}
	var all []*tracepb.Span
	traces := (spans + spansPerTrace - 1) / spansPerTrace
	for t := 0; t < traces; t++ {
		m := pickModel(rng)
		a := pick(rng, agents)
		ask, answer := uniqueTexts(fill(rng, pick(rng, a.asks)), fill(rng, pick(rng, a.answers)), textMarker(t))
		in := fmt.Sprintf(`[{"role":"user","parts":[{"type":"text","content":%q}]}]`, ask)
		out := fmt.Sprintf(`[{"role":"assistant","parts":[{"type":"text","content":%q}],"finish_reason":"stop"}]`, answer)
		tid := traceMarker(t)
		total := time.Duration(1500+rng.IntN(4000)) * time.Millisecond
		spanID := func(i int) []byte { return []byte{0, 0, byte(t >> 8), byte(t), 0, 0, 0, byte(i + 1)} }
		root := &tracepb.Span{TraceId: tid, SpanId: spanID(0), Name: "invoke_agent " + a.id,
			StartTimeUnixNano: mark(total), EndTimeUnixNano: mark(0),
			Attributes: []*commonpb.KeyValue{s("gen_ai.operation.name", "invoke_agent"), s("gen_ai.agent.name", a.id),
				s("gen_ai.conversation.id", fmt.Sprintf("conv-%d", rng.IntN(5000))), s("user.id", fmt.Sprintf("user-%d", rng.IntN(2000)))}}
		if langfuse {
			root.Name = a.id
			root.Attributes = []*commonpb.KeyValue{s("langfuse.observation.type", "agent"), s("langfuse.trace.name", a.id),
				s("session.id", fmt.Sprintf("conv-%d", rng.IntN(5000))), s("user.id", fmt.Sprintf("user-%d", rng.IntN(2000))),
				s("langfuse.observation.input", fmt.Sprintf(`{"question":%q}`, ask)), s("langfuse.observation.output", answer)}
		}
		all = append(all, root)
		for i := 1; i < spansPerTrace && len(all) < spans; i++ {
			begin := total - total*time.Duration(i)/time.Duration(spansPerTrace)
			end := begin - total/time.Duration(spansPerTrace+1)
			sp := &tracepb.Span{TraceId: tid, SpanId: spanID(i), ParentSpanId: spanID(0),
				StartTimeUnixNano: mark(begin), EndTimeUnixNano: mark(end)}
			switch i % 4 {
			case 1, 3:
				sp.Name, sp.Kind = "chat "+m.name, tracepb.Span_SPAN_KIND_CLIENT
				sp.Attributes = []*commonpb.KeyValue{s("gen_ai.operation.name", "chat"), s("gen_ai.provider.name", m.provider),
					s("gen_ai.request.model", m.name), s("gen_ai.response.id", fmt.Sprintf("resp_%x", rng.Uint64())),
					n("gen_ai.usage.input_tokens", int64(200+rng.IntN(3000))), n("gen_ai.usage.output_tokens", int64(20+rng.IntN(600))),
					s("gen_ai.input.messages", in), s("gen_ai.output.messages", out), s("server.address", "api."+m.provider+".com")}
			case 2:
				tool := pick(rng, a.tools)
				sp.Name = "execute_tool " + tool
				sp.Attributes = []*commonpb.KeyValue{s("gen_ai.operation.name", "execute_tool"), s("gen_ai.tool.name", tool),
					s("gen_ai.tool.call.id", fmt.Sprintf("call_%x", rng.Uint32())),
					s("gen_ai.tool.call.arguments", fmt.Sprintf(`{"query":%q}`, ask)), s("gen_ai.tool.call.result", `{"ok":true,"items":3}`)}
			case 0:
				sp.Name = "retrieval kb"
				sp.Attributes = []*commonpb.KeyValue{s("gen_ai.operation.name", "retrieval"), s("gen_ai.data_source.id", "kb-"+a.id), n("db.vector.query.top_k", 5)}
			}
			if langfuse {
				sp.Attributes = langfuseAttributes(sp, m, rng, ask, answer)
			}
			all = append(all, sp)
		}
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{s("service.name", "loadgen-agents"), s("service.version", "1.0.0"),
			s("deployment.environment.name", "bench"), s("telemetry.sdk.name", "opentelemetry"), s("telemetry.sdk.language", "go")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "agentobs-loadgen"}, Spans: all}},
	}}}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return nil, err
	}
	tpl := &otlpTemplate{body: body, traces: traces, traceIDs: make([][]int, traces), tickets: make([][]int, traces)}
	offsets := func(marker []byte) []int {
		var out []int
		for off := 0; ; {
			i := bytes.Index(body[off:], marker)
			if i < 0 {
				return out
			}
			out = append(out, off+i)
			off += i + len(marker)
		}
	}
	for t := 0; t < traces; t++ {
		tpl.traceIDs[t] = offsets(traceMarker(t))
		tpl.tickets[t] = offsets([]byte(textMarker(t)))
	}
	for i, rel := range timeMarks {
		var m [8]byte
		binary.LittleEndian.PutUint64(m[:], 0xfeedface00000000|uint64(i))
		off := bytes.Index(body, m[:])
		if off < 0 {
			return nil, fmt.Errorf("timestamp marker %d not found", i)
		}
		tpl.times = append(tpl.times, otlpTime{off: off, rel: rel})
	}
	return tpl, nil
}

// appendTo appends the request with fresh trace ids (prefix, then seq counting up per
// trace) and spans ending at now.
func (t *otlpTemplate) appendTo(dst []byte, prefix [8]byte, seq *uint64, now time.Time) []byte {
	start := len(dst)
	dst = append(dst, t.body...)
	b := dst[start:]
	for i, offs := range t.traceIDs {
		*seq++
		var id [16]byte
		copy(id[:], prefix[:])
		binary.BigEndian.PutUint64(id[8:], *seq)
		for _, off := range offs {
			copy(b[off:], id[:])
		}
		for _, off := range t.tickets[i] {
			appendTicket(b[off:off], prefix[:], *seq)
		}
	}
	end := uint64(now.UnixNano())
	for _, tm := range t.times {
		binary.LittleEndian.PutUint64(b[tm.off:], end-uint64(tm.rel))
	}
	return dst
}

// otlpPrefix makes the first half of a worker's trace ids: the run id and the worker.
func otlpPrefix(runID string, worker int) [8]byte {
	var p [8]byte
	copy(p[:], runID)
	binary.BigEndian.PutUint16(p[6:], uint16(worker))
	return p
}

// otlpAcked reads an OTLP answer: all spans are acknowledged unless partial_success
// rejected some.
func otlpAcked(raw []byte, n int) int64 {
	if len(raw) == 0 {
		return int64(n)
	}
	var resp coltracepb.ExportTraceServiceResponse
	if err := proto.Unmarshal(raw, &resp); err != nil {
		return int64(n)
	}
	return int64(n) - resp.GetPartialSuccess().GetRejectedSpans()
}

// langfuseAttributes replaces a span's GenAI attributes by those Langfuse's SDKs write for
// the same step.
func langfuseAttributes(sp *tracepb.Span, m modelInfo, rng *rand.Rand, ask, answer string) []*commonpb.KeyValue {
	s := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	var typ string
	for _, kv := range sp.Attributes {
		if kv.Key == "gen_ai.operation.name" {
			typ = kv.Value.GetStringValue()
		}
	}
	switch typ {
	case "chat":
		sp.Name = "chat"
		return []*commonpb.KeyValue{s("langfuse.observation.type", "generation"), s("langfuse.observation.model.name", m.name),
			s("langfuse.observation.model.parameters", `{"temperature":0.2,"max_tokens":1024}`),
			s("langfuse.observation.usage_details", fmt.Sprintf(`{"input":%d,"output":%d}`, 200+rng.IntN(3000), 20+rng.IntN(600))),
			s("langfuse.observation.input", fmt.Sprintf(`[{"role":"user","content":%q}]`, ask)),
			s("langfuse.observation.output", fmt.Sprintf(`{"role":"assistant","content":%q}`, answer)),
			s("langfuse.observation.completion_start_time", `"2026-01-01T00:00:00.000Z"`)}
	case "execute_tool":
		sp.Name = strings.TrimPrefix(sp.Name, "execute_tool ")
		return []*commonpb.KeyValue{s("langfuse.observation.type", "tool"),
			s("langfuse.observation.input", fmt.Sprintf(`{"query":%q}`, ask)), s("langfuse.observation.output", `{"ok":true,"items":3}`)}
	}
	return []*commonpb.KeyValue{s("langfuse.observation.type", "retriever"), s("langfuse.observation.input", fmt.Sprintf(`{"query":%q}`, ask)),
		s("langfuse.observation.metadata.top_k", "5")}
}
