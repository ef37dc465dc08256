package alert

import (
	"math"
	"testing"
)

func TestJudgeLevel(t *testing.T) {
	flat := make([]Day, 10)
	for i := range flat {
		flat[i] = Day{Value: 100}
	}
	varied := []Day{{96, 0}, {104, 0}, {100, 0}, {98, 0}, {102, 0}, {100, 0}, {99, 0}, {101, 0}}
	for _, tc := range []struct {
		name    string
		value   *float64
		samples int64
		hist    []Day
		upper   bool
		judged  bool
		p       float64 // approximate when judged
	}{
		// A flat history still allows 10 %: 115 is 1.5 spreads up, p ≈ 0.067.
		{"flat history, small rise", fp(115), 50, flat, true, true, 0.0668},
		{"flat history, doubled", fp(200), 50, flat, true, true, 0},
		{"falling, watched upward", fp(50), 50, flat, true, true, 1},
		{"falling, watched downward", fp(50), 50, flat, false, true, 0},
		{"too few samples", fp(500), 5, flat, true, false, 1},
		{"no value", nil, 50, flat, true, false, 1},
		{"two days of history", fp(500), 50, flat[:2], true, false, 1},
		// Day-to-day MAD of 2 % is under the 10 % floor: the floor decides.
		{"varied history", fp(131), 50, varied, true, true, 0.001},
	} {
		j := JudgeLevel(tc.value, tc.samples, 0, tc.hist, tc.upper, 20)
		if j.Judged != tc.judged || math.Abs(j.PValue-tc.p) > 0.0005 {
			t.Errorf("%s: judged=%v p=%.4f (baseline %+v), want judged=%v p≈%.4f", tc.name, j.Judged, j.PValue, j.Baseline, tc.judged, tc.p)
		}
	}
}
