package provider

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Limits tune a Client.
type Limits struct {
	// MaxConcurrency caps calls in flight (8 when 0). The Client halves its own limit on
	// every rate-limit answer and grows it back by one after as many successes.
	MaxConcurrency int
	// MaxAge bounds how long one call may keep retrying (2 minutes when 0).
	MaxAge time.Duration
	// BaseDelay and MaxDelay bound the exponential backoff with full jitter (0.5 s, 30 s).
	BaseDelay, MaxDelay time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxConcurrency <= 0 {
		l.MaxConcurrency = 8
	}
	if l.MaxAge <= 0 {
		l.MaxAge = 2 * time.Minute
	}
	if l.BaseDelay <= 0 {
		l.BaseDelay = 500 * time.Millisecond
	}
	if l.MaxDelay <= 0 {
		l.MaxDelay = 30 * time.Second
	}
	return l
}

// Client wraps a Provider with an adaptive concurrency limit shared by all its callers,
// a pause when the provider says to wait (Retry-After, rate-limit headers), and retries
// with jitter for rate limits, 5xx, timeouts and unreadable answers up to Limits.MaxAge.
// Errors that retrying cannot fix (auth, quota, not found, bad request) return at once.
type Client struct {
	p      Provider
	limits Limits
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	limit     int       // current concurrency limit, 1..MaxConcurrency
	inFlight  int       // calls holding a slot
	successes int       // successes since the limit last changed
	until     time.Time // no call starts before this instant
	wake      chan struct{}
}

// NewClient wraps p.
func NewClient(p Provider, l Limits) *Client {
	l = l.withDefaults()
	return &Client{p: p, limits: l, now: time.Now, sleep: sleepCtx, limit: l.MaxConcurrency, wake: make(chan struct{})}
}

// Provider returns the wrapped provider.
func (c *Client) Provider() Provider { return c.p }

// Limit is the current concurrency limit.
func (c *Client) Limit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Call is one request Client.Complete made of its provider: a first try or a retry.
type Call struct {
	Attempt    int
	Request    Request
	Start, End time.Time
	Response   *Response // nil when the call failed
	Err        error
}

type observerKey struct{}

// WithObserver returns a context under which every provider call a Client makes, retries
// included, is reported to observe when it has finished, on the calling goroutine; this is
// how judge calls are traced and priced.
func WithObserver(ctx context.Context, observe func(Call)) context.Context {
	return context.WithValue(ctx, observerKey{}, observe)
}

// Complete calls the provider, waiting for a slot and retrying as Client describes. The
// returned Response is the first success; Attempts says how many calls were made.
func (c *Client) Complete(ctx context.Context, req Request) (*Response, int, error) {
	start := c.now()
	observe, _ := ctx.Value(observerKey{}).(func(Call))
	for attempt := 1; ; attempt++ {
		if err := c.acquire(ctx); err != nil {
			return nil, attempt - 1, err
		}
		callStart := c.now()
		resp, err := c.p.Complete(ctx, req)
		c.release(resp, err)
		if observe != nil {
			observe(Call{Attempt: attempt, Request: req, Start: callStart, End: c.now(), Response: resp, Err: err})
		}
		if err == nil {
			return resp, attempt, nil
		}
		pe := AsError(err)
		if pe == nil || !pe.Retryable() || ctx.Err() != nil {
			return nil, attempt, err
		}
		wait := c.backoff(attempt)
		if pe.RetryAfter > 0 {
			wait = pe.RetryAfter
		}
		if c.now().Add(wait).Sub(start) > c.limits.MaxAge {
			return nil, attempt, err
		}
		if pe.Kind != ErrRateLimited {
			// A rate limit already holds every caller back (release); other failures only
			// delay this call.
			if serr := c.sleep(ctx, wait); serr != nil {
				return nil, attempt, errors.Join(err, serr)
			}
		}
	}
}

// backoff is exponential with full jitter: uniform in [0, min(MaxDelay, Base·2^(n-1))].
func (c *Client) backoff(attempt int) time.Duration {
	d := c.limits.BaseDelay << min(attempt-1, 20)
	if d <= 0 || d > c.limits.MaxDelay {
		d = c.limits.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// acquire waits until no pause is in force and a slot is free.
func (c *Client) acquire(ctx context.Context) error {
	for {
		c.mu.Lock()
		now := c.now()
		if now.Before(c.until) {
			wait := c.until.Sub(now)
			c.mu.Unlock()
			if err := c.sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if c.inFlight < c.limit {
			c.inFlight++
			c.mu.Unlock()
			return nil
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// release frees the slot and adapts: a rate limit halves the limit and pauses everyone
// until the provider's Retry-After (or one backoff step when it gave none); successes
// grow the limit back additively.
func (c *Client) release(resp *Response, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if pe := AsError(err); pe != nil && pe.Kind == ErrRateLimited {
		c.limit = max(c.limit/2, 1)
		c.successes = 0
		wait := pe.RetryAfter
		if wait <= 0 {
			wait = c.backoff(1) + c.limits.BaseDelay/2
		}
		c.until = later(c.until, c.now().Add(wait))
	} else if err == nil {
		c.successes++
		if c.successes >= c.limit && c.limit < c.limits.MaxConcurrency {
			c.limit++
			c.successes = 0
		}
		if resp != nil && resp.Throttle > 0 {
			c.until = later(c.until, c.now().Add(resp.Throttle))
		}
	}
	close(c.wake)
	c.wake = make(chan struct{})
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
