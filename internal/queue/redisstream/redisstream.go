// Package redisstream is the scale-out queue: a Redis stream between ingest roles, which
// acknowledge a request once its traces are in the stream, and process roles, which read it
// in one consumer group, write each batch to the store and XACK only after the commit.
//
// Entries idle on a consumer that died are taken over with XAUTOCLAIM; an entry delivered
// more than MaxDeliveries times (it keeps killing its consumers) or that cannot be decoded
// goes to a dead-letter stream and the dead-letter table. Redelivery is harmless because
// store writes are idempotent. The stream is bounded: past MaxLen waiting entries, Publish
// fails with a retryable error (503 with Retry-After) instead of trimming unread data.
package redisstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// Options configure the stream. Zero fields take the defaults in parentheses.
type Options struct {
	Stream string // stream key ("agentobs:traces")
	Group  string // consumer group of the process roles ("agentobs-process")
	// Consumer names this process in the group (host-pid-random). A name must not be shared
	// by two live processes.
	Consumer string
	// MaxLen bounds the entries waiting in the stream, read or not (500000). Past it Publish
	// fails with model.EUNAVAILABLE: back-pressure, never trimming of unprocessed data.
	MaxLen int64
	// BatchSize caps the entries one read hands to the handler (2000).
	BatchSize int
	// Block is how long one read waits for new entries (1s).
	Block time.Duration
	// ClaimIdle is how long an entry may stay unacknowledged on a consumer before another
	// consumer takes it over (30s). A live consumer that is retrying renews its entries.
	ClaimIdle time.Duration
	// MaxDeliveries is how often an entry may be handed to a consumer before it is
	// dead-lettered instead (5).
	MaxDeliveries int64
	// DeadStream receives dead-lettered entries with their reason (Stream + ":dead").
	DeadStream string
	// DeadStreamMaxLen bounds the dead-letter stream, approximately (100000); the
	// dead-letter table keeps every letter.
	DeadStreamMaxLen int64
}

func (o Options) withDefaults() Options {
	if o.Stream == "" {
		o.Stream = "agentobs:traces"
	}
	if o.Group == "" {
		o.Group = "agentobs-process"
	}
	if o.Consumer == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		o.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.MaxLen <= 0 {
		o.MaxLen = 500_000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.Block <= 0 {
		o.Block = time.Second
	}
	if o.ClaimIdle <= 0 {
		o.ClaimIdle = 30 * time.Second
	}
	if o.MaxDeliveries <= 0 {
		o.MaxDeliveries = 5
	}
	if o.DeadStream == "" {
		o.DeadStream = o.Stream + ":dead"
	}
	if o.DeadStreamMaxLen <= 0 {
		o.DeadStreamMaxLen = 100_000
	}
	return o
}

// Queue is one process's handle on the stream. It implements queue.Publisher; Consume runs
// the process role's consumer loop.
type Queue struct {
	rdb  redis.UniversalClient
	opts Options
}

// New wraps a connected client. The caller closes the client after the queue is done.
func New(rdb redis.UniversalClient, opts Options) *Queue {
	return &Queue{rdb: rdb, opts: opts.withDefaults()}
}

// Options returns the effective options.
func (q *Queue) Options() Options { return q.opts }

// NewClient connects to a redis:// or rediss:// URL with timeouts fit for a queue on the
// request path: a Redis that does not answer turns into a 503 within seconds.
func NewClient(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cannot parse REDIS_URL: %w", err)
	}
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 3 * time.Second
	opt.WriteTimeout = 3 * time.Second
	opt.MaxRetries = 1
	// Blocking reads wait longer than ReadTimeout; go-redis extends the deadline for them.
	return redis.NewClient(opt), nil
}

// Entry fields.
const (
	fieldWorkspace = "w"
	fieldTrace     = "t"
	// fieldOrigin carries model.Origin, which the ingestion shape has no field for: traces
	// derived from OpenTelemetry spans merge their parts differently from declared ones.
	fieldOrigin = "o"
)

// publishScript appends all items or none, and only while the stream holds fewer than
// ARGV[1] entries, so that concurrent ingest processes share one exact bound.
var publishScript = redis.NewScript(`
local n = redis.call('XLEN', KEYS[1])
local count = (#ARGV - 1) / 3
if n + count > tonumber(ARGV[1]) then return -1 end
for i = 2, #ARGV, 3 do
  if ARGV[i + 2] == '' then
    redis.call('XADD', KEYS[1], '*', 'w', ARGV[i], 't', ARGV[i + 1])
  else
    redis.call('XADD', KEYS[1], '*', 'w', ARGV[i], 't', ARGV[i + 1], 'o', ARGV[i + 2])
  end
end
return n + count
`)

// Encode renders an item as its stream payload: the trace in the ingestion JSON shape, so
// that a dead-lettered entry can be replayed through the normal decoder. The bytes the
// client sent are that shape already and were validated; they are used when kept, which
// spares ingest re-encoding every trace (the process role enriches again anyway).
func Encode(it *queue.Item) ([]byte, error) {
	if len(it.Raw) > 0 {
		return it.Raw, nil
	}
	b, err := json.Marshal(ingest.FromModel(&it.Trace))
	if err != nil {
		return nil, fmt.Errorf("cannot encode trace %q: %w", it.Trace.TraceID, err)
	}
	return b, nil
}

// encodeOrigin is the origin field's value; empty for declared traces.
func encodeOrigin(o model.Origin) string {
	if o == model.OriginDeclared {
		return ""
	}
	return strconv.Itoa(int(o))
}

// Decode turns a payload back into an item of workspaceID with the given origin field.
func Decode(workspaceID string, payload []byte, origin string) (queue.Item, error) {
	var in ingest.TraceInput
	if err := json.Unmarshal(payload, &in); err != nil {
		return queue.Item{}, fmt.Errorf("cannot decode queued trace: %w", err)
	}
	if in.TraceID == "" || workspaceID == "" {
		return queue.Item{}, errors.New("cannot decode queued trace: no trace id or workspace")
	}
	if _, err := ingest.ParseTime(in.Timestamp); err != nil {
		return queue.Item{}, fmt.Errorf("cannot decode queued trace %q: bad timestamp: %w", in.TraceID, err)
	}
	it := queue.Item{Raw: payload, Trace: in.ToModel(workspaceID)}
	if origin != "" {
		o, err := strconv.Atoi(origin)
		if err != nil || o < 0 || o > int(model.OriginPartial) {
			return queue.Item{}, fmt.Errorf("cannot decode queued trace %q: bad origin %q", in.TraceID, origin)
		}
		it.Trace.Declared.Origin = model.Origin(o)
	}
	return it, nil
}

// Publish implements queue.Publisher: it returns nil once every item is in the stream.
func (q *Queue) Publish(ctx context.Context, items []queue.Item) error {
	if len(items) == 0 {
		return nil
	}
	args := make([]any, 0, 1+3*len(items))
	args = append(args, q.opts.MaxLen)
	for i := range items {
		payload, err := Encode(&items[i])
		if err != nil {
			return err
		}
		args = append(args, items[i].Trace.WorkspaceID, payload, encodeOrigin(items[i].Trace.Declared.Origin))
	}
	n, err := publishScript.Run(ctx, q.rdb, []string{q.opts.Stream}, args...).Int64()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return model.Errorf(model.EUNAVAILABLE, "ingestion queue is unavailable; retry later")
	}
	if n < 0 {
		return model.Errorf(model.EUNAVAILABLE, "ingestion queue is full (%d traces waiting); retry later", q.opts.MaxLen)
	}
	return nil
}

var _ queue.Publisher = (*Queue)(nil)

// EnsureGroup creates the stream and its consumer group if missing.
func (q *Queue) EnsureGroup(ctx context.Context) error {
	err := q.rdb.XGroupCreateMkStream(ctx, q.opts.Stream, q.opts.Group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("cannot create consumer group: %w", err)
	}
	return nil
}

// Ping checks that Redis answers.
func (q *Queue) Ping(ctx context.Context) error { return q.rdb.Ping(ctx).Err() }

// Stats is the queue's state as Redis reports it.
type Stats struct {
	Length  int64 // entries in the stream (waiting, pending, or processed and not yet trimmed)
	Lag     int64 // entries not yet delivered to the group
	Pending int64 // entries delivered and not yet acknowledged
	Dead    int64 // entries in the dead-letter stream
}

// Stats reads the stream's length and the group's lag and pending count.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	pipe := q.rdb.Pipeline()
	xlen := pipe.XLen(ctx, q.opts.Stream)
	groups := pipe.XInfoGroups(ctx, q.opts.Stream)
	dead := pipe.XLen(ctx, q.opts.DeadStream)
	_, _ = pipe.Exec(ctx)
	var st Stats
	if err := xlen.Err(); err != nil {
		return st, err
	}
	st.Length, st.Dead = xlen.Val(), dead.Val()
	st.Lag = st.Length
	for _, g := range groups.Val() {
		if g.Name == q.opts.Group {
			st.Pending = g.Pending
			// Redis reports lag -1 when it cannot tell (after deletions); the length of
			// what is waiting beyond last-delivered is then an upper bound.
			if g.Lag >= 0 {
				st.Lag = g.Lag
			}
		}
	}
	return st, nil
}
