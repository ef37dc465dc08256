package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func TestParseDSN(t *testing.T) {
	d, err := ParseDSN("https://abc123@o42.ingest.sentry.io/7")
	if err != nil || d.Endpoint != "https://o42.ingest.sentry.io/api/7/envelope/" || d.PublicKey != "abc123" {
		t.Errorf("ParseDSN = %+v, %v", d, err)
	}
	if d, err := ParseDSN("http://key:legacy-secret@sentry.internal:9000/sub/path/12/"); err != nil || d.Endpoint != "http://sentry.internal:9000/sub/path/api/12/envelope/" {
		t.Errorf("self-hosted DSN = %+v, %v", d, err)
	}
	for _, bad := range []string{"", "abc@host/1", "https://host/1", "https://key@host/", "https://key@host/project", "ftp://key@host/1"} {
		if _, err := ParseDSN(bad); err == nil {
			t.Errorf("ParseDSN(%q) accepted", bad)
		}
	}
	c := ChannelConfig{DSN: "https://key@host/project"}
	if err := c.Validate("sentry"); err == nil || !strings.Contains(err.Error(), "invalid sentry settings") {
		t.Errorf("Validate = %v", err)
	}
}

// TestSentryEnvelope sends an alert to a local receiver that checks what Sentry checks: the
// auth header with the DSN's key, and an envelope of one event.
func TestSentryEnvelope(t *testing.T) {
	var got struct {
		path, auth, contentType string
		lines                   [][]byte
	}
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got.path, got.auth, got.contentType = r.URL.Path, r.Header.Get("X-Sentry-Auth"), r.Header.Get("Content-Type")
		got.lines = bytes.Split(body, []byte("\n"))
		w.WriteHeader(status)
	}))
	defer srv.Close()
	dsn := strings.Replace(srv.URL, "http://", "http://pubkey@", 1) + "/99"
	c := ChannelConfig{DSN: dsn}
	if err := c.Validate("sentry"); err != nil {
		t.Fatal(err)
	}
	s := &Senders{HTTP: srv.Client(), Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	m := &Message{Status: "firing", RuleID: "r1", RuleName: "Slow bot", Severity: "critical",
		Firing: []model.Alert{{ID: "a1", Title: "Slow bot", Description: "p95 3000 > 2000", Severity: "critical"}}}
	if err := s.Send(context.Background(), "sentry", c, "delivery-1", m); err != nil {
		t.Fatal(err)
	}
	if got.path != "/api/99/envelope/" || got.contentType != "application/x-sentry-envelope" ||
		!strings.Contains(got.auth, "sentry_key=pubkey") || !strings.Contains(got.auth, "sentry_version=7") {
		t.Fatalf("request %s %q %q", got.path, got.contentType, got.auth)
	}
	if len(got.lines) != 3 {
		t.Fatalf("envelope has %d lines", len(got.lines))
	}
	var head, item, event map[string]any
	for i, v := range []*map[string]any{&head, &item, &event} {
		if err := json.Unmarshal(got.lines[i], v); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
	}
	if item["type"] != "event" || int(item["length"].(float64)) != len(got.lines[2]) || head["event_id"] != event["event_id"] || len(event["event_id"].(string)) != 32 {
		t.Errorf("envelope %s / %s", got.lines[0], got.lines[1])
	}
	if event["level"] != "error" || !strings.Contains(event["message"].(map[string]any)["formatted"].(string), "p95 3000 > 2000") {
		t.Errorf("event %s", got.lines[2])
	}
	// The same delivery is the same event; Sentry's refusals are errors with what it said.
	first := event["event_id"]
	s.Send(context.Background(), "sentry", c, "delivery-1", m)
	json.Unmarshal(got.lines[2], &event)
	if event["event_id"] != first {
		t.Error("a retried delivery got a new event id")
	}
	status = http.StatusForbidden
	err := s.Send(context.Background(), "sentry", c, "delivery-2", m)
	var se *SendError
	if err == nil || !errors.As(err, &se) || !se.Permanent {
		t.Errorf("refused = %v", err)
	}
}

// FuzzParseDSN: any text is a DSN or an error, and a DSN always names an envelope endpoint
// of its own host.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"https://abc@o1.ingest.sentry.io/7", "http://k:s@h:9000/a/b/12/", "https://@h/1", "https://k@h/", "", "k@h/1", "https://k@[::1]:80/9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDSN(s)
		if err != nil {
			return
		}
		if !strings.HasSuffix(d.Endpoint, "/envelope/") || d.PublicKey == "" || !strings.Contains(d.Endpoint, "/api/") {
			t.Errorf("ParseDSN(%q) = %+v", s, d)
		}
	})
}
