package alert

import (
	"context"
	"math"
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

// TestTickHonoursInterval evaluates a rule only when its interval has passed.
func TestTickHonoursInterval(t *testing.T) {
	s := openStore(t)
	clk := &clock{t: t0}
	ev := NewEvaluator(s, clk.Now, quietLog())
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
}
