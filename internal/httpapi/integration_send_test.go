package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestIntegrationSendTest sends test notifications through a webhook to a local receiver:
// what the receiver answered comes back, signed as real notifications are.
func TestIntegrationSendTest(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	status := http.StatusOK
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Agentobs-Signature") == "" {
			t.Errorf("test notification without signature")
		}
		got = append(got, m)
		w.WriteHeader(status)
		io.WriteString(w, "receiver says hi")
	}))
	defer receiver.Close()

	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	viewer := e.member(owner, "vic@example.com", "viewer")
	send := func(cred string, want int) answer {
		t.Helper()
		a := e.do("POST", "/api/v1/integrations/webhook/test", cred, nil)
		if a.status != want {
			t.Fatalf("send test = %d, want %d: %s", a.status, want, a.raw)
		}
		validateAnswer(t, doc, "POST", "/api/v1/integrations/{type}/test", a.status, a.header.Get("Content-Type"), []byte(a.raw))
		return a
	}
	if a := send(owner, 409); !strings.Contains(a.raw, "not configured") {
		t.Errorf("unconfigured = %s", a.raw)
	}
	if a := e.do("PUT", "/api/v1/integrations/webhook", owner, map[string]any{"url": receiver.URL, "secret": "s3cret"}); a.status != 200 {
		t.Fatalf("configure = %d %s", a.status, a.raw)
	}
	a := send(owner, 200)
	if a.body["ok"] != true || a.str("type") != "webhook" {
		t.Errorf("delivered = %s", a.raw)
	}
	mu.Lock()
	if len(got) != 1 || got[0]["rule_name"] != "Test notification" || got[0]["status"] != "firing" {
		t.Errorf("receiver got %v", got)
	}
	status = http.StatusGone
	mu.Unlock()
	a = send(owner, 200)
	if a.body["ok"] != false || !strings.Contains(a.str("error"), "410") || !strings.Contains(a.str("error"), "receiver says hi") {
		t.Errorf("refused = %s", a.raw)
	}
	send(viewer, 403)
	if a := e.do("POST", "/api/v1/integrations/fax/test", owner, nil); a.status != 404 {
		t.Errorf("unknown type = %d %s", a.status, a.raw)
	}
	audit := e.do("GET", "/api/v1/audit-log?action=integration.test", owner, nil)
	if n := len(audit.body["entries"].([]any)); n != 2 {
		t.Errorf("%d audit entries of tests, want 2: %s", n, audit.raw)
	}
}
