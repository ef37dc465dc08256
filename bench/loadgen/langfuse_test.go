package main

import (
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/agentobs/agentobs/internal/ingest/langfuse"
	"github.com/agentobs/agentobs/internal/ingest/otlp"
	"github.com/agentobs/agentobs/internal/model"
)

// TestLangfuseTemplate checks that the batch ingestion requests are what the server
// accepts in full, with fresh trace ids per request.
func TestLangfuseTemplate(t *testing.T) {
	tpl := newLangfuseTemplate(1, 100)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var seq uint64
	prefix := otlpPrefix("abcdef123456", 3)
	seen, tickets := map[string]bool{}, map[string]bool{}
	for round := 0; round < 2; round++ {
		events, err := langfuse.DecodeRequest(tpl.appendTo(nil, prefix, &seq, now), langfuse.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 100 {
			t.Fatalf("%d events", len(events))
		}
		b := langfuse.NewBuilder("ws", langfuse.Limits{}, now, func() string { return "x" })
		for _, ev := range events {
			b.Add(ev)
		}
		if len(b.Errors) > 0 {
			t.Fatalf("errors: %+v", b.Errors)
		}
		traces := b.Build(nil)
		if len(traces) != 10 {
			t.Fatalf("%d traces, want 10", len(traces))
		}
		for _, tr := range traces {
			model.RollUp(&tr, tr.Spans)
			if seen[tr.TraceID] || len(tr.TraceID) != 32 || tr.SpanCount != 4 || tr.TokensInput == nil || tr.LatencyMs <= 0 {
				t.Fatalf("trace %+v", tr)
			}
			if ticket := ticketOf(t, tr.Input); !strings.Contains(tr.Output, "About ticket "+ticket) || tickets[ticket] {
				t.Fatalf("trace %s texts do not name one ticket of their own: %q, %q", tr.TraceID, tr.Input, tr.Output)
			} else {
				tickets[ticket] = true
			}
			seen[tr.TraceID] = true
		}
	}
	if acked, failed, _ := langfuseAcked([]byte(`{"successes":[{"id":"a","status":201}],"errors":[]}`)); acked != 1 || failed {
		t.Error("a clean 207 is a success")
	}
	if _, failed, sample := langfuseAcked([]byte(`{"successes":[],"errors":[{"id":"a","status":400}]}`)); !failed || !strings.Contains(sample, "400") {
		t.Error("an event error fails the request")
	}
}

// TestLangfuseOTLPTemplate checks that the Langfuse-shaped spans map to model calls with
// usage, as the server maps them.
func TestLangfuseOTLPTemplate(t *testing.T) {
	tpl, err := newOTLPTemplate(1, 100, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(tpl.appendTo(nil, otlpPrefix("abcdef123456", 1), &seq, time.Now()), &req); err != nil {
		t.Fatal(err)
	}
	res := otlp.Convert(&req, "ws", otlp.Limits{})
	if res.Spans != 100 || res.Rejected != 0 || len(res.Traces) != 20 {
		t.Fatalf("spans %d rejected %d traces %d", res.Spans, res.Rejected, len(res.Traces))
	}
	kinds := map[model.SpanKind]int{}
	for _, sp := range res.Traces[0].Spans {
		kinds[sp.Kind]++
		if sp.Kind == model.KindLLM && (sp.Model == "" || sp.TokensInput == nil) {
			t.Errorf("generation %+v", sp)
		}
	}
	if kinds[model.KindAgent] != 1 || kinds[model.KindLLM] != 2 || kinds[model.KindTool] != 1 || kinds[model.KindRetrieval] != 1 {
		t.Errorf("kinds %v", kinds)
	}
}
