package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// Store is what the processor needs of the store.
type Store interface {
	WriteTraces(ctx context.Context, traces []model.Trace) error
	WriteTracesAt(ctx context.Context, traces []model.Trace, pos model.LogPosition) error
	AddDeadLetter(ctx context.Context, dl model.DeadLetter) error
	Ping(ctx context.Context) error
}

// Processor writes batches and isolates items that cannot be written.
type Processor struct {
	store      Store
	log        *slog.Logger
	now        func() time.Time
	deadLetter func(reason string)
	onCommit   []func(traces []model.Trace)
}

// OnCommit registers f to be told of every committed write, before it is acknowledged; the
// query cache learns from it that a workspace's data changed, the guardrail scanner queues
// the texts. f must not keep the slice. Hooks run in the order they were registered.
func (p *Processor) OnCommit(f func(traces []model.Trace)) { p.onCommit = append(p.onCommit, f) }

func (p *Processor) committed(traces []model.Trace) {
	for _, f := range p.onCommit {
		f(traces)
	}
}

// NewProcessor builds a processor; onDeadLetter (may be nil) is told each dead letter's reason.
func NewProcessor(s Store, log *slog.Logger, onDeadLetter func(reason string)) *Processor {
	if onDeadLetter == nil {
		onDeadLetter = func(string) {}
	}
	return &Processor{store: s, log: log, now: time.Now, deadLetter: onDeadLetter}
}

// Handle is a queue.Handler. A batch that fails is retried item by item when the store is
// reachable, so one bad trace never takes its neighbours down; the items that still fail
// go to the dead-letter table with their raw payload. If the store is unreachable the error
// is returned and nothing is acknowledged.
func (p *Processor) Handle(ctx context.Context, items []queue.Item) error {
	return p.handle(ctx, items, nil)
}

// HandleAt is a queue.PositionedHandler: Handle for a batch read from a write-ahead log,
// storing the log position with it. When the batch must be isolated item by item, the
// items are written on their own and the position after them: a crash in between replays
// those items, which the store's idempotent writes absorb.
func (p *Processor) HandleAt(ctx context.Context, items []queue.Item, pos model.LogPosition) error {
	return p.handle(ctx, items, &pos)
}

func (p *Processor) handle(ctx context.Context, items []queue.Item, pos *model.LogPosition) error {
	traces := make([]model.Trace, len(items))
	for i := range items {
		traces[i] = items[i].Trace
	}
	var err error
	if pos != nil {
		err = p.store.WriteTracesAt(ctx, traces, *pos)
	} else {
		err = p.store.WriteTraces(ctx, traces)
	}
	if err == nil {
		p.committed(traces)
		return nil
	}
	if ctx.Err() != nil {
		return model.Errorf(model.EUNAVAILABLE, "store did not commit in time: %v", err)
	}
	if pingErr := p.store.Ping(ctx); pingErr != nil {
		return model.Errorf(model.EUNAVAILABLE, "store is unavailable: %v", pingErr)
	}
	p.log.Warn("batch write failed, isolating items", "items", len(items), "err", err)
	for i := range items {
		if err := p.store.WriteTraces(ctx, traces[i:i+1]); err == nil {
			p.committed(traces[i : i+1])
			continue
		} else if err := p.sendToDeadLetters(ctx, items[i], err); err != nil {
			return err
		}
	}
	if pos != nil {
		return p.store.WriteTracesAt(ctx, nil, *pos)
	}
	return nil
}

func (p *Processor) sendToDeadLetters(ctx context.Context, it queue.Item, cause error) error {
	reason := fmt.Sprintf("cannot store trace %q: %v", it.Trace.TraceID, cause)
	payload := it.Raw
	if payload == nil {
		var err error
		if payload, err = json.Marshal(ingest.FromModel(&it.Trace)); err != nil {
			return fmt.Errorf("cannot encode dead letter: %w", err)
		}
	}
	dl := model.DeadLetter{
		ID:          NewID(),
		WorkspaceID: it.Trace.WorkspaceID,
		Source:      "ingest",
		Reason:      reason,
		Payload:     payload,
		CreatedAt:   p.now().UTC(),
	}
	if err := p.store.AddDeadLetter(ctx, dl); err != nil {
		return errors.Join(model.Errorf(model.EUNAVAILABLE, "cannot store trace nor its dead letter"), err)
	}
	p.log.Error("trace sent to dead letters", "workspace", dl.WorkspaceID, "trace_id", it.Trace.TraceID, "dead_letter", dl.ID, "reason", reason)
	p.deadLetter(reason)
	return nil
}

var (
	_ queue.Handler           = (*Processor)(nil).Handle
	_ queue.PositionedHandler = (*Processor)(nil).HandleAt
)

// NewID returns a random 128-bit id in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
