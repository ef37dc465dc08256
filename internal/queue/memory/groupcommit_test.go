package memory

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

func items(n int) []queue.Item { return make([]queue.Item, n) }

func TestGroupCommitBatchesConcurrentRequests(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	release := make(chan struct{})
	g := New(func(ctx context.Context, it []queue.Item) error {
		mu.Lock()
		sizes = append(sizes, len(it))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release // hold the first commit so the others pile up
		}
		return nil
	}, Options{MaxBatch: 1000})
	var wg sync.WaitGroup
	errs := make(chan error, 51)
	wg.Add(1)
	go func() { defer wg.Done(); errs <- g.Publish(context.Background(), items(1)) }()
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- g.Publish(context.Background(), items(2)) }()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 100 {
		t.Errorf("commit sizes = %v, want [1 100]", sizes)
	}
	if err := g.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestGroupCommitPropagatesErrors(t *testing.T) {
	boom := errors.New("disk full")
	g := New(func(ctx context.Context, it []queue.Item) error { return boom }, Options{})
	if err := g.Publish(context.Background(), items(3)); !errors.Is(err, boom) {
		t.Fatalf("Publish = %v, want the commit error", err)
	}
	g.Close(context.Background())
}

func TestGroupCommitBackpressure(t *testing.T) {
	release := make(chan struct{})
	g := New(func(ctx context.Context, it []queue.Item) error { <-release; return nil }, Options{MaxPending: 10})
	go g.Publish(context.Background(), items(8))
	time.Sleep(20 * time.Millisecond)
	if err := g.Publish(context.Background(), items(5)); model.ErrorCode(err) != model.ETOOMANYREQUEST {
		t.Fatalf("Publish over capacity = %v, want too many requests", err)
	}
	close(release)
	g.Close(context.Background())
}

func TestGroupCommitCloseDrains(t *testing.T) {
	var committed atomic.Int64
	g := New(func(ctx context.Context, it []queue.Item) error {
		time.Sleep(10 * time.Millisecond)
		committed.Add(int64(len(it)))
		return nil
	}, Options{MaxBatch: 5})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = g.Publish(context.Background(), items(1)) }()
	}
	time.Sleep(5 * time.Millisecond)
	wg.Wait()
	if err := g.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if committed.Load() != 20 {
		t.Errorf("committed %d, want 20", committed.Load())
	}
	if err := g.Publish(context.Background(), items(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v", err)
	}
}

func TestGroupCommitLinger(t *testing.T) {
	var sizes []int
	var mu sync.Mutex
	g := New(func(ctx context.Context, it []queue.Item) error {
		mu.Lock()
		sizes = append(sizes, len(it))
		mu.Unlock()
		return nil
	}, Options{Linger: 100 * time.Millisecond})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = g.Publish(context.Background(), items(1)) }()
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	g.Close(context.Background())
	if len(sizes) != 1 || sizes[0] != 3 {
		t.Errorf("commit sizes = %v, want one commit of 3 within the linger", sizes)
	}
}
