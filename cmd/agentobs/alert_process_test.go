package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/alert/alerttest"
)

// waitFor polls cond until it holds or the time is up; the server works on its own clock.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestAlertEndToEnd trips a rule with ingested data on the built binary and sees FIRING,
// then RESOLVED, at a webhook and (with mailpit) in a mailbox.
func TestAlertEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var hooks []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &m) == nil && r.Header.Get("X-Agentobs-Signature") != "" {
			mu.Lock()
			hooks = append(hooks, m)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	statuses := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, h := range hooks {
			out = append(out, h["status"].(string))
		}
		return out
	}
	var mail *alerttest.Mailpit
	withMail := os.Getenv(alerttest.MailpitEnv) != ""
	if withMail {
		mail = alerttest.StartMailpit(t)
	}

	s := startServer(t, t.TempDir(), "--alert-tick", "200ms", "--otlp-grpc-addr", "")
	code, reg := s.post("/api/v1/auth/register", map[string]any{"email": "oncall@example.com", "password": "correct horse battery", "setup_key": testKey})
	if code != 201 {
		t.Fatalf("register = %d %s", code, reg)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(reg, &tok)
	call := func(method, path string, v any, want int) []byte {
		t.Helper()
		body, _ := json.Marshal(v)
		code, b, _ := s.do(method, path, tok.AccessToken, "application/json", body)
		if code != want {
			t.Fatalf("%s %s = %d %s", method, path, code, b)
		}
		return b
	}
	call("PUT", "/api/v1/integrations/webhook", map[string]any{"url": hook.URL, "secret": "e2e-secret"}, 200)
	channels := []string{"webhook"}
	if withMail {
		call("PUT", "/api/v1/integrations/email", map[string]any{"host": "127.0.0.1", "port": mail.SMTPPort, "tls": "none",
			"from": "agentobs@example.com", "to": []string{"oncall@example.com"}}, 200)
		channels = append(channels, "email")
	}
	call("POST", "/api/v1/alert-rules", map[string]any{"name": "Support bot failing", "metric": "error_rate", "operator": ">",
		"threshold": 50, "window": "5m", "severity": "critical", "notification_channels": channels, "evaluation_interval": "10s",
		"min_samples": 5, "group_wait": "1s", "group_interval": "1s"}, 201)

	ingest := func(prefix string, n int, status string) {
		for i := 0; i < n; i++ {
			tr := traceInput(fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), i))
			tr["timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
			tr["status"] = status
			if code, b := s.post("/api/v1/traces", tr); code != 202 {
				t.Fatalf("ingest = %d %s", code, b)
			}
		}
	}
	ingest("fail", 10, "error")
	waitFor(t, "a FIRING webhook", 60*time.Second, func() bool { return strings.Join(statuses(), ",") == "firing" })
	active := call("GET", "/api/v1/alerts?status=active", nil, 200)
	if !strings.Contains(string(active), "Support bot failing") {
		t.Fatalf("active alerts = %s", active)
	}
	recent := call("GET", "/api/v1/alerts/recent", nil, 200)
	if !strings.Contains(string(recent), "Support bot failing") {
		t.Errorf("Home's recent alerts = %s", recent)
	}
	ingest("ok", 100, "success")
	waitFor(t, "a RESOLVED webhook", 60*time.Second, func() bool { return strings.Join(statuses(), ",") == "firing,resolved" })

	if withMail {
		var subjects []string
		waitFor(t, "FIRING and RESOLVED mails", 30*time.Second, func() bool {
			subjects = subjects[:0]
			for _, m := range mail.Messages() {
				subjects = append(subjects, m.Subject)
			}
			return len(subjects) == 2
		})
		joined := strings.Join(subjects, " | ")
		if !strings.Contains(joined, "[FIRING:1] Support bot failing") || !strings.Contains(joined, "[RESOLVED] Support bot failing") {
			t.Errorf("mail subjects = %v", subjects)
		}
	}
}
