package guardrail

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// flakyStore answers settings until down is set, as a database that goes away.
type flakyStore struct {
	down    bool
	actions map[string]string
}

func (f *flakyStore) GuardrailRules(context.Context, string) ([]model.GuardrailRule, error) {
	if f.down {
		return nil, errors.New("connection refused")
	}
	return nil, nil
}

func (f *flakyStore) GuardrailSettings(_ context.Context, ws string) (*model.GuardrailSettings, error) {
	if f.down {
		return nil, errors.New("connection refused")
	}
	return &model.GuardrailSettings{WorkspaceID: ws, Actions: f.actions}, nil
}

func (f *flakyStore) WriteViolations(context.Context, []model.Violation) error { return nil }

// TestPolicyOutage: redaction keeps the last settings read while the database is away, and
// refuses (so ingestion answers 503) when it never read them.
func TestPolicyOutage(t *testing.T) {
	st := &flakyStore{actions: map[string]string{"pii": "redact"}}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	svc := NewService(Config{Scanner: newScanner(t), Store: st, Now: func() time.Time { return now }})
	tr := model.Trace{WorkspaceID: "w", Input: "mail a@b.co", ErrorMessage: "no account for a@b.co",
		Spans: []model.Span{{SpanID: "s", Output: "call +1-984-182-0190", StatusMessage: "bounced: a@b.co"}}}
	if _, err := svc.RedactTrace(context.Background(), &tr); err != nil || tr.Input != "mail [EMAIL]" ||
		tr.ErrorMessage != "no account for [EMAIL]" || tr.Spans[0].Output != "call [PHONE]" || tr.Spans[0].StatusMessage != "bounced: [EMAIL]" {
		t.Fatalf("redact = %+v, %v", tr, err)
	}
	st.down = true
	now = now.Add(time.Hour)
	tr = model.Trace{WorkspaceID: "w", Input: "mail a@b.co"}
	if _, err := svc.RedactTrace(context.Background(), &tr); err != nil || tr.Input != "mail [EMAIL]" {
		t.Fatalf("during the outage: redact = %q, %v", tr.Input, err)
	}
	if _, err := svc.RedactTrace(context.Background(), &model.Trace{WorkspaceID: "never-seen", Input: "x"}); err == nil {
		t.Fatal("a workspace whose settings were never read was not refused")
	}
}
