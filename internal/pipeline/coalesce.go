package pipeline

import (
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// CommitCoalescer passes committed traces on to a hook at most once per interval. At full
// ingestion the store commits every few milliseconds; told of each commit, the query cache
// would drop every answer before anyone read it again, and each dashboard read would scan
// the store. Coalesced, a cached answer serves for up to the interval while traces keep
// arriving; a commit after a quiet interval passes at once.
//
// The hooks get the traces without their texts (see withoutTexts).
//
// Acknowledged writes become visible within the interval after their commit, except for
// callers that wait for their commit (?wait=commit): Flush passes what is pending at once,
// before they are answered.
type CommitCoalescer struct {
	every time.Duration
	hook  func(traces []model.Trace)
	now   func() time.Time

	passing sync.Mutex // held while the hook runs, so passes keep their order
	mu      sync.Mutex
	pending []model.Trace
	last    time.Time
	timer   *time.Timer
}

// NewCommitCoalescer passes commits on to hook at most once per every (0: each at once).
func NewCommitCoalescer(every time.Duration, hook func(traces []model.Trace)) *CommitCoalescer {
	return &CommitCoalescer{every: every, hook: hook, now: time.Now}
}

// Committed is the processor's commit hook.
func (c *CommitCoalescer) Committed(traces []model.Trace) {
	c.mu.Lock()
	for i := range traces { // copied: the caller reuses its slice
		c.pending = append(c.pending, withoutTexts(traces[i]))
	}
	wait := c.every - c.now().Sub(c.last)
	if wait > 0 {
		if c.timer == nil {
			c.timer = time.AfterFunc(wait, c.Flush)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.Flush()
}

// Flush passes what is pending to the hook now, and returns once any pass under way has
// finished too.
func (c *CommitCoalescer) Flush() {
	c.passing.Lock()
	defer c.passing.Unlock()
	c.mu.Lock()
	traces := c.pending
	c.pending = nil
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if len(traces) > 0 {
		c.last = c.now()
	}
	c.mu.Unlock()
	if len(traces) > 0 {
		c.hook(traces)
	}
}

// withoutTexts is t without its prompts, answers, error texts, metadata, tags and scores.
// The hooks read identities, times, statuses and figures; without the texts, the commits of
// an interval (about 13,000 traces at full load) no longer hold their log records in memory.
func withoutTexts(t model.Trace) model.Trace {
	t.Input, t.Output, t.ErrorMessage, t.Metadata, t.Tags, t.Scores = "", "", "", nil, nil, nil
	if len(t.Spans) > 0 {
		spans := make([]model.Span, len(t.Spans))
		for i, sp := range t.Spans {
			sp.Input, sp.Output, sp.StatusMessage, sp.Attributes = "", "", "", nil
			spans[i] = sp
		}
		t.Spans = spans
	}
	return t
}
