package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// testIngestion: traces, spans (a flat trace is one) and tokens per UTC day, of one
// workspace, in the window.
func testIngestion(t *testing.T, s store.Store) {
	day := t0.Truncate(24 * time.Hour)
	at := func(id string, when time.Time) model.Trace {
		tr := flat(ws1, id)
		tr.StartTime = when
		return tr
	}
	withSpans := otlpPartOf("ing-spans", otlpRoot, otlpLLM, otlpTool) // 3 spans, 110 tokens
	withSpans.StartTime = day.Add(2 * time.Hour)
	mustWrite(t, s, at("ing-1", day.Add(time.Hour)), at("ing-2", day.Add(23*time.Hour)), at("ing-3", day.Add(26*time.Hour)),
		at("ing-old", day.Add(-time.Hour)), withSpans)
	other := flat(ws2, "ing-other")
	other.StartTime = day.Add(time.Hour)
	mustWrite(t, s, other)

	got, err := s.DailyIngestion(ctx(), ws1, day, day.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DayIngestion{
		{Day: day, Traces: 3, Spans: 5, Tokens: 120 + 120 + 110},
		{Day: day.Add(24 * time.Hour), Traces: 1, Spans: 1, Tokens: 120},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DailyIngestion (-want +got):\n%s", diff)
	}
	if got, err := s.DailyIngestion(ctx(), ws1, day.Add(72*time.Hour), day.Add(96*time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("an empty window = %v, %v", got, err)
	}
}
