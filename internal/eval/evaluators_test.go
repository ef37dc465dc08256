package eval

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// TestWorkspaceEvaluatorOnline: a span-scoped workspace evaluator with its own model judges,
// after its delay, the llm spans of the sampled traces of its agent, once each; a second
// version judges them again, the first version's verdicts stay.
func TestWorkspaceEvaluatorOnline(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	now := time.Now().UTC()
	var traces []model.Trace
	for i := range 60 {
		start := now.Add(-time.Duration(i+10) * time.Second)
		tr := model.Trace{WorkspaceID: ws, TraceID: fmt.Sprintf("t-%02d", i), AgentID: []string{"support-bot", "billing-bot"}[i%2],
			Name: "chat", StartTime: start, Status: model.StatusSuccess, Declared: model.Declared{Status: model.StatusSuccess}}
		for j, kind := range []model.SpanKind{model.KindRetrieval, model.KindLLM} {
			tr.Spans = append(tr.Spans, model.Span{SpanID: fmt.Sprintf("s%d", j), Kind: kind, Name: string(kind), StartTime: start,
				EndTime: start.Add(time.Second), Status: model.StatusSuccess, Input: "question " + tr.TraceID, Output: "answer " + tr.TraceID})
		}
		traces = append(traces, tr)
	}
	if err := st.WriteTraces(context.Background(), traces); err != nil {
		t.Fatal(err)
	}
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	svc.cfg.NewJudge = func(m string) (*provider.Client, error) {
		p, err := provider.New(srv.Config(m))
		if err != nil {
			return nil, err
		}
		return provider.NewClient(p, provider.Limits{}), nil
	}
	svc.cfg.Now = func() time.Time { return now }
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc.Start(ctx, nil)

	def, err := svc.PutEvaluator(ctx, model.EvaluatorDef{WorkspaceID: ws, ID: "llm-answers", Name: "LLM answers", Scope: model.ScopeSpan,
		Filter: model.EvaluatorFilter{Agents: []string{"support-bot"}, SpanKinds: []string{"llm"}}, SampleRate: 0.5,
		Delay: model.Duration(5 * time.Second), Criteria: []string{"accuracy"}, Model: "judge-2", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, tr := range traces {
		if tr.AgentID == "support-bot" && Sampled(def.ID, def.Version, tr.TraceID, 0.5) {
			want[tr.TraceID] = true
		}
	}
	from := now.Add(-time.Hour)
	svc.onlineDefTick(ctx, ws, *def, from)
	svc.onlineDefTick(ctx, ws, *def, from) // seen again: no second job
	evs := awaitDone(t, st, len(want))
	for _, ev := range evs {
		if !want[ev.TraceID] || ev.SpanID != "s1" || ev.EvaluatorID != "llm-answers" || ev.EvaluatorVersion != 1 || ev.Model != "judge-2" {
			t.Errorf("evaluation %+v", ev)
		}
	}
	for _, c := range srv.Calls() {
		if c.Model != "judge-2" {
			t.Fatalf("judge call to model %q", c.Model)
		}
	}

	// Version 2 judges the same spans again.
	def.Criteria = []string{"accuracy", "tone"}
	v2, err := svc.PutEvaluator(ctx, *def)
	if err != nil || v2.Version != 2 {
		t.Fatalf("version 2 = %+v, %v", v2, err)
	}
	want2 := 0
	for _, tr := range traces {
		if tr.AgentID == "support-bot" && Sampled(def.ID, 2, tr.TraceID, 0.5) {
			want2++
		}
	}
	svc.onlineDefTick(ctx, ws, *v2, from)
	awaitDone(t, st, len(want)+want2)
}

// awaitDone waits until n auto evaluations are done and returns them.
func awaitDone(t *testing.T, st Store, n int) []model.Evaluation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, total, err := st.ListEvaluations(context.Background(), store.EvaluationQuery{WorkspaceID: ws, Source: model.EvalSourceAuto, Status: model.EvalDone, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if int(total) == n {
			time.Sleep(100 * time.Millisecond) // room for a duplicate to show
			if _, again, _ := st.ListEvaluations(context.Background(), store.EvaluationQuery{WorkspaceID: ws, Source: model.EvalSourceAuto, Limit: 500}); again != int64(n) {
				t.Fatalf("%d evaluations, want %d", again, n)
			}
			return evs
		}
		if int(total) > n || time.Now().After(deadline) {
			t.Fatalf("%d done evaluations, want %d", total, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
