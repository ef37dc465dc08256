package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// testSessionEvaluations: the online session evaluators pick sessions whose last trace ended
// in a window, the judge reads a session's traces in time order, and a session's
// evaluation keeps its session and the trace of its judge calls.
func testSessionEvaluations(t *testing.T, s store.Store) {
	c := ctx()
	trace := func(ws, id, session string, at time.Time) model.Trace {
		tr := flat(ws, id)
		tr.SessionID, tr.StartTime, tr.Input, tr.Output = session, at, "question "+id, "answer "+id
		return tr // ends 250 ms after it starts
	}
	mustWrite(t, s,
		trace(ws1, "a2", "alpha", t0.Add(2*time.Minute)), trace(ws1, "a1", "alpha", t0), // written out of order
		trace(ws1, "b1", "beta", t0.Add(time.Minute)), trace(ws1, "b2", "beta", t0.Add(20*time.Minute)), // still going at 10 min
		trace(ws1, "g1", "gamma", t0.Add(3*time.Minute)),
		trace(ws1, "n1", "", t0.Add(time.Minute)),        // no session
		trace(ws2, "o1", "alpha", t0.Add(5*time.Minute)), // another workspace's session of the same name
	)
	refs, err := s.CompletedSessions(c, ws1, t0, t0.Add(10*time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range refs {
		got += fmt.Sprintf("%s@%s ", r.SessionID, r.EndTime.Sub(t0))
	}
	if want := "alpha@2m0.25s gamma@3m0.25s "; got != want {
		t.Errorf("CompletedSessions = %q, want %q (beta's last trace ends after the window)", got, want)
	}
	if refs, _ := s.CompletedSessions(c, ws1, t0, t0.Add(10*time.Minute), 1); len(refs) != 1 || refs[0].SessionID != "alpha" {
		t.Errorf("limit 1: %+v", refs)
	}
	if refs, _ := s.CompletedSessions(c, ws1, t0.Add(10*time.Minute), t0.Add(30*time.Minute), 100); len(refs) != 1 || refs[0].SessionID != "beta" {
		t.Errorf("the next window holds beta: %+v", refs)
	}

	trs, total, err := s.SessionTraces(c, ws1, "alpha", 10)
	if err != nil || total != 2 || len(trs) != 2 || trs[0].TraceID != "a1" || trs[1].TraceID != "a2" {
		t.Fatalf("SessionTraces(alpha) = %+v, %d, %v; want a1, a2", trs, total, err)
	}
	if tr := trs[0]; tr.Input != "question a1" || tr.Output != "answer a1" || tr.AgentID != "support-bot" || tr.Status != model.StatusSuccess ||
		!tr.StartTime.Equal(t0) || tr.SessionID != "alpha" || tr.Model != "gpt-4o-mini" {
		t.Errorf("session trace = %+v", tr)
	}
	if trs, total, err := s.SessionTraces(c, ws1, "alpha", 1); err != nil || total != 2 || len(trs) != 1 || trs[0].TraceID != "a1" {
		t.Errorf("limit 1: %+v, %d, %v", trs, total, err)
	}
	for _, id := range []string{"nope", ""} {
		if _, _, err := s.SessionTraces(c, ws1, id, 10); model.ErrorCode(err) != model.ENOTFOUND {
			t.Errorf("SessionTraces(%q) = %v, want not found", id, err)
		}
	}

	// A session's evaluation: idempotent on its key, filterable by session, and finished
	// with the trace of its judge calls.
	ev := pendingEval(ws1, "se1", "", "support-bot", t0)
	ev.JobKey, ev.SessionID = "judge@1:session:alpha:helpfulness", "alpha"
	if _, created, err := s.CreateEvaluation(c, ev); err != nil || !created {
		t.Fatalf("CreateEvaluation = %v, %v", created, err)
	}
	again := ev
	again.ID = "se2"
	if stored, created, err := s.CreateEvaluation(c, again); err != nil || created || stored.ID != "se1" || stored.SessionID != "alpha" {
		t.Fatalf("the same job again = %+v, %v, %v", stored, created, err)
	}
	mustCreateEval(t, s, pendingEval(ws1, "te1", "a1", "support-bot", t0))
	done := finished(ev, 70, map[string]float64{"helpfulness": 70}, 0.002)
	done.JudgeTraceID = "se1"
	if err := s.FinishEvaluation(c, done); err != nil {
		t.Fatal(err)
	}
	list, n, err := s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws1, SessionID: "alpha"})
	if err != nil || n != 1 || len(list) != 1 {
		t.Fatalf("ListEvaluations(session alpha) = %+v, %d, %v", list, n, err)
	}
	if g := list[0]; g.ID != "se1" || g.SessionID != "alpha" || g.TraceID != "" || g.JudgeTraceID != "se1" || g.Status != model.EvalDone {
		t.Errorf("stored session evaluation = %+v", g)
	}
	if _, n, _ := s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws1}); n != 2 {
		t.Errorf("%d evaluations in all, want 2", n)
	}
	if _, n, _ := s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws2, SessionID: "alpha"}); n != 0 {
		t.Errorf("session evaluations leak across workspaces: %d", n)
	}
}

func mustCreateEval(t *testing.T, s store.Store, e model.Evaluation) {
	t.Helper()
	if _, _, err := s.CreateEvaluation(ctx(), e); err != nil {
		t.Fatal(err)
	}
}

// testJudgeCompanion: the traces of a workspace's judge calls, kept under its companion id,
// are written and read like any, purged like any, and never counted as the workspace's.
func testJudgeCompanion(t *testing.T, s store.Store) {
	c := ctx()
	judge := model.JudgeWorkspaceID(ws1)
	old, recent := flat(judge, "j-old"), flat(judge, "j-new")
	old.AgentID, recent.AgentID = "judge", "judge"
	old.StartTime, recent.StartTime = t0.Add(-72*time.Hour), t0
	mustWrite(t, s, old, recent, flat(ws1, "own"))
	if n, err := s.CountTraces(c, ws1); err != nil || n != 1 {
		t.Errorf("the workspace counts %d traces (%v), want only its own", n, err)
	}
	if got, err := s.GetTrace(c, judge, "j-new"); err != nil || got.AgentID != "judge" || got.CostUSD == nil {
		t.Errorf("judge trace = %+v, %v", got, err)
	}
	agents, err := s.ListAgents(c, ws1)
	if err != nil || len(agents) != 1 || agents[0].AgentID != "support-bot" {
		t.Errorf("the workspace's agents = %+v, %v; the judge is not one", agents, err)
	}
	wss, err := s.ListWorkspaces(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wss {
		if w.ID == judge {
			t.Errorf("the judge companion is listed as a workspace")
		}
	}
	n, err := s.PurgeTraces(c, judge, store.RetentionCutoff(t0, 1))
	if err != nil || n != 1 {
		t.Fatalf("PurgeTraces(companion) = %d, %v; want the old judge trace", n, err)
	}
	if _, err := s.GetTrace(c, judge, "j-old"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("purged judge trace: %v", err)
	}
	if n, _ := s.CountTraces(c, judge); n != 1 {
		t.Errorf("%d judge traces left, want 1", n)
	}
}
