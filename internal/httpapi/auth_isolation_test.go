package httpapi

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// documentedMatrix is the permission matrix of docs/auth.md: who holds each permission.
var documentedMatrix = map[Permission][]string{
	PermRead:   {"owner", "admin", "member", "viewer", "key:read"},
	PermIngest: {"owner", "admin", "member", "key:ingest"},
	PermWrite:  {"owner", "admin", "member"},
	PermAdmin:  {"owner", "admin"},
	PermOwner:  {"owner"},
	PermUser:   {"owner", "admin", "member", "viewer"},
	PermCheck:  {"owner", "admin", "member", "viewer", "key:read", "key:ingest"},
}

var principalKinds = []string{"owner", "admin", "member", "viewer", "key:read", "key:ingest"}

func syntheticPrincipal(kind string) *auth.Principal {
	if scope, ok := strings.CutPrefix(kind, "key:"); ok {
		return &auth.Principal{WorkspaceID: "w", Key: &model.APIKey{ID: "k", WorkspaceID: "w", Scopes: []model.Scope{model.Scope(scope)}}}
	}
	return &auth.Principal{WorkspaceID: "w", UserID: "u", Role: model.Role(kind), SessionID: "s"}
}

func TestPermissionMatrixMatchesDocs(t *testing.T) {
	for perm, holders := range documentedMatrix {
		for _, kind := range principalKinds {
			want := false
			for _, h := range holders {
				want = want || h == kind
			}
			if got := allowed(syntheticPrincipal(kind), perm); got != want {
				t.Errorf("allowed(%s, %s) = %v, docs say %v", kind, perm, got, want)
			}
		}
	}
	// Every permission a route uses is in the matrix.
	e := newAuthEnv(t)
	for _, rt := range e.api.Routes() {
		if _, ok := documentedMatrix[rt.Permission]; !ok && rt.Permission != PermPublic {
			t.Errorf("route %s uses permission %q, which the matrix does not document", rt.Pattern, rt.Permission)
		}
	}
	// A user without a workspace holds only PermUser.
	none := &auth.Principal{UserID: "u", SessionID: "s"}
	for perm := range documentedMatrix {
		if allowed(none, perm) != (perm == PermUser) {
			t.Errorf("user without workspace: allowed(%s) = %v", perm, allowed(none, perm))
		}
	}
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// routeRequest turns a route pattern into a method and a path with every parameter set to v.
func routeRequest(pattern, v string) (string, string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.TrimSuffix(path, "{$}")
	path = pathParam.ReplaceAllStringFunc(path, func(string) string { return url.PathEscape(v) })
	return method, path
}

// TestRoleMatrixOverHTTP sends every route of the table as every kind of caller: a caller
// the matrix denies gets 403, a caller it allows never gets 401 or 403.
func TestRoleMatrixOverHTTP(t *testing.T) {
	e := newAuthEnv(t)
	owner := e.register("owner@example.com", nil).str("access_token")
	creds := map[string]string{
		"owner":  owner,
		"admin":  e.member(owner, "admin@example.com", model.RoleAdmin),
		"member": e.member(owner, "member@example.com", model.RoleMember),
		"viewer": e.member(owner, "viewer@example.com", model.RoleViewer),
	}
	creds["key:read"], _ = e.createKey(owner, model.ScopeRead)
	creds["key:ingest"], _ = e.createKey(owner, model.ScopeIngest)
	for _, rt := range e.api.Routes() {
		if rt.Permission == PermPublic {
			continue
		}
		method, path := routeRequest(rt.Pattern, "does-not-exist")
		for _, kind := range principalKinds {
			want := false
			for _, h := range documentedMatrix[rt.Permission] {
				want = want || h == kind
			}
			a := e.do(method, path, creds[kind], "{}")
			switch {
			case !want && a.status != 403:
				t.Errorf("%s as %s = %d, want 403 (%s)", rt.Pattern, kind, a.status, a.raw)
			case want && (a.status == 401 || a.status == 403):
				t.Errorf("%s as %s = %d, want access (%s)", rt.Pattern, kind, a.status, a.raw)
			case a.status >= 500:
				t.Errorf("%s as %s = %d (%s)", rt.Pattern, kind, a.status, a.raw)
			}
		}
		if a := e.do(method, path, "", "{}"); a.status != 401 {
			t.Errorf("%s without credentials = %d, want 401", rt.Pattern, a.status)
		}
	}
}

// TestTenantIsolation walks the route table (so routes added later are covered) and proves
// that a user or key of workspace B can neither read nor change anything of workspace A:
// every object of A is "not found" for B exactly like an object that does not exist, and
// no answer to B carries anything of A.
func TestTenantIsolation(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	// Workspace A: the first user owns it; it has data, keys, members, an invite, a dead letter.
	aOwner := e.register("iso-a-owner@example.com", nil)
	aTok := aOwner.str("access_token")
	aOwnerID := aOwner.body["user"].(map[string]any)["id"].(string)
	aWS := e.wsID
	e.member(aTok, "iso-a-admin@example.com", model.RoleAdmin)
	e.do("POST", "/api/v1/team/invite", aTok, map[string]any{"email": "iso-a-invitee@example.com", "role": "viewer"})
	aKey, aKeyID := e.createKey(aTok, model.ScopeIngest, model.ScopeRead)
	if a := e.do("PUT", "/api/v1/workspace", aTok, map[string]any{"name": "iso-a-workspace-name"}); a.status != 200 {
		t.Fatalf("rename A = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/traces", aKey, trace("iso-a-trace", "session_id", "iso-a-session", "user_id", "iso-a-user")); a.status != 202 {
		t.Fatalf("ingest A = %d %s", a.status, a.raw)
	}
	if err := e.st.AddDeadLetter(ctx, model.DeadLetter{ID: "iso-a-deadletter", WorkspaceID: aWS, Source: "api", Reason: "iso-a-reason",
		Payload: []byte(`{"trace_id":"iso-a-dl-trace"}`), CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	// Alerting objects of A: a rule, a channel, a silence and an episode.
	aRule := e.do("POST", "/api/v1/alert-rules", aTok, map[string]any{"name": "iso-a-rule", "metric": "latency", "operator": ">",
		"threshold": 1, "window": "5m", "severity": "critical", "notification_channels": []string{"webhook"}})
	if aRule.status != 201 {
		t.Fatalf("rule of A = %d %s", aRule.status, aRule.raw)
	}
	if a := e.do("PUT", "/api/v1/integrations/webhook", aTok, map[string]any{"url": "https://iso-a-hook.example/x", "secret": "iso-a-hmac"}); a.status != 200 {
		t.Fatalf("channel of A = %d %s", a.status, a.raw)
	}
	aSilence := e.do("POST", "/api/v1/silences", aTok, map[string]any{"matchers": []map[string]string{{"name": "agent", "value": "x"}},
		"ends_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "comment": "iso-a-silence"})
	if aSilence.status != 201 {
		t.Fatalf("silence of A = %d %s", aSilence.status, aSilence.raw)
	}
	if err := e.st.PutAlert(ctx, model.Alert{WorkspaceID: aWS, ID: "iso-a-alert", RuleID: aRule.str("id"), Severity: "critical",
		Status: "firing", Title: "iso-a-alert-title", TriggeredAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	markers := []string{aRule.str("id"), "iso-a-rule", "iso-a-hook", "iso-a-hmac", aSilence.str("id"), "iso-a-silence", "iso-a-alert",
		aWS, "iso-a-trace", "iso-a-agent", "iso-a-session", "iso-a-user", "secret input of iso-a", aKeyID, aOwnerID,
		"iso-a-owner@", "iso-a-admin@", "iso-a-invitee@", "iso-a-workspace-name", "iso-a-deadletter", "iso-a-reason", "iso-a-dl-trace"}
	ids := []string{aRule.str("id"), aSilence.str("id"), "iso-a-alert", aWS, "iso-a-trace", "iso-agent-iso-a-trace", aKeyID, aOwnerID, "iso-a-invitee@example.com", "iso-a-deadletter", "iso-a-session", "iso-a-user"}

	// Workspace B: its owner, and a key with both scopes.
	b := e.register("iso-b-owner@example.com", map[string]any{"workspace_name": "B"})
	bTok := b.str("access_token")
	bKey, _ := e.createKey(bTok, model.ScopeIngest, model.ScopeRead)
	if a := e.do("POST", "/api/v1/traces", bKey, trace("iso-b-trace")); a.status != 202 {
		t.Fatalf("ingest B = %d %s", a.status, a.raw)
	}
	// B cannot name A's workspace in a trace.
	if a := e.do("POST", "/api/v1/traces", bKey, trace("iso-b-2", "workspace_id", aWS)); a.status != 400 {
		t.Errorf("B ingests into A = %d %s", a.status, a.raw)
	}

	// leaks reports markers of A in an answer to B, once what B itself sent (the id in the
	// path, A's workspace id in the query and body) is taken out: echoing it is no leak.
	leaks := func(where, body string, sent ...string) {
		t.Helper()
		for _, s := range append(sent, aWS) {
			body = strings.ReplaceAll(body, s, "")
		}
		for _, m := range markers {
			if strings.Contains(body, m) {
				t.Errorf("%s: answer to B contains %q of workspace A: %.300s", where, m, body)
			}
		}
	}
	body := map[string]any{"workspace_id": aWS, "role": "viewer"}
	for _, rt := range e.api.Routes() {
		if rt.Permission == PermPublic {
			continue
		}
		for who, cred := range map[string]string{"B owner": bTok, "B key": bKey} {
			method, missingPath := routeRequest(rt.Pattern, "iso-missing-object")
			for _, q := range []string{"", "?workspace_id=" + aWS} {
				missing := e.do(method, missingPath+q, cred, body, "X-Workspace-Id", aWS)
				leaks(fmt.Sprintf("%s %s%s", who, rt.Pattern, q), missing.raw)
				if missing.status >= 500 {
					t.Errorf("%s %s%s = %d", who, rt.Pattern, q, missing.status)
				}
				if !strings.Contains(rt.Pattern, "{") {
					continue
				}
				for _, id := range ids {
					_, path := routeRequest(rt.Pattern, id)
					a := e.do(method, path+q, cred, body, "X-Workspace-Id", aWS)
					leaks(fmt.Sprintf("%s %s %s", who, method, path+q), a.raw, id, url.PathEscape(id))
					if a.status != missing.status {
						t.Errorf("%s %s %s = %d, but %d for an object that does not exist: existence leaks", who, method, path+q, a.status, missing.status)
					}
					if a.status >= 200 && a.status < 300 && method != "GET" {
						t.Errorf("%s %s %s = %d: B changed something", who, method, path+q, a.status)
					}
				}
			}
		}
	}
	// Switching into A is not found, like a workspace that does not exist.
	if a := e.do("POST", "/api/v1/auth/switch", "", map[string]any{"refresh_token": b.str("refresh_token"), "workspace_id": aWS}); a.status != 404 {
		t.Errorf("B switches into A = %d %s", a.status, a.raw)
	}

	// B sends a trace with A's trace id: it lands in B and leaves A's alone.
	if a := e.do("POST", "/api/v1/traces", bKey, map[string]any{"trace_id": "iso-a-trace", "agent_id": "b-agent", "timestamp": "2026-11-25T10:00:00Z", "input": "B's own"}); a.status != 202 {
		t.Fatalf("B reuses A's trace id = %d %s", a.status, a.raw)
	}

	// A is intact.
	if a := e.do("GET", "/api/v1/traces/iso-a-trace", aTok, nil); a.status != 200 || !strings.Contains(a.raw, "secret input of iso-a-trace") {
		t.Errorf("A's trace after B's requests = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/traces", aKey, trace("iso-a-after")); a.status != 202 {
		t.Errorf("A's key after B's requests = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/workspace", aTok, nil); !strings.Contains(a.raw, "iso-a-workspace-name") {
		t.Errorf("A's workspace after B's requests = %s", a.raw)
	}
	team := e.do("GET", "/api/v1/team/members", aTok, nil)
	if len(team.body["members"].([]any)) != 2 || len(team.body["invites"].([]any)) != 1 || strings.Contains(team.raw, "iso-b") {
		t.Errorf("A's team after B's requests = %s", team.raw)
	}
	if dl, err := e.st.GetDeadLetter(ctx, aWS, "iso-a-deadletter"); err != nil || dl.ReplayedAt != nil || dl.Attempts != 0 {
		t.Errorf("A's dead letter after B's requests = %+v, %v", dl, err)
	}
}

func rateEnv(t *testing.T, key, ws auth.Limit) *authEnv {
	return newAuthEnv(t, func(c *auth.Config, _ *Config) { c.KeyLimit, c.WorkspaceLimit = key, ws })
}

func TestRateLimitPerKeyBurstAndRecovery(t *testing.T) {
	e := rateEnv(t, auth.Limit{Rate: 1, Burst: 3}, auth.Limit{})
	owner := e.register("ada@example.com", nil).str("access_token")
	other, _ := e.createKey(owner, model.ScopeIngest)
	for i := 0; i < 3; i++ {
		a := e.do("POST", "/api/v1/traces", e.key, trace(fmt.Sprint("r", i)))
		if a.status != 202 || a.header.Get("RateLimit-Limit") != "3" || a.header.Get("RateLimit-Remaining") != fmt.Sprint(2-i) || a.header.Get("RateLimit-Reset") == "" {
			t.Fatalf("request %d = %d %v", i, a.status, a.header)
		}
	}
	a := e.do("POST", "/api/v1/traces", e.key, trace("r3"))
	if a.status != 429 || a.header.Get("Retry-After") != "1" || a.header.Get("RateLimit-Remaining") != "0" || !strings.Contains(a.str("type"), "too-many-requests") {
		t.Fatalf("over the limit = %d %v %s", a.status, a.header, a.raw)
	}
	// Another key of the workspace has its own budget.
	if a := e.do("POST", "/api/v1/traces", other, trace("r4")); a.status != 202 {
		t.Errorf("other key = %d", a.status)
	}
	// At 1/s one request is allowed again after a second, and only one.
	time.Sleep(1100 * time.Millisecond)
	if a := e.do("GET", "/api/v1/agents", e.key, nil); a.status != 200 || a.header.Get("RateLimit-Remaining") != "0" {
		t.Errorf("after recovery = %d %v", a.status, a.header)
	}
}

func TestRateLimitPerWorkspace(t *testing.T) {
	e := rateEnv(t, auth.Limit{}, auth.Limit{Rate: 0.01, Burst: 4})
	owner := e.register("ada@example.com", nil).str("access_token") // user routes spend too
	k2, _ := e.createKey(owner, model.ScopeIngest)
	codes := []int{}
	for i, k := range []string{e.key, k2, e.key} {
		codes = append(codes, e.do("POST", "/api/v1/traces", k, trace(fmt.Sprint("w", i))).status)
	}
	a := e.do("POST", "/api/v1/traces", k2, trace("w4"))
	if fmt.Sprint(codes) != "[202 202 202]" || a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("workspace budget of 4 (1 spent on key creation): %v then %d %v", codes, a.status, a.header)
	}
	// Another workspace is not affected.
	b := e.register("bob@example.com", map[string]any{"create_workspace": true}).str("access_token")
	if a := e.do("GET", "/api/v1/workspace", b, nil); a.status != 200 {
		t.Errorf("other workspace = %d", a.status)
	}
}

func TestRateLimitWorkspaceOverride(t *testing.T) {
	e := rateEnv(t, auth.Limit{Rate: 1000, Burst: 1000}, auth.Limit{})
	owner := e.register("ada@example.com", nil).str("access_token")
	set := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"rate_limits": map[string]any{"key_rate": 0.01, "key_burst": 2}})
	if set.status != 200 || set.body["effective_rate_limits"].(map[string]any)["key_burst"] != float64(2) {
		t.Fatalf("set limits = %d %s", set.status, set.raw)
	}
	for i := 0; i < 2; i++ {
		if a := e.do("POST", "/api/v1/traces", e.key, trace(fmt.Sprint("o", i))); a.status != 202 {
			t.Fatalf("within override = %d", a.status)
		}
	}
	if a := e.do("POST", "/api/v1/traces", e.key, trace("o2")); a.status != 429 {
		t.Fatalf("over override = %d", a.status)
	}
	// A negative rate lifts the limit: no RateLimit headers.
	if a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"rate_limits": map[string]any{"key_rate": -1}}); a.status != 200 {
		t.Fatalf("unlimit = %d %s", a.status, a.raw)
	}
	a := e.do("POST", "/api/v1/traces", e.key, trace("o3"))
	if a.status != 202 || a.header.Get("RateLimit-Limit") != "" {
		t.Errorf("unlimited = %d %v", a.status, a.header)
	}
	if a := e.do("PUT", "/api/v1/workspace", owner, map[string]any{"rate_limits": map[string]any{"key_burst": -1}}); a.status != 400 || !strings.Contains(a.raw, "rate_limits.key_burst") {
		t.Errorf("invalid limits = %d %s", a.status, a.raw)
	}
}

// TestRateLimitConcurrentBurst: under concurrency exactly the burst gets through.
func TestRateLimitConcurrentBurst(t *testing.T) {
	e := rateEnv(t, auth.Limit{Rate: 0.001, Burst: 25}, auth.Limit{})
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := request(t, e.srv.URL, "GET", "/api/v1/agents", e.key, nil)
			mu.Lock()
			codes[a.status]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if codes[200] != 25 || codes[429] != 35 {
		t.Errorf("codes = %v, want 25 × 200 and 35 × 429", codes)
	}
}
