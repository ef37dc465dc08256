package duckdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func benchTraces(n, from int) []model.Trace {
	text := strings.Repeat("How do I reset my password on the mobile app? ", 6)
	out := make([]model.Trace, n)
	t0 := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for i := range out {
		out[i] = model.Trace{
			WorkspaceID: "11111111-1111-4111-8111-111111111111", TraceID: fmt.Sprintf("bench-%09d", from+i),
			AgentID: "support-bot", Name: "support-bot", UserID: "user-42", SessionID: "sess-7",
			StartTime: t0.Add(time.Duration(from+i) * time.Millisecond), Input: text, Output: text,
			Model: "gpt-4o-mini", Provider: "openai", Tags: []string{"prod", "v2"}, Metadata: json.RawMessage(`{"release":"2.4.1","region":"eu"}`),
			Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(840),
				TokensInput: model.Int64(1200), TokensOutput: model.Int64(80), TokensTotal: model.Int64(1280), CostUSD: model.Float64(0.000228)},
		}
	}
	return out
}

// BenchmarkWriteTraces measures the embedded store's durable write path for flat traces.
func BenchmarkWriteTraces(b *testing.B) {
	for _, size := range []int{64, 500, 2000, 10000} {
		benchWrite(b, size, false)
	}
	// As the write-ahead log's consumer writes: with the log position in the transaction.
	for _, size := range []int{64, 2000} {
		benchWrite(b, size, true)
	}
}

func benchWrite(b *testing.B, size int, positioned bool) {
	name := fmt.Sprintf("batch=%d", size)
	if positioned {
		name += "/positioned"
	}
	b.Run(name, func(b *testing.B) {
		s, err := Open(context.Background(), b.TempDir()+"/"+FileName, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var err error
			if positioned {
				err = s.WriteTracesAt(context.Background(), benchTraces(size, i*size), model.LogPosition{LogID: "bench", Seq: uint64(i + 1)})
			} else {
				err = s.WriteTraces(context.Background(), benchTraces(size, i*size))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "traces/s")
	})
}

// BenchmarkCheckpoint times DuckDB's checkpoint after 50,000 traces committed in batches of
// 10,000 (about what 64 MB of DuckDB's log holds), for several row group sizes: each
// checkpoint rewrites the table's last, partly filled row group in full, so its cost follows
// the row group size as well as the new rows. Texts are unique per trace, as in production.
//
//	go test -run '^$' -bench Checkpoint -benchtime 10x ./internal/store/duckdb/
func BenchmarkCheckpoint(b *testing.B) {
	for _, rowGroup := range []int{122880, 40960, DefaultRowGroupSize, 8192} {
		b.Run(fmt.Sprintf("rowgroup=%d", rowGroup), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, b.TempDir()+"/"+FileName, Options{RowGroupSize: rowGroup, CheckpointThreshold: "100GB"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			written := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for range 5 {
					if err := s.WriteTraces(ctx, uniqueTexts(benchTraces(10000, written), written)); err != nil {
						b.Fatal(err)
					}
					written += 10000
				}
				b.StartTimer()
				s.wmu.Lock()
				_, err := s.wconn.ExecContext(ctx, "CHECKPOINT")
				s.wmu.Unlock()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// uniqueTexts gives every trace a question and an answer of its own.
func uniqueTexts(traces []model.Trace, from int) []model.Trace {
	for i := range traces {
		n := from + i
		traces[i].Input = fmt.Sprintf("%s (ticket %d, order %d)", traces[i].Input[:200], n, n*7919%1000003)
		traces[i].Output = fmt.Sprintf("%s (case %d, ref %x)", traces[i].Output[:250], n, n*31)
		traces[i].SessionID = fmt.Sprintf("sess-%d", n/5)
	}
	return traces
}
