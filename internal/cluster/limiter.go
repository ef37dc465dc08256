package cluster

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/auth"
)

// Limiter is auth.Limiter on Redis: the same GCRA as auth.MemoryLimiter, one key holding the
// theoretical arrival time, evaluated in a script so that every process shares each budget.
// Redis's clock decides, so processes with skewed clocks still agree. While Redis does not
// answer, each process applies the limits on its own (in memory) rather than failing
// requests that have nothing to do with Redis, such as queries.
type Limiter struct {
	rdb   Client
	local *auth.MemoryLimiter
}

// NewLimiter returns a limiter on rdb.
func NewLimiter(rdb Client) *Limiter { return &Limiter{rdb: rdb, local: auth.NewMemoryLimiter()} }

var _ auth.Limiter = (*Limiter)(nil)

// gcraScript: KEYS[1] the bucket; ARGV: interval µs, tolerance µs, consume (1/0).
// Returns {allowed, tat, now} in microseconds, which Lua's doubles hold exactly.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + interval
local allowed = 0
if nxt - now <= tolerance then
  allowed = 1
  if ARGV[3] == '1' then
    redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
  end
end
return {allowed, string.format('%.0f', tat), string.format('%.0f', now)}
`)

func (l *Limiter) decide(ctx context.Context, key string, lim auth.Limit, consume bool) (auth.Decision, error) {
	d, err := l.shared(ctx, key, lim, consume)
	if err == nil || ctx.Err() != nil {
		return d, err
	}
	if consume {
		return l.local.Allow(ctx, key, lim)
	}
	return l.local.Peek(ctx, key, lim)
}

// AllowStrict implements auth.StrictLimiter: Redis decides or the call fails.
func (l *Limiter) AllowStrict(ctx context.Context, key string, lim auth.Limit) (auth.Decision, error) {
	return l.shared(ctx, key, lim, true)
}

var _ auth.StrictLimiter = (*Limiter)(nil)

// shared runs the GCRA in Redis.
func (l *Limiter) shared(ctx context.Context, key string, lim auth.Limit, consume bool) (auth.Decision, error) {
	if lim.Unlimited() {
		return auth.Decision{Allowed: true}, nil
	}
	burst := max(lim.Burst, 1)
	interval := max(int64(float64(time.Second/time.Microsecond)/lim.Rate), 1)
	tolerance := interval * int64(burst)
	c := "0"
	if consume {
		c = "1"
	}
	res, err := gcraScript.Run(ctx, l.rdb, []string{Prefix + "rl:" + key}, interval, tolerance, c).Slice()
	if err != nil {
		return auth.Decision{}, err
	}
	allowed := res[0].(int64) == 1
	const us = int64(time.Microsecond)
	tat, now := parseInt(res[1])*us, parseInt(res[2])*us
	interval, tolerance = interval*us, tolerance*us
	next := tat + interval
	d := auth.Decision{Allowed: allowed, Limit: burst}
	if allowed {
		d.Remaining = int((tolerance - (next - now)) / interval)
		if !consume {
			next = tat
		}
		d.Reset = time.Duration(next - now)
	} else {
		d.RetryAfter = time.Duration(next - now - tolerance)
		d.Reset = time.Duration(tat - now)
	}
	return d, nil
}

func parseInt(v any) int64 {
	s, _ := v.(string)
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// Allow implements auth.Limiter.
func (l *Limiter) Allow(ctx context.Context, key string, lim auth.Limit) (auth.Decision, error) {
	return l.decide(ctx, key, lim, true)
}

// Peek implements auth.Limiter.
func (l *Limiter) Peek(ctx context.Context, key string, lim auth.Limit) (auth.Decision, error) {
	return l.decide(ctx, key, lim, false)
}

// Reset implements auth.Limiter.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	_ = l.local.Reset(ctx, key)
	return l.rdb.Del(ctx, Prefix+"rl:"+key).Err()
}
