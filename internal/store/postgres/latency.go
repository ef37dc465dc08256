package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/agentobs/agentobs/internal/store"
)

// Exact percentiles sort every latency of the window: 40 ms for a day of a million-trace
// month, a second or more for the month. Above exactPercentileLimit traces, workspace-wide
// percentiles over windows holding a whole UTC day are estimated from latency_hist_1d for
// the whole days and from the traces' own latencies for the partial days at the edges, so
// the counts are exact and only the position inside one bucket (1 % wide) is estimated.
var exactPercentileLimit int64 = 150_000

// latencyBucketSQL is the histogram bucket of a trace (PostgreSQL divides bigints exactly).
var latencyBucketSQL = store.LatencyBucketSQL("latency_ms", "/")

// histogramServes reports whether q's percentiles may come from the histogram.
func histogramServes(q store.StatsQuery) bool {
	f := q.Filter
	if len(q.Percentiles) == 0 || len(q.GroupBy) > 0 || len(q.CountDistinct) > 0 || len(q.ListDistinct) > 0 || q.Latest {
		return false
	}
	only := store.TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To}
	if fmt.Sprint(only) != fmt.Sprint(f) || !q.Buckets.Holds(store.DayMs) {
		return false
	}
	_, _, ok := store.AlignedWindow(f.From, f.To, store.DayMs)
	return ok
}

// traceStatsHistogram answers q with percentiles from the histogram when its window holds
// more traces than exact percentiles serve quickly; ok is false otherwise.
func (s *Store) traceStatsHistogram(ctx context.Context, q store.StatsQuery) (res store.StatsResult, ok bool, err error) {
	total, err := s.TraceStats(ctx, store.StatsQuery{Filter: q.Filter, Measures: store.MeasureCount})
	if err != nil || total.Rows[0].Count <= exactPercentileLimit {
		return store.StatsResult{}, false, err
	}
	base := q
	base.Percentiles = nil
	if res, err = s.TraceStats(ctx, base); err != nil {
		return res, false, err
	}
	hist, err := s.latencyHistogram(ctx, q)
	if err != nil {
		return res, false, err
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		r.Percentiles = make([]float64, len(q.Percentiles))
		if bins := hist[r.Bucket]; r.Count > 0 && len(bins) > 0 {
			r.Percentiles = store.HistogramPercentiles(bins, q.Percentiles)
		}
	}
	return res, true, nil
}

// latencyHistogram reads the histogram of q's window per bucket label.
func (s *Store) latencyHistogram(ctx context.Context, q store.StatsQuery) (map[int64][]store.HistogramBin, error) {
	middle, edges, _ := store.SplitWindow(q.Filter, store.DayMs)
	label := func(ms string) string {
		if q.Buckets == nil {
			return "0::bigint"
		}
		return store.BucketExpr(q.Buckets, ms)
	}
	args := store.SQLArgs{q.Filter.WorkspaceID}
	query := fmt.Sprintf(`SELECT %s AS b, bucket, sum(traces)::bigint FROM latency_hist_1d WHERE workspace_id = $1 AND day_ms >= %d AND day_ms < %d
		GROUP BY 1, 2`, label("day_ms"), middle.From.UnixMilli(), middle.To.UnixMilli())
	for _, e := range edges {
		query += fmt.Sprintf(` UNION ALL SELECT %s, %s, count(*) FROM traces WHERE workspace_id = $1 AND start_time >= %s AND start_time < %s
			GROUP BY 1, 2`, label(msExpr), latencyBucketSQL, args.Add(e.From), args.Add(e.To))
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read latency histogram: %w", err)
	}
	defer rows.Close()
	out := map[int64][]store.HistogramBin{}
	for rows.Next() {
		var label int64
		var bin store.HistogramBin
		if err := rows.Scan(&label, &bin.Bucket, &bin.Traces); err != nil {
			return nil, fmt.Errorf("cannot read latency histogram: %w", err)
		}
		out[label] = append(out[label], bin)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read latency histogram: %w", err)
	}
	return out, nil
}

// percentilesApart answers a query whose only need of the raw traces is its percentiles:
// the sums come from the roll-ups while one lean scan, side by side, gathers the latencies
// of each group (hashed, not sorted: percentile_cont sorts every group in the database,
// three times slower than sorting the arrays here). ok is false when the sums too would
// need the traces.
func (s *Store) percentilesApart(ctx context.Context, q store.StatsQuery) (store.StatsResult, bool, error) {
	if len(q.Percentiles) == 0 || q.Limit > 0 || q.Offset > 0 {
		return store.StatsResult{}, false, nil
	}
	base := q
	base.Percentiles = nil
	aligned := base
	aligned.Filter.From, aligned.Filter.To = time.UnixMilli(0), time.UnixMilli(slotMs)
	if !store.StatsRollupServes(aligned) {
		return store.StatsResult{}, false, nil
	}
	var res store.StatsResult
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		res, err = s.TraceStats(gctx, base)
		return err
	})
	// Halves of the window scan side by side, on a core each; a group's latencies are
	// gathered from both before they are sorted.
	chunks := []store.TraceFilter{q.Filter}
	if f := q.Filter; !f.From.IsZero() && !f.To.IsZero() && f.To.Sub(f.From) > 2*time.Hour {
		mid := f.From.Add(f.To.Sub(f.From) / 2)
		first, second := f, f
		first.To, second.From = mid, mid
		chunks = []store.TraceFilter{first, second}
	}
	latencies := make([]map[string][]int64, len(chunks))
	for i, f := range chunks {
		g.Go(func() (err error) {
			latencies[i], err = s.latenciesByGroup(gctx, q, f)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return store.StatsResult{}, true, err
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		k := statsKey(r)
		var all []int64
		for _, l := range latencies {
			all = append(all, l[k]...)
		}
		r.Percentiles = store.PercentilesOf(all, q.Percentiles)
	}
	return res, true, nil
}

// latenciesByGroup reads the latencies of the traces of f per group of q (see statsKey).
func (s *Store) latenciesByGroup(ctx context.Context, q store.StatsQuery, f store.TraceFilter) (map[string][]int64, error) {
	var args store.SQLArgs
	var keys []string
	if q.Buckets != nil {
		keys = append(keys, store.BucketExpr(q.Buckets, msExpr))
	}
	for _, d := range q.GroupBy {
		keys = append(keys, store.DimExpr(d, ""))
	}
	sel := append(slices.Clone(keys), "array_agg(latency_ms)")
	query := "SELECT " + strings.Join(sel, ", ") + " FROM traces WHERE " + dialect.WhereTraces(f, "", &args)
	if len(keys) > 0 {
		query += " GROUP BY " + strings.Join(keys, ", ")
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot compute percentiles: %w", err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var r store.StatsRow
		var latencies []int64
		dest := []any{}
		if q.Buckets != nil {
			dest = append(dest, &r.Bucket)
		}
		r.Keys = make([]string, len(q.GroupBy))
		for i := range r.Keys {
			dest = append(dest, &r.Keys[i])
		}
		if err := rows.Scan(append(dest, &latencies)...); err != nil {
			return nil, fmt.Errorf("cannot compute percentiles: %w", err)
		}
		out[statsKey(&r)] = latencies
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot compute percentiles: %w", err)
	}
	return out, nil
}
