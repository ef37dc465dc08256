package duckdb

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/synth"
)

// TestRollupsEqualRawAfterCompaction writes in many small commits, so that the roll-ups hold
// many rows per key, and checks that their answers equal the raw tables' before and after a
// compaction, which must also shrink them.
func TestRollupsEqualRawAfterCompaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const ws = "11111111-1111-4111-8111-111111111111"
	end := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if _, err := synth.Generate(ctx, s, synth.Config{WorkspaceID: ws, Traces: 3000, Days: 2, End: end, Seed: 5, BatchSize: 7,
		Events: -1, Violations: -1}, nil); err != nil {
		t.Fatal(err)
	}
	rows := func() (n int64) {
		if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM llm_usage_5m) + (SELECT count(*) FROM trace_stats_5m)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Whole slots are answered from the roll-ups, a window a millisecond shorter from the raw tables.
	aligned := store.TraceFilter{WorkspaceID: ws, From: end.Add(-48 * time.Hour), To: end}
	raw := aligned
	raw.From = raw.From.Add(-time.Millisecond)
	raw.To = raw.To.Add(-time.Millisecond)
	hourly := &store.Buckets{WidthMs: 3600 * 1000, Offsets: []store.ZoneOffset{{}}}
	answers := func(f store.TraceFilter) []any {
		st, err := s.TraceStats(ctx, store.StatsQuery{Filter: f, Buckets: hourly, GroupBy: []store.Dimension{store.DimAgent, store.DimStatus}})
		if err != nil {
			t.Fatal(err)
		}
		calls, err := s.CallStats(ctx, store.CallQuery{Filter: f, Buckets: hourly, ByModel: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range st.Rows {
			st.Rows[i].FirstStart, st.Rows[i].LastStart, st.Rows[i].LastEnd = time.Time{}, time.Time{}, time.Time{}
		}
		return []any{st, calls}
	}
	want := answers(raw)
	approx := cmpopts.EquateApprox(1e-9, 1e-12)
	if diff := cmp.Diff(want, answers(aligned), approx); diff != "" {
		t.Fatalf("roll-ups differ from the raw tables (-raw +rollup):\n%s", diff)
	}
	before := rows()
	if err := s.wconn.Raw(func(dc any) error { return compactRollups(ctx, dc.(*duckdb.Conn), 0) }); err != nil {
		t.Fatal(err)
	}
	if after := rows(); after >= before {
		t.Errorf("compaction left %d rows of %d", after, before)
	}
	if diff := cmp.Diff(want, answers(aligned), approx); diff != "" {
		t.Fatalf("compacted roll-ups differ from the raw tables (-raw +rollup):\n%s", diff)
	}
	var unfolded int
	if err := s.db.QueryRow(`SELECT count(*) FROM session_bounds WHERE NOT folded`).Scan(&unfolded); err != nil || unfolded > 0 {
		t.Errorf("compaction left %d unfolded session rows (%v)", unfolded, err)
	}
	if bad, err := s.VerifyRollups(ctx); err != nil || len(bad) > 0 {
		t.Errorf("compacted roll-ups: %q %v", bad, err)
	}
}

// TestHistogramPercentiles: past exactPercentileLimit, percentiles come from the latency
// histogram and stay within 1 % of the exact ones, for the whole window and per bucket.
func TestHistogramPercentiles(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const ws = "11111111-1111-4111-8111-111111111111"
	end := time.Date(2026, 11, 25, 12, 5, 0, 0, time.UTC)
	if _, err := synth.Generate(ctx, s, synth.Config{WorkspaceID: ws, Traces: 6000, Days: 3, End: end, Seed: 9, BatchSize: 500,
		Events: -1, Violations: -1}, nil); err != nil {
		t.Fatal(err)
	}
	berlin := []store.ZoneOffset{{OffsetMs: 3600 * 1000}}
	f := store.TraceFilter{WorkspaceID: ws, From: end.Add(-47*time.Hour - 50*time.Minute), To: end}
	pcts := []float64{0, 0.5, 0.9, 0.95, 0.99, 1}
	for _, b := range []*store.Buckets{nil, {WidthMs: 24 * hourMs, Offsets: []store.ZoneOffset{{}}}, {WidthMs: hourMs, Offsets: berlin}} {
		q := store.StatsQuery{Filter: f, Buckets: b, Percentiles: pcts}
		if !histogramServes(q) {
			t.Fatalf("the histogram should serve %+v", b)
		}
		exact, err := s.TraceStats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		exactPercentileLimit = 100
		est, err := s.TraceStats(ctx, q)
		exactPercentileLimit = 500_000
		if err != nil {
			t.Fatal(err)
		}
		if len(est.Rows) != len(exact.Rows) {
			t.Fatalf("%d rows, want %d", len(est.Rows), len(exact.Rows))
		}
		for i, r := range exact.Rows {
			e := est.Rows[i]
			if e.Count != r.Count || e.Bucket != r.Bucket {
				t.Fatalf("row %d: bucket %d count %d, want %d %d", i, e.Bucket, e.Count, r.Bucket, r.Count)
			}
			for j := range pcts {
				if d := math.Abs(e.Percentiles[j] - r.Percentiles[j]); d > 0.01*r.Percentiles[j]+1 {
					t.Errorf("bucket %d p%v: %v, exact %v", r.Bucket, pcts[j]*100, e.Percentiles[j], r.Percentiles[j])
				}
			}
		}
	}
	for _, v := range []int64{0, 999, 1000, 9999, 10000, 123456, 9_999_999_999} {
		lo, hi := store.LatencyBounds(store.LatencyBucket(v))
		if float64(v) < lo || float64(v) >= hi || (v >= 1000 && (hi-lo)/lo > 0.01+1e-12) {
			t.Errorf("latency %d in bucket [%v, %v)", v, lo, hi)
		}
	}
}

// TestVerifyRollupsFindsDrift: a roll-up that no longer matches the traces is named, so that
// the conformance suite's check after each test can fail.
func TestVerifyRollupsFindsDrift(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	defer s.Close()
	const ws = "11111111-1111-4111-8111-111111111111"
	end := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if _, err := synth.Generate(ctx, s, synth.Config{WorkspaceID: ws, Traces: 300, Days: 2, End: end, Seed: 5, Events: -1, Violations: -1}, nil); err != nil {
		t.Fatal(err)
	}
	if bad, err := s.VerifyRollups(ctx); err != nil || len(bad) > 0 {
		t.Fatalf("fresh roll-ups: %v %v", bad, err)
	}
	for _, q := range []string{
		`UPDATE user_stats_1d SET last_end = last_end + INTERVAL 1 SECOND WHERE user_id = (SELECT max(user_id) FROM user_stats_1d)`,
		// Two folded rows of one session: counting rows would count it twice.
		`INSERT INTO session_bounds SELECT workspace_id, session_id, first_start, last_start, true, id_hash FROM session_bounds LIMIT 1`,
		`INSERT INTO session_bounds SELECT workspace_id, session_id, first_start, last_start, true, id_hash FROM session_bounds WHERE folded`,
		// An hour that lost a trigram would hide its traces from searches.
		`DELETE FROM text_grams WHERE rowid = (SELECT min(rowid) FROM text_grams)`,
		// A session whose hash is wrong would not be found by id.
		`UPDATE session_bounds SET id_hash = id_hash + 1 WHERE rowid = (SELECT max(rowid) FROM session_bounds)`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	bad, err := s.VerifyRollups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 4 {
		t.Errorf("drift reported as %q, want user_stats_1d, session_bounds (bounds and hashes) and text_grams", bad)
	}
}
