package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEvaluationAPI drives the evaluate role over HTTP against a fake Gemini judge: judge a
// trace, read it back in the history and the quality overview, give feedback, define a
// criterion, run a batch; every answer is checked against openapi.json.
func TestEvaluationAPI(t *testing.T) {
	e := newAuthEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	e.api.cfg.Eval.Start(ctx, nil)
	doc := loadOpenAPI(t)
	owner := e.register("eval-owner@example.com", nil).str("access_token")
	viewer := e.member(owner, "eval-viewer@example.com", "viewer")
	key, _ := e.createKey(owner, "ingest", "read")
	now := time.Now().UTC().Format(time.RFC3339)
	for i := range 3 {
		tr := trace(fmt.Sprintf("eval-%d", i), "timestamp", now, "output", "It ships tomorrow.")
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

	a := check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/eval-0", owner, nil, 200)
	if a.body["status"] != "done" || a.body["overall_score"] != 80.0 || len(a.body["verdicts"].([]any)) != 4 {
		t.Fatalf("evaluation %s", a.raw)
	}
	id := a.str("id")
	// The fake rates everything 80, which is no answer to a true/false criterion: the
	// verdict is unparsable and carries no score.
	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/eval-1", owner, map[string]any{"criteria": []string{"hallucination", "toxicity"}}, 200)
	if a.body["status"] != "unparsable" || a.body["overall_score"] != nil || a.str("raw_answer") == "" {
		t.Errorf("unparsable evaluation %s", a.raw)
	}
	check("GET", "/api/v1/evaluate/evaluations/{id}", "/api/v1/evaluate/evaluations/"+id, viewer, nil, 200)

	// Mistakes name the offending field.
	a = check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/eval-0", owner, map[string]any{"criteria": []string{"vibes"}}, 400)
	if errs := a.body["errors"].([]any); errs[0].(map[string]any)["field"] != "criteria[0]" {
		t.Errorf("unknown criterion problem %s", a.raw)
	}
	check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/eval-0", owner, map[string]any{"criterion": []string{"x"}}, 400)
	check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/nope", owner, nil, 404)
	check("POST", "/api/v1/evaluate/trace/{trace_id}", "/api/v1/evaluate/trace/eval-0", viewer, nil, 403)

	a = check("GET", "/api/v1/evaluate/history", "/api/v1/evaluate/history?page=1&page_size=1", viewer, nil, 200)
	if a.body["total"] != 2.0 || len(a.body["evaluations"].([]any)) != 1 {
		t.Errorf("history %s", a.raw)
	}
	check("GET", "/api/v1/evaluate/history", "/api/v1/evaluate/history?page=0", viewer, nil, 400)
	a = check("GET", "/api/v1/quality/overview", "/api/v1/quality/overview?range=24h", viewer, nil, 200)
	kpis := a.body["kpis"].(map[string]any)
	if kpis["accuracy"].(map[string]any)["mean"] != 80.0 || kpis["overall"].(map[string]any)["count"] != 1.0 {
		t.Errorf("overview %s", a.raw)
	}
	if a.body["judge"].(map[string]any)["status"] != "ready" {
		t.Errorf("judge %v", a.body["judge"])
	}
	check("GET", "/api/v1/quality/overview", "/api/v1/quality/overview?range=1y", viewer, nil, 400)

	// Feedback, from an SDK's ingest key.
	check("POST", "/api/v1/traces/{trace_id}/feedback", "/api/v1/traces/eval-0/feedback", key,
		map[string]any{"thumbs": "down", "score": 20, "comment": "wrong date", "user_id": "u1"}, 201)
	a = check("POST", "/api/v1/traces/{trace_id}/feedback", "/api/v1/traces/eval-0/feedback", key, map[string]any{"thumbs": "sideways"}, 400)
	if a.body["errors"].([]any)[0].(map[string]any)["field"] != "thumbs" {
		t.Errorf("feedback problem %s", a.raw)
	}
	check("POST", "/api/v1/traces/{trace_id}/feedback", "/api/v1/traces/nope/feedback", key, map[string]any{"thumbs": "up"}, 404)
	a = check("GET", "/api/v1/traces/{trace_id}", "/api/v1/traces/eval-0", key, nil, 200)
	if scores := a.body["scores"].([]any); len(scores) != 2 {
		t.Errorf("trace scores after feedback: %v", a.body["scores"])
	}

	// Custom criteria.
	crit := map[string]any{"name": "empathy", "description": "Does the agent acknowledge the user's feelings?", "output_type": "categorical",
		"labels": []map[string]any{{"name": "warm", "score": 100}, {"name": "cold", "score": 0}}, "higher_is_better": true}
	check("POST", "/api/v1/evaluate/custom-criteria", "/api/v1/evaluate/custom-criteria", owner, crit, 201)
	a = check("POST", "/api/v1/evaluate/custom-criteria", "/api/v1/evaluate/custom-criteria", owner, map[string]any{"name": "accuracy", "description": "x", "output_type": "numeric"}, 409)
	a = check("POST", "/api/v1/evaluate/custom-criteria", "/api/v1/evaluate/custom-criteria", owner, map[string]any{"name": "Bad Name", "description": "x", "output_type": "stars"}, 400)
	if len(a.body["errors"].([]any)) != 2 {
		t.Errorf("criterion problem %s", a.raw)
	}
	a = check("GET", "/api/v1/evaluate/criteria", "/api/v1/evaluate/criteria", viewer, nil, 200)
	if n := len(a.body["criteria"].([]any)); n != 8 {
		t.Errorf("%d criteria, want 7 built-in and 1 custom", n)
	}

	// A batch, with progress.
	a = check("POST", "/api/v1/evaluate/batch", "/api/v1/evaluate/batch", owner,
		map[string]any{"trace_ids": []string{"eval-0", "eval-2", "nope"}, "criteria": []string{"accuracy", "empathy"}}, 202)
	if a.body["total"] != 2.0 || a.body["missing_traces"] != 1.0 {
		t.Errorf("batch %s", a.raw)
	}
	batch := a.str("id")
	deadline := time.Now().Add(10 * time.Second)
	for {
		a = check("GET", "/api/v1/evaluate/batch/{id}", "/api/v1/evaluate/batch/"+batch, viewer, nil, 200)
		counts := a.body["counts"].(map[string]any)
		if counts["done"] == 2.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch did not finish: %s", a.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	check("POST", "/api/v1/evaluate/batch", "/api/v1/evaluate/batch", owner, map[string]any{"trace_ids": []string{}}, 400)
	check("GET", "/api/v1/evaluate/judge", "/api/v1/evaluate/judge", viewer, nil, 200)
	check("POST", "/api/v1/evaluate/judge/resume", "/api/v1/evaluate/judge/resume", owner, nil, 200)

	// A/B tests.
	a = check("POST", "/api/v1/ab-tests", "/api/v1/ab-tests", owner, map[string]any{"name": "shorter prompt", "primary_metric": "eval_score",
		"guardrail_metrics": []string{"latency", "cost"}}, 201)
	ab := a.str("id")
	a = check("POST", "/api/v1/ab-tests", "/api/v1/ab-tests", owner, map[string]any{"name": "x", "primary_metric": "vibes", "unit": "device"}, 400)
	if len(a.body["errors"].([]any)) != 2 {
		t.Errorf("A/B problem %s", a.raw)
	}
	check("POST", "/api/v1/ab-tests", "/api/v1/ab-tests", viewer, map[string]any{"name": "x", "primary_metric": "cost"}, 403)
	a = check("GET", "/api/v1/ab-tests", "/api/v1/ab-tests", viewer, nil, 200)
	if len(a.body["ab_tests"].([]any)) != 1 {
		t.Errorf("A/B list %s", a.raw)
	}
	check("GET", "/api/v1/ab-tests/{id}", "/api/v1/ab-tests/"+ab, viewer, nil, 200)
	check("GET", "/api/v1/ab-tests/{id}", "/api/v1/ab-tests/nope", viewer, nil, 404)
	a = check("GET", "/api/v1/ab-tests/{id}/results", "/api/v1/ab-tests/"+ab+"/results", viewer, nil, 200)
	if a.body["verdict"] != "no_difference_yet" {
		t.Errorf("results of an empty test %s", a.raw)
	}
	a = check("GET", "/api/v1/ab-tests/{id}/assign", "/api/v1/ab-tests/"+ab+"/assign?unit_id=user-1", key, nil, 200)
	if v := a.str("variant"); v != "control" && v != "treatment" {
		t.Errorf("assignment %s", a.raw)
	}
	check("GET", "/api/v1/ab-tests/{id}/assign", "/api/v1/ab-tests/"+ab+"/assign", key, nil, 400)
	a = check("GET", "/api/v1/ab-tests/sample-size", "/api/v1/ab-tests/sample-size?baseline=0.5&mde=0.05", viewer, nil, 200)
	if a.body["per_arm"] != 1570.0 {
		t.Errorf("sample size %s, want 1570 per arm (2·(1.96+0.84)²·0.25/0.05²)", a.raw)
	}
	check("GET", "/api/v1/ab-tests/sample-size", "/api/v1/ab-tests/sample-size?mde=0.05", viewer, nil, 400)
}

// TestQualityCountsAPIScores: scores sent by Langfuse SDKs (the scores endpoint and
// score-create in batch ingestion) are criteria of the Quality page, next to the judge's,
// without moving the judge's score cards.
func TestQualityCountsAPIScores(t *testing.T) {
	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	owner := e.register("scores-owner@example.com", nil).str("access_token")
	key, _ := e.createKey(owner, "ingest", "read")
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("pk-lf-1:"+key))
	now := time.Now().UTC()
	if a := e.do("POST", "/api/v1/traces", key, trace("scored-1", "timestamp", now.Format(time.RFC3339))); a.status != 202 {
		t.Fatalf("ingest = %d %s", a.status, a.raw)
	}
	a := e.do("POST", "/api/public/scores", "", map[string]any{"id": "s1", "traceId": "scored-1", "name": "correctness", "value": 1}, "Authorization", basic)
	if a.status != 200 {
		t.Fatalf("score = %d %s", a.status, a.raw)
	}
	batch := map[string]any{"batch": []map[string]any{{"id": "ev1", "type": "score-create", "timestamp": now.Format(time.RFC3339Nano),
		"body": map[string]any{"id": "s2", "traceId": "scored-1", "name": "correctness", "value": 0.5}}}}
	if a := e.do("POST", "/api/public/ingestion", "", batch, "Authorization", basic); a.status != 207 || !strings.Contains(a.raw, `"successes":[{`) {
		t.Fatalf("ingestion = %d %s", a.status, a.raw)
	}
	var criteria []any
	deadline := time.Now().Add(10 * time.Second)
	for {
		a = e.do("GET", "/api/v1/quality/overview?range=24h", owner, nil)
		validateAnswer(t, doc, "GET", "/api/v1/quality/overview", a.status, a.header.Get("Content-Type"), []byte(a.raw))
		criteria, _ = a.body["criteria"].([]any)
		if len(criteria) == 1 && criteria[0].(map[string]any)["count"] == 2.0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := map[string]any{"bucket_ms": 0.0, "criterion": "correctness", "source": "api", "mean": 0.75, "count": 2.0}
	if len(criteria) != 1 || !reflect.DeepEqual(criteria[0], want) {
		t.Fatalf("criteria = %v, want [%v]", criteria, want)
	}
	if k := a.body["kpis"].(map[string]any)["overall"].(map[string]any); k["count"] != 0.0 {
		t.Errorf("API scores moved the judge's overall card: %v", k)
	}
}
