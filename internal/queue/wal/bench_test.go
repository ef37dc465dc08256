package wal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// BenchmarkPublish measures the log alone on the real disk: concurrent publishers, one
// trace each per Publish as single-trace requests send them, the consumer handing batches
// to a handler that keeps nothing. It reports acknowledged traces per second, fsyncs per
// second and log bytes per trace.
func BenchmarkPublish(b *testing.B) {
	for _, publishers := range []int{1, 64} {
		b.Run(fmt.Sprintf("publishers=%d", publishers), func(b *testing.B) {
			var committed atomic.Int64
			l, err := Open(b.TempDir(), Options{Log: quiet()})
			if err != nil {
				b.Fatal(err)
			}
			l.Start(0, func(_ context.Context, items []queue.Item, _ model.LogPosition) error {
				committed.Add(int64(len(items)))
				return nil
			})
			tr := benchTrace()
			var seq atomic.Int64
			b.SetParallelism(publishers)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					t := tr
					t.TraceID = fmt.Sprintf("bench-%d", seq.Add(1))
					if err := l.Publish(context.Background(), []queue.Item{{Trace: t}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			secs := time.Since(start).Seconds()
			lag := l.Lag()
			b.ReportMetric(float64(b.N)/secs, "traces/s")
			b.ReportMetric(float64(lag.Statistics.Fsyncs)/secs, "fsyncs/s")
			b.ReportMetric(float64(lag.Statistics.BytesWritten)/float64(b.N), "bytes/trace")
			l.Close(context.Background())
		})
	}
}

// benchTrace is a flat trace of the size agents typically send: a prompt and an answer of
// a few hundred bytes, tokens, cost and a little metadata.
func benchTrace() model.Trace {
	now := time.Now().UTC()
	in, out, cost := int64(1200), int64(80), 0.00042
	return model.Trace{WorkspaceID: "4b6e2a8c-0d1e-4f6a-9b7c-2d3e4f5a6b7c", AgentID: "support-bot", Name: "answer",
		UserID: "user-1234", SessionID: "session-5678", StartTime: now, EndTime: now.Add(840 * time.Millisecond),
		LatencyMs: 840, Status: model.StatusSuccess,
		Input:  "Where is my order #12345? I ordered it last week and the tracking page has not changed since Monday.",
		Output: "Your order shipped yesterday from our Leeds warehouse and should arrive tomorrow before noon.",
		Model:  "gpt-4o-mini", Provider: "openai", TokensInput: &in, TokensOutput: &out, CostUSD: &cost,
		Tags: []string{"prod", "support"}, Metadata: []byte(`{"release":"1.2","region":"eu"}`)}
}

// BenchmarkOpenWithBacklog measures start-up on a log of 1 GiB that the store has not
// committed (AGENTOBS_BENCH_BACKLOG_MIB changes the size): Open and Start return at once and
// the replay runs behind them, so a server with a backlog is ready in milliseconds.
func BenchmarkOpenWithBacklog(b *testing.B) {
	mib := 1024
	if v, err := strconv.Atoi(os.Getenv("AGENTOBS_BENCH_BACKLOG_MIB")); err == nil && v > 0 {
		mib = v
	}
	dir := b.TempDir()
	payload := appendItems(nil, []queue.Item{{Trace: benchTrace()}})
	const segBytes = 64 << 20
	seq := uint64(1)
	var seg []byte
	for written := 0; written < mib<<20; written += len(seg) {
		seg = seg[:0]
		first := seq
		for len(seg) < segBytes {
			seg = appendRecord(seg, seq, payload)
			seq++
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d%s", first, segmentSuffix)), seg, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	hold := make(chan struct{})
	defer close(hold)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		l, err := Open(dir, Options{Log: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		l.Start(0, func(ctx context.Context, _ []queue.Item, _ model.LogPosition) error {
			select {
			case <-hold:
			case <-ctx.Done():
			}
			return ctx.Err()
		})
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-ready")
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		l.Close(ctx)
		cancel()
		b.StartTimer()
	}
}

// BenchmarkDecodePayload measures what the consumer pays to decode a record of 100 flat
// traces kept encoded in the memory window.
func BenchmarkDecodePayload(b *testing.B) {
	items := make([]queue.Item, 100)
	for i := range items {
		items[i] = queue.Item{Trace: benchTrace()}
	}
	payload := encodePayload(items)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeItems(payload); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/trace")
}
