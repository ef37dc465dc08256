package main

import (
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestOTLPTemplate(t *testing.T) {
	tpl, err := newOTLPTemplate(1, 100, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var seq uint64
	prefix := otlpPrefix("abcdef123456", 3)
	seen, tickets := map[string]bool{}, map[string]string{}
	for round := 0; round < 2; round++ {
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(tpl.appendTo(nil, prefix, &seq, now), &req); err != nil {
			t.Fatal(err)
		}
		spans := req.ResourceSpans[0].ScopeSpans[0].Spans
		if len(spans) != 100 {
			t.Fatalf("%d spans", len(spans))
		}
		ids := map[string]bool{}
		for _, sp := range spans {
			ids[string(sp.TraceId)] = true
			// Texts are unique per trace: they name the trace's ticket.
			for _, kv := range sp.Attributes {
				if kv.Key == "gen_ai.input.messages" {
					ticket := ticketOf(t, kv.Value.GetStringValue())
					if other, ok := tickets[ticket]; ok && other != string(sp.TraceId) {
						t.Fatalf("ticket %s named by two traces", ticket)
					}
					tickets[ticket] = string(sp.TraceId)
				}
			}
			if sp.StartTimeUnixNano > sp.EndTimeUnixNano || sp.EndTimeUnixNano > uint64(now.UnixNano()) ||
				sp.StartTimeUnixNano < uint64(now.Add(-time.Minute).UnixNano()) {
				t.Fatalf("span %s times %d..%d", sp.Name, sp.StartTimeUnixNano, sp.EndTimeUnixNano)
			}
		}
		if len(ids) != 20 {
			t.Fatalf("%d traces, want 20", len(ids))
		}
		for id := range ids {
			if seen[id] {
				t.Fatalf("trace id reused across requests")
			}
			seen[id] = true
		}
	}
	if otlpAcked(nil, 100) != 100 {
		t.Error("an empty answer acknowledges every span")
	}
	partial, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 3}})
	if otlpAcked(partial, 100) != 97 {
		t.Error("rejected spans are not acknowledged")
	}
}
