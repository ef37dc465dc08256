package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func (s *server) postAs(path, cred string, v any) (int, map[string]any) {
	s.t.Helper()
	body, _ := json.Marshal(v)
	code, b, _ := s.do("POST", path, cred, "application/json", body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return code, out
}

// TestNewcomerFlow is the README's walk-through against the real binary: register, create a
// key, ingest with it, revoke it and see ingestion refused; then restart and find the
// bootstrap key, the sign-in and the revocation as they were.
func TestNewcomerFlow(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	code, reg := s.postAs("/api/v1/auth/register", "", map[string]any{"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"})
	if code != 201 || reg["role"] != "owner" {
		t.Fatalf("register = %d %v", code, reg)
	}
	access := reg["access_token"].(string)
	code, key := s.postAs("/api/v1/api-keys", access, map[string]any{"name": "my agent", "scopes": []string{"ingest", "read"}})
	if code != 201 {
		t.Fatalf("create key = %d %v", code, key)
	}
	secret, id := key["key"].(string), key["id"].(string)
	if code, body := s.postAs("/api/v1/traces?wait=commit", secret, traceInput("nc-1")); code != 202 {
		t.Fatalf("ingest with the new key = %d %v", code, body)
	}
	// The bootstrap key is an ordinary key of the same workspace: it reads the trace.
	if code, body, _ := s.do("GET", "/api/v1/traces/nc-1", testKey, "", nil); code != 200 {
		t.Fatalf("read with bootstrap key = %d %s", code, body)
	}
	code, list, _ := s.do("GET", "/api/v1/api-keys", access, "", nil)
	if code != 200 || !strings.Contains(string(list), `"name":"bootstrap"`) || strings.Contains(string(list), secret) {
		t.Errorf("key list = %d %s", code, list)
	}
	if code, body, _ := s.do("DELETE", "/api/v1/api-keys/"+id, access, "", nil); code != 200 {
		t.Fatalf("revoke = %d %s", code, body)
	}
	if code, body := s.postAs("/api/v1/traces", secret, traceInput("nc-2")); code != 401 {
		t.Fatalf("ingest with the revoked key = %d %v", code, body)
	}

	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-s.done; err != nil {
		t.Fatalf("exit: %v", err)
	}
	for _, f := range []string{"jwt_secret", "api_key_salt"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	s2 := startServer(t, dir)
	if code, body := s2.postAs("/api/v1/traces", testKey, traceInput("nc-3")); code != 202 {
		t.Errorf("bootstrap key after restart = %d %v", code, body)
	}
	if code, body := s2.postAs("/api/v1/traces", secret, traceInput("nc-4")); code != 401 {
		t.Errorf("revoked key after restart = %d %v", code, body)
	}
	if code, body, _ := s2.do("GET", "/api/v1/auth/me", access, "", nil); code != 200 {
		t.Errorf("access token after restart = %d %s", code, body)
	}
	if code, body := s2.postAs("/api/v1/auth/refresh", "", map[string]any{"refresh_token": reg["refresh_token"]}); code != 200 {
		t.Errorf("refresh after restart = %d %v", code, body)
	}
	if !strings.Contains(s.log.String(), "generated a secret") {
		t.Errorf("no warning about generated secrets on first start")
	}
}

// TestRateLimitScenario is the plan's integration scenario 4: over the limit, 429.
func TestRateLimitScenario(t *testing.T) {
	s := startServer(t, t.TempDir(), "--rate-limit-key", "1", "--rate-limit-key-burst", "5")
	codes := map[int]int{}
	var last map[string][]string
	for i := 0; i < 8; i++ {
		body, _ := json.Marshal(traceInput("rl-" + string(rune('a'+i))))
		code, _, hdr := s.do("POST", "/api/v1/traces", testKey, "application/json", body)
		codes[code]++
		if code == 429 {
			last = hdr
		}
	}
	if codes[202] != 5 || codes[429] != 3 {
		t.Fatalf("codes = %v, want 5 accepted and 3 refused", codes)
	}
	if last["Retry-After"] == nil || last["Ratelimit-Limit"][0] != "5" || last["Ratelimit-Remaining"][0] != "0" {
		t.Errorf("429 headers = %v", last)
	}
}

// TestAuthenticationScenario is the plan's integration scenario 5: no token, 401.
func TestAuthenticationScenario(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, tc := range []struct{ method, path, cred string }{
		{"GET", "/api/v1/traces/x", ""},
		{"POST", "/api/v1/traces", ""},
		{"GET", "/api/v1/api-keys", ""},
		{"GET", "/api/v1/auth/me", ""},
		{"GET", "/api/v1/auth/me", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},
	} {
		code, body, hdr := s.do(tc.method, tc.path, tc.cred, "application/json", []byte("{}"))
		if code != 401 || hdr.Get("WWW-Authenticate") == "" || hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s = %d %s %v", tc.method, tc.path, code, body, hdr)
		}
	}
	if code, _, hdr := s.do("GET", "/health", "", "", nil); code != 200 || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/health = %d %v", code, hdr)
	}
}
