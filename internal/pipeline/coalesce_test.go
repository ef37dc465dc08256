package pipeline

import (
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

type passRecorder struct {
	mu     sync.Mutex
	passes [][]string
}

func (r *passRecorder) hook(traces []model.Trace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, t := range traces {
		ids = append(ids, t.TraceID)
	}
	r.passes = append(r.passes, ids)
}

func (r *passRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.passes)
}

func TestCommitCoalescer(t *testing.T) {
	var rec passRecorder
	c := NewCommitCoalescer(time.Hour, rec.hook)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return clock }

	batch := []model.Trace{{TraceID: "a"}}
	c.Committed(batch)
	if rec.count() != 1 {
		t.Fatalf("the first commit after a quiet interval waited: %v", rec.passes)
	}
	batch[0].TraceID = "b" // the caller reuses its slice
	c.Committed(batch)
	batch[0].TraceID = "c"
	c.Committed(batch)
	if rec.count() != 1 {
		t.Fatalf("commits within the interval passed at once: %v", rec.passes)
	}
	c.Flush()
	if rec.count() != 2 || len(rec.passes[1]) != 2 || rec.passes[1][0] != "b" || rec.passes[1][1] != "c" {
		t.Fatalf("flush passed %v", rec.passes)
	}
	c.Flush()
	if rec.count() != 2 {
		t.Fatalf("an empty flush called the hook: %v", rec.passes)
	}
	clock = clock.Add(2 * time.Hour)
	c.Committed([]model.Trace{{TraceID: "d"}})
	if rec.count() != 3 {
		t.Fatalf("a commit after the interval waited: %v", rec.passes)
	}
}

// What the hooks read survives; the texts, which would keep the log's records in memory for
// the interval, do not, and the caller's traces are left as they were.
func TestCommitCoalescerDropsTexts(t *testing.T) {
	var got []model.Trace
	c := NewCommitCoalescer(time.Hour, func(traces []model.Trace) { got = append(got, traces...) })
	cost, tokens := 0.25, int64(7)
	in := model.Trace{WorkspaceID: "ws", TraceID: "a", AgentID: "bot", Status: model.StatusError, LatencyMs: 12,
		Input: "prompt", Output: "answer", ErrorMessage: "boom", Metadata: []byte(`{"k":1}`), Tags: []string{"t"},
		Scores: []model.Score{{Name: "q"}},
		Spans: []model.Span{{SpanID: "s", Status: model.StatusError, Model: "gpt-4o", CostUSD: &cost, TokensTotal: &tokens,
			Input: "span prompt", Output: "span answer", StatusMessage: "failed", Attributes: []byte(`{}`)}}}
	c.Committed([]model.Trace{in})
	if len(got) != 1 {
		t.Fatalf("passed %d traces", len(got))
	}
	tr := got[0]
	if tr.WorkspaceID != "ws" || tr.TraceID != "a" || tr.AgentID != "bot" || tr.Status != model.StatusError || tr.LatencyMs != 12 ||
		len(tr.Spans) != 1 || tr.Spans[0].Model != "gpt-4o" || *tr.Spans[0].CostUSD != 0.25 || *tr.Spans[0].TokensTotal != 7 ||
		tr.Spans[0].Status != model.StatusError {
		t.Fatalf("lost what the hooks read: %+v", tr)
	}
	if tr.Input != "" || tr.Output != "" || tr.ErrorMessage != "" || tr.Metadata != nil || tr.Tags != nil || tr.Scores != nil ||
		tr.Spans[0].Input != "" || tr.Spans[0].Output != "" || tr.Spans[0].StatusMessage != "" || tr.Spans[0].Attributes != nil {
		t.Fatalf("kept texts: %+v", tr)
	}
	if in.Spans[0].Input != "span prompt" || in.Input != "prompt" {
		t.Fatal("changed the caller's traces")
	}
}

func TestCommitCoalescerPassesWhenTheIntervalEnds(t *testing.T) {
	var rec passRecorder
	c := NewCommitCoalescer(20*time.Millisecond, rec.hook)
	c.Committed([]model.Trace{{TraceID: "a"}})
	c.Committed([]model.Trace{{TraceID: "b"}})
	deadline := time.Now().Add(5 * time.Second)
	for rec.count() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the pending commit never passed: %v", rec.passes)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := rec.passes[1]; len(got) != 1 || got[0] != "b" {
		t.Fatalf("second pass %v", got)
	}
}
