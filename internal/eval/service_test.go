package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const ws = "11111111-1111-4111-8111-111111111111"

func openStore(t testing.TB, path string) *duckdb.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), duckdb.FileName)
	}
	s, err := duckdb.Open(context.Background(), path, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func seedTraces(t testing.TB, s store.Store, n int) []string {
	t.Helper()
	var traces []model.Trace
	var ids []string
	now := time.Now().UTC()
	for i := range n {
		id := fmt.Sprintf("trace-%04d", i)
		ids = append(ids, id)
		traces = append(traces, model.Trace{WorkspaceID: ws, TraceID: id, AgentID: []string{"support-bot", "billing-bot"}[i%2],
			Name: "chat", StartTime: now.Add(-time.Duration(i) * time.Second), Status: model.StatusSuccess,
			Input: fmt.Sprintf("Where is order %d?", i), Output: fmt.Sprintf("Order %d ships tomorrow.", i), Model: "gpt-4o-mini",
			Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(300)}})
	}
	if err := s.WriteTraces(context.Background(), traces); err != nil {
		t.Fatal(err)
	}
	return ids
}

// goodJudge answers every criterion of the schema it is sent with score 80.
var goodJudge = providertest.Rate(80)

func newService(t testing.TB, st Store, srv *providertest.Server, ev Evaluator) *Service {
	p, err := provider.New(srv.Config("gemini-2.0-flash"))
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{Store: st, Judge: provider.NewClient(p, provider.Limits{MaxConcurrency: 16}), Prices: pricing.Default(), Evaluator: ev})
}

func TestEvaluateTrace(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	seedTraces(t, st, 2)
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	ctx := context.Background()

	ev, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "trace-0000", Source: model.EvalSourceManual}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != model.EvalDone || ev.Overall == nil || *ev.Overall != 80 || len(ev.Verdicts) != len(DefaultCriteria) {
		t.Fatalf("evaluation %+v", ev)
	}
	if !strings.Contains(ev.Prompt, "Where is order 0?") || !strings.Contains(ev.Prompt, "Order 0 ships tomorrow.") {
		t.Errorf("prompt does not carry the trace: %s", ev.Prompt)
	}
	// 1000 input and 100 output tokens of gemini-2.0-flash at $0.10 / $0.40 per million.
	if ev.CostUSD == nil || fmt.Sprintf("%.6f", *ev.CostUSD) != "0.000140" {
		t.Errorf("cost %v, want 0.000140", ev.CostUSD)
	}
	// The same job again: no second judge call.
	again, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "trace-0000", Source: model.EvalSourceManual}, time.Second)
	if err != nil || again.ID != ev.ID || len(srv.Calls()) != 1 {
		t.Fatalf("second evaluation %v (id %s vs %s), %d judge calls", err, again.ID, ev.ID, len(srv.Calls()))
	}
	// Unknown criteria and traces are the caller's mistakes.
	_, err = svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "trace-0000", Criteria: []string{"accuracy", "vibes"}}, time.Second)
	var me *model.Error
	if !asModelError(err, &me) || me.Code != model.EINVALID || me.Fields[0].Path.String() != "criteria[1]" {
		t.Errorf("unknown criterion: %v", err)
	}
	if _, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "nope"}, time.Second); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("unknown trace: %v", err)
	}
}

func asModelError(err error, me **model.Error) bool {
	e, ok := err.(*model.Error)
	*me = e
	return ok
}

func TestUnparsableKeepsRawAndNoScore(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	seedTraces(t, st, 1)
	srv := providertest.New(provider.KindOpenAI, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Text: "I would say it is pretty good overall."}
	})
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	ev, err := svc.Evaluate(context.Background(), Request{WorkspaceID: ws, TraceID: "trace-0000", Criteria: []string{"accuracy"}}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != model.EvalUnparsable || ev.Overall != nil || ev.Verdicts[0].Score != nil || ev.RawAnswer != "I would say it is pretty good overall." {
		t.Fatalf("evaluation %+v", ev)
	}
	rows, _ := st.QualityScores(context.Background(), store.QualityQuery{WorkspaceID: ws})
	if len(rows) != 0 {
		t.Errorf("an unparsable verdict produced scores: %+v", rows)
	}
}

func TestVerdictCacheAcrossIdenticalInputs(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	now := time.Now().UTC()
	var traces []model.Trace
	for _, id := range []string{"same-a", "same-b"} {
		traces = append(traces, model.Trace{WorkspaceID: ws, TraceID: id, AgentID: "a", Name: "n", StartTime: now,
			Status: model.StatusSuccess, Input: "2+2?", Output: "4", Declared: model.Declared{Status: model.StatusSuccess}})
	}
	if err := st.WriteTraces(context.Background(), traces); err != nil {
		t.Fatal(err)
	}
	srv := providertest.New(provider.KindAnthropic, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	for _, id := range []string{"same-a", "same-b"} {
		ev, err := svc.Evaluate(context.Background(), Request{WorkspaceID: ws, TraceID: id}, 10*time.Second)
		if err != nil || ev.Status != model.EvalDone {
			t.Fatalf("%s: %+v %v", id, ev, err)
		}
		if id == "same-b" && (!ev.Cached || *ev.CostUSD != 0) {
			t.Errorf("identical input was not served from the verdict cache: %+v", ev)
		}
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d judge calls, want 1", n)
	}
}

func TestAuthErrorPausesWithReason(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	seedTraces(t, st, 2)
	srv := providertest.New(provider.KindGemini, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Status: 403, Message: "Permission denied on this key"}
	})
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	ev, err := svc.Evaluate(context.Background(), Request{WorkspaceID: ws, TraceID: "trace-0000"}, 10*time.Second)
	if err != nil || ev.Status != model.EvalFailed {
		t.Fatalf("%+v %v", ev, err)
	}
	j := svc.Judge()
	if j.Status != "paused" || !strings.Contains(j.Reason, "Permission denied") {
		t.Fatalf("judge %+v, want paused with the provider's reason", j)
	}
	ev, _ = svc.Evaluate(context.Background(), Request{WorkspaceID: ws, TraceID: "trace-0001"}, 10*time.Second)
	if ev.Status != model.EvalSkipped || len(srv.Calls()) != 1 {
		t.Errorf("while paused: %+v after %d calls", ev, len(srv.Calls()))
	}
	svc.Resume()
	if svc.Judge().Status != "ready" {
		t.Errorf("resume did not lift the pause")
	}
}

func TestDailyBudgetStopsJudgeCalls(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	seedTraces(t, st, 3)
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	// Each call costs $0.00014; the budget allows two.
	svc := newService(t, st, srv, Evaluator{DailyBudgetUSD: 0.00025})
	var statuses []string
	for _, id := range []string{"trace-0000", "trace-0001", "trace-0002"} {
		ev, err := svc.Evaluate(context.Background(), Request{WorkspaceID: ws, TraceID: id}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, ev.Status)
	}
	if strings.Join(statuses, ",") != "done,done,skipped" || len(srv.Calls()) != 2 {
		t.Errorf("statuses %v after %d calls, want done,done,skipped after 2", statuses, len(srv.Calls()))
	}
}

func TestSlowJudgeAnswersPendingThenFinishes(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	seedTraces(t, st, 1)
	srv := providertest.New(provider.KindOpenAI, func(c providertest.Call) providertest.Reply {
		r := goodJudge(c)
		r.Delay = 300 * time.Millisecond
		return r
	})
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	ev, err := svc.Evaluate(context.Background(), Request{WorkspaceID: ws, TraceID: "trace-0000"}, 10*time.Millisecond)
	if err != nil || ev.Status != model.EvalPending {
		t.Fatalf("%+v %v, want pending", ev, err)
	}
	for range 100 {
		got, _ := st.GetEvaluation(context.Background(), ws, ev.ID)
		if got.Status == model.EvalDone {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the evaluation never finished")
}

func TestBatchResumesAfterRestartWithoutDuplicateCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), duckdb.FileName)
	st := openStore(t, path)
	ids := seedTraces(t, st, 40)
	var calls atomic.Int64
	srv := providertest.New(provider.KindGemini, func(c providertest.Call) providertest.Reply {
		calls.Add(1)
		r := goodJudge(c)
		r.Delay = 20 * time.Millisecond
		return r
	})
	defer srv.Close()

	// First process: two workers, stopped after a few evaluations.
	svc := newService(t, st, srv, Evaluator{})
	svc.cfg.Workers = 2
	ctx, stop := context.WithCancel(context.Background())
	svc.Start(ctx, []string{ws})
	b, err := svc.Batch(context.Background(), BatchRequest{WorkspaceID: ws, TraceIDs: append(ids, "missing"), Criteria: []string{"accuracy"}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 40 || b.MissingTraces != 1 {
		t.Fatalf("batch %+v", b)
	}
	for calls.Load() < 5 {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	svc.Wait()
	// Let the evaluations already in flight record their outcome, as a graceful stop does.
	time.Sleep(200 * time.Millisecond)
	st.Close()

	// Second process on the same file finishes the batch.
	st = openStore(t, path)
	defer st.Close()
	svc = newService(t, st, srv, Evaluator{})
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	svc.Start(ctx, []string{ws})
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := svc.GetBatch(context.Background(), ws, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Counts[model.EvalDone] == 40 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch stuck at %+v", got.Counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := calls.Load(); n != 40 {
		t.Errorf("%d judge calls for 40 traces across a restart, want exactly 40", n)
	}
}
