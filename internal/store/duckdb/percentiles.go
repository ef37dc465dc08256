package duckdb

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
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

// latencyBucketSQL is the histogram bucket of the latency expression v (see the migration).
func latencyBucketSQL(v string) string {
	return strings.NewReplacer("latency_ms", v).Replace(`(CASE WHEN latency_ms < 1000 THEN latency_ms
		WHEN latency_ms < 10000 THEN 1000 + latency_ms // 10
		WHEN latency_ms < 100000 THEN 2000 + latency_ms // 100
		WHEN latency_ms < 1000000 THEN 3000 + latency_ms // 1000
		WHEN latency_ms < 10000000 THEN 4000 + latency_ms // 10000
		WHEN latency_ms < 100000000 THEN 5000 + latency_ms // 100000
		WHEN latency_ms < 1000000000 THEN 6000 + latency_ms // 1000000
		ELSE 7000 + least(latency_ms // 10000000, 999) END)`)
}

// latencyBucket is latencyBucketSQL in Go.
func latencyBucket(v int64) int64 {
	if v < 1000 {
		return v
	}
	scale, m := int64(10), int64(1)
	for ; m < 7; m++ {
		if v < scale*1000 {
			return m*1000 + v/scale
		}
		scale *= 10
	}
	return 7000 + min(v/scale, 999)
}

// latencyBounds is the range [lo, hi) of the latencies in bucket b.
func latencyBounds(b int64) (lo, hi float64) {
	if b < 1000 {
		return float64(b), float64(b) + 1
	}
	m, q := b/1000, b%1000
	scale := math.Pow10(int(m))
	return float64(q) * scale, float64(q+1) * scale
}

// histogramServes reports whether q's percentiles may come from the histogram: windows on
// 5-minute slots, no filter but the workspace, and time buckets made of whole UTC hours.
func histogramServes(q store.StatsQuery) bool {
	f := q.Filter
	if len(q.Percentiles) == 0 || len(q.GroupBy) > 0 || f.From.IsZero() || f.To.IsZero() || f.To.Sub(f.From) < 2*time.Hour {
		return false
	}
	only := store.TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To}
	if !rollupServes(f) || fmt.Sprint(only) != fmt.Sprint(f) {
		return false
	}
	if b := q.Buckets; b != nil {
		if b.WidthMs%hourMs != 0 || b.OriginMs%hourMs != 0 {
			return false
		}
		for _, o := range b.Offsets {
			if o.OffsetMs%hourMs != 0 {
				return false
			}
		}
	}
	return true
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
		return bucketExpr(q.Buckets, ms)
	}
	// Each edge is its own range, so that the scans skip all other row groups.
	query := fmt.Sprintf(`SELECT b, bucket, sum(n)::BIGINT FROM (
			SELECT %[1]s AS b, bucket, traces AS n FROM latency_hist_1h WHERE workspace_id = $1 AND hour_ms >= %[2]d AND hour_ms < %[3]d
			UNION ALL
			SELECT %[4]s, %[5]s, 1 FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3
			UNION ALL
			SELECT %[4]s, %[5]s, 1 FROM traces WHERE workspace_id = $1 AND start_time >= $4 AND start_time < $5)
		GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`,
		label("hour_ms"), h0, h1, label("epoch_ms(start_time)"), latencyBucketSQL("latency_ms"))
	rows, err := s.db.QueryContext(ctx, query, f.WorkspaceID, f.From, time.UnixMilli(h0).UTC(), time.UnixMilli(h1).UTC(), f.To)
	if err != nil {
		return nil, fmt.Errorf("cannot read latency histogram: %w", err)
	}
	defer rows.Close()
	type bin struct{ bucket, n int64 }
	hist := map[int64][]bin{}
	for rows.Next() {
		var label, bucket, n int64
		if err := rows.Scan(&label, &bucket, &n); err != nil {
			return nil, err
		}
		hist[label] = append(hist[label], bin{bucket, n})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64][]float64, len(hist))
	for label, bins := range hist {
		sort.Slice(bins, func(i, j int) bool { return bins[i].bucket < bins[j].bucket })
		var total int64
		for _, b := range bins {
			total += b.n
		}
		// valueAt estimates the value of rank r (0-based): spread evenly inside its bucket.
		valueAt := func(r int64) float64 {
			for _, b := range bins {
				if r < b.n {
					lo, hi := latencyBounds(b.bucket)
					if hi-lo <= 1 {
						return lo
					}
					return lo + (float64(r)+0.5)/float64(b.n)*(hi-lo)
				}
				r -= b.n
			}
			lo, _ := latencyBounds(bins[len(bins)-1].bucket)
			return lo
		}
		pcts := make([]float64, len(q.Percentiles))
		for i, p := range q.Percentiles {
			pos := p * float64(total-1)
			k := int64(math.Floor(pos))
			v := valueAt(k)
			if frac := pos - float64(k); frac > 0 {
				v += frac * (valueAt(k+1) - v)
			}
			pcts[i] = v
		}
		out[label] = pcts
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
