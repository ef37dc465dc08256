package eval

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// sessionTrace is a turn of a conversation: it ends 2 s after it starts.
func sessionTrace(id, session, agent string, start time.Time) model.Trace {
	return model.Trace{WorkspaceID: ws, TraceID: id, AgentID: agent, Name: "chat", UserID: "u-1", SessionID: session,
		StartTime: start, Status: model.StatusSuccess, Input: "question " + id, Output: "answer " + id, Model: "gpt-4o-mini",
		Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(2000)}}
}

// TestEvaluateSessionOnDemand: the judge sees the session's turns in time order, the job is
// idempotent on (evaluator@version, session), and its judge call is a priced trace of the
// judge companion, not of the workspace.
func TestEvaluateSessionOnDemand(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	now := time.Now().UTC()
	ctx := context.Background()
	if err := st.WriteTraces(ctx, []model.Trace{sessionTrace("turn-2", "conv-1", "support-bot", now.Add(-time.Minute)),
		sessionTrace("turn-1", "conv-1", "support-bot", now.Add(-2*time.Minute)), sessionTrace("other", "conv-2", "billing-bot", now)}); err != nil {
		t.Fatal(err)
	}
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})

	ev, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, SessionID: "conv-1", Criteria: []string{"helpfulness"}, Source: model.EvalSourceManual}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != model.EvalDone || ev.SessionID != "conv-1" || ev.TraceID != "" || ev.AgentID != "support-bot" || ev.Overall == nil || *ev.Overall != 80 {
		t.Fatalf("evaluation %+v", ev)
	}
	p := ev.Prompt
	first, second := strings.Index(p, "question turn-1"), strings.Index(p, "question turn-2")
	if first < 0 || second < first || !strings.Contains(p, "answer turn-2") || !strings.Contains(p, "session conv-1, 2 turns") || strings.Contains(p, "other") {
		t.Errorf("the prompt does not carry the session in time order:\n%s", p)
	}
	again, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, SessionID: "conv-1", Criteria: []string{"helpfulness"}}, time.Second)
	if err != nil || again.ID != ev.ID || len(srv.Calls()) != 1 {
		t.Errorf("the same job again: %v (id %s vs %s), %d judge calls", err, again.ID, ev.ID, len(srv.Calls()))
	}
	if _, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, SessionID: "nope"}, time.Second); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("unknown session: %v", err)
	}

	// The judge call is a trace of the companion, priced like the evaluation.
	jt, err := svc.JudgeTrace(ctx, ws, ev.JudgeTraceID)
	if err != nil || ev.JudgeTraceID != ev.ID {
		t.Fatalf("judge trace %q: %v", ev.JudgeTraceID, err)
	}
	if len(jt.Spans) != 1 || jt.Spans[0].Kind != model.KindLLM || jt.Spans[0].Input != ev.Prompt || jt.Spans[0].Output != ev.RawAnswer ||
		jt.Spans[0].Model != "gemini-2.0-flash" || jt.Spans[0].Provider != provider.KindGemini || jt.CostUSD == nil || *jt.CostUSD != *ev.CostUSD ||
		jt.TokensInput == nil || *jt.TokensInput != ev.TokensInput || jt.WorkspaceID != model.JudgeWorkspaceID(ws) {
		t.Errorf("judge trace %+v", jt)
	}
	if n, _ := st.CountTraces(ctx, ws); n != 3 {
		t.Errorf("the workspace has %d traces, want its own 3", n)
	}
	if _, err := svc.JudgeTrace(ctx, "22222222-2222-4222-8222-222222222222", ev.ID); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("another workspace reads the judge trace: %v", err)
	}
}

func TestSessionTranscriptIsBounded(t *testing.T) {
	var trs []model.Trace
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := range 40 {
		tr := sessionTrace(fmt.Sprintf("t%02d", i), "long", "bot", start.Add(time.Duration(i)*time.Minute))
		tr.Input = strings.Repeat("x", 5000)
		trs = append(trs, tr)
	}
	p := renderSessionPrompt(DefaultSessionTemplate, trs, 250, nil)
	if len(p) > maxTranscriptChars+2000 {
		t.Errorf("prompt of %d characters", len(p))
	}
	shown := strings.Count(p, "User input:")
	if shown == 0 || shown >= 40 || !strings.Contains(p, fmt.Sprintf("[… cut: %d more traces of this session are not shown]", 250-shown)) {
		t.Errorf("%d turns shown; the prompt ends %q", shown, p[len(p)-200:])
	}
	if !strings.Contains(p, "[… cut: 1000 more bytes]") || !strings.Contains(p, "250 turns") {
		t.Error("long inputs are not cut with a marker, or the turn count is wrong")
	}
	custom := renderSessionPrompt("{{session_id}}|{{user_id}}|{{trace_count}}|{{input}}|{{output}}|{{agent_id}}", trs[:2], 2, nil)
	if custom != "long|u-1|2|"+trs[0].Input+"|answer t01|bot" {
		t.Errorf("variables: %q", custom)
	}
}

// TestSessionEvaluatorOnline: a session evaluator judges the sampled sessions of its agent
// once no trace came for its delay; a session still going waits; a trace that arrives after
// the verdict does not make the same version judge it again, a new version does.
func TestSessionEvaluatorOnline(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	now := time.Now().UTC()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var traces []model.Trace
	for i := range 40 {
		session := fmt.Sprintf("conv-%02d", i)
		agent := []string{"support-bot", "billing-bot"}[i%2]
		for turn := range 3 {
			traces = append(traces, sessionTrace(fmt.Sprintf("%s-%d", session, turn), session, agent, now.Add(-time.Duration(10*60-i*5-turn)*time.Second)))
		}
	}
	// Still going: its last turn ended 10 s ago, within the 60 s delay.
	traces = append(traces, sessionTrace("live-0", "live", "support-bot", now.Add(-5*time.Minute)), sessionTrace("live-1", "live", "support-bot", now.Add(-12*time.Second)))
	if err := st.WriteTraces(ctx, traces); err != nil {
		t.Fatal(err)
	}
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	svc.cfg.Now = func() time.Time { return now }
	svc.Start(ctx, nil)

	def, err := svc.PutEvaluator(ctx, model.EvaluatorDef{WorkspaceID: ws, ID: "conversation", Name: "Conversation", Scope: model.ScopeSession,
		Filter: model.EvaluatorFilter{Agents: []string{"support-bot"}}, SampleRate: 0.6, Delay: model.Duration(time.Minute),
		Criteria: []string{"helpfulness"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := 0; i < 40; i += 2 {
		if s := fmt.Sprintf("conv-%02d", i); Sampled(def.ID, def.Version, s, 0.6) {
			want[s] = true
		}
	}
	if len(want) == 0 || len(want) == 20 {
		t.Fatalf("sampling picked %d of 20 sessions; the test needs some of both", len(want))
	}
	from := now.Add(-time.Hour)
	next := svc.onlineDefTick(ctx, ws, *def, from)
	if !next.Equal(now.Add(-time.Minute)) {
		t.Errorf("next window starts at %v, want now minus the delay", next)
	}
	svc.onlineDefTick(ctx, ws, *def, from) // seen again: no second job
	evs := awaitDone(t, st, len(want))
	for _, ev := range evs {
		if !want[ev.SessionID] || ev.TraceID != "" || ev.EvaluatorID != "conversation" || ev.AgentID != "support-bot" || ev.JudgeTraceID == "" {
			t.Errorf("evaluation %+v", ev)
		}
		if !strings.Contains(ev.Prompt, "question "+ev.SessionID+"-0") || !strings.Contains(ev.Prompt, "answer "+ev.SessionID+"-2") {
			t.Errorf("the prompt of %s lacks its turns", ev.SessionID)
		}
	}

	// A judged session gets a new turn: it is complete again a minute later, but this
	// version has judged it.
	var judged string
	for s := range want {
		if Sampled(def.ID, def.Version+1, s, def.SampleRate) {
			judged = s // version 2 samples it too
		}
	}
	if judged == "" {
		t.Fatal("no session is sampled by both versions")
	}
	if err := st.WriteTraces(ctx, []model.Trace{sessionTrace(judged+"-3", judged, "support-bot", now.Add(-50*time.Second))}); err != nil {
		t.Fatal(err)
	}
	// The live session has been quiet for the delay by then: judged if sampled.
	now = now.Add(2 * time.Minute)
	live := 0
	if Sampled(def.ID, def.Version, "live", def.SampleRate) {
		live = 1
	}
	svc.onlineDefTick(ctx, ws, *def, next)
	awaitDone(t, st, len(want)+live)
	if evs, n, _ := st.ListEvaluations(ctx, store.EvaluationQuery{WorkspaceID: ws, SessionID: judged}); n != 1 || strings.Contains(evs[0].Prompt, judged+"-3") {
		t.Errorf("version 1 judged %s %d times", judged, n)
	}
	// Version 2 starts where version 1 stopped: the session that changed is judged by it.
	v2, err := svc.PutEvaluator(ctx, *def)
	if err != nil {
		t.Fatal(err)
	}
	if Sampled(v2.ID, v2.Version, "live", v2.SampleRate) {
		live++
	}
	svc.onlineDefTick(ctx, ws, *v2, next)
	awaitDone(t, st, len(want)+live+1)
	evs, n, _ := st.ListEvaluations(ctx, store.EvaluationQuery{WorkspaceID: ws, SessionID: judged})
	if n != 2 || evs[0].EvaluatorVersion != 2 || !strings.Contains(evs[0].Prompt, "answer "+judged+"-3") {
		t.Errorf("version 2 did not judge the changed session: %d evaluations", n)
	}
}

// TestJudgeTraceRecordsRetriesAndSpend: a judge call retried after a 503 is one trace with
// an error span and a priced success span, and the Quality page's judge spend is the sum
// of the stored judge traces' cost.
func TestJudgeTraceRecordsRetriesAndSpend(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	ids := seedTraces(t, st, 6)
	var n atomic.Int32
	srv := providertest.New(provider.KindGemini, func(c providertest.Call) providertest.Reply {
		if n.Add(1)%2 == 1 {
			return providertest.Reply{Status: 503, Message: "overloaded"}
		}
		return goodJudge(c)
	})
	defer srv.Close()
	p, err := provider.New(srv.Config("gemini-2.0-flash"))
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, srv, Evaluator{})
	svc.cfg.Judge = provider.NewClient(p, provider.Limits{MaxConcurrency: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	ctx := context.Background()
	var sum float64
	for _, id := range ids {
		ev, err := svc.Evaluate(ctx, Request{WorkspaceID: ws, TraceID: id, Criteria: []string{"accuracy"}, Source: model.EvalSourceManual}, 10*time.Second)
		if err != nil || ev.Status != model.EvalDone || ev.Attempts != 2 {
			t.Fatalf("evaluation %+v, %v", ev, err)
		}
		jt, err := svc.JudgeTrace(ctx, ws, ev.JudgeTraceID)
		if err != nil {
			t.Fatal(err)
		}
		if len(jt.Spans) != 2 || jt.Spans[0].Status != model.StatusError || !strings.Contains(jt.Spans[0].StatusMessage, "overloaded") ||
			jt.Spans[0].CostUSD != nil || jt.Spans[1].Status != model.StatusSuccess || jt.Spans[1].CostUSD == nil || jt.ErrorSpanCount != 1 {
			t.Fatalf("judge trace spans: %s %q %v / %s %v; %d error spans", jt.Spans[0].Status, jt.Spans[0].StatusMessage,
				jt.Spans[0].CostUSD, jt.Spans[1].Status, jt.Spans[1].CostUSD, jt.ErrorSpanCount)
		}
		sum += *jt.CostUSD
	}
	now := time.Now().UTC()
	o, err := svc.Overview(ctx, ws, now.Add(-time.Hour), now.Add(time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if sum == 0 || math.Abs(o.JudgeSpend.RangeUSD-sum) > 1e-12 || math.Abs(o.JudgeSpend.TodayUSD-sum) > 1e-12 {
		t.Errorf("judge spend %v (today %v), want the judge traces' %v", o.JudgeSpend.RangeUSD, o.JudgeSpend.TodayUSD, sum)
	}
	// The workspace's own usage does not count the judge, and the roll-ups of both agree
	// with their traces.
	if n, _ := st.CountTraces(ctx, ws); n != int64(len(ids)) {
		t.Errorf("the workspace has %d traces, want its own %d", n, len(ids))
	}
	if bad, err := st.VerifyRollups(ctx); err != nil || len(bad) > 0 {
		t.Errorf("roll-ups after judge traces: %v, %v", bad, err)
	}
}

// TestPairwiseJudgingIsObserved: both orders of a pairwise judgement are provider calls
// an observer sees, so a traced run records both.
func TestPairwiseJudgingIsObserved(t *testing.T) {
	srv := providertest.New(provider.KindOpenAI, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Text: `{"explanation":"x","winner":"A"}`}
	})
	defer srv.Close()
	p, err := provider.New(srv.Config("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	var rec callRecorder
	v, err := JudgePair(provider.WithObserver(context.Background(), rec.add), provider.NewClient(p, provider.Limits{}), "say hi", "hi", "hello")
	if err != nil || v.Winner != "tie" {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	calls := rec.calls()
	if len(calls) != 2 || !strings.Contains(calls[0].Request.Prompt, "<response_a>\nhi\n") || !strings.Contains(calls[1].Request.Prompt, "<response_a>\nhello\n") {
		t.Errorf("observed %d calls", len(calls))
	}
}
