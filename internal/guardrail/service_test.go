package guardrail

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// countingStore counts the violations written.
type countingStore struct {
	flakyStore
	mu      sync.Mutex
	written int
}

func (c *countingStore) WriteViolations(_ context.Context, vs []model.Violation) error {
	c.mu.Lock()
	c.written += len(vs)
	c.mu.Unlock()
	return nil
}

// TestScanQueueCountsTraces: the queue for the background scan is bounded in traces, not in
// commit batches: a commit that would overfill it waits until the scan makes room, and
// nothing queued is lost.
func TestScanQueueCountsTraces(t *testing.T) {
	st := &countingStore{flakyStore: flakyStore{actions: map[string]string{"pii": "flag"}}}
	svc := NewService(Config{Scanner: newScanner(t), Store: st, QueueTraces: 3})
	batch := func(n int) []model.Trace {
		out := make([]model.Trace, n)
		for i := range out {
			out[i] = model.Trace{WorkspaceID: "w", TraceID: fmt.Sprint("t", i), Input: "mail a@b.co"}
		}
		return out
	}
	svc.OnCommit(batch(2)) // fits
	second := make(chan struct{})
	go func() {
		svc.OnCommit(batch(2)) // two more do not fit beside the first two
		close(second)
	}()
	select {
	case <-second:
		t.Fatal("a commit overfilling the scan queue did not wait")
	case <-time.After(100 * time.Millisecond):
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.Run(ctx)
	select {
	case <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the commit still waits after the scan started")
	}
	svc.OnCommit(batch(5)) // larger than the whole queue: waits for all of it, then goes in
	svc.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st.mu.Lock()
		n := st.written
		st.mu.Unlock()
		if n == 9 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d violations written, want 9 (one per trace)", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
