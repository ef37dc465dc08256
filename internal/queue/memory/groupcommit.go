// Package memory is the in-process queue: group commit. Concurrent requests wait on a shared
// batch, which one committer goroutine hands to the handler; each request is answered when
// the batch holding its items is committed.
package memory

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// Options tune batching.
type Options struct {
	// MaxBatch caps the traces in one commit.
	MaxBatch int
	// Linger is how long the committer waits for more requests after the first one of a
	// batch, when the batch is not full. Under load, batches fill while the previous commit
	// runs, so a short linger only matters for light traffic.
	Linger time.Duration
	// MaxPending caps traces accepted but not yet committed; beyond it Publish fails fast
	// with model.ETOOMANYREQUEST so memory stays bounded.
	MaxPending int
	// CommitTimeout bounds one commit: a hung store fails the batch with 503 instead of
	// holding every request (default 30s).
	CommitTimeout time.Duration
	// Observe, when set, is told each commit's size and duration.
	Observe func(items int, took time.Duration, err error)
	// Depth, when set, is told the number of pending traces whenever it changes.
	Depth func(pending int)
}

type request struct {
	items []queue.Item
	done  chan error
}

// GroupCommit implements queue.Publisher.
type GroupCommit struct {
	handler queue.Handler
	opts    Options

	// closeMu is held for reading while a request is sent, so Close never closes the
	// channel under a sender.
	closeMu sync.RWMutex
	closed  bool
	pending atomic.Int64

	requests chan *request
	stopped  chan struct{}
}

// New starts the committer goroutine. Close drains it.
func New(handler queue.Handler, opts Options) *GroupCommit {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 5000
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 100_000
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 30 * time.Second
	}
	g := &GroupCommit{
		handler:  handler,
		opts:     opts,
		requests: make(chan *request, 4096),
		stopped:  make(chan struct{}),
	}
	go g.run()
	return g
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = model.Errorf(model.EUNAVAILABLE, "server is shutting down")

// Publish implements queue.Publisher.
func (g *GroupCommit) Publish(ctx context.Context, items []queue.Item) error {
	if len(items) == 0 {
		return nil
	}
	g.closeMu.RLock()
	if g.closed {
		g.closeMu.RUnlock()
		return ErrClosed
	}
	depth := g.pending.Add(int64(len(items)))
	if depth > int64(g.opts.MaxPending) {
		g.pending.Add(-int64(len(items)))
		g.closeMu.RUnlock()
		return model.Errorf(model.ETOOMANYREQUEST, "ingestion queue is full (%d traces pending)", g.opts.MaxPending)
	}
	if g.opts.Depth != nil {
		g.opts.Depth(int(depth))
	}
	r := &request{items: items, done: make(chan error, 1)}
	g.requests <- r
	g.closeMu.RUnlock()
	// The request is not withdrawn when ctx ends: once queued it will be committed, and a
	// client that gave up simply retries, which is idempotent.
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *GroupCommit) run() {
	defer close(g.stopped)
	var batch []*request
	for {
		first, ok := <-g.requests
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		n := len(first.items)
		var timer <-chan time.Time
		if g.opts.Linger > 0 {
			timer = time.After(g.opts.Linger)
		}
	collect:
		for n < g.opts.MaxBatch {
			select {
			case r, ok := <-g.requests:
				if !ok {
					break collect
				}
				batch = append(batch, r)
				n += len(r.items)
			default:
				if timer == nil {
					break collect
				}
				select {
				case r, ok := <-g.requests:
					if !ok {
						break collect
					}
					batch = append(batch, r)
					n += len(r.items)
				case <-timer:
					break collect
				}
			}
		}
		g.commit(batch, n)
	}
}

func (g *GroupCommit) commit(batch []*request, n int) {
	items := make([]queue.Item, 0, n)
	for _, r := range batch {
		items = append(items, r.items...)
	}
	start := time.Now()
	// The commit outlives any one request's context: other requests share it.
	ctx, cancel := context.WithTimeout(context.Background(), g.opts.CommitTimeout)
	err := g.handler(ctx, items)
	if err != nil && ctx.Err() != nil {
		err = model.Errorf(model.EUNAVAILABLE, "store did not commit within %s; retry later", g.opts.CommitTimeout)
	}
	cancel()
	if g.opts.Observe != nil {
		g.opts.Observe(len(items), time.Since(start), err)
	}
	depth := g.pending.Add(-int64(len(items)))
	if g.opts.Depth != nil {
		g.opts.Depth(int(depth))
	}
	for _, r := range batch {
		r.done <- err
	}
}

// Close stops accepting, commits everything already accepted, and returns when done or
// when ctx ends.
func (g *GroupCommit) Close(ctx context.Context) error {
	g.closeMu.Lock()
	if g.closed {
		g.closeMu.Unlock()
		return errors.New("group commit already closed")
	}
	g.closed = true
	close(g.requests)
	g.closeMu.Unlock()
	select {
	case <-g.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
