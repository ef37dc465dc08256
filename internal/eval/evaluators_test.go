package eval

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestEvaluatorDefinitions: definitions are checked against the workspace's criteria and
// the server's judge; versions, lookups and deletion go through to the store.
func TestEvaluatorDefinitions(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	seedTraces(t, st, 1)
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	ctx := context.Background()
	def := model.EvaluatorDef{WorkspaceID: ws, ID: "tone-check", Name: "Tone", Scope: model.ScopeTrace, Criteria: []string{"tone"}}
	field := func(err error) string {
		var e *model.Error
		if !errors.As(err, &e) || len(e.Fields) == 0 {
			return ""
		}
		return e.Fields[0].Path.String()
	}
	bad := def
	bad.Criteria = []string{"vibes"}
	if _, err := svc.PutEvaluator(ctx, bad); field(err) != "criteria[0]" {
		t.Errorf("unknown criterion: %v", err)
	}
	bad = def
	bad.Model = "other-model"
	if _, err := svc.PutEvaluator(ctx, bad); field(err) != "model" {
		t.Errorf("a model without a way to switch: %v", err)
	}
	bad = def
	bad.Scope = "conversation"
	if _, err := svc.PutEvaluator(ctx, bad); field(err) != "scope" {
		t.Errorf("bad scope: %v", err)
	}
	for range 2 {
		if _, err := svc.PutEvaluator(ctx, def); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := svc.ListEvaluators(ctx, ws); err != nil || len(list) != 1 || list[0].Version != 2 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if d, err := svc.GetEvaluator(ctx, ws, "tone-check", 1); err != nil || d.Version != 1 {
		t.Fatalf("version 1 = %+v, %v", d, err)
	}
	if vs, err := svc.EvaluatorVersions(ctx, ws, "tone-check"); err != nil || len(vs) != 2 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	if _, err := svc.EvaluatorVersions(ctx, ws, "missing"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("versions of a missing evaluator: %v", err)
	}
	// On demand: the evaluator's criteria apply; an unknown evaluator or span names its field.
	ev, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "trace-0000", Evaluator: "tone-check", Source: model.EvalSourceManual}, 10*time.Second)
	if err != nil || ev.EvaluatorID != "tone-check" || ev.EvaluatorVersion != 2 || len(ev.Verdicts) != 1 || ev.Verdicts[0].Criterion != "tone" {
		t.Fatalf("evaluation = %+v, %v", ev, err)
	}
	if _, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "trace-0000", Evaluator: "nope"}, time.Second); field(err) != "evaluator" {
		t.Errorf("unknown evaluator: %v", err)
	}
	if _, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: "trace-0000", SpanID: "nope"}, time.Second); field(err) != "span_id" {
		t.Errorf("unknown span: %v", err)
	}
	if err := svc.DeleteEvaluator(ctx, ws, "tone-check"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetEvaluator(ctx, ws, "tone-check", 0); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("deleted evaluator: %v", err)
	}
}

func TestSpanTargetAndFilters(t *testing.T) {
	tr := &model.Trace{TraceID: "t", AgentID: "bot", Model: "m1", Input: "trace in", Tags: []string{"prod"}, Spans: []model.Span{
		{SpanID: "a", Kind: model.KindLLM, Name: "answer", Input: "q", Output: "r", Model: "m2", Attributes: []byte(`{"k":1}`)},
		{SpanID: "b", Kind: model.KindTool, Name: "lookup", Input: "x"},
		{SpanID: "c", Kind: model.KindLLM, Name: "empty"},
	}}
	got, ok := spanTarget(tr, "a")
	if !ok || got.Input != "q" || got.Output != "r" || got.Model != "m2" || got.Name != "answer" || string(got.Metadata) != `{"k":1}` || got.Spans != nil {
		t.Fatalf("span target = %+v", got)
	}
	if _, ok := spanTarget(tr, "z"); ok {
		t.Error("a missing span was found")
	}
	for _, tc := range []struct {
		f     model.EvaluatorFilter
		match bool
		spans string
	}{
		{model.EvaluatorFilter{}, true, "a,b"},
		{model.EvaluatorFilter{Agents: []string{"other"}}, false, "a,b"},
		{model.EvaluatorFilter{Tags: []string{"dev", "prod"}}, true, "a,b"},
		{model.EvaluatorFilter{Tags: []string{"dev"}}, false, "a,b"},
		{model.EvaluatorFilter{SpanKinds: []string{"llm"}}, true, "a"},
		{model.EvaluatorFilter{SpanNames: []string{"lookup"}}, true, "b"},
	} {
		if matches(tc.f, tr) != tc.match || strings.Join(matchingSpans(tc.f, tr), ",") != tc.spans {
			t.Errorf("%+v: matches %v, spans %v", tc.f, matches(tc.f, tr), matchingSpans(tc.f, tr))
		}
	}
}
