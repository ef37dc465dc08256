package errorreport

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIngest is a local stand-in for Sentry's ingestion endpoint: it keeps the envelopes.
type fakeIngest struct {
	mu        sync.Mutex
	envelopes []string
	paths     []string
}

func (f *fakeIngest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.envelopes = append(f.envelopes, string(body))
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func TestErrorsReachSentry(t *testing.T) {
	fake := &fakeIngest{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dsn := strings.Replace(srv.URL, "http://", "http://publickey@", 1) + "/42"
	r, err := New(Config{DSN: dsn, Environment: "test", Release: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(r.Handler(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	log.Info("routine, not reported")
	log.Warn("a warning, not reported")
	log.With("role", "process").Error("commit failed", "err", errors.New("disk full"), "batch", 12)
	if !r.Flush(5 * time.Second) {
		t.Fatal("events not sent in time")
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.envelopes) != 1 {
		t.Fatalf("got %d envelopes, want 1 (errors only): %q", len(fake.envelopes), fake.envelopes)
	}
	if !strings.HasPrefix(fake.paths[0], "/api/42/") {
		t.Errorf("sent to %s, want the DSN's project 42", fake.paths[0])
	}
	env := fake.envelopes[0]
	for _, want := range []string{`"message":"commit failed"`, `"role":"process"`, `"batch":"12"`, "disk full", `"environment":"test"`, `"release":"v1.2.3"`, `"level":"error"`} {
		if !strings.Contains(env, want) {
			t.Errorf("envelope lacks %s:\n%s", want, env)
		}
	}
	// The log itself is unchanged: its own level still applies.
	if strings.Contains(logs.String(), "routine") || !strings.Contains(logs.String(), "commit failed") {
		t.Errorf("log = %s", logs.String())
	}
}

func TestOffWithoutDSN(t *testing.T) {
	r, err := New(Config{})
	if err != nil || r.Enabled() {
		t.Fatalf("New without DSN = %v, %v", r.Enabled(), err)
	}
	base := slog.NewTextHandler(io.Discard, nil)
	if r.Handler(base) != slog.Handler(base) {
		t.Error("without a DSN the log handler is wrapped")
	}
	if _, err := New(Config{DSN: "not a dsn"}); err == nil {
		t.Error("a malformed DSN is accepted")
	}
}
