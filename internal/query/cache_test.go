package query

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func TestMemoryCacheExpiresAndEvicts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c := NewMemoryCache(1000)
	c.now = func() time.Time { return now }
	c.Set(ctx, "a", []byte("1"), time.Minute)
	if v, ok := c.Get(ctx, "a"); !ok || string(v) != "1" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	now = now.Add(time.Minute)
	if _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("an entry outlived its TTL")
	}
	// Least recently used entries go first when the size bound is reached.
	for i := 0; i < 20; i++ {
		c.Set(ctx, fmt.Sprintf("k%02d", i), make([]byte, 97), time.Hour)
		if i == 5 {
			c.Get(ctx, "k00")
		}
	}
	if c.bytes > 1000 {
		t.Errorf("cache holds %d bytes, bound 1000", c.bytes)
	}
	if _, ok := c.Get(ctx, "k19"); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.Get(ctx, "k01"); ok {
		t.Error("an old unused entry survived")
	}
	// An answer larger than a quarter of the cache is not kept.
	c.Set(ctx, "big", make([]byte, 600), time.Hour)
	if _, ok := c.Get(ctx, "big"); ok {
		t.Error("oversized entry cached")
	}
}

func TestCommitHookBumpsEachWorkspaceOnce(t *testing.T) {
	ctx := context.Background()
	v := NewMemoryVersions()
	CommitHook(v, nil)([]model.Trace{{WorkspaceID: "a"}, {WorkspaceID: "b"}, {WorkspaceID: "a"}})
	a, _ := v.Version(ctx, "a")
	b, _ := v.Version(ctx, "b")
	c, _ := v.Version(ctx, "c")
	if a != 1 || b != 1 || c != 0 {
		t.Errorf("versions a=%d b=%d c=%d, want 1 1 0", a, b, c)
	}
}

func TestRelativeWindowsEndOnTheNextStep(t *testing.T) {
	for _, tc := range []struct{ now, to string }{
		{"2026-11-25T12:00:00Z", "2026-11-25T12:00:00Z"},
		{"2026-11-25T12:00:00.001Z", "2026-11-25T12:05:00Z"},
		{"2026-11-25T12:04:59Z", "2026-11-25T12:05:00Z"},
	} {
		now, _ := time.Parse(time.RFC3339Nano, tc.now)
		p := newParams(map[string][]string{"range": {"1h"}})
		w := p.window(now, "24h", true)
		if err := p.done(); err != nil {
			t.Fatal(err)
		}
		if got := w.To.Format(time.RFC3339Nano); got != tc.to || w.Duration() != time.Hour {
			t.Errorf("now %s: window %s..%s, want to %s", tc.now, w.From, w.To, tc.to)
		}
	}
}

func TestBucketsAcrossDaylightSaving(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	lordHowe, _ := time.LoadLocation("Australia/Lord_Howe") // shifts by 30 minutes
	cases := []struct {
		loc      *time.Location
		g        Granularity
		from, to string
		want     []string
	}{
		{berlin, GranDaily, "2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00",
			[]string{"2026-03-28T00:00:00+01:00", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"}},
		{berlin, GranHourly, "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z",
			// 02:00 happens twice: one bucket of two hours.
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00"}},
		{lordHowe, GranHourly, "2026-04-04T14:00:00Z", "2026-04-04T16:00:00Z",
			// 01:30-02:00 happens twice: the 01:00 bucket lasts an hour and a half.
			[]string{"2026-04-05T01:00:00+11:00", "2026-04-05T02:00:00+10:30"}},
	}
	for _, tc := range cases {
		from, _ := time.Parse(time.RFC3339, tc.from)
		to, _ := time.Parse(time.RFC3339, tc.to)
		var got []string
		for _, b := range buckets(Window{From: from, To: to, Loc: tc.loc}, tc.g) {
			got = append(got, formatIn(b.Start, tc.loc))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s %s from %s: buckets %v, want %v", tc.loc, tc.g, tc.from, got, tc.want)
		}
	}
}

// Identical requests that miss the cache together share one computation; one whose first
// requester went away is computed again for the others.
func TestCachedSharesOneComputation(t *testing.T) {
	s := New(Config{Cache: NewMemoryCache(1 << 20), Versions: NewMemoryVersions()})
	var calls atomic.Int32
	release := make(chan struct{})
	compute := func() (any, error) {
		calls.Add(1)
		<-release
		return map[string]int{"n": 1}, nil
	}
	const n = 8
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.cached(context.Background(), "ws", "test", map[string]int{"q": 1}, compute)
			if err != nil {
				t.Error(err)
			}
			bodies[i] = string(r.Body)
		}()
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others join
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d computations for %d identical requests", calls.Load(), n)
	}
	for _, b := range bodies {
		if b != `{"n":1}` {
			t.Errorf("answer %q", b)
		}
	}

	gone, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var first atomic.Bool
	failing := func() (any, error) {
		if first.CompareAndSwap(false, true) {
			close(started)
			cancel()
			<-gone.Done()
			time.Sleep(20 * time.Millisecond) // the other request joins meanwhile
			return nil, gone.Err()
		}
		return map[string]int{"n": 2}, nil
	}
	var other Result
	var otherErr error
	done := make(chan struct{})
	go func() {
		_, _ = s.cached(gone, "ws", "test", map[string]int{"q": 2}, failing)
	}()
	<-started
	go func() {
		defer close(done)
		other, otherErr = s.cached(context.Background(), "ws", "test", map[string]int{"q": 2}, failing)
	}()
	<-done
	if otherErr != nil || string(other.Body) != `{"n":2}` {
		t.Errorf("a request that did not go away got %q, %v", other.Body, otherErr)
	}
}
