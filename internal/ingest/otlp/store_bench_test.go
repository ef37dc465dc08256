package otlp

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// BenchmarkStoreOTLP measures the embedded store's durable write of mapped OTLP traces
// (what the group commit does with 10 requests of 100 spans), without HTTP.
func BenchmarkStoreOTLP(b *testing.B) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), duckdb.FileName), duckdb.Options{CheckpointThreshold: benchCheckpoint})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	res := Convert(benchRequest(), testWorkspace, Limits{})
	for i := range res.Traces {
		pipeline.Enrich(&res.Traces[i], pricing.Default())
	}
	const requests = 10
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		batch := make([]model.Trace, 0, requests*len(res.Traces))
		for r := 0; r < requests; r++ {
			for _, t := range res.Traces {
				t.TraceID = fmt.Sprintf("%08x%08x%s", i, r, t.TraceID[16:])
				t.Spans = append([]model.Span(nil), t.Spans...)
				for j := range t.Spans {
					t.Spans[j].TraceID = t.TraceID
				}
				batch = append(batch, t)
			}
		}
		if err := s.WriteTraces(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	spans := requests * res.Spans
	b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
	perCPU(b, cpu0, spans)
}

// benchCheckpoint is the server's default WAL size between checkpoints.
const benchCheckpoint = "64MB"
