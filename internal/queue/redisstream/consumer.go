package redisstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// DeadLetters is where entries that cannot be processed are kept for inspection and replay.
type DeadLetters interface {
	AddDeadLetter(ctx context.Context, dl model.DeadLetter) error
}

// Hooks observe the consumer; any may be nil.
type Hooks struct {
	// Batch is told each handled batch's size, duration and result.
	Batch func(items int, took time.Duration, err error)
	// Redelivered counts entries taken over from another consumer.
	Redelivered func(n int)
	// DeadLettered is told the reason of each entry the consumer dead-letters.
	DeadLettered func(reason string)
}

// Consumer is the process role's loop over the stream.
type Consumer struct {
	q     *Queue
	h     queue.Handler
	dead  DeadLetters
	log   *slog.Logger
	hooks Hooks

	claimCursor string
	now         func() time.Time
}

// NewConsumer builds a consumer that hands batches to h and dead letters to dead.
func (q *Queue) NewConsumer(h queue.Handler, dead DeadLetters, log *slog.Logger, hooks Hooks) *Consumer {
	return &Consumer{q: q, h: h, dead: dead, log: log, hooks: hooks, claimCursor: "0-0", now: time.Now}
}

type entry struct {
	id         string
	workspace  string
	origin     string
	payload    []byte
	deliveries int64
}

// Run reads and handles batches until ctx ends. A batch in progress when ctx ends is
// finished (committed and acknowledged) before Run returns; one that cannot be committed
// stays pending and is taken over by another consumer.
func (c *Consumer) Run(ctx context.Context) error {
	for {
		if err := c.q.EnsureGroup(ctx); err == nil {
			break
		} else if ctx.Err() != nil {
			return nil
		} else {
			c.log.Warn("queue not reachable; retrying", "err", err)
			sleep(ctx, time.Second)
		}
	}
	// Entries this consumer name held before a restart come first.
	if err := c.drainOwnPending(ctx); err != nil && ctx.Err() == nil {
		c.log.Warn("cannot read own pending entries", "err", err)
	}
	claimEvery := c.q.opts.ClaimIdle / 2
	lastClaim := time.Time{}
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 {
			sleep(ctx, backoff)
		}
		if c.now().Sub(lastClaim) >= claimEvery {
			lastClaim = c.now()
			if err := c.claimStale(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("cannot take over stale entries", "err", err)
			}
		}
		entries, err := c.read(ctx, ">")
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.log.Warn("cannot read the queue", "err", err)
			backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
			continue
		}
		backoff = 0
		if len(entries) > 0 {
			c.handle(ctx, entries)
		}
	}
	return nil
}

func (c *Consumer) drainOwnPending(ctx context.Context) error {
	for ctx.Err() == nil {
		entries, err := c.read(ctx, "0")
		if err != nil || len(entries) == 0 {
			return err
		}
		c.handle(ctx, entries)
	}
	return nil
}

func (c *Consumer) read(ctx context.Context, from string) ([]entry, error) {
	block := c.q.opts.Block
	if from != ">" {
		block = -1 // history reads never block
	}
	res, err := c.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: c.q.opts.Group, Consumer: c.q.opts.Consumer, Streams: []string{c.q.opts.Stream, from},
		Count: int64(c.q.opts.BatchSize), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if strings.Contains(err.Error(), "NOGROUP") {
			_ = c.q.EnsureGroup(ctx)
		}
		return nil, err
	}
	var out []entry
	for _, s := range res {
		for _, m := range s.Messages {
			out = append(out, toEntry(m, 1))
		}
	}
	return out, nil
}

func toEntry(m redis.XMessage, deliveries int64) entry {
	e := entry{id: m.ID, deliveries: deliveries}
	e.workspace, _ = m.Values[fieldWorkspace].(string)
	e.origin, _ = m.Values[fieldOrigin].(string)
	if p, ok := m.Values[fieldTrace].(string); ok {
		e.payload = []byte(p)
	}
	return e
}

// claimStale takes over entries idle longer than ClaimIdle on any consumer (a dead one, as
// live ones renew theirs), dead-letters those delivered too often, and handles the rest.
func (c *Consumer) claimStale(ctx context.Context) error {
	for ctx.Err() == nil {
		msgs, next, err := c.q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: c.q.opts.Stream, Group: c.q.opts.Group, Consumer: c.q.opts.Consumer,
			MinIdle: c.q.opts.ClaimIdle, Start: c.claimCursor, Count: int64(c.q.opts.BatchSize),
		}).Result()
		if err != nil {
			return err
		}
		c.claimCursor = next
		if len(msgs) > 0 {
			counts, err := c.deliveryCounts(ctx, msgs[0].ID, msgs[len(msgs)-1].ID)
			if err != nil {
				return err
			}
			entries := make([]entry, 0, len(msgs))
			for _, m := range msgs {
				entries = append(entries, toEntry(m, counts[m.ID]))
			}
			if c.hooks.Redelivered != nil {
				c.hooks.Redelivered(len(entries))
			}
			c.log.Info("took over stale queue entries", "entries", len(entries))
			c.handle(ctx, entries)
		}
		if next == "0-0" || len(msgs) == 0 {
			c.claimCursor = "0-0"
			return nil
		}
	}
	return nil
}

func (c *Consumer) deliveryCounts(ctx context.Context, first, last string) (map[string]int64, error) {
	pend, err := c.q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: c.q.opts.Stream, Group: c.q.opts.Group, Start: first, End: last,
		Count: int64(c.q.opts.BatchSize), Consumer: c.q.opts.Consumer,
	}).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(pend))
	for _, p := range pend {
		out[p.ID] = p.RetryCount
	}
	return out, nil
}

// handle decodes the entries, dead-letters those that cannot be decoded or were delivered
// too often, hands the rest to the handler until it succeeds, and acknowledges.
func (c *Consumer) handle(ctx context.Context, entries []entry) {
	items := make([]queue.Item, 0, len(entries))
	ids := make([]string, 0, len(entries))
	var done []string // dead-lettered, acknowledged with the batch
	for _, e := range entries {
		var reason string
		var it queue.Item
		if e.deliveries > c.q.opts.MaxDeliveries {
			reason = fmt.Sprintf("queue entry %s was delivered %d times without being processed", e.id, e.deliveries)
		} else if decoded, err := Decode(e.workspace, e.payload, e.origin); err != nil {
			reason = fmt.Sprintf("queue entry %s: %v", e.id, err)
		} else {
			it = decoded
		}
		if reason != "" {
			if err := c.deadLetter(ctx, e, reason); err != nil {
				c.log.Error("cannot dead-letter queue entry; it stays pending", "id", e.id, "err", err)
				continue
			}
			done = append(done, e.id)
			continue
		}
		items = append(items, it)
		ids = append(ids, e.id)
	}
	if len(items) > 0 {
		c.process(ctx, items, ids, &done)
	}
	c.ack(done)
}

// process runs the handler until it succeeds. Failures are the store being unreachable:
// nothing is acknowledged, the entries are renewed so no other consumer takes them over
// while this one is alive, and the batch is retried with backoff. A handler panic is a
// poison item: the batch is retried item by item and the item that panics is dead-lettered.
func (c *Consumer) process(ctx context.Context, items []queue.Item, ids []string, done *[]string) {
	backoff := 100 * time.Millisecond
	renewed := c.now()
	for attempt := 0; ; attempt++ {
		start := c.now()
		// The commit outlives ctx: a batch read before shutdown is finished, not abandoned.
		err := c.safeHandle(context.WithoutCancel(ctx), items)
		if c.hooks.Batch != nil {
			c.hooks.Batch(len(items), c.now().Sub(start), err)
		}
		var pe *panicError
		if errors.As(err, &pe) && len(items) > 1 {
			for i := range items {
				c.process(ctx, items[i:i+1], ids[i:i+1], done)
			}
			return
		}
		if errors.As(err, &pe) {
			e := entry{id: ids[0], workspace: items[0].Trace.WorkspaceID, payload: items[0].Raw}
			if derr := c.deadLetter(context.WithoutCancel(ctx), e, fmt.Sprintf("queue entry %s: processing panicked: %v", ids[0], pe.v)); derr == nil {
				*done = append(*done, ids[0])
				return
			}
		}
		if err == nil {
			*done = append(*done, ids...)
			return
		}
		if ctx.Err() != nil {
			// Shutting down: leave the entries pending for another consumer.
			c.log.Warn("batch not committed at shutdown; it stays pending", "entries", len(ids), "err", err)
			return
		}
		if attempt == 0 || attempt%20 == 0 {
			c.log.Warn("cannot commit batch; retrying", "entries", len(ids), "attempt", attempt+1, "err", err)
		}
		if c.now().Sub(renewed) > c.q.opts.ClaimIdle/3 {
			c.renew(ctx, ids)
			renewed = c.now()
		}
		sleep(ctx, backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
}

type panicError struct{ v any }

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.v) }

func (c *Consumer) safeHandle(ctx context.Context, items []queue.Item) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{v}
		}
	}()
	return c.h(ctx, items)
}

// renew resets the idle time of entries this consumer still works on. JUSTID keeps their
// delivery counts: retrying during a store outage is not a failed delivery.
func (c *Consumer) renew(ctx context.Context, ids []string) {
	if err := c.q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: c.q.opts.Stream, Group: c.q.opts.Group, Consumer: c.q.opts.Consumer, MinIdle: 0, Messages: ids,
	}).Err(); err != nil {
		c.log.Warn("cannot renew pending entries", "err", err)
	}
}

// ack acknowledges entries, retrying while Redis is unreachable for a while. If it still
// fails the entries are redelivered later, which the idempotent store absorbs.
func (c *Consumer) ack(ids []string) {
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		err := c.q.rdb.XAck(ctx, c.q.opts.Stream, c.q.opts.Group, ids...).Err()
		if err == nil {
			return
		}
		c.log.Warn("cannot acknowledge entries; retrying", "entries", len(ids), "err", err)
		sleep(ctx, 500*time.Millisecond)
	}
}

// deadLetter keeps an entry in the dead-letter table and stream. The letter's id derives
// from the entry id, so doing it twice (after a crash between the steps) stores it once.
func (c *Consumer) deadLetter(ctx context.Context, e entry, reason string) error {
	payload := e.payload
	if payload == nil {
		payload = []byte{}
	}
	dl := model.DeadLetter{
		ID: "queue-" + e.id, WorkspaceID: e.workspace, Source: "queue", Reason: reason,
		Payload: payload, CreatedAt: c.now().UTC(),
	}
	if err := c.dead.AddDeadLetter(ctx, dl); err != nil {
		return err
	}
	err := c.q.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: c.q.opts.DeadStream, MaxLen: c.q.opts.DeadStreamMaxLen, Approx: true,
		Values: map[string]any{fieldWorkspace: e.workspace, fieldTrace: payload, "reason": reason, "entry": e.id,
			"deliveries": strconv.FormatInt(e.deliveries, 10)},
	}).Err()
	if err != nil {
		return err
	}
	c.log.Error("queue entry dead-lettered", "id", e.id, "workspace", e.workspace, "reason", reason)
	if c.hooks.DeadLettered != nil {
		c.hooks.DeadLettered(reason)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
