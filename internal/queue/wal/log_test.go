package wal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

const dir = "/log"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeStore commits batches and the log position atomically, as the real stores do, and
// counts how often each trace was written, so a test can demand exactly once.
type fakeStore struct {
	mu     sync.Mutex
	pos    map[string]uint64
	writes map[string]int
	fail   atomic.Bool
	block  chan struct{} // when set, commits wait for it
	delay  time.Duration // how long each commit takes
	starts []time.Time   // when each commit began
	sizes  []int         // traces in each commit
	dead   []string
	// gen is the machine's life: a log opened in an earlier one lost its power and may
	// no longer commit (its goroutines live on in the test, not in reality).
	gen int
}

func newFakeStore() *fakeStore {
	return &fakeStore{pos: map[string]uint64{}, writes: map[string]int{}}
}

// handlerOf returns the handler of a log opened in the machine's life gen.
func (s *fakeStore) handlerOf(gen int) queue.PositionedHandler {
	return func(ctx context.Context, items []queue.Item, pos model.LogPosition) error {
		s.mu.Lock()
		alive := s.gen == gen
		s.mu.Unlock()
		if !alive {
			return errPowerLost
		}
		return s.handle(ctx, items, pos, gen)
	}
}

// powerCut ends the machine's life: logs opened before it commit nothing more.
func (s *fakeStore) powerCut() {
	s.mu.Lock()
	s.gen++
	s.mu.Unlock()
}

func (s *fakeStore) handle(ctx context.Context, items []queue.Item, pos model.LogPosition, gen int) error {
	s.mu.Lock()
	s.starts = append(s.starts, time.Now())
	s.mu.Unlock()
	time.Sleep(s.delay)
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.fail.Load() {
		return errors.New("store is down")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return errPowerLost // the transaction never committed
	}
	if pos.Seq <= s.pos[pos.LogID] {
		return fmt.Errorf("position went back from %d to %d", s.pos[pos.LogID], pos.Seq)
	}
	for _, it := range items {
		s.writes[it.Trace.TraceID]++
	}
	s.sizes = append(s.sizes, len(items))
	s.pos[pos.LogID] = pos.Seq
	return nil
}

func (s *fakeStore) deadLetter(_ context.Context, ws string, payload []byte, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = append(s.dead, reason)
	return nil
}

func (s *fakeStore) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[id]
}

func openLog(t *testing.T, fsys FS, st *fakeStore, opts Options) *Log {
	t.Helper()
	opts.FS = fsys
	opts.Log = quiet()
	opts.DeadLetter = st.deadLetter
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	pos, gen := st.pos[l.ID()], st.gen
	st.mu.Unlock()
	l.Start(pos, st.handlerOf(gen))
	return l
}

func item(id string) []queue.Item {
	return []queue.Item{{Trace: model.Trace{WorkspaceID: "ws", TraceID: id, Name: "t", Status: model.StatusSuccess,
		StartTime: time.Now().UTC().Truncate(time.Microsecond)}}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestPublishCommitAndRestart(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	l := openLog(t, fsys, st, Options{SegmentBytes: 4096})
	ctx := context.Background()
	for i := range 200 {
		if err := l.Publish(ctx, item(fmt.Sprint("t", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.PublishAndWait(ctx, item("last")); err != nil {
		t.Fatal(err)
	}
	if st.count("last") != 1 {
		t.Fatal("PublishAndWait returned before the commit")
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if n := st.count(fmt.Sprint("t", i)); n != 1 {
			t.Fatalf("trace t%d written %d times", i, n)
		}
	}
	// Every segment but the last is deleted once committed.
	names, _ := fsys.List(dir)
	if segs := len(names) - 1; segs > 1 {
		t.Fatalf("%d segments left after everything was committed: %v", segs, names)
	}
	// A restart replays nothing: the position says all is committed.
	l = openLog(t, fsys, st, Options{SegmentBytes: 4096})
	if err := l.PublishAndWait(ctx, item("after")); err != nil {
		t.Fatal(err)
	}
	l.Close(ctx)
	for _, id := range []string{"t0", "t199", "last", "after"} {
		if n := st.count(id); n != 1 {
			t.Fatalf("trace %s written %d times", id, n)
		}
	}
}

func TestReplayFromStoredPosition(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	st.block = make(chan struct{}) // nothing commits: everything stays in the log
	l := openLog(t, fsys, st, Options{SegmentBytes: 2048})
	ctx := context.Background()
	for i := range 50 {
		if err := l.Publish(ctx, item(fmt.Sprint("t", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Pretend the store committed the first 20 records in an earlier life.
	st.mu.Lock()
	st.pos[l.ID()] = 20
	for i := range 20 {
		st.writes[fmt.Sprint("t", i)] = 1
	}
	st.mu.Unlock()
	closeCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_ = l.Close(closeCtx)
	cancel()
	st.block = nil
	l = openLog(t, fsys, st, Options{SegmentBytes: 2048})
	if !l.Replaying() && st.count("t49") == 0 {
		t.Fatal("a log with a backlog is not replaying")
	}
	waitFor(t, "replay", func() bool { return !l.Replaying() })
	for i := range 50 {
		if n := st.count(fmt.Sprint("t", i)); n != 1 {
			t.Fatalf("trace t%d written %d times", i, n)
		}
	}
	l.Close(ctx)
}

func TestFullLogRefuses(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	st.block = make(chan struct{})
	l := openLog(t, fsys, st, Options{MaxBytes: 4096, SegmentBytes: 1024})
	ctx := context.Background()
	var err error
	n := 0
	for ; n < 1000; n++ {
		if err = l.Publish(ctx, item(fmt.Sprint("t", n))); err != nil {
			break
		}
	}
	if model.ErrorCode(err) != model.ETOOMANYREQUEST {
		t.Fatalf("full log answered %v", err)
	}
	if n == 0 || n > 60 {
		t.Fatalf("log of 4 KiB took %d records", n)
	}
	close(st.block)
	waitFor(t, "drain", func() bool { return st.count(fmt.Sprint("t", n-1)) == 1 })
	if err := l.Publish(ctx, item("again")); err != nil {
		t.Fatalf("log refuses after draining: %v", err)
	}
	l.Close(ctx)
}

// uncommittedSegment publishes traces t0..t<n-1> while the store commits nothing, closes
// the log, and returns its segment file for a test to damage.
func uncommittedSegment(t *testing.T, fsys *memFS, st *fakeStore, n int) *memFile {
	t.Helper()
	st.block = make(chan struct{})
	l := openLog(t, fsys, st, Options{})
	ctx := context.Background()
	for i := range n {
		if err := l.Publish(ctx, item(fmt.Sprint("t", i))); err != nil {
			t.Fatal(err)
		}
	}
	closeCtx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_ = l.Close(closeCtx)
	cancel()
	st.block = nil
	names, _ := fsys.List(dir)
	return fsys.files[dir+"/"+names[0]]
}

func TestTornTailIsCutOff(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	f := uncommittedSegment(t, fsys, st, 5)
	ctx := context.Background()
	// Half a record at the end, as a write cut by a crash leaves it.
	rec := appendRecord(nil, 99, appendItems(nil, item("torn")))
	f.data = append(f.data, rec[:len(rec)/2]...)
	f.synced = len(f.data)
	l := openLog(t, fsys, st, Options{})
	if l.Lag().Statistics.TornTails != 1 {
		t.Fatal("torn tail not reported")
	}
	waitFor(t, "replay", func() bool { return !l.Replaying() })
	for i := range 5 {
		if n := st.count(fmt.Sprint("t", i)); n != 1 {
			t.Fatalf("trace t%d written %d times", i, n)
		}
	}
	if st.count("torn") != 0 || len(st.dead) != 0 {
		t.Fatalf("torn record was stored or dead-lettered: %v", st.dead)
	}
	l.Close(ctx)
}

func TestDamagedRecordGoesToDeadLetters(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	f := uncommittedSegment(t, fsys, st, 3)
	ctx := context.Background()
	// Flip a byte inside the second record's payload.
	first := headerSize + int(len(appendItems(nil, item("t0"))))
	f.data[first+headerSize+5] ^= 0xff
	l := openLog(t, fsys, st, Options{})
	waitFor(t, "replay", func() bool { return !l.Replaying() })
	if st.count("t0") != 1 || st.count("t2") != 1 || st.count("t1") != 0 {
		t.Fatalf("writes after damage: %v", st.writes)
	}
	if len(st.dead) != 1 {
		t.Fatalf("dead letters: %v", st.dead)
	}
	// New records go on after the damaged one.
	if err := l.PublishAndWait(ctx, item("new")); err != nil {
		t.Fatal(err)
	}
	l.Close(ctx)
}

func TestWriteAndSyncFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(m *memFS)
		clear  func(m *memFS)
	}{
		{"ENOSPC on write", func(m *memFS) { m.failWrite = syscall.ENOSPC }, func(m *memFS) { m.failWrite = nil }},
		{"short write", func(m *memFS) { m.failWrite, m.shortWrite = syscall.ENOSPC, true }, func(m *memFS) { m.failWrite = nil }},
		{"fsync error", func(m *memFS) { m.failSync = syscall.EIO }, func(m *memFS) { m.failSync = nil }},
		{"cannot create a segment", func(m *memFS) { m.failCreate = syscall.ENOSPC; m.failWrite = syscall.ENOSPC },
			func(m *memFS) { m.failCreate, m.failWrite = nil, nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, st := newMemFS(), newFakeStore()
			l := openLog(t, fsys, st, Options{})
			ctx := context.Background()
			if err := l.PublishAndWait(ctx, item("before")); err != nil {
				t.Fatal(err)
			}
			fsys.set(tc.inject)
			err := l.Publish(ctx, item("refused"))
			if model.ErrorCode(err) != model.EUNAVAILABLE {
				t.Fatalf("failed write answered %v", err)
			}
			fsys.set(tc.clear)
			// It recovers by itself: the next request works (on a new segment).
			if err := l.PublishAndWait(ctx, item("after")); err != nil {
				t.Fatalf("log did not recover: %v", err)
			}
			l.Close(ctx)
			// A crash now: what was acknowledged survives; the refused record may or
			// may not be stored, but never twice.
			after := fsys.crash()
			l = openLog(t, after, st, Options{})
			waitFor(t, "replay", func() bool { return !l.Replaying() })
			l.Close(ctx)
			if st.count("before") != 1 || st.count("after") != 1 || st.count("refused") > 1 {
				t.Fatalf("writes: %v", st.writes)
			}
		})
	}
}

func TestStoreOutageRetriesAndTimesOut(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	st.fail.Store(true)
	l := openLog(t, fsys, st, Options{CommitTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	if err := l.Publish(ctx, item("a")); err != nil {
		t.Fatal("the log acknowledges while the store is down:", err)
	}
	time.Sleep(120 * time.Millisecond)
	if l.Lag().Records != 1 || l.Lag().Statistics.CommitErrors == 0 {
		t.Fatalf("lag %+v", l.Lag())
	}
	st.fail.Store(false)
	waitFor(t, "commit after the outage", func() bool { return st.count("a") == 1 })
	// A hung store: each attempt is cut at CommitTimeout, and retried.
	st.block = make(chan struct{})
	if err := l.Publish(ctx, item("b")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a timed-out attempt", func() bool { return l.Lag().Statistics.CommitErrors >= 3 })
	close(st.block)
	waitFor(t, "commit after the hang", func() bool { return st.count("b") == 1 })
	l.Close(ctx)
}

// TestPowerLoss acknowledges traces from concurrent publishers and cuts the power at a
// random moment: after restart and replay, every acknowledged trace is in the store
// exactly once.
func TestPowerLoss(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			fsys, st := newMemFS(), newFakeStore()
			l := openLog(t, fsys, st, Options{SegmentBytes: 8 << 10, MemoryBytes: 4 << 10, MaxBatch: 37})
			var acked sync.Map
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						id := fmt.Sprintf("w%d-%d", w, i)
						if err := l.Publish(context.Background(), item(id)); err == nil {
							acked.Store(id, true)
						}
					}
				}()
			}
			time.Sleep(time.Duration(5+rng.IntN(40)) * time.Millisecond)
			st.powerCut()
			after := fsys.crash()
			close(stop)
			wg.Wait()
			l2 := openLog(t, after, st, Options{SegmentBytes: 8 << 10})
			waitFor(t, "replay", func() bool { return !l2.Replaying() })
			if err := l2.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			n := 0
			acked.Range(func(k, _ any) bool {
				n++
				if c := st.count(k.(string)); c != 1 {
					t.Errorf("acknowledged trace %s stored %d times", k, c)
				}
				return true
			})
			st.mu.Lock()
			for id, c := range st.writes {
				if c != 1 {
					t.Errorf("trace %s stored %d times", id, c)
				}
			}
			st.mu.Unlock()
			if n == 0 {
				t.Fatal("nothing was acknowledged before the crash")
			}
		})
	}
}

func TestLogIDSurvivesAndRenameFailureFails(t *testing.T) {
	fsys := newMemFS()
	l, err := Open(dir, Options{FS: fsys, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Open(dir, Options{FS: fsys, Log: quiet()})
	if err != nil || l2.ID() != l.ID() {
		t.Fatalf("log id changed: %v %s %s", err, l.ID(), l2.ID())
	}
	bad := newMemFS()
	bad.failRename = syscall.EIO
	if _, err := Open(dir, Options{FS: bad, Log: quiet()}); err == nil {
		t.Fatal("open succeeded without a durable log id")
	}
}

// A fresh log directory beside a store that committed up to N must number after N.
func TestNewLogAfterCommittedPosition(t *testing.T) {
	fsys, st := newMemFS(), newFakeStore()
	l, err := Open(dir, Options{FS: fsys, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	st.pos[l.ID()] = 1000
	l.Start(1000, st.handlerOf(st.gen))
	if err := l.PublishAndWait(context.Background(), item("x")); err != nil {
		t.Fatal(err)
	}
	if st.pos[l.ID()] != 1001 {
		t.Fatalf("position %d", st.pos[l.ID()])
	}
	l.Close(context.Background())
}

func TestCodecRoundTrip(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC)
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	tr := model.Trace{WorkspaceID: "ws", TraceID: "tr", AgentID: "ag", Name: "n", UserID: "u", SessionID: "s",
		StartTime: ts, EndTime: ts.Add(time.Second), LatencyMs: 1000, Status: model.StatusError, ErrorType: "E",
		ErrorMessage: "boom", Input: "in ✓", Output: "out", Model: "gpt-4o", Provider: "openai",
		TokensInput: i64(1), TokensOutput: i64(2), TokensCached: i64(0), TokensTotal: i64(3), CostUSD: f64(0.5),
		Tags: []string{"a", ""}, Metadata: json.RawMessage(`{}`), SpanCount: 2, ErrorSpanCount: 1,
		Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: i64(-5), EndTime: ts, TokensInput: i64(7),
			TokensOutput: i64(8), TokensCached: i64(9), TokensTotal: i64(10), CostUSD: f64(-1.25), Origin: model.OriginPartial},
		Spans: []model.Span{{WorkspaceID: "ws", TraceID: "tr", SpanID: "sp", ParentSpanID: "p", Kind: model.KindTool,
			Name: "x", StartTime: ts, EndTime: ts, LatencyMs: 3, Status: model.StatusTimeout, StatusMessage: "m",
			Model: "m", Provider: "p", TokensInput: i64(1), TokensOutput: i64(1), TokensCached: i64(1),
			TokensTotal: i64(2), CostUSD: f64(0), Input: "i", Output: "o", Attributes: json.RawMessage(`{"k":1}`)},
			{WorkspaceID: "ws", TraceID: "tr", SpanID: "sp2"}},
		Scores: []model.Score{{WorkspaceID: "ws", TraceID: "tr", ScoreID: "sc", SpanID: "sp", Name: "q", Value: 0.25,
			Comment: "c", Source: model.ScoreSourceHuman, CreatedAt: ts}},
	}
	in := []queue.Item{{Trace: tr}, {Trace: model.Trace{WorkspaceID: "w2", TraceID: "empty"}}}
	out, err := decodeItems(appendItems(nil, in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Fatalf("round trip (-in +out):\n%s", diff)
	}
	// Texts share the payload's memory; identifiers, which registries keep, do not.
	payload := appendItems(nil, in)
	out, err = decodeItems(payload)
	if err != nil {
		t.Fatal(err)
	}
	inPayload := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		start := uintptr(unsafe.Pointer(&payload[0]))
		return p >= start && p < start+uintptr(len(payload))
	}
	got := out[0].Trace
	for name, s := range map[string]string{"input": got.Input, "output": got.Output, "error message": got.ErrorMessage,
		"span input": got.Spans[0].Input, "span output": got.Spans[0].Output, "span status message": got.Spans[0].StatusMessage} {
		if !inPayload(s) {
			t.Errorf("the decoded %s is a copy; it should share the payload", name)
		}
	}
	for name, s := range map[string]string{"workspace": got.WorkspaceID, "agent": got.AgentID, "model": got.Model,
		"span model": got.Spans[0].Model, "tag": got.Tags[0]} {
		if inPayload(s) {
			t.Errorf("the decoded %s shares the payload; a registry keeping it would pin the whole record", name)
		}
	}
	// What the memory window keeps: the same bytes, in a slice of exactly their size.
	for range 3 { // the scratch buffer is reused from the second call on
		payload := encodePayload(in)
		if want := appendItems(nil, in); !bytes.Equal(payload, want) || cap(payload) != len(payload) {
			t.Fatalf("encodePayload: %d bytes in a slice of %d, equal to appendItems: %v", len(payload), cap(payload), bytes.Equal(payload, want))
		}
	}
	// The codec lists fields one by one: a field added to the model must be added there.
	for typ, want := range map[reflect.Type]int{reflect.TypeFor[model.Trace](): 28, reflect.TypeFor[model.Span](): 22,
		reflect.TypeFor[model.Score](): 9, reflect.TypeFor[model.Declared](): 9} {
		if got := typ.NumField(); got != want {
			t.Errorf("%s has %d fields, the log codec knows %d: update codec.go and this test", typ, got, want)
		}
	}
}

func TestFramingFindsRecordsAfterDamage(t *testing.T) {
	var seg []byte
	for i := range 5 {
		seg = appendRecord(seg, uint64(i+1), []byte(fmt.Sprintf("payload-%d", i)))
	}
	size := headerSize + len("payload-0")
	seg[2*size+headerSize+1] ^= 1 // damage record 3's payload
	var seqs []uint64
	var damages []damage
	parseRecords(seg, 0, func(r rawRecord) { seqs = append(seqs, r.seq) }, func(d damage) { damages = append(damages, d) })
	if diff := cmp.Diff([]uint64{1, 2, 4, 5}, seqs); diff != "" {
		t.Fatal(diff)
	}
	if len(damages) != 1 || damages[0].tail || damages[0].off != int64(2*size) || damages[0].end != int64(3*size) {
		t.Fatalf("damages %+v", damages)
	}
	seqs, damages = nil, nil
	parseRecords(seg[:4*size+7], 0, func(r rawRecord) { seqs = append(seqs, r.seq) }, func(d damage) { damages = append(damages, d) })
	if len(damages) != 2 || !damages[1].tail || damages[1].off != int64(4*size) {
		t.Fatalf("torn tail not found: %+v", damages)
	}
}

// TestPacing: while a healthy store is more than MaxCommitLag behind, Publish waits for it
// to catch up; a failing store is not waited for, and a negative MaxCommitLag never waits.
func TestPacing(t *testing.T) {
	ctx := context.Background()
	fsys, st := newMemFS(), newFakeStore()
	st.block = make(chan struct{})
	l := openLog(t, fsys, st, Options{MaxCommitLag: 30 * time.Millisecond})
	if err := l.Publish(ctx, item("a")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // "a" is now older than the lag allowed
	published := make(chan error, 1)
	go func() { published <- l.Publish(ctx, item("b")) }()
	select {
	case err := <-published:
		t.Fatalf("published while the store was behind: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if l.Lag().Statistics.PacedWaits != 1 {
		t.Fatalf("paced waits %d, want 1", l.Lag().Statistics.PacedWaits)
	}
	close(st.block) // the store catches up
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "commit of b", func() bool { return st.count("b") == 1 })

	// A failing store: the log absorbs the outage instead of holding requests back.
	st.fail.Store(true)
	if err := l.Publish(ctx, item("c")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed commit", func() bool { return l.Lag().Statistics.CommitErrors > 0 })
	time.Sleep(60 * time.Millisecond)
	start := time.Now()
	if err := l.Publish(ctx, item("d")); err != nil || time.Since(start) > time.Second {
		t.Fatalf("publish during an outage took %v: %v", time.Since(start), err)
	}
	st.fail.Store(false)
	waitFor(t, "commit after the outage", func() bool { return st.count("d") == 1 })
	l.Close(ctx)

	// Pacing off.
	fsys, st = newMemFS(), newFakeStore()
	st.block = make(chan struct{})
	l = openLog(t, fsys, st, Options{MaxCommitLag: -1})
	if err := l.Publish(ctx, item("a")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond)
	start = time.Now()
	if err := l.Publish(ctx, item("b")); err != nil || time.Since(start) > time.Second || l.Lag().Statistics.PacedWaits != 0 {
		t.Fatalf("unpaced publish took %v (%d paced waits): %v", time.Since(start), l.Lag().Statistics.PacedWaits, err)
	}
	close(st.block)
	l.Close(ctx)
}

func TestConsumerRestsAfterACommit(t *testing.T) {
	ctx := context.Background()
	fsys, st := newMemFS(), newFakeStore()
	st.delay = time.Second // margins of half a second: the race detector and a busy machine slow the loop
	l := openLog(t, fsys, st, Options{MaxBatch: 12, MaxCommitRest: time.Minute})
	defer l.Close(ctx)
	commits := func() ([]int, []time.Time) {
		st.mu.Lock()
		defer st.mu.Unlock()
		return slices.Clone(st.sizes), slices.Clone(st.starts)
	}

	// A lone trace on an idle log is committed at once.
	published := time.Now()
	if err := l.Publish(ctx, item("a")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "commit of a", func() bool { return st.count("a") == 1 })
	_, starts := commits()
	if wait := starts[0].Sub(published); wait > st.delay/2 {
		t.Fatalf("a lone trace waited %v for its commit", wait)
	}

	// Traces arriving within the commit's duration after it share the next commit.
	ended := time.Now()
	for _, id := range []string{"b", "c"} {
		if err := l.Publish(ctx, item(id)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "commit of b and c", func() bool { return st.count("c") == 1 })
	sizes, starts := commits()
	if !slices.Equal(sizes, []int{1, 2}) {
		t.Fatalf("commit sizes %v, want [1 2]: b and c gathered into one", sizes)
	}
	if rested, want := starts[1].Sub(ended), restPerCommit*st.delay; rested < want-st.delay/2 {
		t.Fatalf("the next commit began %v after the last ended; it should rest about %v", rested, want)
	}

	// A full batch waiting cuts the rest short.
	published = time.Now()
	var full []queue.Item
	for i := range 12 {
		full = append(full, item(fmt.Sprintf("full-%d", i))...)
	}
	if err := l.Publish(ctx, full); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "commit of the full batch", func() bool { return st.count("full-11") == 1 })
	sizes, starts = commits()
	if !slices.Equal(sizes, []int{1, 2, 12}) {
		t.Fatalf("commit sizes %v, want [1 2 12]", sizes)
	}
	if wait := starts[2].Sub(published); wait > st.delay/2 { // the rest would last 3 × st.delay
		t.Fatalf("a full batch waited %v for its commit", wait)
	}

	// After a large batch (a quarter of MaxBatch or more) the consumer has fallen behind
	// and does not rest.
	ended = time.Now()
	if err := l.Publish(ctx, item("g")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "commit of g", func() bool { return st.count("g") == 1 })
	if _, starts = commits(); starts[3].Sub(ended) > st.delay/2 {
		t.Fatalf("the consumer rested %v after a large batch", starts[3].Sub(ended))
	}
}
