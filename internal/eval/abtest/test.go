package abtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Metric names.
const (
	MetricEvalScore   = "eval_score"   // mean overall judge score per judged trace
	MetricFeedback    = "feedback"     // share of thumbs up among rated traces
	MetricSuccessRate = "success_rate" // successful traces per trace
	MetricLatency     = "latency"      // mean latency per trace, ms
	MetricCost        = "cost"         // mean cost per trace, USD
)

// higherIsBetter gives each metric's direction.
var higherIsBetter = map[string]bool{MetricEvalScore: true, MetricFeedback: true, MetricSuccessRate: true, MetricLatency: false, MetricCost: false}

// Variant is one arm; the first variant of a test is the control.
type Variant struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// Test is an A/B test definition.
type Test struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Unit        string    `json:"unit"` // user or session
	AgentID     string    `json:"agent_id,omitempty"`
	Variants    []Variant `json:"variants"`
	Primary     string    `json:"primary_metric"`
	Guardrails  []string  `json:"guardrail_metrics"`
	Alpha       float64   `json:"alpha"`
	// MDEPct is the smallest relative change of the primary metric worth detecting, for the
	// sample-size estimate (5 when 0).
	MDEPct    float64   `json:"mde_pct"`
	StartedAt time.Time `json:"started_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a test as a client sent it and fills defaults.
func (t *Test) Validate() error {
	var fe model.FieldErrors
	if strings.TrimSpace(t.Name) == "" || len(t.Name) > 200 {
		fe.Add(model.Path{"name"}, "must be 1 to 200 characters")
	}
	if t.Unit == "" {
		t.Unit = "user"
	}
	if t.Unit != "user" && t.Unit != "session" {
		fe.Add(model.Path{"unit"}, `must be "user" or "session": the id whose hash assigns a variant`)
	}
	if len(t.Variants) == 0 {
		t.Variants = []Variant{{"control", 50}, {"treatment", 50}}
	}
	if len(t.Variants) < 2 || len(t.Variants) > 5 {
		fe.Add(model.Path{"variants"}, "must list 2 to 5 variants, the control first")
	}
	seen := map[string]bool{}
	for i, v := range t.Variants {
		if v.Name == "" || len(v.Name) > 64 || seen[v.Name] {
			fe.Add(model.Path{"variants", i, "name"}, "must be a distinct name of 1 to 64 characters")
		}
		seen[v.Name] = true
		if v.Weight <= 0 || math.IsNaN(v.Weight) || v.Weight > 1e6 {
			fe.Add(model.Path{"variants", i, "weight"}, "must be a positive share")
		}
	}
	if _, ok := higherIsBetter[t.Primary]; !ok {
		fe.Add(model.Path{"primary_metric"}, "must be one of eval_score, feedback, success_rate, latency, cost")
	}
	for i, g := range t.Guardrails {
		if _, ok := higherIsBetter[g]; !ok || g == t.Primary {
			fe.Add(model.Path{"guardrail_metrics", i}, "must be a metric other than the primary one")
		}
	}
	if t.Alpha == 0 {
		t.Alpha = 0.05
	}
	if t.Alpha <= 0 || t.Alpha >= 0.5 {
		fe.Add(model.Path{"alpha"}, "must be between 0 and 0.5")
	}
	if t.MDEPct == 0 {
		t.MDEPct = 5
	}
	if t.MDEPct < 0 || t.MDEPct > 1000 {
		fe.Add(model.Path{"mde_pct"}, "must be a percentage between 0 and 1000")
	}
	if len(t.AgentID) > 256 {
		fe.Add(model.Path{"agent_id"}, "must be at most 256 characters")
	}
	return fe.Err("invalid A/B test")
}

// Store is what A/B tests need of the store.
type Store interface {
	store.ABTests
}

// Service manages tests and computes their results.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Create validates and stores a test; it starts now.
func (s *Service) Create(ctx context.Context, ws string, t Test) (*Test, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	t.ID = "ab_" + hex.EncodeToString(b[:])
	t.CreatedAt = s.now()
	if t.StartedAt.IsZero() {
		t.StartedAt = t.CreatedAt
	}
	if t.Guardrails == nil {
		t.Guardrails = []string{}
	}
	def, _ := json.Marshal(t)
	if err := s.Store.CreateABTest(ctx, ws, t.ID, def, t.CreatedAt); err != nil {
		return nil, err
	}
	return &t, nil
}

// List returns the workspace's tests, newest first.
func (s *Service) List(ctx context.Context, ws string) ([]Test, error) {
	defs, err := s.Store.ListABTests(ctx, ws)
	if err != nil {
		return nil, err
	}
	out := make([]Test, 0, len(defs))
	for _, d := range defs {
		var t Test
		if err := json.Unmarshal(d, &t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Get reads one test.
func (s *Service) Get(ctx context.Context, ws, id string) (*Test, error) {
	d, err := s.Store.GetABTest(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	var t Test
	return &t, json.Unmarshal(d, &t)
}

// MetricResult is one metric of one treatment against the control.
type MetricResult struct {
	Metric         string `json:"metric"`
	Role           string `json:"role"` // primary or guardrail
	HigherIsBetter bool   `json:"higher_is_better"`
	Comparison
	// Better says whether the treatment moved the metric the good way.
	Better bool `json:"better"`
}

// ArmResult compares one treatment with the control.
type ArmResult struct {
	Variant string         `json:"variant"`
	Metrics []MetricResult `json:"metrics"`
}

// Results is a test's state.
type Results struct {
	Test  Test           `json:"test"`
	Units map[string]int `json:"units"` // per variant
	SRM   struct {
		Chi2    float64 `json:"chi2"`
		PValue  float64 `json:"p_value"`
		Blocked bool    `json:"blocked"`
	} `json:"srm"`
	Arms []ArmResult `json:"arms"`
	// SampleSizePerArm is what a fixed-horizon test of the primary metric needs to detect
	// MDEPct with 80% power; Progress is the smallest arm's share of it.
	SampleSizePerArm int     `json:"sample_size_per_arm"`
	Progress         float64 `json:"progress"`
	// Verdict is "winner", "no_difference_yet", "guardrail_violated" or "srm".
	Verdict string `json:"verdict"`
	Winner  string `json:"winner,omitempty"`
	Reason  string `json:"reason"`
}

// sampleOf turns units into the metric's per-unit numerator and denominator.
func sampleOf(metric string, units []store.UnitStats) Sample {
	var s Sample
	for _, u := range units {
		var num, den float64
		switch metric {
		case MetricEvalScore:
			num, den = u.EvalSum, float64(u.EvalCount)
		case MetricFeedback:
			num, den = u.ThumbsSum, float64(u.ThumbsCount)
		case MetricSuccessRate:
			num, den = float64(u.Successes), float64(u.Traces)
		case MetricLatency:
			num, den = u.LatencyMsSum, float64(u.Traces)
		case MetricCost:
			num, den = u.CostSum, float64(u.Traces)
		}
		if den > 0 {
			s.Num, s.Den = append(s.Num, num), append(s.Den, den)
		}
	}
	return s
}

func nanToZero(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Results computes a test's results from the traces since it started.
func (s *Service) Results(ctx context.Context, ws, id string) (*Results, error) {
	t, err := s.Get(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	units, err := s.Store.UnitStats(ctx, store.UnitQuery{WorkspaceID: ws, Unit: t.Unit, AgentID: t.AgentID, From: t.StartedAt, To: s.now().Add(time.Second)})
	if err != nil {
		return nil, err
	}
	weights := make([]float64, len(t.Variants))
	for i, v := range t.Variants {
		weights[i] = v.Weight
	}
	byArm := make([][]store.UnitStats, len(t.Variants))
	for _, u := range units {
		i := Assign(t.ID, u.Unit, weights)
		byArm[i] = append(byArm[i], u)
	}
	r := &Results{Test: *t, Units: map[string]int{}, Arms: []ArmResult{}}
	counts := make([]int, len(byArm))
	for i, a := range byArm {
		counts[i] = len(a)
		r.Units[t.Variants[i].Name] = len(a)
	}
	r.SRM.Chi2, r.SRM.PValue = SRM(counts, weights)
	r.SRM.Blocked = r.SRM.PValue < SRMThreshold

	metrics := append([]string{t.Primary}, t.Guardrails...)
	var all []*MetricResult
	for i := 1; i < len(byArm); i++ {
		arm := ArmResult{Variant: t.Variants[i].Name}
		for j, m := range metrics {
			c := Compare(sampleOf(m, byArm[0]), sampleOf(m, byArm[i]), t.Alpha, 0)
			role := "guardrail"
			if j == 0 {
				role = "primary"
			}
			mr := MetricResult{Metric: m, Role: role, HigherIsBetter: higherIsBetter[m], Comparison: c}
			mr.Better = (c.Delta > 0) == higherIsBetter[m] && c.Delta != 0
			arm.Metrics = append(arm.Metrics, mr)
		}
		r.Arms = append(r.Arms, arm)
	}
	for i := range r.Arms {
		for j := range r.Arms[i].Metrics {
			all = append(all, &r.Arms[i].Metrics[j])
		}
	}
	ps := make([]float64, len(all))
	for i, m := range all {
		ps[i] = m.SequentialP
	}
	for i, adj := range Holm(ps) {
		all[i].AdjustedP = adj
		all[i].Significant = !math.IsNaN(adj) && adj < t.Alpha
	}
	for _, m := range all {
		// JSON has no NaN: metrics without data read as 0 with significant false.
		m.Control, m.Treatment, m.Delta, m.DeltaPct = nanToZero(m.Control), nanToZero(m.Treatment), nanToZero(m.Delta), nanToZero(m.DeltaPct)
		m.PValue, m.SequentialP, m.AdjustedP = nanToZero1(m.PValue), nanToZero1(m.SequentialP), nanToZero1(m.AdjustedP)
		m.CILow, m.CIHigh = nanToZero(m.CILow), nanToZero(m.CIHigh)
	}

	// Sample size for the primary metric from the control's spread.
	ctl := estimateOf(sampleOf(t.Primary, byArm[0]))
	if ctl.n >= 2 && ctl.value != 0 && !math.IsNaN(ctl.variance) {
		sigma := math.Sqrt(ctl.variance * float64(ctl.n))
		r.SampleSizePerArm = SampleSize(sigma, math.Abs(ctl.value)*t.MDEPct/100, t.Alpha, 0.8)
		if r.SampleSizePerArm > 0 {
			r.Progress = math.Min(1, float64(slicesMin(counts))/float64(r.SampleSizePerArm))
		}
	}
	r.decide()
	return r, nil
}

func nanToZero1(v float64) float64 {
	if math.IsNaN(v) {
		return 1
	}
	return v
}

func slicesMin(xs []int) int {
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return m
}

// decide declares a winner only when the assignment is sound, the primary metric differs
// significantly after correction, and no guardrail got significantly worse.
func (r *Results) decide() {
	if r.SRM.Blocked {
		r.Verdict, r.Reason = "srm", "The variants' unit counts do not match the planned split (sample-ratio mismatch): fix the assignment before reading results."
		return
	}
	best := ""
	for _, a := range r.Arms {
		for _, m := range a.Metrics {
			if m.Role == "guardrail" && m.Significant && !m.Better {
				r.Verdict, r.Reason = "guardrail_violated", "Variant "+a.Variant+" significantly worsens "+m.Metric+"."
				return
			}
		}
		p := a.Metrics[0]
		if p.Significant && p.Better && best == "" {
			best = a.Variant
		}
	}
	if best != "" {
		r.Verdict, r.Winner, r.Reason = "winner", best, "Variant "+best+" significantly improves "+r.Test.Primary+" with no guardrail worse."
		return
	}
	for _, a := range r.Arms {
		if p := a.Metrics[0]; p.Significant && !p.Better {
			r.Verdict, r.Winner, r.Reason = "winner", r.Test.Variants[0].Name, "The control is significantly better on "+r.Test.Primary+" than "+a.Variant+"."
			return
		}
	}
	r.Verdict, r.Reason = "no_difference_yet", "No significant difference yet; the intervals stay valid however often you look."
}
