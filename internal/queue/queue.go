// Package queue carries validated traces from the ingest role to the process role.
// In one process that is memory.GroupCommit; in scale-out it is a durable stream.
package queue

import (
	"context"

	"github.com/agentobs/agentobs/internal/model"
)

// Item is one validated trace, with the bytes it was decoded from when the decoder kept them;
// the dead-letter table stores those, or the trace re-encoded, when processing fails.
type Item struct {
	Raw   []byte
	Trace model.Trace
}

// Publisher accepts items from ingestion.
type Publisher interface {
	// Publish returns nil only once the items are durable (committed to the store, or to a
	// durable queue). A model.ETOOMANYREQUEST error means the queue is full: retry later.
	Publish(ctx context.Context, items []Item) error
}

// Handler processes a batch; it returns nil when the batch is durably handled.
type Handler func(ctx context.Context, items []Item) error

// PositionedHandler processes a batch read from a log and stores pos, the log position the
// batch ends at, atomically with it.
type PositionedHandler func(ctx context.Context, items []Item, pos model.LogPosition) error

// CommitWaiter is a Publisher that acknowledges before the store commits (a write-ahead
// log); PublishAndWait returns only once the items are committed to the store, for callers
// that must read their write at once.
type CommitWaiter interface {
	PublishAndWait(ctx context.Context, items []Item) error
}
