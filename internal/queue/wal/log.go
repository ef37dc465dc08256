// Package wal is the embedded deployment's queue: a local write-ahead log. A request is
// acknowledged once its record is written and fdatasync'ed (concurrent requests share one
// write and one sync); a consumer goroutine commits the log to the store in batches as large
// as the backlog, storing the log position in the same transaction, so that a restart
// replays exactly what the store lacks. See docs/ingestion.md.
package wal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// Options tune the log. Zero values take the defaults.
type Options struct {
	// SegmentBytes is the size at which a segment file is closed and a new one begun.
	SegmentBytes int64
	// MaxBytes bounds the log's files on disk: records not yet committed to the store plus
	// the rest of their segments (segments are at most a quarter of it). Beyond it Publish
	// fails with model.ETOOMANYREQUEST.
	MaxBytes int64
	// MaxBatch caps the traces of one store commit.
	MaxBatch int
	// MemoryBytes is how much of the uncommitted log the consumer keeps in memory (as the
	// log encodes it); records beyond it are read back from disk when their turn comes.
	MemoryBytes int64
	// CommitTimeout bounds one store commit; a commit that takes longer is abandoned and
	// tried again, so a hung store cannot stall the log silently.
	CommitTimeout time.Duration
	FS            FS
	Log           *slog.Logger
	// DeadLetter keeps the bytes of a record that cannot be read back. Traces it could
	// still decode come with their workspace; otherwise workspaceID is empty.
	DeadLetter func(ctx context.Context, workspaceID string, payload []byte, reason string) error
	// Observe, when set, is told each store commit's size, duration and result.
	Observe func(items int, took time.Duration, err error)
	// MaxCommitLag paces ingestion to the store. While the oldest record not yet committed
	// is older than this and the store's commits succeed, Publish waits for commits to
	// catch up (at most lagWaitLimit) before it appends: acknowledged traces then become
	// queryable within about this long, and the commits get the CPU that decoding more
	// requests would take. A store that fails its commits does not pace: the log absorbs
	// the outage up to MaxBytes. Negative: never wait. Default 1 s.
	MaxCommitLag time.Duration
	// MaxCommitRest bounds the consumer's rest after a commit: it waits three times as long
	// as the commit took, at most this, for more records to join the next batch (see Log.rest).
	// Negative: never rest. Default 100 ms.
	MaxCommitRest time.Duration
}

// lagWaitLimit bounds how long one Publish waits for the store to catch up; past it the
// record is appended anyway, so a slow store slows ingestion but never stops it.
const lagWaitLimit = 5 * time.Second

func (o Options) withDefaults() Options {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	// The segment being written is kept until it is full, committed or not: capping it at a
	// quarter of the bound keeps committed bytes from filling a small log.
	o.SegmentBytes = max(min(o.SegmentBytes, o.MaxBytes/4), 1)
	if o.MaxBatch <= 0 {
		o.MaxBatch = 10_000
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = 8 << 20
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = 30 * time.Second
	}
	if o.MaxCommitLag == 0 {
		o.MaxCommitLag = time.Second
	}
	if o.MaxCommitRest == 0 {
		o.MaxCommitRest = 100 * time.Millisecond
	}
	if o.FS == nil {
		o.FS = defaultFS()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.DeadLetter == nil {
		o.DeadLetter = func(context.Context, string, []byte, string) error { return nil }
	}
	return o
}

const (
	segmentSuffix = ".wal"
	logIDFile     = "LOG_ID"
	// writeChunk caps the bytes of one group write.
	writeChunk = 8 << 20
)

// segment is one file of the log, named by the first sequence number it may hold.
type segment struct {
	first uint64
	last  uint64 // last sequence number written to it; first-1 when empty
	name  string
	size  int64 // bytes known good (synced)
}

// entry is a durable record the consumer has not committed yet.
type entry struct {
	seq  uint64
	seg  *segment
	off  int64
	size int
	// payload is the record's encoded traces while it is inside the memory window (nil
	// beyond it: read back from disk). Encoded, a trace takes a third of the memory its
	// decoded form does, and decoding it again costs under a microsecond.
	payload []byte
	traces  int
	at      time.Time
}

type appendReq struct {
	payload []byte
	traces  int
	size    int64
	seq     uint64
	done    chan error
}

// Log is a write-ahead log; it implements queue.Publisher and queue.CommitWaiter.
type Log struct {
	opts Options
	dir  string
	id   string
	fs   FS

	closeMu sync.RWMutex // held for reading while a request is sent to the writer
	closed  bool
	reqs    chan *appendReq

	mu           sync.Mutex
	segs         []*segment
	nextSeq      uint64
	durable      uint64
	committed    uint64
	replayEnd    uint64 // records up to here were on disk at open: replayed from the files
	replaying    bool
	window       []entry
	windowBytes  int64
	windowTraces int // traces in window, so the consumer knows when a full batch waits
	liveBytes    int64
	pendingBytes int64
	waiters      []waiter
	// committedSignal is closed and replaced at every commit, waking paced publishers.
	committedSignal chan struct{}
	commitFailing   bool // the last commit attempt failed
	lastWriteErr    error
	stats           Stats

	writing *segment // the segment open for writing, under mu for the consumer's sake
	// reading is the consumer's open segment for records beyond the memory window.
	reading    File
	readingSeg *segment
	active     File // the writer goroutine's
	activeSeg  *segment
	wake       chan struct{}
	draining   chan struct{}
	stopped    chan struct{}
	consumed   chan struct{}
	cancel     context.CancelFunc
	openedAt   time.Time
}

type waiter struct {
	seq  uint64
	done chan struct{}
}

// Stats are counters for metrics.
type Stats struct {
	Fsyncs, BytesWritten, Records, WriteErrors uint64
	Commits, CommitErrors, TracesCommitted     uint64
	DeadLettered, TornTails                    uint64
	// PacedWaits counts the times a Publish found the store behind and waited.
	PacedWaits uint64
}

// Open opens or creates the log in dir and repairs its tail: a record cut short or failing
// its checksum at the end of the newest segment was never acknowledged, and is cut off.
// It reads only the newest segment, so opening is quick whatever the backlog.
func Open(dir string, opts Options) (*Log, error) {
	opts = opts.withDefaults()
	l := &Log{opts: opts, dir: dir, fs: opts.FS, reqs: make(chan *appendReq, 1024),
		wake: make(chan struct{}, 1), draining: make(chan struct{}), stopped: make(chan struct{}),
		consumed: make(chan struct{}), openedAt: time.Now()}
	if err := l.fs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("cannot create the log directory: %w", err)
	}
	var err error
	if l.id, err = l.readOrCreateID(); err != nil {
		return nil, err
	}
	names, err := l.fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list the log directory: %w", err)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, segmentSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(n, segmentSuffix), 10, 64)
		if err != nil {
			continue
		}
		l.segs = append(l.segs, &segment{first: first, name: n})
	}
	for i, s := range l.segs {
		if i+1 < len(l.segs) {
			s.last = l.segs[i+1].first - 1
			f, err := l.fs.Open(l.path(s))
			if err != nil {
				return nil, fmt.Errorf("cannot open log segment %s: %w", s.name, err)
			}
			s.size, err = f.Size()
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("cannot read log segment %s: %w", s.name, err)
			}
		} else if err := l.repairTail(s); err != nil {
			return nil, err
		}
		l.liveBytes += s.size
	}
	l.nextSeq = 1
	if n := len(l.segs); n > 0 {
		l.nextSeq = l.segs[n-1].last + 1
	}
	l.durable = l.nextSeq - 1
	l.replayEnd = l.durable
	return l, nil
}

// ID names this log; stored positions belong to it, so a new log directory beside an old
// database never takes the old position for its own.
func (l *Log) ID() string { return l.id }

func (l *Log) path(s *segment) string { return filepath.Join(l.dir, s.name) }

func (l *Log) readOrCreateID() (string, error) {
	p := filepath.Join(l.dir, logIDFile)
	b, err := l.fs.ReadFile(p)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if id == "" {
			return "", fmt.Errorf("log id file %s is empty", p)
		}
		return id, nil
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	tmp := p + ".tmp"
	_ = l.fs.Remove(tmp)
	f, err := l.fs.Create(tmp)
	if err == nil {
		_, err = f.Write([]byte(id + "\n"))
		if err == nil {
			err = f.Sync()
		}
		err = errors.Join(err, f.Close())
	}
	if err == nil {
		err = l.fs.Rename(tmp, p)
	}
	if err == nil {
		err = l.fs.SyncDir(l.dir)
	}
	if err != nil {
		return "", fmt.Errorf("cannot create the log id: %w", err)
	}
	return id, nil
}

// repairTail reads the newest segment, finds its last record and cuts off a torn tail.
func (l *Log) repairTail(s *segment) error {
	f, err := l.fs.Open(l.path(s))
	if err != nil {
		return fmt.Errorf("cannot open log segment %s: %w", s.name, err)
	}
	defer f.Close()
	data, err := readAll(f)
	if err != nil {
		return fmt.Errorf("cannot read log segment %s: %w", s.name, err)
	}
	s.last = s.first - 1
	s.size = int64(len(data))
	parseRecords(data, 0, func(r rawRecord) {
		if r.seq > s.last {
			s.last = r.seq
		}
	}, func(d damage) {
		if !d.tail {
			return // inside the segment: the consumer dead-letters it when it gets there
		}
		l.opts.Log.Warn("cutting off the torn tail of the ingestion log (it was never acknowledged)",
			"segment", s.name, "offset", d.off, "bytes", d.end-d.off, "reason", d.err)
		s.size = d.off
		l.stats.TornTails++
	})
	if s.size < int64(len(data)) {
		if err := f.Truncate(s.size); err != nil {
			return fmt.Errorf("cannot cut the torn tail of log segment %s: %w", s.name, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("cannot cut the torn tail of log segment %s: %w", s.name, err)
		}
	}
	return nil
}

func readAll(f File) ([]byte, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	data := make([]byte, size)
	n, err := f.ReadAt(data, 0)
	if n == len(data) {
		err = nil
	}
	return data[:n], err
}

// Start begins accepting records and committing them with h. committed is the position
// the store holds for this log (0 when none): records up to it are skipped, the others
// replayed in the background before new ones.
func (l *Log) Start(committed uint64, h queue.PositionedHandler) {
	l.mu.Lock()
	l.committed = committed
	// A new log directory beside a store that committed an older one must never reuse
	// sequence numbers the store could take for committed.
	if l.nextSeq <= committed {
		l.nextSeq = committed + 1
		l.durable = committed
	}
	l.replaying = l.replayEnd > committed
	l.mu.Unlock()
	l.removeCommittedSegments()
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.writeLoop()
	go l.consumeLoop(ctx, h)
}

// Replaying reports whether records written before this start are still being committed.
func (l *Log) Replaying() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.replaying
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = model.Errorf(model.EUNAVAILABLE, "server is shutting down")

// Publish implements queue.Publisher: it returns nil once the items are in the log and
// synced to disk.
func (l *Log) Publish(ctx context.Context, items []queue.Item) error {
	_, err := l.publish(ctx, items)
	return err
}

// PublishAndWait implements queue.CommitWaiter.
func (l *Log) PublishAndWait(ctx context.Context, items []queue.Item) error {
	seq, err := l.publish(ctx, items)
	if err != nil || seq == 0 {
		return err
	}
	return l.WaitCommitted(ctx, seq)
}

func (l *Log) publish(ctx context.Context, items []queue.Item) (uint64, error) {
	if len(items) == 0 {
		return 0, nil
	}
	if err := l.pace(ctx); err != nil {
		return 0, err
	}
	payload := encodePayload(items)
	r := &appendReq{payload: payload, traces: len(items), size: int64(headerSize + len(payload)), done: make(chan error, 1)}
	l.closeMu.RLock()
	if l.closed {
		l.closeMu.RUnlock()
		return 0, ErrClosed
	}
	l.mu.Lock()
	if used := l.liveBytes + l.pendingBytes; used+r.size > l.opts.MaxBytes {
		l.mu.Unlock()
		l.closeMu.RUnlock()
		return 0, model.Errorf(model.ETOOMANYREQUEST,
			"ingestion log is full: %d MiB await commit to the store (limit %d MiB); retry later", used>>20, l.opts.MaxBytes>>20)
	}
	l.pendingBytes += r.size
	l.mu.Unlock()
	l.reqs <- r
	l.closeMu.RUnlock()
	select {
	case err := <-r.done:
		return r.seq, err
	case <-ctx.Done():
		// The record may still be written and committed: a client that gave up retries,
		// and ingestion is idempotent.
		return 0, ctx.Err()
	}
}

// encodeBuffers are scratch space for encoding: grown by doubling, a payload encoded into a
// fresh slice would hold up to twice its size for as long as it sits in the memory window.
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// encodePayload encodes items into a slice of exactly their size.
func encodePayload(items []queue.Item) []byte {
	buf := encodeBuffers.Get().(*[]byte)
	*buf = appendItems((*buf)[:0], items)
	payload := make([]byte, len(*buf))
	copy(payload, *buf)
	if cap(*buf) <= 4*writeChunk { // one huge request must not pin its buffer for ever
		encodeBuffers.Put(buf)
	}
	return payload
}

// pace waits while the store is behind by more than MaxCommitLag (see Options).
func (l *Log) pace(ctx context.Context) error {
	if l.opts.MaxCommitLag < 0 {
		return nil
	}
	var limit *time.Timer
	for {
		l.mu.Lock()
		behind := !l.replaying && !l.commitFailing && len(l.window) > 0 && time.Since(l.window[0].at) > l.opts.MaxCommitLag
		if behind && l.committedSignal == nil {
			l.committedSignal = make(chan struct{})
		}
		signal := l.committedSignal
		if behind && limit == nil {
			l.stats.PacedWaits++
		}
		l.mu.Unlock()
		if !behind {
			return nil
		}
		if limit == nil {
			limit = time.NewTimer(lagWaitLimit)
			defer limit.Stop()
		}
		select {
		case <-signal:
		case <-limit.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitCommitted returns once the record seq is committed to the store.
func (l *Log) WaitCommitted(ctx context.Context, seq uint64) error {
	l.mu.Lock()
	if l.committed >= seq {
		l.mu.Unlock()
		return nil
	}
	w := waiter{seq: seq, done: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Log) writeLoop() {
	defer close(l.stopped)
	var buf []byte
	batch := make([]*appendReq, 0, 64)
	for {
		r, ok := <-l.reqs
		if !ok {
			l.closeActive()
			return
		}
		batch = append(batch[:0], r)
		n := r.size
	collect:
		for n < writeChunk {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break collect
				}
				batch = append(batch, r)
				n += r.size
			default:
				break collect
			}
		}
		buf = l.writeBatch(batch, buf[:0])
		if cap(buf) > 4*writeChunk {
			buf = nil // one huge request must not pin its buffer for ever
		}
	}
}

func (l *Log) fail(batch []*appendReq, err error) {
	var total int64
	for _, r := range batch {
		total += r.size
	}
	l.mu.Lock()
	l.pendingBytes -= total
	l.lastWriteErr = err
	l.stats.WriteErrors++
	l.mu.Unlock()
	for _, r := range batch {
		r.done <- err
	}
}

// writeBatch writes the batch as one write and one sync, then makes it visible to the
// consumer and answers the requests. It returns buf for reuse.
func (l *Log) writeBatch(batch []*appendReq, buf []byte) []byte {
	if l.active == nil {
		if err := l.openSegment(); err != nil {
			l.opts.Log.Error("cannot start a log segment; ingestion answers 503 until it can", "err", err)
			l.fail(batch, unavailable("cannot write the ingestion log", err))
			return buf
		}
	}
	seg := l.activeSeg
	l.mu.Lock()
	seq := l.nextSeq
	// Numbers are taken even if the write fails: a record that reached the disk anyway
	// must not share its number with a later one.
	l.nextSeq += uint64(len(batch))
	l.mu.Unlock()
	offs := make([]int64, len(batch))
	for i, r := range batch {
		r.seq = seq + uint64(i)
		offs[i] = seg.size + int64(len(buf))
		buf = appendRecord(buf, r.seq, r.payload)
	}
	_, err := l.active.Write(buf)
	if err == nil {
		err = l.active.Sync()
		l.mu.Lock()
		l.stats.Fsyncs++
		l.mu.Unlock()
	}
	if err != nil {
		// After a failed write or fsync the file's state is unknown (the page cache may
		// have dropped the data): it is never written again. What it surely holds is kept;
		// the rest is cut off when possible, and the next batch starts a new segment.
		l.opts.Log.Error("cannot write the ingestion log; the batch is refused and a new segment begun", "err", err,
			"segment", seg.name, "records", len(batch))
		if terr := l.active.Truncate(seg.size); terr != nil {
			l.opts.Log.Warn("cannot cut a failed write off the log segment; its records, never acknowledged, may be stored after a restart",
				"segment", seg.name, "err", terr)
		}
		l.closeActive()
		l.fail(batch, unavailable("cannot write the ingestion log", err))
		return buf
	}
	now := time.Now()
	var total int64
	l.mu.Lock()
	for i, r := range batch {
		e := entry{seq: r.seq, seg: seg, off: offs[i], size: int(r.size), traces: r.traces, at: now}
		if l.windowBytes+r.size <= l.opts.MemoryBytes {
			e.payload = r.payload
			l.windowBytes += r.size
		}
		l.window = append(l.window, e)
		l.windowTraces += e.traces
		total += r.size
	}
	seg.size += int64(len(buf))
	seg.last = batch[len(batch)-1].seq
	l.liveBytes += int64(len(buf))
	l.pendingBytes -= total
	l.durable = seg.last
	l.lastWriteErr = nil
	l.stats.BytesWritten += uint64(len(buf))
	l.stats.Records += uint64(len(batch))
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	for _, r := range batch {
		r.done <- nil
	}
	if seg.size >= l.opts.SegmentBytes {
		l.closeActive()
	}
	return buf
}

func unavailable(msg string, err error) error {
	return errors.Join(model.Errorf(model.EUNAVAILABLE, "%s; retry later", msg), err)
}

func (l *Log) openSegment() error {
	l.mu.Lock()
	s := &segment{first: l.nextSeq, name: fmt.Sprintf("%020d%s", l.nextSeq, segmentSuffix)}
	s.last = s.first - 1
	l.mu.Unlock()
	f, err := l.fs.Create(l.path(s))
	if err != nil {
		return err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		f.Close()
		_ = l.fs.Remove(l.path(s))
		return err
	}
	l.active, l.activeSeg = f, s
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.writing = s
	l.mu.Unlock()
	return nil
}

func (l *Log) closeActive() {
	if l.active == nil {
		return
	}
	_ = l.active.Close()
	l.active, l.activeSeg = nil, nil
	l.mu.Lock()
	l.writing = nil
	l.mu.Unlock()
}

// removeCommittedSegments deletes the segments whose records are all committed, except the
// one being written.
func (l *Log) removeCommittedSegments() {
	l.mu.Lock()
	var gone []*segment
	kept := l.segs[:0]
	for _, s := range l.segs {
		if s.last <= l.committed && s != l.writing {
			gone = append(gone, s)
			l.liveBytes -= s.size
			continue
		}
		kept = append(kept, s)
	}
	l.segs = kept
	l.mu.Unlock()
	for _, s := range gone {
		if err := l.fs.Remove(l.path(s)); err != nil {
			l.opts.Log.Warn("cannot delete a committed log segment", "segment", s.name, "err", err)
		}
	}
}

// Close stops accepting records, commits what is in the log within ctx, and releases the
// files. What it could not commit stays in the log and is replayed at the next start.
func (l *Log) Close(ctx context.Context) error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return errors.New("log already closed")
	}
	l.closed = true
	close(l.reqs)
	l.closeMu.Unlock()
	if l.cancel == nil { // never started
		l.closeActive()
		return nil
	}
	<-l.stopped
	close(l.draining)
	select {
	case <-l.consumed:
		return nil
	case <-ctx.Done():
		l.cancel()
		<-l.consumed
		return fmt.Errorf("ingestion log not fully committed at shutdown (replayed at the next start): %w", ctx.Err())
	}
}
