package eval

import (
	"context"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// BenchmarkBatchEvaluations judges b.N-sized batches of traces through a fake Gemini that
// takes 50 ms per answer, stopping the process halfway and finishing on a new one over the
// same file, as a restart mid-batch does. It reports evaluations per minute, the judge
// calls beyond one per trace (duplicates, which must be 0) and the peak heap.
func BenchmarkBatchEvaluations(b *testing.B) {
	const traces = 2000
	path := filepath.Join(b.TempDir(), duckdb.FileName)
	st := openStore(b, path)
	ids := seedTraces(b, st, traces)
	var calls atomic.Int64
	srv := providertest.New(provider.KindGemini, func(c providertest.Call) providertest.Reply {
		calls.Add(1)
		r := goodJudge(c)
		r.Delay = 50 * time.Millisecond
		return r
	})
	defer srv.Close()
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(50 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	defer close(stopSampling)

	b.ResetTimer()
	start := time.Now()
	total := 0
	for range b.N {
		// Each round is a new evaluator version, so every trace is judged again.
		version := total/traces + 1
		svc := newService(b, st, srv, Evaluator{Version: version})
		svc.cfg.Workers = 64
		ctx, stop := context.WithCancel(context.Background())
		svc.Start(ctx, nil)
		batch, err := svc.Batch(context.Background(), BatchRequest{WorkspaceID: ws, TraceIDs: ids, Criteria: []string{"accuracy", "helpfulness"}})
		if err != nil {
			b.Fatal(err)
		}
		for calls.Load() < int64(total+traces/2) {
			time.Sleep(5 * time.Millisecond)
		}
		// Restart mid-batch: stop the workers, let judge calls in flight record their
		// outcome (a graceful stop), reopen the store and resume.
		stop()
		svc.Wait()
		svc.Drain(context.Background())
		st.Close()
		st = openStore(b, path)
		svc = newService(b, st, srv, Evaluator{Version: version})
		svc.cfg.Workers = 64
		ctx, stop = context.WithCancel(context.Background())
		svc.Start(ctx, []string{ws})
		for {
			got, err := svc.GetBatch(context.Background(), ws, batch.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.Counts[model.EvalDone] == traces {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		svc.Wait()
		total += traces
	}
	elapsed := time.Since(start)
	b.StopTimer()
	st.Close()
	b.ReportMetric(float64(total)/elapsed.Minutes(), "evals/min")
	b.ReportMetric(float64(calls.Load()-int64(total)), "duplicate-calls")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
