package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/model"
)

// FuzzEvaluatorBody feeds raw bodies to the evaluator decoder: it either returns a
// definition that validates or an EINVALID error, never panics or lets a bad one through.
func FuzzEvaluatorBody(f *testing.F) {
	for _, s := range []string{
		`{"id":"q","name":"Q","scope":"span","filter":{"span_kinds":["llm"]},"sample_rate":0.5,"delay":"1m"}`,
		`{"id":"q","name":"Q","delay":"soon"}`, `{"id":"q","name":"Q","delay":5}`, `{"name":"Q","explanation":false}`,
		`{"id":"Q!","name":""}`, `{"sample_rate":"x"}`, `[]`, `null`, `{"filter":{"agents":[1]}}`, `{"version":3,"id":"q","name":"Q"}`,
	} {
		f.Add([]byte(s))
	}
	api := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, pathID := range []string{"", "from-path"} {
			req := httptest.NewRequest("PUT", "/api/v1/evaluators/x", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			d, err := api.decodeEvaluator(req, pathID)
			if err != nil {
				if code := model.ErrorCode(err); code != model.EINVALID {
					t.Fatalf("error code %s: %v", code, err)
				}
				continue
			}
			if pathID != "" && d.ID != pathID {
				t.Fatalf("id %q, path %q", d.ID, pathID)
			}
			if d.Validate() == nil && (d.SampleRate < 0 || d.SampleRate > 1 || d.Delay < 0) {
				t.Fatalf("accepted %+v", d)
			}
		}
	})
}

// FuzzSessionEvaluateBody feeds raw bodies to the session evaluation decoder: a body it
// accepts stays within its bounds; anything else is an EINVALID problem, never a panic.
func FuzzSessionEvaluateBody(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"criteria":["helpfulness"],"evaluator":"conv"}`, `{"span_id":"x"}`, `{"criteria":"x"}`,
		`{"criteria":[1]}`, `[]`, `null`, `{"evaluator":"` + strings.Repeat("e", 65) + `"}`, `{} {}`} {
		f.Add([]byte(s))
	}
	api := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/evaluate/session/s", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		b, err := api.decodeSessionEvaluate(req)
		if err != nil {
			if code := model.ErrorCode(err); code != model.EINVALID {
				t.Fatalf("error code %s: %v", code, err)
			}
			return
		}
		if len(b.Criteria) > 20 || len(b.Evaluator) > 64 {
			t.Fatalf("accepted %+v", b)
		}
	})
}
