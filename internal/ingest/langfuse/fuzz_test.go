package langfuse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// FuzzDecodeRequest feeds raw bodies to the ingestion decoder and the builder: neither may
// panic, every event gets exactly one answer, and what is built is valid to store.
func FuzzDecodeRequest(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "batch.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"batch":[]}`))
	f.Add([]byte(`{"batch":[{"id":"1","type":"span-update","body":{"id":"a","traceId":"t","endTime":"2026-01-01T00:00:00Z"}}]}`))
	f.Add([]byte(`{"batch":[{"id":"1","type":"generation-create","body":{"id":"a","traceId":"t","usage":{"input":"12"},"costDetails":{"total":1e308}}}]}`))
	f.Add([]byte(`{"batch":[null, 1, "x", {"id":"1","type":"score-create","body":{"traceId":"t","name":"n","value":true}}]}`))
	f.Add([]byte(`[{"traceId":"t","name":"n","value":0.5}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		if _, err := DecodeScores(body, testWorkspace, 100, now, sequentialIDs()); err == nil {
			_ = err
		}
		events, err := DecodeRequest(body, Limits{MaxEvents: 200})
		if err != nil {
			return
		}
		b := NewBuilder(testWorkspace, Limits{MaxTextBytes: 4096, MaxAttrBytes: 4096}, now, sequentialIDs())
		for _, ev := range events {
			b.Add(ev)
		}
		if len(b.Successes)+len(b.Errors) != len(events) {
			t.Fatalf("%d events, %d answers", len(events), len(b.Successes)+len(b.Errors))
		}
		for _, tr := range b.Build(nil) {
			model.RollUp(&tr, tr.Spans)
			if tr.TraceID == "" || tr.AgentID == "" || !json.Valid(tr.Metadata) {
				t.Fatalf("trace = %+v", tr)
			}
			for _, sp := range tr.Spans {
				if sp.SpanID == "" || !sp.Kind.Valid() || !sp.Status.Valid() || sp.EndTime.Before(sp.StartTime) || !json.Valid(sp.Attributes) ||
					len(sp.Input) > 4096 || len(sp.Output) > 4096 {
					t.Fatalf("span = %+v", sp)
				}
			}
		}
	})
}
