package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestEvaluatorsAPI: a workspace evaluator is created, judges one span of a trace with its
// own criteria and template, gets a second version that judges again, lists its versions
// and is deleted while its verdicts stay; mistakes name their field; every answer is
// checked against openapi.json.
func TestEvaluatorsAPI(t *testing.T) {
	e := newAuthEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	e.api.cfg.Eval.Start(ctx, nil)
	doc := loadOpenAPI(t)
	owner := e.register("evaluators-owner@example.com", nil).str("access_token")
	viewer := e.member(owner, "evaluators-viewer@example.com", "viewer")
	key, _ := e.createKey(owner, "ingest", "read")
	now := time.Now().UTC().Format(time.RFC3339)
	tr := trace("ev-1", "timestamp", now, "output", "Done.", "spans", []map[string]any{
		{"span_id": "plan", "kind": "chain", "name": "plan", "start_time": now, "input": "plan the refund", "output": "1. look up the order"},
		{"span_id": "answer", "kind": "llm", "name": "answer", "start_time": now, "input": "Where is order 42?", "output": "It ships tomorrow."},
	})
	if a := e.do("POST", "/api/v1/traces", key, tr); a.status != 202 {
		t.Fatalf("ingest = %d %s", a.status, a.raw)
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
	def := map[string]any{"id": "answer-quality", "name": "Answer quality", "scope": "span",
		"filter": map[string]any{"span_kinds": []string{"llm"}}, "criteria": []string{"helpfulness", "relevance"},
		"template": "Rate this step.\nIN: {{input}}\nOUT: {{output}}\n{{criteria}}", "explanation": false, "enabled": true}
	a := check("POST", "/api/v1/evaluators", "/api/v1/evaluators", owner, def, 201)
	if a.body["version"] != 1.0 || a.str("created_by") == "" {
		t.Fatalf("created %s", a.raw)
	}
	check("POST", "/api/v1/evaluators", "/api/v1/evaluators", owner, def, 409)
	check("POST", "/api/v1/evaluators", "/api/v1/evaluators", viewer, def, 403)

	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/ev-1", owner,
		map[string]any{"evaluator": "answer-quality", "span_id": "answer"}, 200)
	if a.body["status"] != "done" || a.str("span_id") != "answer" || a.str("evaluator_id") != "answer-quality" ||
		a.body["evaluator_version"] != 1.0 || len(a.body["verdicts"].([]any)) != 2 {
		t.Fatalf("span evaluation %s", a.raw)
	}
	if p := a.str("prompt"); !strings.HasPrefix(p, "Rate this step.\nIN: Where is order 42?\nOUT: It ships tomorrow.") {
		t.Errorf("prompt = %q", p)
	}
	first := a.str("id")
	// The same evaluator version on the same span is one job.
	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/ev-1", owner,
		map[string]any{"evaluator": "answer-quality", "span_id": "answer"}, 200)
	if a.str("id") != first {
		t.Errorf("a repeated evaluation made a new job: %s", a.raw)
	}

	// A second version judges again.
	def["criteria"] = []string{"helpfulness"}
	a = check("PUT", "/api/v1/evaluators/{id}", "/api/v1/evaluators/answer-quality", owner, def, 200)
	if a.body["version"] != 2.0 {
		t.Fatalf("second version %s", a.raw)
	}
	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/ev-1", owner,
		map[string]any{"evaluator": "answer-quality", "span_id": "answer"}, 200)
	if a.str("id") == first || a.body["evaluator_version"] != 2.0 || len(a.body["verdicts"].([]any)) != 1 {
		t.Errorf("version 2 evaluation %s", a.raw)
	}
	a = check("GET", "/api/v1/evaluators/{id}/versions", "/api/v1/evaluators/answer-quality/versions", viewer, nil, 200)
	if vs := a.body["evaluators"].([]any); len(vs) != 2 || vs[0].(map[string]any)["version"] != 2.0 {
		t.Errorf("versions %s", a.raw)
	}
	a = check("GET", "/api/v1/evaluators/{id}", "/api/v1/evaluators/answer-quality?version=1", viewer, nil, 200)
	if len(a.body["criteria"].([]any)) != 2 {
		t.Errorf("version 1 %s", a.raw)
	}
	a = check("GET", "/api/v1/evaluators", "/api/v1/evaluators", viewer, nil, 200)
	if list := a.body["evaluators"].([]any); len(list) != 1 || list[0].(map[string]any)["version"] != 2.0 {
		t.Errorf("list %s", a.raw)
	}

	// Mistakes name the offending field.
	field := func(a answer) string { return a.body["errors"].([]any)[0].(map[string]any)["field"].(string) }
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"id": "x1", "name": "X", "scope": "conversation"}, "scope"},
		{map[string]any{"id": "x1", "name": "X", "scope": "session", "filter": map[string]any{"tags": []string{"beta"}}}, "filter.tags"},
		{map[string]any{"id": "x1", "name": "X", "criteria": []string{"vibes"}}, "criteria[0]"},
		{map[string]any{"id": "Bad Id", "name": "X"}, "id"},
		{map[string]any{"id": "x1", "name": "X", "sample_rate": 2}, "sample_rate"},
		{map[string]any{"id": "x1", "name": "X", "filter": map[string]any{"span_kinds": []string{"llm"}}}, "filter"},
		{map[string]any{"id": "x1", "name": "X", "delay": "soon"}, "delay"},
	} {
		if got := field(check("POST", "/api/v1/evaluators", "/api/v1/evaluators", owner, tc.body, 400)); got != tc.want {
			t.Errorf("%v: field %q, want %q", tc.body, got, tc.want)
		}
	}
	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/ev-1", owner, map[string]any{"evaluator": "nope"}, 404)
	if field(a) != "evaluator" {
		t.Errorf("unknown evaluator %s", a.raw)
	}
	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/ev-1", owner, map[string]any{"span_id": "nope"}, 404)
	if field(a) != "span_id" {
		t.Errorf("unknown span %s", a.raw)
	}
	check("PUT", "/api/v1/evaluators/{id}", "/api/v1/evaluators/missing", owner, map[string]any{"name": "M"}, 404)
	check("GET", "/api/v1/evaluators/{id}", "/api/v1/evaluators/answer-quality?version=x", viewer, nil, 400)

	// Deleted: gone from the list, its verdicts kept.
	if a := e.do("DELETE", "/api/v1/evaluators/answer-quality", owner, nil); a.status != 204 {
		t.Fatalf("delete = %d %s", a.status, a.raw)
	}
	check("DELETE", "/api/v1/evaluators/{id}", "/api/v1/evaluators/answer-quality", owner, nil, 404)
	check("GET", "/api/v1/evaluators/{id}", "/api/v1/evaluators/answer-quality", viewer, nil, 404)
	check("GET", "/api/v1/evaluate/evaluations/{id}", "/api/v1/evaluate/evaluations/"+first, viewer, nil, 200)
}
