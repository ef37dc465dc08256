package main

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
)

// TestScaleOutJudgeTraces: the evaluate role of a scale-out deployment judges a session the
// process role stored in PostgreSQL and writes the trace of its judge call there itself,
// under the workspace's judge companion: readable through the judge-traces route, never
// among the workspace's own traces, and priced as the judge spend.
func TestScaleOutJudgeTraces(t *testing.T) {
	e := newScaleEnv(t)
	judge := providertest.New(provider.KindGemini, providertest.Rate(70))
	defer judge.Close()
	const setupKey = "aosetup_scaleout_judge_traces_0123456789"
	t.Setenv("GEMINI_API_KEY", "scaleout-judge-key")
	t.Setenv("GEMINI_BASE_URL", judge.URL)
	t.Setenv("AGENTOBS_SETUP_SECRET", setupKey)
	ingest := e.start("ingest,process")
	api := e.start("api,query,evaluate")

	var ids []string
	for i := range 2 {
		tr := traceInput("conv-turn-" + string(rune('a'+i)))
		tr["session_id"], tr["timestamp"] = "conv-1", time.Date(2026, 11, 25, 10, i, 0, 0, time.UTC).Format(time.RFC3339)
		if code, body := ingest.post("/api/v1/traces", tr); code != 202 {
			t.Fatalf("ingest = %d %s", code, body)
		}
		ids = append(ids, tr["trace_id"].(string))
	}
	e.awaitStored(ids, 30*time.Second)
	code, reg := api.postAs("/api/v1/auth/register", "", map[string]any{"email": "judge@example.com", "password": "correct horse battery",
		"name": "Judy", "setup_key": setupKey})
	if code != 201 {
		t.Fatalf("register = %d %v", code, reg)
	}
	access := reg["access_token"].(string)

	code, ev := api.postAs("/api/v1/evaluate/session/conv-1", access, map[string]any{"criteria": []string{"helpfulness"}})
	if code != 200 || ev["status"] != "done" || ev["session_id"] != "conv-1" || ev["judge_trace_id"] == nil || ev["overall_score"] != 70.0 {
		t.Fatalf("evaluate session = %d %v", code, ev)
	}
	traceID, cost := ev["judge_trace_id"].(string), ev["cost_usd"].(float64)
	code, body, _ := api.do("GET", "/api/v1/evaluate/judge-traces/"+traceID, access, "", nil)
	var jt struct {
		CostUSD float64 `json:"cost_usd"`
		Spans   []struct {
			Kind  string `json:"kind"`
			Input string `json:"input"`
		} `json:"spans"`
	}
	if code != 200 || json.Unmarshal(body, &jt) != nil || len(jt.Spans) != 1 || jt.Spans[0].Kind != "llm" || jt.CostUSD != cost || cost <= 0 {
		t.Fatalf("judge trace = %d %s", code, body)
	}
	if code, _, _ := api.do("GET", "/api/v1/traces/"+traceID, testKey, "", nil); code != 404 {
		t.Errorf("the judge trace is among the workspace's traces: %d", code)
	}
	_, body, _ = api.do("GET", "/api/v1/quality/overview?range=24h", access, "", nil)
	var o struct {
		JudgeSpend struct {
			RangeUSD float64 `json:"range_usd"`
		} `json:"judge_spend"`
	}
	if json.Unmarshal(body, &o) != nil || math.Abs(o.JudgeSpend.RangeUSD-cost) > 1e-12 {
		t.Errorf("judge spend %s, want %v", body, cost)
	}

	// In PostgreSQL: the companion holds the judge trace and no workspaces row.
	conn, err := pgx.Connect(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var traces, rows int
	if err := conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM traces WHERE workspace_id LIKE '%~judge'),
		(SELECT count(*) FROM workspaces WHERE id LIKE '%~judge')`).Scan(&traces, &rows); err != nil {
		t.Fatal(err)
	}
	if traces != 1 || rows != 0 {
		t.Errorf("%d judge traces and %d companion workspace rows in PostgreSQL, want 1 and 0", traces, rows)
	}
}
