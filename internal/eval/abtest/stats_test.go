package abtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// arm draws n units of a normal metric with the given mean and standard deviation.
func arm(r *rand.Rand, n int, mean, sd float64) Sample {
	s := Sample{Num: make([]float64, n), Den: make([]float64, n)}
	for i := range n {
		s.Num[i], s.Den[i] = mean+sd*r.NormFloat64(), 1
	}
	return s
}

func appendSample(s *Sample, t Sample) {
	s.Num = append(s.Num, t.Num...)
	s.Den = append(s.Den, t.Den...)
}

// TestAAPeekedDailyKeepsFalsePositivesAtAlpha runs 2,000 A/A tests, each looked at every
// day for two weeks, and stops at the first significant look: the confidence sequence keeps
// the false-positive rate at or under alpha, while the fixed-horizon t-test peeked the same
// way does not (which shows the check can fail).
func TestAAPeekedDailyKeepsFalsePositivesAtAlpha(t *testing.T) {
	const seeds, days, perDay, alpha = 2000, 14, 50, 0.05
	var seqFP, naiveFP int
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		var a, b Sample
		seqHit, naiveHit := false, false
		for range days {
			appendSample(&a, arm(r, perDay, 10, 3))
			appendSample(&b, arm(r, perDay, 10, 3))
			c := Compare(a, b, alpha, 0)
			seqHit = seqHit || c.Significant
			naiveHit = naiveHit || c.PValue < alpha
		}
		if seqHit {
			seqFP++
		}
		if naiveHit {
			naiveFP++
		}
	}
	seqRate, naiveRate := float64(seqFP)/seeds, float64(naiveFP)/seeds
	t.Logf("false-positive rate peeking daily: sequential %.4f, fixed-horizon t-test %.4f", seqRate, naiveRate)
	// Three standard errors of a rate of 0.05 over 2,000 runs.
	if limit := alpha + 3*math.Sqrt(alpha*(1-alpha)/seeds); seqRate > limit {
		t.Errorf("sequential false-positive rate %.4f above %.4f", seqRate, limit)
	}
	if naiveRate < 1.5*alpha {
		t.Errorf("the peeked t-test's false-positive rate %.4f should be inflated well above alpha", naiveRate)
	}
}

// TestPlantedEffectAtStatedPower plants the effect the sample-size calculator was asked
// about and checks that Welch's test finds it about as often as the stated power.
func TestPlantedEffectAtStatedPower(t *testing.T) {
	const seeds, alpha, power, sd, mde = 1000, 0.05, 0.8, 4.0, 0.8
	n := SampleSize(sd, mde, alpha, power)
	if n != 393 {
		t.Errorf("SampleSize = %d, want 393 (2·(1.96+0.8416)²·16/0.64)", n)
	}
	found := 0
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 2))
		_, _, p := Welch(arm(r, n, 20, sd), arm(r, n, 20+mde, sd))
		if p < alpha {
			found++
		}
	}
	rate := float64(found) / seeds
	t.Logf("planted effect found in %.3f of runs at n=%d per arm (stated power %.2f)", rate, n, power)
	if math.Abs(rate-power) > 3*math.Sqrt(power*(1-power)/seeds) {
		t.Errorf("power %.3f, want %.2f", rate, power)
	}
}

// TestSequentialFindsALargerEffect: the always-valid interval pays for peeking with width,
// but it does find a real effect and then excludes zero on the right side.
func TestSequentialFindsALargerEffect(t *testing.T) {
	found := 0
	for seed := range 200 {
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		c := Compare(arm(r, 2000, 10, 3), arm(r, 2000, 10.6, 3), 0.05, 0)
		if c.Significant {
			found++
			if c.CILow <= 0 {
				t.Fatalf("interval [%.3f, %.3f] for a true effect of 0.6", c.CILow, c.CIHigh)
			}
		}
	}
	if found < 180 {
		t.Errorf("found a 0.2σ effect in %d of 200 runs with 2,000 units per arm", found)
	}
}

func TestSRM(t *testing.T) {
	if _, p := SRM([]int{5200, 4800}, []float64{1, 1}); p >= SRMThreshold {
		t.Errorf("52/48 of 10,000: p = %g, want a mismatch (< 0.001)", p)
	}
	if _, p := SRM([]int{5030, 4970}, []float64{1, 1}); p < 0.05 {
		t.Errorf("50.3/49.7 of 10,000: p = %g, want no mismatch", p)
	}
	if _, p := SRM([]int{2000, 8000}, []float64{20, 80}); p < 0.05 {
		t.Errorf("a planned 20/80 split flagged: p = %g", p)
	}
}

// TestDeltaMethodCoverage: for a ratio metric (cost per call, users with many calls), the
// delta-method interval covers the true difference about 95% of the time.
func TestDeltaMethodCoverage(t *testing.T) {
	const seeds = 1000
	covered := 0
	ratioArm := func(r *rand.Rand, n int, perCall float64) Sample {
		s := Sample{}
		for range n {
			calls := 1 + r.IntN(20)
			userCost := perCall * (0.5 + r.Float64()) // users differ: calls of one user are correlated
			total := 0.0
			for range calls {
				total += userCost * (0.8 + 0.4*r.Float64())
			}
			s.Num, s.Den = append(s.Num, total), append(s.Den, float64(calls))
		}
		return s
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 4))
		delta, se, _ := Welch(ratioArm(r, 300, 1.0), ratioArm(r, 300, 1.1))
		if math.Abs(delta-0.1) <= 1.96*se {
			covered++
		}
	}
	rate := float64(covered) / seeds
	if rate < 0.93 || rate > 0.97 {
		t.Errorf("delta-method 95%% interval covered the truth in %.3f of runs", rate)
	}
}

func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, math.NaN(), 0.03})
	want := []float64{0.03, 0.06, math.NaN(), 0.06}
	for i := range want {
		if fmt.Sprintf("%.4f", got[i]) != fmt.Sprintf("%.4f", want[i]) {
			t.Errorf("Holm = %v, want %v", got, want)
			break
		}
	}
}

func TestAssignIsStableAndProportional(t *testing.T) {
	counts := make([]int, 2)
	for i := range 20000 {
		counts[Assign("t1", fmt.Sprintf("user-%d", i), []float64{30, 70})]++
	}
	if _, p := SRM(counts, []float64{30, 70}); p < 0.001 {
		t.Errorf("assignment counts %v do not follow 30/70", counts)
	}
	if Assign("t1", "user-7", []float64{1, 1}) != Assign("t1", "user-7", []float64{1, 1}) {
		t.Error("assignment is not stable")
	}
}
