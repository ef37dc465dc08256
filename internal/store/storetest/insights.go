package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

func testInsights(t *testing.T, s store.Store) {
	t.Run("Runs", func(t *testing.T) { testInsightRuns(t, s) })
	t.Run("GoalsAndSettings", func(t *testing.T) { testGoals(t, s) })
	t.Run("EventQuery", func(t *testing.T) { testEventQuery(t, s) })
	t.Run("Aggregates", func(t *testing.T) { testInsightAggregates(t, s) })
}

func testInsightRuns(t *testing.T, s store.Store) {
	r := model.InsightRun{WorkspaceID: ws1, ID: "i1", Kind: model.InsightCost, CreatedAt: t0, From: t0.Add(-time.Hour), To: t0,
		Findings: []model.Finding{{Kind: "duplicate_requests", Severity: "low", Title: "t", SavingsUSD: 1.5, Confidence: model.ConfidenceMeasured,
			Evidence: model.Evidence{TraceIDs: []string{"a"}, Metric: "cost_usd", Value: 2, From: t0.Add(-time.Hour), To: t0}}},
		Summary: "s", NarrationCost: 0.25, TotalSavingsUSD: 1.5}
	r2 := r
	r2.ID, r2.Kind, r2.CreatedAt, r2.NarrationCost = "i2", model.InsightErrors, t0.Add(time.Minute), 0.5
	other := r
	other.WorkspaceID = ws2
	for _, x := range []model.InsightRun{r, r2, other} {
		if err := s.PutInsightRun(ctx(), x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetInsightRun(ctx(), ws1, "i1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, *got); diff != "" {
		t.Errorf("GetInsightRun (-want +got):\n%s", diff)
	}
	if _, err := s.GetInsightRun(ctx(), ws1, "nope"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("unknown run: %v", err)
	}
	all, err := s.ListInsightRuns(ctx(), ws1, "", 10)
	if err != nil || len(all) != 2 || all[0].ID != "i2" {
		t.Fatalf("ListInsightRuns = %+v, %v; want i2 then i1", all, err)
	}
	costs, err := s.ListInsightRuns(ctx(), ws1, model.InsightCost, 10)
	if err != nil || len(costs) != 1 || costs[0].ID != "i1" {
		t.Fatalf("ListInsightRuns(cost) = %+v, %v", costs, err)
	}
	r.Notified = true
	if err := s.PutInsightRun(ctx(), r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetInsightRun(ctx(), ws1, "i1"); got == nil || !got.Notified {
		t.Errorf("replaced run = %+v, want notified", got)
	}
	spend, err := s.NarrationSpend(ctx(), ws1, t0.Add(time.Second))
	if err != nil || spend != 0.5 {
		t.Errorf("NarrationSpend since t0+1s = %v, %v; want 0.5", spend, err)
	}
}

func testGoals(t *testing.T, s store.Store) {
	g := model.Goal{WorkspaceID: ws1, ID: "g1", Name: "tickets deflected", Unit: "ticket", ValuePerUnitUSD: 12, Target: 100,
		Source: model.GoalManual, Achieved: 40, CreatedAt: t0, UpdatedAt: t0}
	g2 := g
	g2.ID, g2.CreatedAt = "g2", t0.Add(time.Second)
	for _, x := range []model.Goal{g, g2} {
		if err := s.PutGoal(ctx(), x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetGoal(ctx(), ws1, "g1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g, *got); diff != "" {
		t.Errorf("GetGoal (-want +got):\n%s", diff)
	}
	if _, err := s.GetGoal(ctx(), ws2, "g1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("goal of another workspace: %v", err)
	}
	g.Achieved = 50
	if err := s.PutGoal(ctx(), g); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListGoals(ctx(), ws1)
	if err != nil || len(list) != 2 || list[0].Achieved != 50 || list[1].ID != "g2" {
		t.Fatalf("ListGoals = %+v, %v", list, err)
	}
	if err := s.DeleteGoal(ctx(), ws1, "g2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGoal(ctx(), ws1, "g2"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("second delete: %v", err)
	}
	empty, err := s.GetImpactSettings(ctx(), ws1)
	if err != nil || empty.InfraMonthlyUSD != 0 {
		t.Fatalf("GetImpactSettings before any = %+v, %v", empty, err)
	}
	set := model.ImpactSettings{WorkspaceID: ws1, InfraMonthlyUSD: 300, DailySummaryChannels: []string{"webhook"}, UpdatedAt: t0}
	if err := s.PutImpactSettings(ctx(), set); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetImpactSettings(ctx(), ws1); err != nil || !cmp.Equal(got, set) {
		t.Errorf("GetImpactSettings = %+v, %v; want %+v", got, err, set)
	}
	if got, _ := s.GetImpactSettings(ctx(), ws2); got.InfraMonthlyUSD != 0 {
		t.Errorf("settings leak across workspaces: %+v", got)
	}
}

func testEventQuery(t *testing.T, s store.Store) {
	ev := func(id string, at time.Duration, typ string) model.Event {
		return model.Event{WorkspaceID: ws1, ID: id, Time: t0.Add(at), Type: typ, AgentID: "bot", Title: id, Severity: "info",
			Details: json.RawMessage(`{"version":"v2"}`)}
	}
	if err := s.WriteEvents(ctx(), []model.Event{ev("e1", 0, "deployment"), ev("e2", time.Hour, "incident"),
		ev("e3", 2*time.Hour, "deployment")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.QueryEvents(ctx(), store.EventQuery{WorkspaceID: ws1, From: t0, To: t0.Add(2 * time.Hour)})
	if err != nil || len(got) != 2 || got[0].ID != "e1" || got[1].ID != "e2" {
		t.Fatalf("QueryEvents(window) = %+v, %v", got, err)
	}
	if !jsonEqual(got[0].Details, json.RawMessage(`{"version":"v2"}`)) {
		t.Errorf("details = %s", got[0].Details)
	}
	deps, err := s.QueryEvents(ctx(), store.EventQuery{WorkspaceID: ws1, Types: []string{"deployment"}})
	if err != nil || len(deps) != 2 || deps[1].ID != "e3" {
		t.Fatalf("QueryEvents(deployment) = %+v, %v", deps, err)
	}
	if none, err := s.QueryEvents(ctx(), store.EventQuery{WorkspaceID: ws2}); err != nil || len(none) != 0 {
		t.Errorf("QueryEvents(ws2) = %+v, %v", none, err)
	}
}

// testInsightAggregates plants three identical requests, a shared prefix, a tool loop, an
// over-long context, failures and feedback, and checks each aggregate by hand.
func testInsightAggregates(t *testing.T, s store.Store) {
	long := func(n int, tail string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		return string(b) + tail
	}
	tr := func(id string, at time.Duration, input string, in int64, cost float64) model.Trace {
		x := flat(ws1, id)
		x.StartTime, x.Input = t0.Add(at), input
		x.Declared.TokensInput, x.Declared.TokensTotal, x.Declared.CostUSD = model.Int64(in), model.Int64(in+20), model.Float64(cost)
		return x
	}
	traces := []model.Trace{
		tr("d1", 0, "same question", 100, 0.01), tr("d2", time.Minute, "same question", 100, 0.01), tr("d3", 2*time.Minute, "same question", 100, 0.02),
		tr("p1", 3*time.Minute, long(1000, "a"), 300, 0.003), tr("p2", 4*time.Minute, long(1000, "b"), 300, 0.003),
		tr("big", 5*time.Minute, "huge", 50000, 0.5),
	}
	for i := 0; i < 8; i++ {
		traces = append(traces, tr("n"+string(rune('0'+i)), time.Duration(6+i)*time.Minute, "q"+string(rune('0'+i)), 100, 0.001))
	}
	failed := tr("f1", 20*time.Minute, "boom", 100, 0.001)
	failed.Declared.Status, failed.ErrorMessage = model.StatusError, "connection reset by peer 10.0.0.1"
	traces = append(traces, failed)
	loop := tr("loop", 21*time.Minute, "loop", 100, 0.001)
	for i := 0; i < 3; i++ {
		loop.Spans = append(loop.Spans, model.Span{WorkspaceID: ws1, TraceID: "loop", SpanID: "s" + string(rune('0'+i)), Kind: model.KindTool,
			Name: "search", StartTime: loop.StartTime.Add(time.Duration(i) * time.Second), EndTime: loop.StartTime.Add(time.Duration(i+1) * time.Second),
			Status: model.StatusSuccess, CostUSD: model.Float64(0.03), Attributes: json.RawMessage("{}")})
	}
	traces = append(traces, loop)
	mustWrite(t, s, traces...)
	for _, sc := range []model.Score{
		{WorkspaceID: ws1, TraceID: "d1", ScoreID: "fb1", Name: "thumbs", Value: 0, Comment: "slow and wrong", Source: model.ScoreSourceHuman, CreatedAt: t0.Add(time.Hour)},
		{WorkspaceID: ws1, TraceID: "d2", ScoreID: "fb2", Name: "user_score", Value: 80, Source: model.ScoreSourceHuman, CreatedAt: t0.Add(2 * time.Hour)},
	} {
		if err := s.PutScore(ctx(), sc); err != nil {
			t.Fatal(err)
		}
	}
	q := store.InsightQuery{WorkspaceID: ws1, From: t0, To: t0.Add(time.Hour), PrefixChars: 1000, MinRepeats: 3, MinContextTokens: 4000}

	dups, err := s.InsightDuplicates(ctx(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(dups) != 1 || dups[0].Count != 3 || !near(dups[0].CostUSD, 0.04) || !near(dups[0].MinCostUSD, 0.01) ||
		dups[0].FirstTrace != "d1" || dups[0].LastTrace != "d3" {
		t.Errorf("InsightDuplicates = %+v", dups)
	}
	pre, err := s.InsightPrefixes(ctx(), q)
	if err != nil || len(pre) != 1 || pre[0].Count != 2 || pre[0].TokensInput != 600 {
		t.Errorf("InsightPrefixes = %+v, %v", pre, err)
	}
	loops, err := s.InsightLoops(ctx(), q)
	if err != nil || len(loops) != 1 || loops[0].SpanName != "search" || loops[0].Calls != 3 || !near(loops[0].ExtraCostUSD, 0.06) {
		t.Errorf("InsightLoops = %+v, %v", loops, err)
	}
	longs, err := s.InsightLongContexts(ctx(), q)
	if err != nil || len(longs) != 1 || longs[0].Traces != 1 || longs[0].LastTrace != "big" {
		t.Errorf("InsightLongContexts = %+v, %v", longs, err)
	}
	errs, err := s.InsightErrors(ctx(), q)
	if err != nil || len(errs) != 1 || errs[0].Message != "connection reset by peer 10.0.0.1" || errs[0].Count != 1 ||
		errs[0].Hour != t0.Unix()/3600 || errs[0].TraceID != "f1" {
		t.Errorf("InsightErrors = %+v, %v", errs, err)
	}
	usage, err := s.InsightUsage(ctx(), q)
	if err != nil || len(usage) != 1 || usage[0].Traces != 16 || usage[0].Success != 15 || usage[0].Model != "gpt-4o-mini" {
		t.Errorf("InsightUsage = %+v, %v", usage, err)
	}
	scored, err := s.InsightScored(ctx(), q)
	if err != nil || len(scored) != 1 || scored[0].Scores != 2 || !near(scored[0].Mean, 0.4) {
		t.Errorf("InsightScored = %+v, %v", scored, err)
	}
	fb, err := s.InsightFeedback(ctx(), q)
	if err != nil || len(fb) != 2 || fb[0].TraceID != "d2" || !near(fb[0].Value, 0.8) || fb[1].Comment != "slow and wrong" {
		t.Errorf("InsightFeedback = %+v, %v", fb, err)
	}
	q.AgentID = "nobody"
	if none, err := s.InsightUsage(ctx(), q); err != nil || len(none) != 0 {
		t.Errorf("InsightUsage(other agent) = %+v, %v", none, err)
	}
}
