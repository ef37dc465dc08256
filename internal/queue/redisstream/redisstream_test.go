package redisstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// testQueue connects to the Redis the scale-out test script started, on a stream of its own.
func testQueue(t *testing.T, opts Options) *Queue {
	t.Helper()
	if os.Getenv("AGENTOBS_SCALEOUT_TESTS") == "" {
		t.Skip("set AGENTOBS_SCALEOUT_TESTS=1 and AGENTOBS_TEST_REDIS_URL (make test-scaleout does)")
	}
	url := os.Getenv("AGENTOBS_TEST_REDIS_URL")
	if url == "" {
		t.Fatal("AGENTOBS_SCALEOUT_TESTS is set but AGENTOBS_TEST_REDIS_URL is not")
	}
	rdb, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	opts.Stream = "test:" + hex.EncodeToString(b[:])
	q := New(rdb, opts)
	t.Cleanup(func() {
		rdb.Del(context.Background(), q.opts.Stream, q.opts.DeadStream)
		rdb.Close()
	})
	if err := q.EnsureGroup(context.Background()); err != nil {
		t.Fatal(err)
	}
	return q
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func item(ws, id string) queue.Item {
	return queue.Item{Trace: model.Trace{
		WorkspaceID: ws, TraceID: id, AgentID: "bot", Name: "bot", StartTime: t0, Input: "hi", Output: "ho",
		Model: "gpt-4o-mini", Provider: "openai", Tags: []string{"a"}, Metadata: json.RawMessage(`{"k":"v"}`),
		Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(250), TokensInput: model.Int64(3),
			TokensTotal: model.Int64(3), CostUSD: model.Float64(0.25)},
		Spans: []model.Span{{WorkspaceID: ws, TraceID: id, SpanID: "s1", Kind: model.KindTool, Name: "x", StartTime: t0,
			EndTime: t0.Add(time.Second), LatencyMs: 1000, Status: model.StatusError, StatusMessage: "boom", Attributes: json.RawMessage(`{"a":1}`)}},
		Scores: []model.Score{{WorkspaceID: ws, TraceID: id, ScoreID: "q", Name: "q", Value: 0.5, Source: model.ScoreSourceEval}},
	}}
}

// recorder is a handler and dead-letter sink that remembers what it saw.
type recorder struct {
	mu     sync.Mutex
	traces map[string]int
	items  []queue.Item
	dead   []model.DeadLetter
	fail   func(items []queue.Item) error
}

func newRecorder() *recorder { return &recorder{traces: map[string]int{}} }

func (r *recorder) handle(ctx context.Context, items []queue.Item) error {
	if r.fail != nil {
		if err := r.fail(items); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, it := range items {
		r.traces[it.Trace.TraceID]++
		r.items = append(r.items, it)
	}
	return nil
}

func (r *recorder) AddDeadLetter(ctx context.Context, dl model.DeadLetter) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = append(r.dead, dl)
	return nil
}

func (r *recorder) count() (handled, dead int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.traces), len(r.dead)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func runConsumer(t *testing.T, q *Queue, r *recorder) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.NewConsumer(r.handle, r, quiet, Hooks{}).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPublishConsumeRoundTrip(t *testing.T) {
	q := testQueue(t, Options{Block: 100 * time.Millisecond})
	in := []queue.Item{item("ws", "a"), item("ws", "b"), item("other", "c")}
	in[1].Trace.Declared.Origin = model.OriginPartial // as OpenTelemetry parts carry
	if err := q.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	runConsumer(t, q, r)
	waitFor(t, "3 traces", func() bool { n, _ := r.count(); return n == 3 })
	r.mu.Lock()
	got := r.items
	r.mu.Unlock()
	sort.Slice(got, func(i, j int) bool { return got[i].Trace.TraceID < got[j].Trace.TraceID })
	for i := range in {
		if diff := cmp.Diff(in[i].Trace, got[i].Trace, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("trace %d after the queue (-sent +received):\n%s", i, diff)
		}
		if len(got[i].Raw) == 0 {
			t.Errorf("trace %d has no raw payload for dead letters", i)
		}
	}
	waitFor(t, "acknowledged", func() bool { st, _ := q.Stats(context.Background()); return st.Pending == 0 && st.Lag == 0 })
	if _, err := q.Trim(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := q.Stats(context.Background()); st.Length != 0 {
		t.Errorf("stream length after trim = %d, want 0", st.Length)
	}
}

func TestBackPressure(t *testing.T) {
	q := testQueue(t, Options{MaxLen: 5, Block: 100 * time.Millisecond})
	ctx := context.Background()
	if err := q.Publish(ctx, []queue.Item{item("ws", "1"), item("ws", "2"), item("ws", "3")}); err != nil {
		t.Fatal(err)
	}
	err := q.Publish(ctx, []queue.Item{item("ws", "4"), item("ws", "5"), item("ws", "6")})
	if model.ErrorCode(err) != model.EUNAVAILABLE || !strings.Contains(err.Error(), "full") {
		t.Fatalf("publish past MaxLen = %v, want unavailable (queue full)", err)
	}
	if st, _ := q.Stats(ctx); st.Length != 3 {
		t.Fatalf("a refused publish added entries: length %d", st.Length)
	}
	r := newRecorder()
	runConsumer(t, q, r)
	waitFor(t, "3 traces", func() bool { n, _ := r.count(); return n == 3 })
	waitFor(t, "trim", func() bool { q.Trim(ctx); st, _ := q.Stats(ctx); return st.Length == 0 })
	if err := q.Publish(ctx, []queue.Item{item("ws", "4"), item("ws", "5"), item("ws", "6")}); err != nil {
		t.Fatalf("publish after the backlog drained: %v", err)
	}
}

// TestDeadConsumerEntriesAreTakenOver reads entries as a consumer that then dies; a live
// consumer takes them over once they are idle long enough.
func TestDeadConsumerEntriesAreTakenOver(t *testing.T) {
	q := testQueue(t, Options{ClaimIdle: 300 * time.Millisecond, Block: 100 * time.Millisecond})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if err := q.Publish(ctx, []queue.Item{item("ws", fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: q.opts.Group, Consumer: "dead", Streams: []string{q.opts.Stream, ">"}, Count: 10}).Result(); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	runConsumer(t, q, r)
	waitFor(t, "10 traces taken over", func() bool { n, _ := r.count(); return n == 10 })
	waitFor(t, "acknowledged", func() bool { st, _ := q.Stats(ctx); return st.Pending == 0 })
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, n := range r.traces {
		if n != 1 {
			t.Errorf("trace %s handled %d times", id, n)
		}
	}
}

func TestPoisonEntriesAreDeadLettered(t *testing.T) {
	q := testQueue(t, Options{ClaimIdle: 200 * time.Millisecond, MaxDeliveries: 2, Block: 100 * time.Millisecond})
	ctx := context.Background()
	// An entry that killed its consumers: read by c1, then taken over by c2 and c3.
	q.Publish(ctx, []queue.Item{item("ws", "killer")})
	msgs, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: q.opts.Group, Consumer: "c1", Streams: []string{q.opts.Stream, ">"}, Count: 10}).Result()
	if err != nil || len(msgs[0].Messages) != 1 {
		t.Fatalf("setup read = %v, %v", msgs, err)
	}
	for _, c := range []string{"c2", "c3"} {
		q.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: q.opts.Stream, Group: q.opts.Group, Consumer: c, Messages: []string{msgs[0].Messages[0].ID}})
	}
	// Undecodable, and no workspace: a buggy producer.
	q.rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.opts.Stream, Values: map[string]any{"w": "ws", "t": "{not json"}})
	q.rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.opts.Stream, Values: map[string]any{"x": "y"}})
	// A panicking item among good ones, and good ones after the poison.
	q.Publish(ctx, []queue.Item{item("ws", "good-1"), item("ws", "panics"), item("ws", "good-2")})
	r := newRecorder()
	r.fail = func(items []queue.Item) error {
		for _, it := range items {
			if it.Trace.TraceID == "panics" {
				panic("bad item")
			}
		}
		return nil
	}
	runConsumer(t, q, r)
	waitFor(t, "good traces and 4 dead letters", func() bool { n, d := r.count(); return n == 2 && d == 4 })
	r.mu.Lock()
	var reasons []string
	for _, dl := range r.dead {
		reasons = append(reasons, dl.Reason)
	}
	r.mu.Unlock()
	joined := strings.Join(reasons, "\n")
	for _, want := range []string{"cannot decode", "delivered 4 times", "panicked"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no dead letter for %q in:\n%s", want, joined)
		}
	}
	if n, _ := q.rdb.XLen(ctx, q.opts.DeadStream).Result(); n != 4 {
		t.Errorf("dead-letter stream holds %d entries, want 4", n)
	}
	waitFor(t, "all acknowledged", func() bool { st, _ := q.Stats(ctx); return st.Pending == 0 })
}

// TestStoreOutageKeepsEntries fails the handler for longer than ClaimIdle: the consumer
// keeps its entries (no other consumer takes them, no delivery is counted) and commits them
// once the store is back.
func TestStoreOutageKeepsEntries(t *testing.T) {
	q := testQueue(t, Options{ClaimIdle: 300 * time.Millisecond, MaxDeliveries: 1, Block: 100 * time.Millisecond})
	ctx := context.Background()
	q.Publish(ctx, []queue.Item{item("ws", "1"), item("ws", "2")})
	var mu sync.Mutex
	down := true
	r := newRecorder()
	r.fail = func([]queue.Item) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return model.Errorf(model.EUNAVAILABLE, "store is unavailable")
		}
		return nil
	}
	other := newRecorder()
	runConsumer(t, q, r)
	time.Sleep(200 * time.Millisecond)
	runConsumer(t, q, other)
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	down = false
	mu.Unlock()
	waitFor(t, "2 traces after the outage", func() bool { n, _ := r.count(); m, _ := other.count(); return n+m == 2 })
	waitFor(t, "acknowledged", func() bool { st, _ := q.Stats(ctx); return st.Pending == 0 })
	if _, d := r.count(); d != 0 {
		t.Errorf("an outage dead-lettered %d entries", d)
	}
	if _, d := other.count(); d != 0 {
		t.Errorf("an outage dead-lettered %d entries on the other consumer", d)
	}
}
