package store

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestLatencyBuckets(t *testing.T) {
	for _, v := range []int64{0, 1, 999, 1000, 1009, 9999, 10000, 123456, 999_999_999, 9_999_999_999, math.MaxInt64} {
		lo, hi := LatencyBounds(LatencyBucket(v))
		if float64(v) < lo || (float64(v) >= hi && v < 1e13) || (v >= 1000 && v < 1e13 && (hi-lo)/lo > 0.01+1e-12) {
			t.Errorf("latency %d in bucket %d = [%v, %v)", v, LatencyBucket(v), lo, hi)
		}
	}
	if got := LatencyBucketSQL("x", "//"); got != "(CASE WHEN x < 1000 THEN x WHEN x < 10000 THEN 1000 + x // 10 WHEN x < 100000 THEN 2000 + x // 100 "+
		"WHEN x < 1000000 THEN 3000 + x // 1000 WHEN x < 10000000 THEN 4000 + x // 10000 WHEN x < 100000000 THEN 5000 + x // 100000 "+
		"WHEN x < 1000000000 THEN 6000 + x // 1000000 ELSE 7000 + least(x // 10000000, 999) END)" {
		t.Errorf("LatencyBucketSQL = %s", got)
	}
}

// TestHistogramPercentiles: from bins, split across parts of a window in any order, the
// estimates stay within 1 % of percentile_cont over the values.
func TestHistogramPercentiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := make([]int64, 5000)
	for i := range values {
		values[i] = int64(math.Exp(r.NormFloat64()*1.5 + 7))
	}
	ps := []float64{0, 0.5, 0.9, 0.99, 1}
	exact := PercentilesOf(slices.Clone(values), ps)
	var bins []HistogramBin
	for part := range 3 {
		counts := map[int64]int64{}
		for _, v := range values[part*len(values)/3 : (part+1)*len(values)/3] {
			counts[LatencyBucket(v)]++
		}
		for b, n := range counts {
			bins = append(bins, HistogramBin{Bucket: b, Traces: n})
		}
	}
	r.Shuffle(len(bins), func(i, j int) { bins[i], bins[j] = bins[j], bins[i] })
	got := HistogramPercentiles(bins, ps)
	for i := range ps {
		if math.Abs(got[i]-exact[i]) > 0.01*exact[i]+1 {
			t.Errorf("p%v = %v, exact %v", ps[i]*100, got[i], exact[i])
		}
	}
	if got := PercentilesOf([]int64{10, 20}, []float64{0.5}); got[0] != 15 {
		t.Errorf("percentile_cont of 10, 20 at 0.5 = %v", got[0])
	}
	if got := HistogramPercentiles(nil, ps); !slices.Equal(got, make([]float64, len(ps))) {
		t.Errorf("no bins: %v", got)
	}
}

func TestLatencyCutoff(t *testing.T) {
	var values []int64
	for v := int64(0); v < 50000; v += 7 {
		values = append(values, v)
	}
	counts := map[int64]int64{}
	for _, v := range values {
		counts[LatencyBucket(v)]++
	}
	var bins []HistogramBin
	for b, n := range counts {
		bins = append(bins, HistogramBin{Bucket: b, Traces: n})
	}
	for _, need := range []int64{1, 51, 500, int64(len(values))} {
		cut, ok := LatencyCutoff(bins, need)
		if !ok {
			t.Fatalf("need %d: no cut-off from %d traces", need, len(values))
		}
		var above int64
		for _, v := range values {
			if v >= cut {
				above++
			}
		}
		if above < need {
			t.Errorf("need %d: only %d traces at or above %d", need, above, cut)
		}
		// The cut-off is the lower bound of the bucket holding the need-th slowest trace.
		if nth := values[len(values)-int(need)]; LatencyBucket(cut) != LatencyBucket(nth) {
			t.Errorf("need %d: cut-off %d is not in the bucket of %d", need, cut, nth)
		}
	}
	if _, ok := LatencyCutoff(bins, int64(len(values))+1); ok {
		t.Error("a cut-off for more traces than the histogram holds")
	}
}
