package alert

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func ptr(v float64) *float64 { return &v }

// TestMeasureHandComputed checks every trace metric against values computed by hand over
// one window: 10 traces of agent a (3 errors, 100..1000 ms) and 4 of agent b.
func TestMeasureHandComputed(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var batch []model.Trace
	for i := 0; i < 10; i++ {
		st := model.StatusSuccess
		if i < 3 {
			st = model.StatusError
		}
		batch = append(batch, trace("a", t0.Add(time.Duration(i)*time.Second), st, int64(100*(i+1)), 0.5))
	}
	for i := 0; i < 4; i++ {
		batch = append(batch, trace("b", t0.Add(time.Duration(i)*time.Second), model.StatusSuccess, 50, 1))
	}
	// Outside the window: never counted.
	batch = append(batch, trace("a", t0.Add(-6*time.Minute), model.StatusError, 9000, 100))
	if err := s.WriteTraces(ctx, batch); err != nil {
		t.Fatal(err)
	}
	from, to := t0.Add(-4*time.Minute), t0.Add(time.Minute)
	cases := []struct {
		metric string
		want   map[string]float64
	}{
		{"request_count", map[string]float64{"a": 10, "b": 4}},
		{"error_rate", map[string]float64{"a": 30, "b": 0}},
		// percentile_cont over 100..1000: 0.5 → 550, 0.95 → 955, 0.99 → 991.
		{"latency_p50", map[string]float64{"a": 550, "b": 50}},
		{"latency_p95", map[string]float64{"a": 955, "b": 50}},
		{"latency_p99", map[string]float64{"a": 991, "b": 50}},
		{"cost_total", map[string]float64{"a": 5, "b": 4}},
		{"cost_per_trace", map[string]float64{"a": 0.5, "b": 1}},
		{"tokens_total", map[string]float64{"a": 1000, "b": 400}},
	}
	for _, c := range cases {
		r := model.AlertRule{WorkspaceID: ws, Metric: c.metric, GroupBy: "agent"}
		got, err := Measure(ctx, s, &r, from, to)
		if err != nil {
			t.Fatalf("%s: %v", c.metric, err)
		}
		for k, want := range c.want {
			if got[k].Value == nil || math.Abs(*got[k].Value-want) > 1e-6 {
				t.Errorf("%s[%s] = %v, want %v", c.metric, k, got[k].Value, want)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: groups %v", c.metric, got)
		}
	}
	// Filters: only agent b, no group: one group "".
	r := model.AlertRule{WorkspaceID: ws, Metric: "request_count", Filters: model.AlertFilters{Agent: "b"}}
	got, err := Measure(ctx, s, &r, from, to)
	if err != nil || *got[""].Value != 4 {
		t.Errorf("filtered request_count = %+v, %v", got, err)
	}
	// An empty window: counts are zero, averages have no value.
	for metric, want := range map[string]*float64{"request_count": ptr(0), "latency_p95": nil} {
		r := model.AlertRule{WorkspaceID: ws, Metric: metric}
		got, _ := Measure(ctx, s, &r, t0.Add(time.Hour), t0.Add(2*time.Hour))
		if (want == nil) != (got[""].Value == nil) || (want != nil && *want != *got[""].Value) {
			t.Errorf("empty window %s = %v, want %v", metric, got[""].Value, want)
		}
	}
}

func TestSignalMetrics(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	tr := trace("a", t0, model.StatusSuccess, 10, 0)
	tr.Scores = []model.Score{
		{ScoreID: "e1", Name: "faithfulness", Value: 0.2, Source: model.ScoreSourceEval, CreatedAt: t0},
		{ScoreID: "e2", Name: "faithfulness", Value: 0.6, Source: model.ScoreSourceEval, CreatedAt: t0},
		{ScoreID: "h1", Name: "thumbs", Value: 1, Source: model.ScoreSourceHuman, CreatedAt: t0},
	}
	if err := s.WriteTraces(ctx, []model.Trace{tr}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteViolations(ctx, []model.Violation{{WorkspaceID: ws, ID: "v1", Time: t0, TraceID: tr.TraceID, AgentID: "a", Type: "pii", Severity: "high", Action: "flag"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		metric, criterion string
		want              float64
	}{{"eval_score_avg", "faithfulness", 0.4}, {"feedback_score_avg", "", 1}, {"guardrail_violations", "pii", 1}, {"guardrail_violations", "toxicity", 0}} {
		r := model.AlertRule{WorkspaceID: ws, Metric: c.metric, Criterion: c.criterion}
		got, err := Measure(ctx, s, &r, t0.Add(-time.Minute), t0.Add(time.Minute))
		if err != nil || got[""].Value == nil || math.Abs(*got[""].Value-c.want) > 1e-9 {
			t.Errorf("%s/%s = %+v, %v; want %v", c.metric, c.criterion, got, err, c.want)
		}
	}
	// Budget: 3 USD spent this month of 10 → 30 %.
	if err := s.PutBudget(ctx, model.Budget{WorkspaceID: ws, MonthlyLimitUSD: 10, ThresholdsPct: []float64{80}, Timezone: "UTC", UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteTraces(ctx, []model.Trace{trace("a", t0.Add(-48*time.Hour), model.StatusSuccess, 5, 3)}); err != nil {
		t.Fatal(err)
	}
	r := model.AlertRule{WorkspaceID: ws, Metric: "budget_used_pct"}
	got, err := Measure(ctx, s, &r, t0.Add(-time.Hour), t0.Add(time.Minute))
	if err != nil || got[""].Value == nil || math.Abs(*got[""].Value-30) > 1e-9 {
		t.Errorf("budget_used_pct = %+v, %v", got, err)
	}
}

// TestStateTransitions walks one group through normal → pending → firing → resolved,
// checking the state, the episode and the history at each step.
func TestStateTransitions(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	clk := &clock{t: t0}
	ev := NewEvaluator(s, clk.Now, quietLog())
	// Every state a group enters is announced once, with the state it left.
	var moves []string
	ev.OnStateChange = func(cs []StateChange) {
		for _, c := range cs {
			if stored := instance(t, s, c.Instance.RuleID, c.Instance.GroupKey); stored.State != c.Instance.State {
				t.Errorf("announced %s before it was stored (%s)", c.Instance.State, stored.State)
			}
			moves = append(moves, c.Previous+">"+c.Instance.State)
		}
	}
	r := putRule(t, s, model.AlertRule{Name: "errors", Metric: "error_rate", Operator: ">", Threshold: 20,
		Window: model.Duration(5 * time.Minute), For: model.Duration(2 * time.Minute), MinSamples: 10, Severity: "critical"})
	step := func(at time.Duration, want string) model.AlertInstance {
		t.Helper()
		clk.Set(t0.Add(at))
		if err := ev.EvaluateRule(ctx, &r, clk.Now()); err != nil {
			t.Fatal(err)
		}
		in := instance(t, s, r.ID, "")
		if in.State != want {
			t.Fatalf("at %s: state %s, want %s", at, in.State, want)
		}
		return in
	}
	// Few traces: insufficient data, never a breach.
	load(t, s, "a", t0.Add(-time.Minute), 30*time.Second, 5, 2, 100)
	step(0, model.StateInsufficientData)
	// 20 traces, 2 errors: 10 % → normal.
	load(t, s, "a", t0.Add(30*time.Second), 20*time.Second, 15, 0, 100)
	step(time.Minute, model.StateNormal)
	// 20 more with 10 errors: (2+10)/40 = 30 % → pending, and firing once 2 m have passed.
	load(t, s, "a", t0.Add(70*time.Second), 10*time.Second, 20, 10, 100)
	step(90*time.Second, model.StatePending)
	step(150*time.Second, model.StatePending)
	in := step(210*time.Second, model.StateFiring)
	a, err := s.GetAlert(ctx, ws, in.AlertID)
	if err != nil || a.Status != model.StateFiring || a.Severity != "critical" || !a.TriggeredAt.Equal(t0.Add(210*time.Second)) {
		t.Fatalf("episode = %+v, %v", a, err)
	}
	if math.Abs(a.Value-30) > 1e-9 || a.Labels["alertname"] != "errors" {
		t.Errorf("episode value %v, labels %v", a.Value, a.Labels)
	}
	// The window slides past the errors: resolved, and the episode closes.
	load(t, s, "a", t0.Add(9*time.Minute), 10*time.Second, 30, 0, 100)
	in = step(10*time.Minute, model.StateResolved)
	a, _ = s.GetAlert(ctx, ws, in.AlertID)
	if a.Status != model.StateResolved || a.ResolvedAt == nil || !a.ResolvedAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("closed episode = %+v", a)
	}
	hist, err := s.ListAlertEvaluations(ctx, ws, r.ID, "", 100)
	if err != nil || len(hist) != 6 {
		t.Fatalf("history = %d evaluations, %v", len(hist), err)
	}
	if hist[0].State != model.StateResolved || hist[0].Value == nil || *hist[0].Value != 0 || hist[0].Samples != 30 ||
		!hist[0].WindowFrom.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("last evaluation = %+v", hist[0])
	}
	events, _ := s.ListEvents(ctx, ws, 10)
	if len(events) != 2 || events[0].Type != "alert.resolved" || events[1].Type != "alert.firing" {
		t.Errorf("events = %+v", events)
	}
	want := []string{">insufficient_data", "insufficient_data>normal", "normal>pending", "pending>firing", "firing>resolved"}
	if !slices.Equal(moves, want) {
		t.Errorf("announced state changes %v, want %v", moves, want)
	}
}

func TestKeepFiringWarningAndNoData(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	clk := &clock{t: t0}
	ev := NewEvaluator(s, clk.Now, quietLog())
	r := putRule(t, s, model.AlertRule{Name: "slow", Metric: "latency_p95", Operator: ">", Threshold: 1000,
		WarningThreshold: ptr(500), Window: model.Duration(5 * time.Minute), KeepFiringFor: model.Duration(3 * time.Minute),
		MinSamples: 5, GroupBy: "agent"})
	eval := func(at time.Duration) {
		clk.Set(t0.Add(at))
		if err := ev.EvaluateRule(ctx, &r, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	load(t, s, "a", t0.Add(-time.Minute), 10*time.Second, 10, 0, 700) // warning
	load(t, s, "b", t0.Add(-time.Minute), 10*time.Second, 10, 0, 100) // fine
	eval(0)
	if in := instance(t, s, r.ID, "a"); in.State != model.StateFiring || in.Severity != "warning" {
		t.Fatalf("a = %+v", in)
	}
	if in := instance(t, s, r.ID, "b"); in.State != model.StateNormal {
		t.Fatalf("b = %+v", in)
	}
	load(t, s, "a", t0.Add(30*time.Second), 10*time.Second, 30, 0, 2000) // critical
	eval(time.Minute)
	in := instance(t, s, r.ID, "a")
	a, _ := s.GetAlert(ctx, ws, in.AlertID)
	if in.State != model.StateFiring || a.Severity != "critical" {
		t.Fatalf("escalation: %+v, %+v", in, a)
	}
	// No data for a at 7m: with the "ok" policy it would resolve, but keep_firing_for
	// holds it until 3 m after the last breach.
	eval(7 * time.Minute)
	if in := instance(t, s, r.ID, "a"); in.State != model.StateResolved {
		t.Fatalf("after keep_firing_for: %+v", in)
	}
	r2 := putRule(t, s, model.AlertRule{ID: "r2", Name: "gone", Metric: "latency_p95", Operator: ">", Threshold: 1000,
		Window: model.Duration(5 * time.Minute), NoData: model.NoDataAlerting})
	clk.Set(t0.Add(time.Hour))
	if err := ev.EvaluateRule(ctx, &r2, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if in := instance(t, s, "r2", ""); in.State != model.StateFiring {
		t.Fatalf("no data with the alerting policy: %+v", in)
	}
	r3 := putRule(t, s, model.AlertRule{ID: "r3", Name: "quiet", Metric: "no_activity", Operator: "<=", Threshold: 0,
		Window: model.Duration(10 * time.Minute)})
	if err := ev.EvaluateRule(ctx, &r3, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if in := instance(t, s, "r3", ""); in.State != model.StateFiring {
		t.Fatalf("no activity: %+v", in)
	}
}

// TestTickHonoursInterval evaluates a rule only when its interval has passed.
func TestTickHonoursInterval(t *testing.T) {
	s := openStore(t)
	clk := &clock{t: t0}
	ev := NewEvaluator(s, clk.Now, quietLog())
	announced := 0
	ev.OnStateChange = func(cs []StateChange) { announced += len(cs) }
	putRule(t, s, model.AlertRule{Name: "count", Metric: "request_count", Operator: ">", Threshold: 100, Window: model.Duration(5 * time.Minute)})
	for _, d := range []time.Duration{0, 20 * time.Second, 59 * time.Second, 60 * time.Second, 61 * time.Second} {
		clk.Set(t0.Add(d))
		if err := ev.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	hist, _ := s.ListAlertEvaluations(context.Background(), ws, "r1", "", 100)
	if len(hist) != 2 {
		t.Errorf("%d evaluations in 61 s with a 1 m interval, want 2", len(hist))
	}
	// A round announces after it stored its states; the group entered a state once.
	if announced != 1 {
		t.Errorf("%d state changes announced, want 1", announced)
	}
}
