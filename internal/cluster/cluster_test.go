package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/auth"
)

func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	if os.Getenv("AGENTOBS_SCALEOUT_TESTS") == "" {
		t.Skip("set AGENTOBS_SCALEOUT_TESTS=1 and AGENTOBS_TEST_REDIS_URL (make test-scaleout does)")
	}
	url := os.Getenv("AGENTOBS_TEST_REDIS_URL")
	if url == "" {
		t.Fatal("AGENTOBS_SCALEOUT_TESTS is set but AGENTOBS_TEST_REDIS_URL is not")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	rand.Read(b[:])
	return rdb, hex.EncodeToString(b[:])
}

// TestLimiterSharedAcrossProcesses takes one budget from two limiters, as two processes do.
func TestLimiterSharedAcrossProcesses(t *testing.T) {
	rdb, id := testRedis(t)
	a, b := NewLimiter(rdb), NewLimiter(rdb)
	ctx := context.Background()
	lim := auth.Limit{Rate: 1, Burst: 4}
	allowed := 0
	for i := 0; i < 8; i++ {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := l.Allow(ctx, "key-"+id, lim)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
			continue
		}
		if d.RetryAfter <= 0 || d.RetryAfter > time.Second || d.Limit != 4 {
			t.Errorf("refusal = %+v", d)
		}
	}
	if allowed != 4 {
		t.Fatalf("allowed %d of 8 with a burst of 4", allowed)
	}
	if d, _ := a.Peek(ctx, "key-"+id, lim); d.Allowed {
		t.Errorf("peek after the burst = %+v", d)
	}
	if err := b.Reset(ctx, "key-"+id); err != nil {
		t.Fatal(err)
	}
	if d, _ := a.Allow(ctx, "key-"+id, lim); !d.Allowed || d.Remaining != 3 {
		t.Errorf("after reset = %+v", d)
	}
	if d, _ := a.Allow(ctx, "other-"+id, auth.Limit{}); !d.Allowed {
		t.Errorf("unlimited refused")
	}
}

func TestCacheAndVersions(t *testing.T) {
	rdb, id := testRedis(t)
	ctx := context.Background()
	c := NewCache(rdb)
	if _, ok := c.Get(ctx, "q-"+id); ok {
		t.Fatal("hit on an empty cache")
	}
	c.Set(ctx, "q-"+id, []byte("answer"), 200*time.Millisecond)
	if v, ok := NewCache(rdb).Get(ctx, "q-"+id); !ok || string(v) != "answer" {
		t.Fatalf("another process's cache: %q %v", v, ok)
	}
	time.Sleep(300 * time.Millisecond)
	if _, ok := c.Get(ctx, "q-"+id); ok {
		t.Errorf("expired entry served")
	}
	v1, v2 := NewVersions(rdb), NewVersions(rdb)
	ws := "ws-" + id
	defer rdb.HDel(ctx, versionsKey, ws)
	if n, err := v1.Version(ctx, ws); err != nil || n != 0 {
		t.Fatalf("new workspace version = %d, %v", n, err)
	}
	if err := v2.Bump(ctx, ws, ws); err != nil {
		t.Fatal(err)
	}
	if n, _ := v1.Version(ctx, ws); n != 2 {
		t.Errorf("version seen by another process = %d, want 2", n)
	}
}

func TestRevocationsReachEveryProcess(t *testing.T) {
	rdb, id := testRedis(t)
	r := NewRevocations(rdb)
	r.channel += id
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 1)
	go NewRevocationsOn(rdb, r.channel).Subscribe(ctx, func(h string) { got <- h }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	deadline := time.After(5 * time.Second)
	for {
		if err := r.Publish(ctx, "hash-1"); err != nil {
			t.Fatal(err)
		}
		select {
		case h := <-got:
			if h != "hash-1" {
				t.Fatalf("got %q", h)
			}
			return
		case <-deadline:
			t.Fatal("revocation not received")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestLimiterStrictFailsClosed: with Redis gone, ordinary limits fall back to each process's
// memory, but the strict path sign-in throttling uses returns the error.
func TestLimiterStrictFailsClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	l := NewLimiter(rdb)
	lim := auth.Limit{Rate: 1, Burst: 1}
	if d, err := l.Allow(context.Background(), "k", lim); err != nil || !d.Allowed {
		t.Errorf("Allow without Redis = %+v, %v; want a local decision", d, err)
	}
	if _, err := l.AllowStrict(context.Background(), "k", lim); err == nil {
		t.Error("AllowStrict without Redis decided instead of failing")
	}
}
