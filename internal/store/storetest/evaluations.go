package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

func pendingEval(ws, id, trace, agent string, at time.Time) model.Evaluation {
	return model.Evaluation{WorkspaceID: ws, ID: id, JobKey: "default@1:trace:" + trace, TraceID: trace, AgentID: agent,
		EvaluatorID: "default", EvaluatorVersion: 1, Source: model.EvalSourceManual, Status: model.EvalPending,
		Provider: "gemini", Model: "gemini-2.0-flash", CacheKey: "ck-" + trace, CreatedAt: at}
}

func finished(e model.Evaluation, overall float64, scores map[string]float64, cost float64) model.Evaluation {
	e.Status = model.EvalDone
	e.Overall = model.Float64(overall)
	for _, c := range []string{"accuracy", "helpfulness"} {
		if v, ok := scores[c]; ok {
			e.Verdicts = append(e.Verdicts, model.Verdict{Criterion: c, Score: model.Float64(v), Explanation: "because\x00", Status: model.EvalDone})
		}
	}
	e.Prompt, e.RawAnswer = "Rate this: hi", `{"accuracy":{"score":80}}`
	e.TokensInput, e.TokensOutput, e.CostUSD, e.LatencyMs, e.Attempts = 100, 20, model.Float64(cost), 420, 1
	at := e.CreatedAt.Add(time.Second)
	e.FinishedAt = &at
	return e
}

func testEvaluations(t *testing.T, s store.Store) {
	c := ctx()
	// Criteria: stored, replaced by name, per workspace.
	crit := model.Criterion{WorkspaceID: ws1, Name: "politeness", Description: "Is it polite?", Output: model.OutputNumeric,
		HigherIsBetter: true, CreatedAt: t0}
	if err := s.PutCriterion(c, crit); err != nil {
		t.Fatal(err)
	}
	crit.Description = "Is it polite and warm?"
	if err := s.PutCriterion(c, crit); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListCriteria(c, ws1)
	if err != nil || len(got) != 1 || got[0].Description != "Is it polite and warm?" || !got[0].HigherIsBetter {
		t.Fatalf("ListCriteria = %+v, %v", got, err)
	}
	if other, _ := s.ListCriteria(c, ws2); len(other) != 0 {
		t.Errorf("criteria leak across workspaces: %+v", other)
	}

	// Jobs are idempotent on their key.
	e1 := pendingEval(ws1, "e1", "t1", "support-bot", t0)
	stored, created, err := s.CreateEvaluation(c, e1)
	if err != nil || !created || stored.ID != "e1" {
		t.Fatalf("CreateEvaluation = %+v, %v, %v", stored, created, err)
	}
	dup := e1
	dup.ID = "e1-again"
	stored, created, err = s.CreateEvaluation(c, dup)
	if err != nil || created || stored.ID != "e1" || stored.Status != model.EvalPending {
		t.Fatalf("second CreateEvaluation = %+v, %v, %v; want the first job back", stored, created, err)
	}
	done1 := finished(e1, 75, map[string]float64{"accuracy": 80, "helpfulness": 70}, 0.002)
	if err := s.FinishEvaluation(c, done1); err != nil {
		t.Fatal(err)
	}
	back, err := s.GetEvaluation(c, ws1, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(done1, *back); diff != "" {
		t.Errorf("GetEvaluation (-want +got):\n%s", diff)
	}
	if _, err := s.GetEvaluation(c, ws2, "e1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetEvaluation from another workspace: %v, want not found", err)
	}
	if err := s.FinishEvaluation(c, finished(pendingEval(ws1, "nope", "t9", "a", t0), 1, nil, 0)); !isCode(err, model.ENOTFOUND) {
		t.Errorf("FinishEvaluation of an unknown id: %v", err)
	}

	// An unparsable verdict keeps its raw answer and carries no score.
	e2 := pendingEval(ws1, "e2", "t2", "billing-bot", t0.Add(time.Hour))
	e2.Source = model.EvalSourceBatch
	e2.BatchID = "b1"
	if _, _, err := s.CreateEvaluation(c, e2); err != nil {
		t.Fatal(err)
	}
	e2.Status, e2.RawAnswer, e2.CostUSD = model.EvalUnparsable, "I think it is fine", model.Float64(0.001)
	e2.Verdicts = []model.Verdict{{Criterion: "accuracy", Status: model.EvalUnparsable}}
	if err := s.FinishEvaluation(c, e2); err != nil {
		t.Fatal(err)
	}
	e3 := pendingEval(ws1, "e3", "t3", "billing-bot", t0.Add(2*time.Hour))
	e3.Source, e3.BatchID = model.EvalSourceBatch, "b1"
	if _, _, err := s.CreateEvaluation(c, e3); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishEvaluation(c, finished(e3, 40, map[string]float64{"accuracy": 30, "helpfulness": 50}, 0.003)); err != nil {
		t.Fatal(err)
	}

	list, total, err := s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws1, Limit: 2})
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != "e3" || list[1].ID != "e2" {
		t.Fatalf("ListEvaluations page 1 = %d items (total %d), %v", len(list), total, err)
	}
	if list[1].Overall != nil || list[1].Status != model.EvalUnparsable || list[1].RawAnswer != "I think it is fine" {
		t.Errorf("unparsable evaluation read back as %+v", list[1])
	}
	list, _, _ = s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws1, Limit: 2, Offset: 2})
	if len(list) != 1 || list[0].ID != "e1" {
		t.Errorf("page 2 = %+v", list)
	}
	list, total, _ = s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws1, Source: model.EvalSourceManual})
	if total != 1 || list[0].ID != "e1" {
		t.Errorf("manual evaluations = %+v", list)
	}
	if _, total, _ := s.ListEvaluations(c, store.EvaluationQuery{WorkspaceID: ws2}); total != 0 {
		t.Errorf("evaluations leak across workspaces")
	}

	// Cache, spend, batches.
	if ce, err := s.CachedEvaluation(c, ws1, "ck-t1"); err != nil || ce == nil || ce.ID != "e1" {
		t.Errorf("CachedEvaluation = %+v, %v", ce, err)
	}
	if ce, err := s.CachedEvaluation(c, ws1, "ck-none"); err != nil || ce != nil {
		t.Errorf("CachedEvaluation of an unknown key = %+v, %v", ce, err)
	}
	if spend, err := s.JudgeSpend(c, ws1, "default", t0); err != nil || !near(spend, 0.006) {
		t.Errorf("JudgeSpend = %v, %v; want 0.006", spend, err)
	}
	if spend, _ := s.JudgeSpend(c, ws1, "", t0.Add(90*time.Minute)); !near(spend, 0.003) {
		t.Errorf("JudgeSpend since 11:30 = %v; want 0.003", spend)
	}
	if err := s.CreateEvalBatch(c, model.EvalBatch{WorkspaceID: ws1, ID: "b1", Total: 3, Criteria: []string{"accuracy"}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	b, err := s.GetEvalBatch(c, ws1, "b1")
	if err != nil || b.Total != 3 || b.Counts[model.EvalDone] != 1 || b.Counts[model.EvalUnparsable] != 1 {
		t.Errorf("GetEvalBatch = %+v, %v", b, err)
	}
	if _, err := s.GetEvalBatch(c, ws2, "b1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("batch from another workspace: %v", err)
	}

	// Quality scores by hour and agent; the unparsable run counts nowhere.
	rows, err := s.QualityScores(c, store.QualityQuery{WorkspaceID: ws1, From: t0, To: t0.Add(24 * time.Hour), BucketMs: 3600_000, ByAgent: true})
	if err != nil {
		t.Fatal(err)
	}
	h := func(n int) int64 { return t0.Add(time.Duration(n) * time.Hour).UnixMilli() }
	wantRows := []store.QualityRow{
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "accuracy", Source: store.QualityJudge, Mean: 80, Count: 1},
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "helpfulness", Source: store.QualityJudge, Mean: 70, Count: 1},
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "overall", Source: store.QualityJudge, Mean: 75, Count: 1},
		{BucketMs: h(2), AgentID: "billing-bot", Criterion: "accuracy", Source: store.QualityJudge, Mean: 30, Count: 1},
		{BucketMs: h(2), AgentID: "billing-bot", Criterion: "helpfulness", Source: store.QualityJudge, Mean: 50, Count: 1},
		{BucketMs: h(2), AgentID: "billing-bot", Criterion: "overall", Source: store.QualityJudge, Mean: 40, Count: 1},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("QualityScores (-want +got):\n%s", diff)
	}
	rows, _ = s.QualityScores(c, store.QualityQuery{WorkspaceID: ws1})
	if len(rows) != 3 || rows[2].Criterion != "overall" || rows[2].Mean != 57.5 || rows[2].Count != 2 {
		t.Errorf("QualityScores overall = %+v", rows)
	}

	// Human feedback lands among the trace's scores; an unknown trace is refused.
	mustWrite(t, s, flat(ws1, "fb-1"))
	fb := model.Score{WorkspaceID: ws1, TraceID: "fb-1", ScoreID: "feedback-u1", Name: "thumbs", Value: 1,
		Comment: "great", Source: model.ScoreSourceHuman, CreatedAt: t0}
	if err := s.PutScore(c, fb); err != nil {
		t.Fatal(err)
	}
	fb.Value, fb.Comment = 0, "changed my mind"
	if err := s.PutScore(c, fb); err != nil {
		t.Fatal(err)
	}
	tr := mustGet(t, s, ws1, "fb-1")
	if len(tr.Scores) != 1 || tr.Scores[0].Value != 0 || tr.Scores[0].Comment != "changed my mind" || tr.Scores[0].Source != model.ScoreSourceHuman {
		t.Errorf("trace scores = %+v", tr.Scores)
	}
	// The online evaluator's window: traces that ended in [from, to), oldest first.
	refs, err := s.CompletedTraces(c, ws1, t0, t0.Add(time.Hour), 10)
	if err != nil || len(refs) != 1 || refs[0].TraceID != "fb-1" || !refs[0].EndTime.Equal(t0.Add(250*time.Millisecond)) {
		t.Errorf("CompletedTraces = %+v, %v", refs, err)
	}
	if refs, _ := s.CompletedTraces(c, ws1, t0.Add(time.Second), t0.Add(time.Hour), 10); len(refs) != 0 {
		t.Errorf("CompletedTraces after the end = %+v", refs)
	}
	// Scores sent through the API count per name beside the judge's criteria, under the
	// agent of their trace; human feedback and other workspaces' scores do not.
	api := func(ws, trace, id string, v float64) model.Trace {
		// A part carrying only a score, as the score endpoints write it: it keeps what is stored.
		return model.Trace{WorkspaceID: ws, TraceID: trace, AgentID: "unknown_service", StartTime: t0.Add(30 * time.Minute),
			Metadata: json.RawMessage("{}"), Declared: model.Declared{Status: model.StatusSuccess, Origin: model.OriginPartial},
			Scores: []model.Score{{WorkspaceID: ws, TraceID: trace, ScoreID: id,
				Name: "correctness", Value: v, Source: model.ScoreSourceAPI, CreatedAt: t0.Add(30 * time.Minute)}}}
	}
	scored := api(ws1, "fb-1", "s1", 1)
	if err := s.WriteTraces(c, []model.Trace{scored, api(ws1, "fb-1", "s2", 0.5), api(ws2, "elsewhere", "s3", 0)}); err != nil {
		t.Fatal(err)
	}
	rows, err = s.QualityScores(c, store.QualityQuery{WorkspaceID: ws1, From: t0, To: t0.Add(time.Hour), BucketMs: 3600_000, ByAgent: true})
	if err != nil {
		t.Fatal(err)
	}
	wantRows = []store.QualityRow{
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "accuracy", Source: store.QualityJudge, Mean: 80, Count: 1},
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "helpfulness", Source: store.QualityJudge, Mean: 70, Count: 1},
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "overall", Source: store.QualityJudge, Mean: 75, Count: 1},
		{BucketMs: h(0), AgentID: "support-bot", Criterion: "correctness", Source: store.QualityAPI, Mean: 0.75, Count: 2},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("QualityScores with API scores (-want +got):\n%s", diff)
	}
	fb.TraceID = "missing"
	if err := s.PutScore(c, fb); !isCode(err, model.ENOTFOUND) {
		t.Errorf("PutScore on an unknown trace: %v", err)
	}
	fb.WorkspaceID, fb.TraceID = ws2, "fb-1"
	if err := s.PutScore(c, fb); !isCode(err, model.ENOTFOUND) {
		t.Errorf("PutScore on another workspace's trace: %v", err)
	}
}
