package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// BenchmarkWriteTraces writes batches of new traces with 6 spans each, the process role's
// common case; it reports spans/s.
func BenchmarkWriteTraces(b *testing.B) {
	s := openTestStore(b)
	defer s.Close()
	const batch, spans = 2000, 6
	start := time.Now().UTC().Truncate(time.Hour)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		traces := make([]model.Trace, batch)
		for j := range traces {
			n++
			tr := model.Trace{WorkspaceID: "ws", TraceID: fmt.Sprintf("b-%d", n), AgentID: fmt.Sprintf("agent-%d", n%8), Name: "run",
				StartTime: start, Input: "what is the refund policy for orders older than thirty days?", Output: "Refunds take five days.",
				Declared: model.Declared{Status: model.StatusSuccess}}
			for k := 0; k < spans; k++ {
				tr.Spans = append(tr.Spans, model.Span{SpanID: fmt.Sprintf("s%d", k), ParentSpanID: "s0", Kind: model.KindLLM, Name: "step",
					StartTime: start, EndTime: start.Add(time.Second), LatencyMs: 1000, Status: model.StatusSuccess, Model: "gpt-4o-mini",
					Provider: "openai", TokensInput: model.Int64(100), TokensOutput: model.Int64(20), CostUSD: model.Float64(0.0001),
					Input: "prompt text of a few dozen bytes", Output: "answer text of a few dozen bytes", Attributes: []byte(`{"k":1}`)})
			}
			traces[j] = tr
		}
		if err := s.WriteTraces(context.Background(), traces); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch*spans)/b.Elapsed().Seconds(), "spans/s")
}
