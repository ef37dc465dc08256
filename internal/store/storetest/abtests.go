package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

func testABTests(t *testing.T, s store.Store) {
	c := ctx()
	if err := s.CreateABTest(c, ws1, "ab1", []byte(`{"id":"ab1"}`), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateABTest(c, ws1, "ab2", []byte(`{"id":"ab2"}`), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateABTest(c, ws1, "ab1", []byte(`{}`), t0); !isCode(err, model.ECONFLICT) {
		t.Errorf("duplicate id: %v", err)
	}
	list, err := s.ListABTests(c, ws1)
	if err != nil || len(list) != 2 || string(list[0]) != `{"id":"ab2"}` {
		t.Errorf("ListABTests = %q, %v", list, err)
	}
	if d, err := s.GetABTest(c, ws1, "ab1"); err != nil || string(d) != `{"id":"ab1"}` {
		t.Errorf("GetABTest = %q, %v", d, err)
	}
	if _, err := s.GetABTest(c, ws2, "ab1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetABTest from another workspace: %v", err)
	}

	// Per-user figures: u1 has two traces (one failed, one judged 60, one thumbs up),
	// u2 one; a trace without user and one of another agent are left out.
	tr := func(id, user, agent string, status model.Status, latency int64, cost float64, at time.Time) model.Trace {
		x := flat(ws1, id)
		x.UserID, x.AgentID, x.Status, x.StartTime = user, agent, status, at
		x.Declared.Status, x.Declared.LatencyMs, x.Declared.CostUSD = status, model.Int64(latency), model.Float64(cost)
		return x
	}
	mustWrite(t, s,
		tr("ab-t1", "u1", "bot", model.StatusSuccess, 100, 0.01, t0),
		tr("ab-t2", "u1", "bot", model.StatusError, 300, 0.03, t0.Add(time.Minute)),
		tr("ab-t3", "u2", "bot", model.StatusSuccess, 200, 0.02, t0.Add(2*time.Minute)),
		tr("ab-t4", "", "bot", model.StatusSuccess, 200, 0.02, t0),
		tr("ab-t5", "u1", "other", model.StatusSuccess, 200, 0.02, t0),
		tr("ab-t6", "u1", "bot", model.StatusSuccess, 200, 0.02, t0.Add(-time.Hour)),
	)
	ev := pendingEval(ws1, "ab-e1", "ab-t1", "bot", t0)
	if _, _, err := s.CreateEvaluation(c, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishEvaluation(c, finished(ev, 60, nil, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutScore(c, model.Score{WorkspaceID: ws1, TraceID: "ab-t1", ScoreID: "fb", Name: "thumbs", Value: 1, Source: model.ScoreSourceHuman, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UnitStats(c, store.UnitQuery{WorkspaceID: ws1, Unit: "user", AgentID: "bot", From: t0, To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.UnitStats{
		{Unit: "u1", Traces: 2, Successes: 1, LatencyMsSum: 400, CostSum: 0.04, EvalSum: 60, EvalCount: 1, ThumbsSum: 1, ThumbsCount: 1},
		{Unit: "u2", Traces: 1, Successes: 1, LatencyMsSum: 200, CostSum: 0.02},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return near(a, b) })); diff != "" {
		t.Errorf("UnitStats (-want +got):\n%s", diff)
	}
}
