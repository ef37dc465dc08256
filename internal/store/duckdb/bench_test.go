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
