package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TestAlertRoutes drives the alerting API as a workspace owner and checks every answer
// against openapi.json.
func TestAlertRoutes(t *testing.T) {
	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	tok := e.register("alerts@example.com", nil).str("access_token")
	check := func(method, pattern, path string, body any, want int) answer {
		t.Helper()
		a := e.do(method, path, tok, body)
		if a.status != want {
			t.Fatalf("%s %s = %d %s", method, path, a.status, a.raw)
		}
		if want != 204 {
			validateAnswer(t, doc, method, pattern, a.status, a.header.Get("Content-Type"), []byte(a.raw))
		}
		return a
	}
	// The plan's fields alone make a useful rule: defaults fill the rest.
	plan := map[string]any{"name": "Slow agent", "metric": "latency", "operator": ">", "threshold": 2000, "window": "5m",
		"severity": "warning", "notification_channels": []string{"slack"}}
	r := check("POST", "/api/v1/alert-rules", "/api/v1/alert-rules", plan, 201)
	for k, want := range map[string]any{"metric": "latency_p95", "kind": "threshold", "evaluation_interval": "1m", "for": "0s",
		"min_samples": float64(20), "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h", "enabled": true, "no_data": "ok"} {
		if r.body[k] != want {
			t.Errorf("default %s = %v, want %v", k, r.body[k], want)
		}
	}
	id := r.str("id")
	check("GET", "/api/v1/alert-rules", "/api/v1/alert-rules", nil, 200)
	check("GET", "/api/v1/alert-rules/{id}", "/api/v1/alert-rules/"+id, nil, 200)
	plan["threshold"], plan["group_by"], plan["for"] = 3000, "agent", "2m"
	u := check("PUT", "/api/v1/alert-rules/{id}", "/api/v1/alert-rules/"+id, plan, 200)
	if u.body["threshold"] != float64(3000) || u.body["for"] != "2m" || u.str("created_at") != r.str("created_at") {
		t.Errorf("updated rule = %s", u.raw)
	}
	check("POST", "/api/v1/alert-rules/preview", "/api/v1/alert-rules/preview", plan, 200)

	// Mistakes name their field and store nothing.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x", "metric": "latency_p42", "operator": ">", "threshold": 1, "window": "5m"}, "metric"},
		{map[string]any{"name": "x", "metric": "cost", "operator": ">", "threshold": 1, "window": "fortnight"}, "window"},
		{map[string]any{"name": "x", "metric": "cost", "operator": ">", "threshold": 1, "window": "30d"}, "window"},
		{map[string]any{"name": "x", "metric": "cost", "operator": "!=", "threshold": 1, "window": "5m"}, "operator"},
		{map[string]any{"name": "x", "metric": "cost", "operator": ">", "threshold": "high", "window": "5m"}, "threshold"},
		{map[string]any{"name": "x", "metric": "cost", "operator": ">", "threshold": 1, "window": "5m", "colour": "red"}, "colour"},
		{map[string]any{"name": "x", "metric": "cost", "operator": ">", "threshold": 1, "window": "5m", "notification_channels": []string{"fax"}}, "notification_channels[0]"},
		{map[string]any{"name": "x", "metric": "cost", "operator": ">", "threshold": 1, "window": "5m", "group_by": "session"}, "group_by"},
	} {
		a := e.do("POST", "/api/v1/alert-rules", tok, c.body)
		if a.status != 400 || !strings.Contains(a.header.Get("Content-Type"), "problem+json") || !strings.Contains(a.raw, `"`+c.field+`"`) {
			t.Errorf("%v = %d %s; want a problem naming %s", c.body, a.status, a.raw, c.field)
		}
	}
	if list := e.do("GET", "/api/v1/alert-rules", tok, nil); strings.Count(list.raw, `"id"`) != 1 {
		t.Errorf("rules after bad requests: %s", list.raw)
	}

	// Channels: secrets go in, never out.
	hook := check("PUT", "/api/v1/integrations/{type}", "/api/v1/integrations/webhook",
		map[string]any{"url": "https://hooks.example/agentobs", "secret": "top-secret-hmac"}, 200)
	if strings.Contains(hook.raw, "top-secret-hmac") || hook.body["configured"] != true {
		t.Errorf("integration answer = %s", hook.raw)
	}
	check("PUT", "/api/v1/integrations/{type}", "/api/v1/integrations/slack", map[string]any{"webhook_url": "https://hooks.slack.example/T/B/secret-path"}, 200)
	all := check("GET", "/api/v1/integrations", "/api/v1/integrations", nil, 200)
	if strings.Contains(all.raw, "secret-path") || strings.Contains(all.raw, "top-secret") {
		t.Errorf("secrets in the list: %s", all.raw)
	}
	sealed, _, err := e.st.GetIntegration(context.Background(), e.wsID, "webhook")
	if err != nil || strings.Contains(sealed, "top-secret") || strings.Contains(sealed, "hooks.example") {
		t.Errorf("stored in clear: %q, %v", sealed, err)
	}
	if a := e.do("PUT", "/api/v1/integrations/pagerduty", tok, map[string]any{"routing_key": "short"}); a.status != 400 || !strings.Contains(a.raw, "routing_key") {
		t.Errorf("bad routing key = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/integrations/fax", tok, map[string]any{}); a.status != 404 {
		t.Errorf("unknown type = %d", a.status)
	}
	check("DELETE", "/api/v1/integrations/{type}", "/api/v1/integrations/slack", nil, 204)

	// Silences.
	sl := check("POST", "/api/v1/silences", "/api/v1/silences", map[string]any{"matchers": []map[string]string{{"name": "agent", "value": "bot"}},
		"ends_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "comment": "deploy"}, 201)
	check("GET", "/api/v1/silences", "/api/v1/silences", nil, 200)
	if a := e.do("POST", "/api/v1/silences", tok, map[string]any{"matchers": []any{}, "ends_at": "2020-01-01T00:00:00Z"}); a.status != 400 ||
		!strings.Contains(a.raw, "matchers") || !strings.Contains(a.raw, "ends_at") {
		t.Errorf("bad silence = %d %s", a.status, a.raw)
	}
	check("DELETE", "/api/v1/silences/{id}", "/api/v1/silences/"+sl.str("id"), nil, 204)

	// Episodes: acknowledge, then resolve; a resolved one cannot change again.
	if err := e.st.PutAlert(context.Background(), model.Alert{WorkspaceID: e.wsID, ID: "al-1", RuleID: id, Severity: "warning",
		Status: model.StateFiring, Title: "Slow agent", TriggeredAt: time.Now().UTC(), Labels: map[string]string{"agent": "bot"}}); err != nil {
		t.Fatal(err)
	}
	check("GET", "/api/v1/alerts", "/api/v1/alerts?status=active", nil, 200)
	check("GET", "/api/v1/alerts/{id}", "/api/v1/alerts/al-1", nil, 200)
	ack := check("POST", "/api/v1/alerts/{id}/acknowledge", "/api/v1/alerts/al-1/acknowledge", nil, 200)
	if ack.str("status") != "acknowledged" || !strings.HasPrefix(ack.str("acknowledged_by"), "user:") {
		t.Errorf("acknowledged = %s", ack.raw)
	}
	res := check("POST", "/api/v1/alerts/{id}/resolve", "/api/v1/alerts/al-1/resolve", nil, 200)
	if res.str("status") != "resolved" || res.body["resolved_at"] == nil {
		t.Errorf("resolved = %s", res.raw)
	}
	if a := e.do("POST", "/api/v1/alerts/al-1/acknowledge", tok, nil); a.status != 409 {
		t.Errorf("acknowledge a resolved alert = %d", a.status)
	}
	if a := e.do("GET", "/api/v1/alerts?status=sideways", tok, nil); a.status != 400 || !strings.Contains(a.raw, "status") {
		t.Errorf("bad status = %d %s", a.status, a.raw)
	}
	events, _ := e.st.ListEvents(context.Background(), e.wsID, 10)
	if len(events) != 2 {
		t.Errorf("events = %+v", events)
	}
	check("DELETE", "/api/v1/alert-rules/{id}", "/api/v1/alert-rules/"+id, nil, 204)
	if a := e.do("GET", "/api/v1/alert-rules/"+id, tok, nil); a.status != 404 {
		t.Errorf("deleted rule = %d", a.status)
	}
}

// FuzzAlertBodies feeds arbitrary bytes to the decoders of rule, silence and channel
// bodies: they never panic, and whatever they accept is valid.
func FuzzAlertBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","metric":"latency","operator":">","threshold":1,"window":"5m"}`,
		`{"name":"x","metric":"error_rate","kind":"anomaly","window":"1h","group_by":"agent","for":120}`,
		`{"matchers":[{"name":"agent","value":"a"}],"ends_at":"2030-01-01T00:00:00Z"}`,
		`{"url":"https://x.example/h","secret":"s"}`, `{"host":"smtp.example","from":"a@b.c","to":["d@e.f"]}`,
		`[]`, `{"window":"99999999999d"}`, `{"window":1e300}`, `null`, `{"filters":{"agent":1}}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, err := DecodeAlertRule(strings.NewReader(string(body))); err == nil {
			if r.Validate() != nil {
				t.Fatalf("accepted an invalid rule: %+v", r)
			}
		} else if code := model.ErrorCode(err); code != model.EINVALID {
			t.Fatalf("rule error code %s: %v", code, err)
		}
		if s, err := DecodeSilence(strings.NewReader(string(body)), now); err == nil && !s.EndsAt.After(s.StartsAt) {
			t.Fatalf("accepted silence %+v", s)
		}
		for _, typ := range model.IntegrationTypes {
			if _, err := DecodeChannelConfig(strings.NewReader(string(body)), typ); err != nil && model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("%s settings error code %s: %v", typ, model.ErrorCode(err), err)
			}
		}
	})
}
