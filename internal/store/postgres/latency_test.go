package postgres

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/synth"
)

// TestHistogramPercentiles: past exactPercentileLimit, percentiles over windows holding a
// whole day come from latency_hist_1d and stay within 1 % of the exact ones, for the whole
// window and per daily bucket; other bucketings stay exact.
func TestHistogramPercentiles(t *testing.T) {
	end := time.Date(2026, 11, 25, 12, 5, 0, 0, time.UTC)
	s := generatedStore(t, synth.Config{Traces: 6000, Days: 3, End: end, Seed: 9, BatchSize: 500})
	defer s.Close()
	ctx := context.Background()
	f := store.TraceFilter{WorkspaceID: generatedWorkspace, From: end.Add(-47*time.Hour - 50*time.Minute), To: end}
	pcts := []float64{0, 0.5, 0.9, 0.95, 0.99, 1}
	newYork := []store.ZoneOffset{{OffsetMs: -5 * 3600 * 1000}}
	for _, c := range []struct {
		buckets *store.Buckets
		serves  bool
	}{
		{nil, true},
		{&store.Buckets{WidthMs: store.DayMs, Offsets: []store.ZoneOffset{{}}}, true},
		{&store.Buckets{WidthMs: store.DayMs, Offsets: newYork}, false},
		{&store.Buckets{WidthMs: hourMs, Offsets: []store.ZoneOffset{{}}}, false},
	} {
		q := store.StatsQuery{Filter: f, Buckets: c.buckets, Percentiles: pcts}
		if histogramServes(q) != c.serves {
			t.Fatalf("histogramServes(%+v) = %v", c.buckets, !c.serves)
		}
		exactPercentileLimit = 1 << 62
		exact, err := s.TraceStats(ctx, q)
		exactPercentileLimit = 100
		est, err2 := s.TraceStats(ctx, q)
		exactPercentileLimit = 150_000
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		if len(est.Rows) != len(exact.Rows) || len(exact.Rows) == 0 {
			t.Fatalf("%d rows, want %d", len(est.Rows), len(exact.Rows))
		}
		for i, r := range exact.Rows {
			e := est.Rows[i]
			if e.Count != r.Count || e.Bucket != r.Bucket {
				t.Fatalf("row %d: bucket %d count %d, want %d %d", i, e.Bucket, e.Count, r.Bucket, r.Count)
			}
			for j := range pcts {
				d := math.Abs(e.Percentiles[j] - r.Percentiles[j])
				if d > 0.01*r.Percentiles[j]+1 || (!c.serves && d > 1e-9) {
					t.Errorf("buckets %+v, bucket %d p%v: %v, exact %v", c.buckets, r.Bucket, pcts[j]*100, e.Percentiles[j], r.Percentiles[j])
				}
			}
		}
	}
}

const generatedWorkspace = "11111111-1111-4111-8111-111111111111"

// generatedStore is a test store holding the traces synth generates with c (without events
// or violations) in generatedWorkspace.
func generatedStore(t *testing.T, c synth.Config) *Store {
	t.Helper()
	s := openTestStore(t)
	c.WorkspaceID, c.Events, c.Violations = generatedWorkspace, -1, -1
	if _, err := synth.Generate(context.Background(), s, c, nil); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}
