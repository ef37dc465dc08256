package store

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// Percentiles over windows of many traces may be estimated from a latency histogram (see
// StatsQuery.Percentiles). Its buckets keep three significant digits of the latency, so
// each spans at most 1 % of its values; both backends bucket alike.

// LatencyBucket is the histogram bucket of a latency in milliseconds: the value itself
// below 1 s, then 1000 * (number of digits - 3) plus its three leading digits.
func LatencyBucket(v int64) int64 {
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

// LatencyBucketSQL is LatencyBucket over the SQL expression v, with div as the SQL operator
// of integer division.
func LatencyBucketSQL(v, div string) string {
	e := "(CASE WHEN " + v + " < 1000 THEN " + v
	scale := int64(10)
	for m := int64(1); m < 7; m++ {
		e += " WHEN " + v + " < " + itoa(scale*1000) + " THEN " + itoa(m*1000) + " + " + v + " " + div + " " + itoa(scale)
		scale *= 10
	}
	return e + " ELSE 7000 + least(" + v + " " + div + " " + itoa(scale) + ", 999) END)"
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// LatencyBounds is the range [lo, hi) of the latencies in bucket b.
func LatencyBounds(b int64) (lo, hi float64) {
	if b < 1000 {
		return float64(b), float64(b) + 1
	}
	m, q := b/1000, b%1000
	scale := math.Pow10(int(m))
	return float64(q) * scale, float64(q+1) * scale
}

// HistogramBin is a bucket of a latency histogram and the number of traces in it.
type HistogramBin struct{ Bucket, Traces int64 }

// HistogramPercentiles estimates percentile_cont of each of ps from a histogram: ranks are
// exact, values spread evenly inside the bucket holding them.
func HistogramPercentiles(bins []HistogramBin, ps []float64) []float64 {
	bins = slices.Clone(bins)
	slices.SortFunc(bins, func(a, b HistogramBin) int { return cmp.Compare(a.Bucket, b.Bucket) })
	// Parts of a window (whole days, edges) may each bring a bin of the same bucket.
	merged := bins[:0]
	for _, b := range bins {
		if n := len(merged); n > 0 && merged[n-1].Bucket == b.Bucket {
			merged[n-1].Traces += b.Traces
			continue
		}
		merged = append(merged, b)
	}
	bins = merged
	var total int64
	for _, b := range bins {
		total += b.Traces
	}
	out := make([]float64, len(ps))
	if total == 0 {
		return out
	}
	valueAt := func(r int64) float64 {
		for _, b := range bins {
			if r < b.Traces {
				lo, hi := LatencyBounds(b.Bucket)
				if hi-lo <= 1 {
					return lo
				}
				return lo + (float64(r)+0.5)/float64(b.Traces)*(hi-lo)
			}
			r -= b.Traces
		}
		lo, _ := LatencyBounds(bins[len(bins)-1].Bucket)
		return lo
	}
	for i, p := range ps {
		pos := p * float64(total-1)
		k := int64(math.Floor(pos))
		v := valueAt(k)
		if frac := pos - float64(k); frac > 0 {
			v += frac * (valueAt(k+1) - v)
		}
		out[i] = v
	}
	return out
}

// PercentilesOf computes percentile_cont of each of ps over values, which it sorts: the
// value at rank p * (n - 1), interpolated between the nearest ranks. None for no values.
func PercentilesOf(values []int64, ps []float64) []float64 {
	out := make([]float64, len(ps))
	if len(values) == 0 {
		return out
	}
	slices.Sort(values)
	for i, p := range ps {
		pos := p * float64(len(values)-1)
		k := int(math.Floor(pos))
		v := float64(values[k])
		if frac := pos - float64(k); frac > 0 && k+1 < len(values) {
			v += frac * float64(values[k+1]-values[k])
		}
		out[i] = v
	}
	return out
}

// LatencyCutoff picks, from a histogram of the traces a list may show, a latency such that
// at least need of them are as slow or slower: a list sorted by latency, slowest first, then
// only reads the traces above it. False when the histogram holds fewer than need traces.
// The histogram only guides: a list filtered further must check it got a full page.
func LatencyCutoff(bins []HistogramBin, need int64) (int64, bool) {
	bins = slices.Clone(bins)
	slices.SortFunc(bins, func(a, b HistogramBin) int { return cmp.Compare(b.Bucket, a.Bucket) })
	var seen int64
	for _, b := range bins {
		if seen += b.Traces; seen >= need {
			lo, _ := LatencyBounds(b.Bucket)
			return int64(lo), true
		}
	}
	return 0, false
}
