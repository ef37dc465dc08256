package httpapi

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func TestWorkspaceGeneralSettings(t *testing.T) {
	e := newAuthEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"name": "Acme", "description": "Support agents", "time_zone": "Europe/Berlin"})
	if a.status != 200 || a.str("name") != "Acme" || a.str("description") != "Support agents" || a.str("time_zone") != "Europe/Berlin" || a.str("id") != e.wsID {
		t.Fatalf("update = %d %s", a.status, a.raw)
	}
	// A bad field changes nothing, not even the good fields beside it.
	for field, bad := range map[string]any{"time_zone": "Mars/Olympus", "description": string(make([]byte, 2001)),
		"retention_days": -1} {
		a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"name": "Renamed", field: bad})
		errs, _ := a.body["errors"].([]any)
		if a.status != 400 && a.status != 422 || len(errs) != 1 || errs[0].(map[string]any)["field"] != field {
			t.Errorf("bad %s = %d %s, want a problem naming it", field, a.status, a.raw)
		}
	}
	for _, tz := range []string{"/etc/localtime", "Local", "../../etc/passwd"} {
		if a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"time_zone": tz}); a.status < 400 || a.status >= 500 {
			t.Errorf("time zone %q = %d", tz, a.status)
		}
	}
	if a := e.do("GET", "/api/v1/workspace", owner, nil); a.str("name") != "Acme" || a.str("time_zone") != "Europe/Berlin" {
		t.Errorf("after refused updates = %s", a.raw)
	}
	// Retention: shown by the workspace and the plan, null in the plan when keeping everything.
	if a := e.do("GET", "/api/v1/billing/plan", owner, nil); a.status != 200 || a.body["retention_days"] != nil {
		t.Errorf("plan before a retention setting = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"retention_days": 90}); a.status != 200 || a.body["retention_days"] != 90.0 {
		t.Errorf("set retention = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"retention_days": 40000}); a.status != 400 && a.status != 422 {
		t.Errorf("retention over the maximum = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/billing/plan", owner, nil); a.body["retention_days"] != 90.0 {
		t.Errorf("plan after a retention setting = %s", a.raw)
	}
	// Viewers read settings but cannot change them.
	viewer := e.member(owner, "vic@example.com", model.RoleViewer)
	if a := e.do("GET", "/api/v1/workspace", viewer, nil); a.status != 200 || a.str("description") != "Support agents" {
		t.Errorf("viewer reads = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/workspace", viewer, map[string]any{"name": "Mine"}); a.status != 403 {
		t.Errorf("viewer writes = %d", a.status)
	}
}

func TestAuditLog(t *testing.T) {
	e := newAuthEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	_, keyID := e.createKey(owner, model.ScopeIngest)
	if a := e.do("DELETE", "/api/v1/api-keys/"+keyID, owner, nil); a.status != 200 {
		t.Fatalf("revoke = %d %s", a.status, a.raw)
	}
	e.member(owner, "bob@example.com", model.RoleMember)
	bobID := ""
	for _, m := range e.do("GET", "/api/v1/team/members", owner, nil).body["members"].([]any) {
		if m.(map[string]any)["email"] == "bob@example.com" {
			bobID = m.(map[string]any)["user_id"].(string)
		}
	}
	e.do("PUT", "/api/v1/team/members/"+bobID+"/role", owner, map[string]any{"role": "viewer"})
	e.do("PUT", "/api/v1/workspace", owner, map[string]any{"time_zone": "Asia/Tokyo"}, "X-Forwarded-For", "198.51.100.4")

	all := e.do("GET", "/api/v1/audit-log", owner, nil)
	if all.status != 200 {
		t.Fatalf("audit log = %d %s", all.status, all.raw)
	}
	var actions []string
	for _, en := range all.body["entries"].([]any) {
		m := en.(map[string]any)
		actions = append(actions, m["action"].(string))
		if m["actor_email"] != "ada@example.com" || m["ip"] == "" || m["at"] == "" {
			t.Errorf("entry without actor, address or time: %v", m)
		}
	}
	want := []string{"workspace.update", "member.role", "member.invite", "api_key.revoke", "api_key.create"}
	if len(actions) != len(want) {
		t.Fatalf("actions = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("actions = %v, want %v (newest first)", actions, want)
		}
	}
	if a := e.do("GET", "/api/v1/audit-log?action=api_key", owner, nil); len(a.body["entries"].([]any)) != 2 {
		t.Errorf("filtered by subject: %s", a.raw)
	}
	p1 := e.do("GET", "/api/v1/audit-log?limit=3", owner, nil)
	if len(p1.body["entries"].([]any)) != 3 || p1.str("next_cursor") == "" {
		t.Fatalf("first page: %s", p1.raw)
	}
	p2 := e.do("GET", "/api/v1/audit-log?limit=3&cursor="+url.QueryEscape(p1.str("next_cursor")), owner, nil)
	if es := p2.body["entries"].([]any); len(es) != 2 || es[0].(map[string]any)["action"] != "api_key.revoke" || p2.str("next_cursor") != "" {
		t.Errorf("second page: %s", p2.raw)
	}
	for _, q := range []string{"limit=0", "limit=x", "cursor=not-a-cursor", "since=yesterday", "sort=at"} {
		if a := e.do("GET", "/api/v1/audit-log?"+q, owner, nil); a.status < 400 || a.status >= 500 || a.body["errors"] == nil {
			t.Errorf("%s = %d %s, want a problem naming the parameter", q, a.status, a.raw)
		}
	}
	member := e.member(owner, "mia@example.com", model.RoleMember)
	if a := e.do("GET", "/api/v1/audit-log", member, nil); a.status != 403 {
		t.Errorf("member reads the audit log = %d", a.status)
	}
}

func TestBillingSaysNotConfigured(t *testing.T) {
	e := newAuthEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	plan := e.do("GET", "/api/v1/billing/plan", owner, nil)
	if plan.status != 200 || plan.str("plan") != "self-hosted" || plan.body["billing_provider"] != nil || plan.body["traces_per_month"] != nil {
		t.Errorf("plan = %d %s", plan.status, plan.raw)
	}
	hist := e.do("GET", "/api/v1/billing/history", owner, nil)
	if hist.status != 200 || hist.body["configured"] != false || len(hist.body["invoices"].([]any)) != 0 {
		t.Errorf("history = %d %s", hist.status, hist.raw)
	}
	if a := e.do("POST", "/api/v1/billing/payment-method", owner, map[string]any{}); a.status != 409 {
		t.Errorf("payment method = %d %s", a.status, a.raw)
	}
}

// TestBillingUsage: the plan's usage chart reads every day of the window, today's traces
// ingested through the API included.
func TestBillingUsage(t *testing.T) {
	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	key, _ := e.createKey(owner, model.ScopeIngest, model.ScopeRead)
	now := time.Now().UTC().Format(time.RFC3339)
	for _, id := range []string{"use-1", "use-2"} {
		if a := e.do("POST", "/api/v1/traces", key, trace(id, "timestamp", now)); a.status != 202 {
			t.Fatalf("ingest = %d %s", a.status, a.raw)
		}
	}
	var a answer
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		a = e.do("GET", "/api/v1/billing/usage", owner, nil)
		if days, _ := a.body["days"].([]any); len(days) == 30 && days[29].(map[string]any)["traces"] == 2.0 {
			break
		}
	}
	validateAnswer(t, doc, "GET", "/api/v1/billing/usage", a.status, a.header.Get("Content-Type"), []byte(a.raw))
	days, _ := a.body["days"].([]any)
	if a.status != 200 || len(days) != 30 || a.body["traces_per_month"] != nil {
		t.Fatalf("usage = %d %s", a.status, a.raw)
	}
	today := days[29].(map[string]any)
	if today["traces"] != 2.0 || today["spans"] != 2.0 || days[0].(map[string]any)["traces"] != 0.0 {
		t.Errorf("today = %v, first day = %v", today, days[0])
	}
	if a := e.do("GET", "/api/v1/billing/usage?days=7", key, nil); a.status != 200 || len(a.body["days"].([]any)) != 7 {
		t.Errorf("7 days with a read key = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/billing/usage?days=0", owner, nil); a.status != 400 || !strings.Contains(a.raw, `"field":"days"`) {
		t.Errorf("days=0 = %d %s", a.status, a.raw)
	}
}
