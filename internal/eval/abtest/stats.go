// Package abtest decides A/B tests honestly: units (users or sessions) are assigned by a
// hash, metrics are compared with Welch's t-test (ratio metrics through the delta method),
// a sample-ratio mismatch blocks any verdict, intervals are always-valid confidence
// sequences so that looking every day does not inflate false positives, p-values across
// metrics are Holm-corrected, and a winner is declared only when significant.
package abtest

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Assign maps a unit to a variant index by hashing the test id and the unit id: the same
// unit always gets the same variant, and weights split units in proportion.
func Assign(testID, unitID string, weights []float64) int {
	h := sha256.Sum256([]byte(testID + "\x00" + unitID))
	u := float64(binary.BigEndian.Uint64(h[:8])>>11) / float64(1<<53)
	total := 0.0
	for _, w := range weights {
		total += w
	}
	acc := 0.0
	for i, w := range weights {
		acc += w / total
		if u < acc {
			return i
		}
	}
	return len(weights) - 1
}

// Sample is what one arm contributes to a metric: per unit, a numerator and a denominator
// (a mean metric has denominator 1 per unit; a ratio metric such as cost per call has the
// unit's calls).
type Sample struct {
	Num, Den []float64
}

// estimate is the metric's value in one arm with the variance of that estimate.
type estimate struct {
	value, variance float64
	n               int
}

// estimateOf computes the ratio sum(Num)/sum(Den) and, by the delta method, its variance:
// Var(R) ≈ (σx² − 2Rσxy + R²σy²) / (n μy²). With unit denominators this is the variance of
// a mean, s²/n, so one formula serves both kinds of metric.
func estimateOf(s Sample) estimate {
	n := len(s.Num)
	if n < 2 {
		return estimate{n: n, value: math.NaN(), variance: math.NaN()}
	}
	mx, my := stat.Mean(s.Num, nil), stat.Mean(s.Den, nil)
	if my == 0 {
		return estimate{n: n, value: math.NaN(), variance: math.NaN()}
	}
	r := mx / my
	vx, vy := stat.Variance(s.Num, nil), stat.Variance(s.Den, nil)
	cxy := stat.Covariance(s.Num, s.Den, nil)
	v := (vx - 2*r*cxy + r*r*vy) / (float64(n) * my * my)
	return estimate{value: r, variance: math.Max(v, 0), n: n}
}

// Comparison is the treatment-minus-control difference of one metric.
type Comparison struct {
	Control   float64 `json:"control"`
	Treatment float64 `json:"treatment"`
	Delta     float64 `json:"delta"`
	// DeltaPct is Delta relative to the control value.
	DeltaPct float64 `json:"delta_pct"`
	// PValue is Welch's two-sided fixed-horizon p-value; valid only at a planned end.
	PValue float64 `json:"p_value"`
	// SequentialP is the always-valid p-value, valid whenever it is looked at; CILow and
	// CIHigh bound Delta by the matching confidence sequence at level 1 − Alpha.
	SequentialP float64 `json:"sequential_p"`
	CILow       float64 `json:"ci_low"`
	CIHigh      float64 `json:"ci_high"`
	// AdjustedP is SequentialP after the Holm correction across the test's metrics.
	AdjustedP   float64 `json:"adjusted_p"`
	Significant bool    `json:"significant"`
	NControl    int     `json:"n_control"`
	NTreatment  int     `json:"n_treatment"`
}

// Welch compares two arms with Welch's t-test: the statistic and its two-sided p-value with
// Welch–Satterthwaite degrees of freedom.
func Welch(control, treatment Sample) (delta, se, p float64) {
	a, b := estimateOf(control), estimateOf(treatment)
	return welch(a, b)
}

func welch(a, b estimate) (delta, se, p float64) {
	delta = b.value - a.value
	v := a.variance + b.variance
	se = math.Sqrt(v)
	if math.IsNaN(v) || v == 0 {
		return delta, se, math.NaN()
	}
	df := v * v / (a.variance*a.variance/float64(a.n-1) + b.variance*b.variance/float64(b.n-1))
	if math.IsNaN(df) || math.IsInf(df, 0) {
		df = float64(a.n + b.n - 2)
	}
	t := delta / se
	p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return delta, se, p
}

// Sequential is the normal-mixture confidence sequence (mSPRT) for a difference estimated
// with variance v: with mixing variance tau2, the interval delta ± half is valid at level
// 1−alpha simultaneously over every look, and p is the matching always-valid p-value.
func Sequential(delta, v, tau2, alpha float64) (half, p float64) {
	if v <= 0 || math.IsNaN(v) || tau2 <= 0 {
		return math.NaN(), math.NaN()
	}
	half = math.Sqrt(v * (v + tau2) / tau2 * (2*math.Log(1/alpha) + math.Log((v+tau2)/v)))
	logLR := 0.5*math.Log(v/(v+tau2)) + tau2*delta*delta/(2*v*(v+tau2))
	p = math.Min(1, math.Exp(-logLR))
	return half, p
}

// Compare computes a Comparison at level 1−alpha. tau2 is the mixing variance of the
// sequential test on the scale of the difference; 0 picks (0.1·σ)², σ the pooled per-unit
// standard deviation, which tunes the sequence to detect effects of about a tenth of σ.
func Compare(control, treatment Sample, alpha, tau2 float64) Comparison {
	a, b := estimateOf(control), estimateOf(treatment)
	c := Comparison{Control: a.value, Treatment: b.value, NControl: a.n, NTreatment: b.n}
	var se float64
	c.Delta, se, c.PValue = welch(a, b)
	if a.value != 0 {
		c.DeltaPct = c.Delta / math.Abs(a.value) * 100
	}
	if tau2 <= 0 {
		// Per-unit variance recovered from the estimate's variance: σ² ≈ Var·n.
		sigma2 := (a.variance*float64(a.n) + b.variance*float64(b.n)) / 2
		tau2 = 0.01 * sigma2
	}
	half, sp := Sequential(c.Delta, se*se, tau2, alpha)
	c.SequentialP, c.CILow, c.CIHigh = sp, c.Delta-half, c.Delta+half
	c.AdjustedP = sp
	c.Significant = !math.IsNaN(sp) && sp < alpha
	return c
}

// Holm adjusts p-values for testing them together (Holm–Bonferroni, step-down); NaN stays NaN.
func Holm(ps []float64) []float64 {
	type ip struct {
		i int
		p float64
	}
	var valid []ip
	for i, p := range ps {
		if !math.IsNaN(p) {
			valid = append(valid, ip{i, p})
		}
	}
	sort.Slice(valid, func(x, y int) bool { return valid[x].p < valid[y].p })
	out := make([]float64, len(ps))
	for i := range out {
		out[i] = math.NaN()
	}
	m := len(valid)
	running := 0.0
	for k, v := range valid {
		adj := math.Min(1, float64(m-k)*v.p)
		running = math.Max(running, adj) // adjusted p-values never decrease down the order
		out[v.i] = running
	}
	return out
}

// SRM tests the observed unit counts against the expected split with Pearson's χ²; a
// p-value under SRMThreshold means the assignment is broken and no verdict may be given.
func SRM(counts []int, weights []float64) (chi2, p float64) {
	total, wsum := 0, 0.0
	for i, c := range counts {
		total += c
		wsum += weights[i]
	}
	if total == 0 {
		return 0, 1
	}
	for i, c := range counts {
		exp := float64(total) * weights[i] / wsum
		d := float64(c) - exp
		chi2 += d * d / exp
	}
	return chi2, distuv.ChiSquared{K: float64(len(counts) - 1)}.Survival(chi2)
}

// SRMThreshold is the p-value under which a sample-ratio mismatch blocks the verdict.
const SRMThreshold = 0.001

// SampleSize is the number of units per arm that a fixed-horizon two-sided test at level
// alpha needs to detect a difference mde with the given power, for a metric whose per-unit
// standard deviation is sigma (for a rate p, sigma = √(p(1−p))).
func SampleSize(sigma, mde, alpha, power float64) int {
	if sigma <= 0 || mde == 0 || alpha <= 0 || alpha >= 1 || power <= 0 || power >= 1 {
		return 0
	}
	n := distuv.UnitNormal
	z := n.Quantile(1-alpha/2) + n.Quantile(power)
	return int(math.Ceil(2 * z * z * sigma * sigma / (mde * mde)))
}
