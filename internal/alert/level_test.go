package alert

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
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

// TestLevelAnomalyThroughStore: a p95 latency rule grouped by agent over 14 days of history
// fires for the agent whose latency quadrupled, stays normal for the one within its usual
// range, and reports too few samples for the agent with five traces.
func TestLevelAnomalyThroughStore(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	clk := &clock{}
	ev := NewEvaluator(s, clk.Now, quietLog())
	r := putRule(t, s, model.AlertRule{Name: "slow", Kind: model.RuleAnomaly, Metric: "latency_p95", GroupBy: "agent",
		Window: model.Duration(time.Hour)})
	end := t0.Truncate(time.Hour)
	for d := 1; d <= 14; d++ {
		for _, a := range []string{"a", "b", "c"} {
			load(t, s, a, end.AddDate(0, 0, -d).Add(-time.Hour), time.Hour, 40, 0, int64(100+d%3*5))
		}
	}
	load(t, s, "a", end.Add(-time.Hour), time.Hour, 40, 0, 400)
	load(t, s, "b", end.Add(-time.Hour), time.Hour, 40, 0, 108)
	load(t, s, "c", end.Add(-time.Hour), time.Hour, 5, 0, 400)
	clk.Set(end)
	if err := ev.EvaluateRule(ctx, &r, end); err != nil {
		t.Fatal(err)
	}
	if in := instance(t, s, r.ID, "a"); in.State != model.StateFiring {
		t.Errorf("agent a, 400 ms against about 105: %+v", in)
	}
	if in := instance(t, s, r.ID, "b"); in.State != model.StateNormal {
		t.Errorf("agent b, 108 ms: %+v", in)
	}
	if in := instance(t, s, r.ID, "c"); in.State != model.StateInsufficientData {
		t.Errorf("agent c, 5 traces: %+v", in)
	}
	hist, err := s.ListAlertEvaluations(ctx, ws, r.ID, "a", 1)
	if err != nil || len(hist) != 1 || hist[0].Baseline == nil || *hist[0].Baseline != 105 || hist[0].PValue == nil || *hist[0].PValue > 1e-6 {
		t.Fatalf("evaluation of a = %+v, %v", hist, err)
	}
	// The next evaluation reads the history from memory: same verdicts.
	if err := ev.EvaluateRule(ctx, &r, end.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if in := instance(t, s, r.ID, "a"); in.State != model.StateFiring {
		t.Errorf("second evaluation: %+v", in)
	}
}
