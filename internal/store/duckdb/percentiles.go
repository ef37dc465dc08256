package duckdb

import (
	"context"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/store"
)

// Exact percentiles need every latency of the window in memory and sorted: fine for a day
// of traffic, seconds for a month of ten million traces. Above exactPercentileLimit traces,
// workspace-wide percentiles are therefore read from latency_hist_1h, whose buckets span at
// most 1 % of their values, interpolating inside the bucket that holds each rank. The hours
// at the edges of the window are counted from the traces themselves, so the counts are the
// window's exactly; only the position inside one bucket is estimated.
var exactPercentileLimit int64 = 500_000

const hourMs = 3600 * 1000

// histogramServes reports whether q's percentiles may come from the histogram: windows on
// 5-minute slots, no filter but the workspace, and time buckets made of whole UTC hours.
func histogramServes(q store.StatsQuery) bool {
	f := q.Filter
	if len(q.Percentiles) == 0 || len(q.GroupBy) > 0 || f.From.IsZero() || f.To.IsZero() || f.To.Sub(f.From) < 2*time.Hour {
		return false
	}
	only := store.TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To}
	if !store.RollupServes(f) || fmt.Sprint(only) != fmt.Sprint(f) {
		return false
	}
	return q.Buckets.Holds(hourMs)
}

// histogramPercentiles computes q.Percentiles per bucket label from the histogram.
func (s *Store) histogramPercentiles(ctx context.Context, q store.StatsQuery) (map[int64][]float64, error) {
	f := q.Filter
	from, to := f.From.UnixMilli(), f.To.UnixMilli()
	h0 := (from + hourMs - 1) / hourMs * hourMs
	h1 := to / hourMs * hourMs
	label := func(ms string) string {
		if q.Buckets == nil {
			return "0"
		}
		return store.BucketExpr(q.Buckets, ms)
	}
	// Each edge is its own range, so that the scans skip all other row groups.
	query := fmt.Sprintf(`SELECT b, bucket, sum(n)::BIGINT FROM (
			SELECT %[1]s AS b, bucket, traces AS n FROM latency_hist_1h WHERE workspace_id = $1 AND hour_ms >= %[2]d AND hour_ms < %[3]d
			UNION ALL
			SELECT %[4]s, %[5]s, 1 FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3
			UNION ALL
			SELECT %[4]s, %[5]s, 1 FROM traces WHERE workspace_id = $1 AND start_time >= $4 AND start_time < $5)
		GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`,
		label("hour_ms"), h0, h1, label("epoch_ms(start_time)"), store.LatencyBucketSQL("latency_ms", "//"))
	rows, err := s.db.QueryContext(ctx, query, f.WorkspaceID, f.From, time.UnixMilli(h0).UTC(), time.UnixMilli(h1).UTC(), f.To)
	if err != nil {
		return nil, fmt.Errorf("cannot read latency histogram: %w", err)
	}
	defer rows.Close()
	hist := map[int64][]store.HistogramBin{}
	for rows.Next() {
		var label, bucket, n int64
		if err := rows.Scan(&label, &bucket, &n); err != nil {
			return nil, err
		}
		hist[label] = append(hist[label], store.HistogramBin{Bucket: bucket, Traces: n})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64][]float64, len(hist))
	for label, bins := range hist {
		out[label] = store.HistogramPercentiles(bins, q.Percentiles)
	}
	return out, nil
}

// traceStatsHistogram answers q with the percentiles from the histogram when the window
// holds more traces than exact percentiles serve quickly; ok is false otherwise.
func (s *Store) traceStatsHistogram(ctx context.Context, q store.StatsQuery) (store.StatsResult, bool, error) {
	total, err := s.traceStatsRollup(ctx, store.StatsQuery{Filter: q.Filter})
	if err != nil || len(total.Rows) == 0 || total.Rows[0].Count <= exactPercentileLimit {
		return store.StatsResult{}, false, err
	}
	base := q
	base.Percentiles = nil
	res, err := s.TraceStats(ctx, base)
	if err != nil {
		return res, false, err
	}
	pcts, err := s.histogramPercentiles(ctx, q)
	if err != nil {
		return res, false, err
	}
	for i := range res.Rows {
		res.Rows[i].Percentiles = make([]float64, len(q.Percentiles))
		if p, ok := pcts[res.Rows[i].Bucket]; ok && res.Rows[i].Count > 0 {
			res.Rows[i].Percentiles = p
		}
	}
	return res, true, nil
}
