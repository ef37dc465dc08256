package httpapi

import (
	"testing"
)

// TestFirstUserClaimsWithSetupKey: the workspace created at first start (it holds the data
// and the bootstrap key) goes to the first account, and only with the setup key.
func TestFirstUserClaimsWithSetupKey(t *testing.T) {
	e := newAuthEnv(t)
	other := newAuthEnv(t) // a key of someone else's server proves nothing here
	if a := e.do("GET", "/api/v1/auth/setup", "", nil); a.status != 200 || a.body["setup_required"] != true {
		t.Fatalf("setup before any sign-up = %d %s", a.status, a.raw)
	}
	for name, key := range map[string]any{"no key": nil, "wrong key": "aosetup_guess", "foreign API key": other.key, "empty": " "} {
		body := map[string]any{"email": "mallory@example.com", "password": testPassword}
		if key != nil {
			body["setup_key"] = key
		}
		a := e.do("POST", "/api/v1/auth/register", "", body)
		errs, _ := a.body["errors"].([]any)
		if a.status != 403 || len(errs) != 1 || errs[0].(map[string]any)["field"] != "setup_key" {
			t.Errorf("%s: register = %d %s, want 403 naming setup_key", name, a.status, a.raw)
		}
	}
	// A name given at sign-up renames the claimed workspace instead of making an empty one.
	ada := e.register("ada@example.com", map[string]any{"workspace_name": "Acme"})
	if ada.str("workspace_id") != e.wsID || ada.str("role") != "owner" {
		t.Fatalf("first user got %s as %s, want the data workspace %s as owner", ada.str("workspace_id"), ada.str("role"), e.wsID)
	}
	if a := e.do("GET", "/api/v1/workspace", ada.str("access_token"), nil); a.str("name") != "Acme" {
		t.Errorf("claimed workspace name = %q, want Acme", a.str("name"))
	}
	if a := e.do("GET", "/api/v1/workspaces", ada.str("access_token"), nil); len(a.body["workspaces"].([]any)) != 1 {
		t.Errorf("first user has %s, want only the claimed workspace", a.raw)
	}
	if a := e.do("GET", "/api/v1/auth/setup", "", nil); a.body["setup_required"] != false {
		t.Errorf("setup after the claim = %s", a.raw)
	}
	// Mallory, later, with the (used) key, gets no part of it.
	m := e.register("mallory@example.com", nil)
	if m.str("workspace_id") == e.wsID {
		t.Fatalf("a later sign-up joined the claimed workspace: %s", m.raw)
	}
}

// TestClaimWithInitAPIKey: the API key given at first start (AGENTOBS_INIT_API_KEY) proves
// the claim as well, and uses the setup key up.
func TestClaimWithInitAPIKey(t *testing.T) {
	e := newAuthEnv(t)
	a := e.do("POST", "/api/v1/auth/register", "", map[string]any{"email": "ada@example.com", "password": testPassword, "setup_key": e.key})
	if a.status != 201 || a.str("workspace_id") != e.wsID || a.str("role") != "owner" {
		t.Fatalf("claim with the init key = %d %s", a.status, a.raw)
	}
	var taken bool
	taken, err := e.st.TakeSetupSecret(t.Context(), e.wsID, "")
	if err != nil || taken {
		t.Errorf("setup secret still stored after the claim: %v %v", taken, err)
	}
}
