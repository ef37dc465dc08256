package ingest

import (
	"fmt"
	"strings"
	"testing"
)

func batchBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"traces":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"trace_id":"bench-%d","agent_id":"support-bot","timestamp":"2026-11-25T10:00:00.123Z","user_id":"user-42","session_id":"s-9",
"input":"%s","output":"%s","latency_ms":840,"status":"success","model":"gpt-4o-mini","model_provider":"openai",
"tokens_input":1200,"tokens_output":80,"metadata":{"release":"2.4.1","region":"eu-west-1"},"tags":["prod","v2"]}`, i,
			strings.Repeat("How do I reset my password? ", 10), strings.Repeat("Open settings and tap reset. ", 10))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDecodeBatch measures decoding and validating a batch of 100 plan-shaped traces.
func BenchmarkDecodeBatch(b *testing.B) {
	body := batchBody(100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		items, err := DecodeBatch(body, Limits{})
		if err != nil || items[99].Trace == nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "traces/s")
}

// BenchmarkDecodeTrace measures one single-trace body.
func BenchmarkDecodeTrace(b *testing.B) {
	body := []byte(validTrace)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeTrace(body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
