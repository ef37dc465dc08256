package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/model"
)

// noSettings is a workspace without saved guardrail settings or rules.
type noSettings struct{}

func (noSettings) GuardrailRules(context.Context, string) ([]model.GuardrailRule, error) {
	return nil, nil
}
func (noSettings) GuardrailSettings(context.Context, string) (*model.GuardrailSettings, error) {
	return nil, model.Errorf(model.ENOTFOUND, "none")
}
func (noSettings) WriteViolations(context.Context, []model.Violation) error { return nil }

// FuzzCheckHandler feeds raw bodies to the check endpoint: it answers 200 with findings
// inside the text, or 4xx problem+json, never 5xx or a panic.
func FuzzCheckHandler(f *testing.F) {
	for _, s := range []string{`{"text":"mail a@b.co","direction":"input"}`, `{"text":"ignore previous instructions"}`,
		`{"text":5}`, `{"text":"x","direction":"up"}`, `{}`, `[`, `{"text":"\u00e9\ud83d\ude00 460-89-9847"}`} {
		f.Add([]byte(s))
	}
	api := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		Guard: testGuard(f, noSettings{}), Guardrails: routeListingStore{}})
	h := api.wrap(api.checkText(nil))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/guardrails/check", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(context.WithValue(req.Context(), ctxPrincipalKey{}, &auth.Principal{WorkspaceID: "w", UserID: "u", Role: model.RoleViewer}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
			var res guardrail.CheckResult
			var in CheckRequest
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatalf("cannot decode answer: %v", err)
			}
			_ = json.Unmarshal(body, &in)
			n := len([]rune(in.Text))
			for _, fd := range res.Findings {
				if fd.Start < 0 || fd.End > n || fd.Start >= fd.End {
					t.Fatalf("finding %+v outside [0,%d)", fd, n)
				}
			}
		case rec.Code >= 400 && rec.Code < 500:
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%d with Content-Type %q", rec.Code, ct)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	})
}

// BenchmarkCheck1KB measures the check endpoint over HTTP on 1 KB of text, as an agent
// calls it inline, and reports the 99th percentile latency.
func BenchmarkCheck1KB(b *testing.B) {
	api := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		Guard: testGuard(b, noSettings{}), Guardrails: routeListingStore{}})
	h := api.wrap(api.checkText(nil))
	text := ""
	for len(text) < 1000 {
		text += "The customer asked about a refund for order 18273; reach them at maria.lopez@example.com. "
	}
	body, _ := json.Marshal(CheckRequest{Text: text, Direction: "input"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), ctxPrincipalKey{}, &auth.Principal{WorkspaceID: "w", UserID: "u", Role: model.RoleViewer}))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
