package httpapi

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestSessionEvaluationAndJudgeTraces: a session is judged on demand over HTTP; its verdict
// is in the history under the session; the judge call is a trace that only the owning
// workspace reads, through the judge-traces route and never among its own traces; judge
// spend is that trace's cost.
func TestSessionEvaluationAndJudgeTraces(t *testing.T) {
	e := newAuthEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	e.api.cfg.Eval.Start(ctx, nil)
	doc := loadOpenAPI(t)
	owner := e.register("session-owner@example.com", nil).str("access_token")
	viewer := e.member(owner, "session-viewer@example.com", "viewer")
	stranger := e.register("stranger@example.com", map[string]any{"workspace_name": "Elsewhere"}).str("access_token")
	key, _ := e.createKey(owner, "ingest", "read")
	now := time.Now().UTC()
	for i, id := range []string{"turn-1", "turn-2"} {
		tr := trace(id, "session_id", "chat-1", "timestamp", now.Add(time.Duration(i-2)*time.Minute).Format(time.RFC3339),
			"input", "question "+id, "output", "answer "+id)
		if a := e.do("POST", "/api/v1/traces", key, tr); a.status != 202 {
			t.Fatalf("ingest = %d %s", a.status, a.raw)
		}
	}
	check := func(method, pattern, path, cred string, body any, want int) answer {
		t.Helper()
		a := e.do(method, path, cred, body)
		if a.status != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, a.status, want, a.raw)
		}
		validateAnswer(t, doc, method, pattern, a.status, a.header.Get("Content-Type"), []byte(a.raw))
		return a
	}
	const sessionRoute, judgeRoute = "/api/v1/evaluate/session/{session_id}", "/api/v1/evaluate/judge-traces/{trace_id}"

	a := check("POST", sessionRoute, "/api/v1/evaluate/session/chat-1", owner, map[string]any{"criteria": []string{"helpfulness", "coherence"}}, 200)
	if a.body["status"] != "done" || a.str("session_id") != "chat-1" || a.body["trace_id"] != "" || a.body["overall_score"] != 80.0 || a.str("judge_trace_id") == "" {
		t.Fatalf("session evaluation %s", a.raw)
	}
	judgeTrace, cost := a.str("judge_trace_id"), a.body["cost_usd"].(float64)

	// Mistakes name their field; viewers cannot spend on the judge.
	a = check("POST", sessionRoute, "/api/v1/evaluate/session/chat-1", owner, map[string]any{"span_id": "x"}, 400)
	if a.body["errors"].([]any)[0].(map[string]any)["field"] != "span_id" {
		t.Errorf("span_id on a session: %s", a.raw)
	}
	a = check("POST", sessionRoute, "/api/v1/evaluate/session/chat-1", owner, map[string]any{"criteria": make([]string, 21)}, 400)
	if a.body["errors"].([]any)[0].(map[string]any)["field"] != "criteria" {
		t.Errorf("too many criteria: %s", a.raw)
	}
	check("POST", sessionRoute, "/api/v1/evaluate/session/nope", owner, nil, 404)
	check("POST", sessionRoute, "/api/v1/evaluate/session/chat-1", viewer, nil, 403)

	a = check("GET", "/api/v1/evaluate/history", "/api/v1/evaluate/history?session_id=chat-1", viewer, nil, 200)
	if a.body["total"] != 1.0 {
		t.Errorf("history of the session %s", a.raw)
	}

	a = check("GET", judgeRoute, "/api/v1/evaluate/judge-traces/"+judgeTrace, viewer, nil, 200)
	spans := a.body["spans"].([]any)
	if len(spans) != 1 || spans[0].(map[string]any)["kind"] != "llm" || a.body["cost_usd"] != cost || a.str("agent_id") != "judge" {
		t.Errorf("judge trace %s", a.raw)
	}
	check("GET", "/api/v1/traces/{trace_id}", "/api/v1/traces/"+judgeTrace, viewer, nil, 404)
	check("GET", judgeRoute, "/api/v1/evaluate/judge-traces/"+judgeTrace, stranger, nil, 404)
	check("GET", judgeRoute, "/api/v1/evaluate/judge-traces/nope", viewer, nil, 404)

	a = check("GET", "/api/v1/quality/overview", "/api/v1/quality/overview?range=24h", viewer, nil, 200)
	if spend := a.body["judge_spend"].(map[string]any)["range_usd"].(float64); math.Abs(spend-cost) > 1e-12 || cost <= 0 {
		t.Errorf("judge spend %v, want the judge trace's cost %v", spend, cost)
	}
}
