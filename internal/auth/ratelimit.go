package auth

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// Limit is a rate with a burst: Burst requests may come at once, then Rate per second.
// A Rate of zero or less means unlimited.
type Limit struct {
	Rate  float64
	Burst int
}

// Unlimited reports whether the limit lets everything through.
func (l Limit) Unlimited() bool { return l.Rate <= 0 }

// Decision is the answer of a limiter for one request.
type Decision struct {
	Allowed    bool
	Limit      int           // the burst: requests allowed at once
	Remaining  int           // requests that would be allowed right now after this one
	Reset      time.Duration // until the bucket is full again
	RetryAfter time.Duration // until the next request would be allowed (when refused)
}

// Limiter applies GCRA limits to string keys. The in-memory one serves a single process;
// the scale-out issue backs the same interface with Redis so processes share the counts.
type Limiter interface {
	// Allow consumes one request of key's budget if it fits.
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
	// Peek tells whether one request would fit, without consuming it.
	Peek(ctx context.Context, key string, l Limit) (Decision, error)
	// Reset forgets key's history.
	Reset(ctx context.Context, key string) error
}

// StrictLimiter is a Limiter that can refuse to guess: AllowStrict returns an error when
// the shared state cannot be reached instead of deciding on local state. Sign-in
// throttling uses it, so that an outage never lets more guesses through.
type StrictLimiter interface {
	AllowStrict(ctx context.Context, key string, l Limit) (Decision, error)
}

// MemoryLimiter is a sharded in-memory GCRA limiter: each key holds one time (its
// theoretical arrival time), and keys are spread over shards so that requests of
// different keys rarely wait for one another's lock.
type MemoryLimiter struct {
	seed   maphash.Seed
	shards [64]limiterShard
	now    func() time.Time
}

type limiterShard struct {
	mu  sync.Mutex
	tat map[string]int64 // unix nanoseconds
}

// NewMemoryLimiter returns an empty limiter.
func NewMemoryLimiter() *MemoryLimiter {
	m := &MemoryLimiter{seed: maphash.MakeSeed(), now: time.Now}
	for i := range m.shards {
		m.shards[i].tat = map[string]int64{}
	}
	return m
}

func (m *MemoryLimiter) shard(key string) *limiterShard {
	return &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
}

// Allow implements Limiter.
func (m *MemoryLimiter) Allow(_ context.Context, key string, l Limit) (Decision, error) {
	return m.decide(key, l, true), nil
}

// Peek implements Limiter.
func (m *MemoryLimiter) Peek(_ context.Context, key string, l Limit) (Decision, error) {
	return m.decide(key, l, false), nil
}

// Reset implements Limiter.
func (m *MemoryLimiter) Reset(_ context.Context, key string) error {
	s := m.shard(key)
	s.mu.Lock()
	delete(s.tat, key)
	s.mu.Unlock()
	return nil
}

func (m *MemoryLimiter) decide(key string, l Limit, consume bool) Decision {
	if l.Unlimited() {
		return Decision{Allowed: true}
	}
	burst := max(l.Burst, 1)
	interval := int64(float64(time.Second) / l.Rate)
	tolerance := interval * int64(burst)
	now := m.now().UnixNano()
	s := m.shard(key)
	s.mu.Lock()
	tat, ok := s.tat[key]
	if !ok || tat < now {
		tat = now
	}
	next := tat + interval
	allowed := next-now <= tolerance
	if allowed && consume {
		if len(s.tat) > 50_000 {
			s.sweep(now)
		}
		s.tat[key] = next
	}
	s.mu.Unlock()
	d := Decision{Allowed: allowed, Limit: burst}
	if allowed {
		d.Remaining = int((tolerance - (next - now)) / interval)
		if !consume {
			next = tat // nothing consumed: report the state as it is
		}
		d.Reset = time.Duration(next - now)
	} else {
		d.RetryAfter = time.Duration(next - now - tolerance)
		d.Reset = time.Duration(tat - now)
	}
	return d
}

// sweep drops keys whose bucket is full again; they behave exactly like absent keys.
func (s *limiterShard) sweep(now int64) {
	for k, t := range s.tat {
		if t <= now {
			delete(s.tat, k)
		}
	}
}

// Seconds rounds a duration up to whole seconds, as Retry-After and RateLimit-Reset need.
func Seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
