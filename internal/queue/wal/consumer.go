package wal

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// consumeLoop commits the log to the store: first the records that were on disk at open
// (read back from the files), then new records as they become durable. A batch is whatever
// is waiting, up to MaxBatch traces: a lone trace at light load is committed at once, and
// batches grow only when records arrive faster than commits.
func (l *Log) consumeLoop(ctx context.Context, h queue.PositionedHandler) {
	defer close(l.consumed)
	defer func() {
		if l.reading != nil {
			l.reading.Close()
		}
	}()
	c := &committer{l: l, h: h}
	if err := l.replay(ctx, c); err != nil {
		return
	}
	l.mu.Lock()
	l.replaying = false
	l.mu.Unlock()
	var restFor time.Duration // restPerCommit × the last commit's duration after a small batch, else 0
	for {
		if !l.rest(ctx, min(restFor, l.opts.MaxCommitRest)) {
			return
		}
		batch, last, err := l.nextBatch(ctx)
		if err != nil {
			return
		}
		if last == 0 {
			select {
			case <-l.wake:
				continue
			case <-l.draining:
				// Closing: the writer has stopped; finish when the window is empty.
				l.mu.Lock()
				empty := len(l.window) == 0
				l.mu.Unlock()
				if empty {
					return
				}
				continue
			case <-ctx.Done():
				return
			}
		}
		start := time.Now()
		if err := c.commit(ctx, batch, last); err != nil {
			return
		}
		restFor = 0
		if len(batch) < l.opts.MaxBatch/4 {
			restFor = restPerCommit * time.Since(start)
		}
	}
}

// restPerCommit is how many times a small commit's duration the consumer rests after it.
const restPerCommit = 3

// rest lets records gather for d after a small commit that took a third of d, unless a
// full batch is already waiting or the log is closing. Much of a commit's cost is the same
// whatever its size (the transaction, a table append per roll-up, the log position: about
// 8 ms of CPU for two traces on the embedded store), so while traces arrive steadily the
// rest decides the commits' share of a core. Resting as long as the commit took kept that
// share at half a core or more: 100 single traces a second cost 63 % of a core. Three times
// as long keeps it near a quarter, and a trace arriving during the rest waits for it (at
// most MaxCommitRest). A lone trace on an idle log is committed at once: its rest has long
// passed. After a batch of a quarter of MaxBatch or more the consumer does not rest: it has
// fallen behind, and resting would only cost throughput. It reports false when ctx is done.
func (l *Log) rest(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		l.mu.Lock()
		full := l.windowTraces >= l.opts.MaxBatch
		l.mu.Unlock()
		if full {
			return true
		}
		select {
		case <-l.wake:
			// Records arrived; check the batch again. The loop's own wait needs no
			// signal back: it reads the window first.
		case <-timer.C:
			return true
		case <-l.draining:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// nextBatch takes the window's first records, up to MaxBatch traces, reading back from
// disk those beyond the memory window. last is 0 when the window is empty.
func (l *Log) nextBatch(ctx context.Context) ([]queue.Item, uint64, error) {
	l.mu.Lock()
	var take []entry
	traces := 0
	for _, e := range l.window {
		if len(take) > 0 && traces+e.traces > l.opts.MaxBatch {
			break
		}
		take = append(take, e)
		traces += e.traces
	}
	l.mu.Unlock()
	if len(take) == 0 {
		return nil, 0, ctx.Err()
	}
	items := make([]queue.Item, 0, traces)
	for _, e := range take {
		if e.payload != nil {
			got, err := decodeItems(e.payload)
			if err != nil {
				// The log encoded these bytes itself; keep them rather than lose them.
				l.deadLetter(ctx, e.payload, fmt.Sprintf("cannot decode a log record kept in memory: %v", err))
				continue
			}
			items = append(items, got...)
			continue
		}
		got, err := l.readBack(ctx, e)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, got...)
	}
	return items, take[len(take)-1].seq, nil
}

// readBack reads a record that did not fit the memory window from its segment.
func (l *Log) readBack(ctx context.Context, e entry) ([]queue.Item, error) {
	for {
		items, err := l.readRecord(e)
		if err == nil {
			return items, nil
		}
		if model.ErrorCode(err) == model.EINVALID {
			// It was written and synced, yet reads back wrong: keep its bytes.
			l.deadLetter(ctx, nil, err.Error())
			return nil, nil
		}
		l.opts.Log.Warn("cannot read back a log record; retrying", "seq", e.seq, "err", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *Log) readRecord(e entry) ([]queue.Item, error) {
	// The consumer reads records in order, so one open segment serves a run of them.
	if l.reading == nil || l.readingSeg != e.seg {
		if l.reading != nil {
			l.reading.Close()
			l.reading, l.readingSeg = nil, nil
		}
		f, err := l.fs.Open(l.path(e.seg))
		if err != nil {
			return nil, err
		}
		l.reading, l.readingSeg = f, e.seg
	}
	f := l.reading
	buf := make([]byte, e.size)
	if n, err := f.ReadAt(buf, e.off); n < len(buf) {
		return nil, err
	}
	rec, err := recordAt(buf, 0)
	if err == nil && rec.seq != e.seq {
		err = fmt.Errorf("found record %d where %d was written", rec.seq, e.seq)
	}
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "log record %d in %s: %v", e.seq, e.seg.name, err)
	}
	items, err := decodeItems(rec.payload)
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "log record %d in %s: %v", e.seq, e.seg.name, err)
	}
	return items, nil
}

// replay commits the records that were on disk at open and are not committed yet, segment
// by segment. Damaged stretches go to the dead letters; the rest goes on.
func (l *Log) replay(ctx context.Context, c *committer) error {
	l.mu.Lock()
	from, end := l.committed, l.replayEnd
	segs := append([]*segment(nil), l.segs...)
	l.mu.Unlock()
	if end <= from {
		return nil
	}
	l.opts.Log.Info("replaying the ingestion log into the store", "from", from+1, "to", end, "segments", len(segs))
	var batch []queue.Item
	var last uint64
	for _, s := range segs {
		if s.first > end || s.last <= from {
			continue
		}
		f, err := l.fs.Open(l.path(s))
		if err != nil {
			return l.replayFailed(s, err)
		}
		data, err := readAll(f)
		f.Close()
		if err != nil {
			return l.replayFailed(s, err)
		}
		var failed error
		parseRecords(data[:min(int64(len(data)), s.size)], 0, func(r rawRecord) {
			if failed != nil || r.seq <= from || r.seq > end {
				return
			}
			// Decoded texts share the bytes they are decoded from: a copy of the record keeps
			// a trace the guardrail scan still holds from pinning the whole segment.
			items, err := decodeItems(bytes.Clone(r.payload))
			if err != nil {
				l.deadLetter(ctx, r.payload, fmt.Sprintf("log record %d in %s: %v", r.seq, s.name, err))
				return
			}
			batch = append(batch, items...)
			last = r.seq
			if len(batch) >= l.opts.MaxBatch {
				failed = c.commit(ctx, batch, last)
				batch = nil
			}
		}, func(d damage) {
			if failed != nil {
				return
			}
			payload := data[d.off:d.end]
			reason := fmt.Sprintf("damaged ingestion log: %d bytes at offset %d of %s: %v", len(payload), d.off, s.name, d.err)
			l.opts.Log.Error("damaged stretch of the ingestion log moved to the dead letters", "segment", s.name, "offset", d.off, "bytes", len(payload), "err", d.err)
			l.deadLetter(ctx, payload, reason)
		})
		if failed != nil {
			return failed
		}
	}
	if len(batch) > 0 {
		if err := c.commit(ctx, batch, last); err != nil {
			return err
		}
	}
	// Records replay found nothing valid for still count as handled.
	l.markCommitted(end)
	l.opts.Log.Info("ingestion log replayed")
	return nil
}

func (l *Log) replayFailed(s *segment, err error) error {
	l.opts.Log.Error("cannot read a log segment; its records stay in the log until a restart can", "segment", s.name, "err", err)
	return err
}

// deadLetter keeps bytes the log cannot turn into traces. Traces still decodable are kept
// one per dead letter, in the ingestion JSON shape, so they can be replayed.
func (l *Log) deadLetter(ctx context.Context, payload []byte, reason string) {
	if payload == nil {
		payload = []byte{}
	}
	ws := ""
	if items, err := decodeItems(payload); err == nil && len(items) > 0 {
		ws = items[0].Trace.WorkspaceID
	}
	for {
		err := l.opts.DeadLetter(ctx, ws, payload, reason)
		if err == nil {
			l.mu.Lock()
			l.stats.DeadLettered++
			l.mu.Unlock()
			return
		}
		l.opts.Log.Warn("cannot store a dead letter of the ingestion log; retrying", "err", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// committer hands batches to the handler until it succeeds, each attempt bounded by
// CommitTimeout. The log keeps the records, so a store outage only delays them.
type committer struct {
	l *Log
	h queue.PositionedHandler
}

func (c *committer) commit(ctx context.Context, items []queue.Item, last uint64) error {
	l := c.l
	backoff := 50 * time.Millisecond
	for {
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, l.opts.CommitTimeout)
		err := c.h(cctx, items, model.LogPosition{LogID: l.id, Seq: last})
		cancel()
		if l.opts.Observe != nil {
			l.opts.Observe(len(items), time.Since(start), err)
		}
		if err == nil {
			l.mu.Lock()
			l.stats.Commits++
			l.stats.TracesCommitted += uint64(len(items))
			l.commitFailing = false
			l.mu.Unlock()
			l.markCommitted(last)
			return nil
		}
		l.mu.Lock()
		l.stats.CommitErrors++
		l.commitFailing = true
		l.signalCommitLocked() // paced publishers stop waiting for a store that fails
		l.mu.Unlock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.opts.Log.Warn("cannot commit the ingestion log to the store; retrying", "traces", len(items), "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// markCommitted records that everything up to seq is in the store: the window drops those
// records, waiters are released, and segments now wholly committed are deleted.
func (l *Log) markCommitted(seq uint64) {
	l.mu.Lock()
	if seq > l.committed {
		l.committed = seq
	}
	n := 0
	for n < len(l.window) && l.window[n].seq <= seq {
		if l.window[n].payload != nil {
			l.windowBytes -= int64(l.window[n].size)
		}
		l.windowTraces -= l.window[n].traces
		n++
	}
	clear(l.window[:n])
	l.window = l.window[n:]
	kept := l.waiters[:0]
	for _, w := range l.waiters {
		if w.seq <= seq {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	clear(l.waiters[len(kept):])
	l.waiters = kept
	l.signalCommitLocked()
	l.mu.Unlock()
	l.removeCommittedSegments()
}

// signalCommitLocked wakes the publishers pace holds back; l.mu is held.
func (l *Log) signalCommitLocked() {
	if l.committedSignal != nil {
		close(l.committedSignal)
		l.committedSignal = nil
	}
}

// Lag is what is durable in the log but not yet committed to the store.
type Lag struct {
	Records    uint64
	Traces     int
	Seconds    float64
	LogBytes   int64
	Replaying  bool
	LastError  error
	Statistics Stats
}

// Lag reports the commit lag and the log's size.
func (l *Log) Lag() Lag {
	l.mu.Lock()
	defer l.mu.Unlock()
	lag := Lag{LogBytes: l.liveBytes, Replaying: l.replaying, LastError: l.lastWriteErr, Statistics: l.stats}
	if l.durable > l.committed {
		lag.Records = l.durable - l.committed
	}
	for _, e := range l.window {
		lag.Traces += e.traces
	}
	switch {
	case l.replaying:
		lag.Seconds = time.Since(l.openedAt).Seconds()
	case len(l.window) > 0:
		lag.Seconds = time.Since(l.window[0].at).Seconds()
	}
	return lag
}

var (
	_ queue.Publisher    = (*Log)(nil)
	_ queue.CommitWaiter = (*Log)(nil)
)
