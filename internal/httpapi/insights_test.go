package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TestInsightRoutes records events with an API key, runs the analyses, and manages goals
// and settings as an owner, checking every answer against openapi.json.
func TestInsightRoutes(t *testing.T) {
	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	tok := e.register("insights@example.com", nil).str("access_token")
	check := func(method, pattern, path, cred string, body any, want int) answer {
		t.Helper()
		a := e.do(method, path, cred, body)
		if a.status != want {
			t.Fatalf("%s %s = %d %s", method, path, a.status, a.raw)
		}
		if want != 204 {
			validateAnswer(t, doc, method, pattern, a.status, a.header.Get("Content-Type"), []byte(a.raw))
		}
		return a
	}
	ws := e.wsID
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	ev := check("POST", "/api/v1/events", "/api/v1/events", e.key, map[string]any{"type": "deployment", "title": "support v2",
		"agent_id": "support", "version": "v2", "timestamp": at, "metadata": map[string]any{"commit": "abc123"}}, 201)
	if ev.str("version") != "v2" || ev.str("id") == "" {
		t.Errorf("event = %s", ev.raw)
	}
	// The same id again replaces, never duplicates.
	check("POST", "/api/v1/events", "/api/v1/events", e.key, map[string]any{"id": ev.str("id"), "type": "deployment", "title": "support v2.1",
		"agent_id": "support", "timestamp": at}, 201)
	list := check("GET", "/api/v1/events", "/api/v1/events?type=deployment", tok, nil, 200)
	var events struct {
		Events []struct{ ID, Title string } `json:"events"`
	}
	_ = json.Unmarshal([]byte(list.raw), &events)
	if len(events.Events) != 1 || events.Events[0].Title != "support v2.1" {
		t.Errorf("events = %s", list.raw)
	}
	// The Home activity stream shows it too.
	if stream := e.do("GET", "/api/v1/activity/stream", tok, nil); !strings.Contains(stream.raw, "support v2.1") {
		t.Errorf("activity stream lacks the event: %s", stream.raw)
	}

	tr := model.Trace{WorkspaceID: ws, TraceID: "t1", AgentID: "support", Name: "answer", StartTime: at.Add(10 * time.Minute), Model: "gpt-4o",
		Input: "same", Tags: []string{}, Declared: model.Declared{Status: model.StatusSuccess, CostUSD: model.Float64(0.5)}}
	tr2 := tr
	tr2.TraceID, tr2.StartTime = "t2", tr.StartTime.Add(time.Minute)
	if err := e.st.WriteTraces(t.Context(), []model.Trace{tr, tr2}); err != nil {
		t.Fatal(err)
	}
	run := check("POST", "/api/v1/insights/cost-optimization", "/api/v1/insights/cost-optimization", tok, nil, 201)
	if !strings.Contains(run.raw, `"duplicate_requests"`) || run.body["total_savings_usd"] != 0.5 {
		t.Errorf("cost run = %s", run.raw)
	}
	check("POST", "/api/v1/insights/error-diagnosis", "/api/v1/insights/error-diagnosis", tok, map[string]any{"agent_id": "support"}, 201)
	check("POST", "/api/v1/insights/feedback-analysis", "/api/v1/insights/feedback-analysis", tok, map[string]any{}, 201)
	check("GET", "/api/v1/insights/{id}", "/api/v1/insights/"+run.str("id"), tok, nil, 200)
	hist := check("GET", "/api/v1/insights", "/api/v1/insights?kind=cost-optimization", tok, nil, 200)
	if n := len(hist.body["insights"].([]any)); n != 1 {
		t.Errorf("history holds %d cost runs, want 1", n)
	}
	check("GET", "/api/v1/insights/daily-summary", "/api/v1/insights/daily-summary", tok, nil, 200)

	g := check("POST", "/api/v1/impact/goals", "/api/v1/impact/goals", tok, map[string]any{"name": "tickets deflected", "unit": "ticket",
		"value_per_unit_usd": 5, "target": 100, "achieved": 10}, 201)
	check("PUT", "/api/v1/impact/goals/{id}", "/api/v1/impact/goals/"+g.str("id"), tok, map[string]any{"name": "tickets deflected",
		"value_per_unit_usd": 5, "target": 100, "achieved": 20}, 200)
	check("GET", "/api/v1/impact/goals", "/api/v1/impact/goals", tok, nil, 200)
	check("PUT", "/api/v1/impact/settings", "/api/v1/impact/settings", tok, map[string]any{"infra_monthly_usd": 300}, 200)
	check("GET", "/api/v1/impact/settings", "/api/v1/impact/settings", tok, nil, 200)
	imp := check("GET", "/api/v1/impact", "/api/v1/impact", tok, nil, 200)
	roi := imp.body["roi"].(map[string]any)
	// 20 tickets × $5 = $100 against $1 of LLM spend and 7 days of $300 a month ($70).
	if roi["value_usd"] != 100.0 || roi["llm_cost_usd"] != 1.0 || roi["infra_cost_usd"] != 70.0 || imp.body["deployment"] == nil {
		t.Errorf("impact = %s", imp.raw)
	}
	check("DELETE", "/api/v1/impact/goals/{id}", "/api/v1/impact/goals/"+g.str("id"), tok, nil, 204)
	check("DELETE", "/api/v1/impact/goals/{id}", "/api/v1/impact/goals/"+g.str("id"), tok, nil, 404)

	// Mistakes name their field and store nothing.
	for _, c := range []struct {
		method, path, cred string
		body               any
		field              string
	}{
		{"POST", "/api/v1/events", e.key, map[string]any{"type": "party", "title": "x"}, "type"},
		{"POST", "/api/v1/events", e.key, map[string]any{"type": "incident", "title": ""}, "title"},
		{"POST", "/api/v1/events", e.key, map[string]any{"type": "incident", "title": "x", "metadata": []int{1}}, "metadata"},
		{"POST", "/api/v1/events", e.key, map[string]any{"type": "incident", "title": "x", "timestamp": "yesterday"}, "timestamp"},
		{"POST", "/api/v1/impact/goals", tok, map[string]any{"name": "x", "value_per_unit_usd": -1}, "value_per_unit_usd"},
		{"POST", "/api/v1/impact/goals", tok, map[string]any{"name": "x", "source": "successful_traces"}, "agent_id"},
		{"POST", "/api/v1/impact/goals", tok, map[string]any{"name": "x", "colour": "red"}, "colour"},
		{"PUT", "/api/v1/impact/settings", tok, map[string]any{"infra_monthly_usd": "lots"}, "infra_monthly_usd"},
		{"POST", "/api/v1/insights/cost-optimization", tok, map[string]any{"from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "from"},
		{"GET", "/api/v1/insights/daily-summary?date=monday", tok, nil, "date"},
		{"GET", "/api/v1/impact?from=soon", tok, nil, "from"},
		{"GET", "/api/v1/insights?limit=0", tok, nil, "limit"},
	} {
		a := e.do(c.method, c.path, c.cred, c.body)
		if a.status != 400 || !strings.Contains(a.raw, `"field":"`+c.field+`"`) {
			t.Errorf("%s %s %v = %d %s; want 400 naming %s", c.method, c.path, c.body, a.status, a.raw, c.field)
		}
	}
	if goals, _ := e.st.ListGoals(t.Context(), ws); len(goals) != 0 {
		t.Errorf("a rejected goal was stored: %+v", goals)
	}
	// An API key with the ingest scope may post events but not read analyses it did not ask for.
	if a := e.do("POST", "/api/v1/insights/cost-optimization", e.key, nil); a.status != 403 {
		t.Errorf("API key running an analysis = %d %s, want 403", a.status, a.raw)
	}
}

func FuzzInsightBodies(f *testing.F) {
	for _, s := range []string{
		`{"type":"deployment","title":"v2","agent_id":"a","version":"1","metadata":{"k":"v"}}`,
		`{"type":"custom","title":"x","timestamp":"2030-01-01T00:00:00Z"}`, `{"metadata":null,"type":"incident","title":"t"}`,
		`{"name":"g","value_per_unit_usd":1e308,"target":-0}`, `{"name":"g","source":"successful_traces","agent_id":"a"}`,
		`{"infra_monthly_usd":1,"daily_summary_channels":["webhook",""]}`, `{"from":"2026-01-01T00:00:00Z"}`, `[]`, `null`, `{"achieved":"NaN"}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		codeOK := func(what string, err error) bool {
			if err != nil && model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("%s error code %s: %v", what, model.ErrorCode(err), err)
			}
			return err == nil
		}
		var ev model.EventInput
		if codeOK("event", decodeFields(strings.NewReader(string(body)), &ev)) && codeOK("event", ev.Validate(now)) {
			if ev.Time == nil || ev.Title == "" || ev.Validate(now) != nil {
				t.Fatalf("accepted event %+v", ev)
			}
		}
		var g model.Goal
		if codeOK("goal", decodeFields(strings.NewReader(string(body)), &g)) && codeOK("goal", g.Validate()) {
			if _, err := json.Marshal(g); err != nil || g.Name == "" {
				t.Fatalf("accepted goal %+v (%v)", g, err)
			}
		}
		var st model.ImpactSettings
		if codeOK("settings", decodeFields(strings.NewReader(string(body)), &st)) && codeOK("settings", st.Validate()) {
			if _, err := json.Marshal(st); err != nil {
				t.Fatalf("accepted settings %+v (%v)", st, err)
			}
		}
	})
}
