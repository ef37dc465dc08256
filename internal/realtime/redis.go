package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisPrefix starts the pub/sub channel of every workspace.
const redisPrefix = "agentobs:rt:"

// Redis is the hub of a scaled-out deployment: Publish goes through Redis pub/sub, and each
// process delivers what it hears to its own subscribers. Pub/sub does not keep messages for
// a process that was disconnected, so after a reconnect every subscriber gets a resync.
type Redis struct {
	*Local
	rdb    redis.UniversalClient
	ps     *redis.PubSub
	log    *slog.Logger
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// NewRedis subscribes to every workspace's channel and starts delivering.
func NewRedis(rdb redis.UniversalClient, log *slog.Logger) *Redis {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Redis{Local: NewLocal(), rdb: rdb, ps: rdb.PSubscribe(ctx, redisPrefix+"*"), log: log, cancel: cancel}
	h.done.Add(1)
	go h.listen(ctx)
	return h
}

var _ Hub = (*Redis)(nil)

// Publish implements Hub.
func (h *Redis) Publish(ctx context.Context, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return h.rdb.Publish(ctx, redisPrefix+e.Workspace, b).Err()
}

func (h *Redis) listen(ctx context.Context) {
	defer h.done.Done()
	subscribed, lost := false, false
	for {
		msg, err := h.ps.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// go-redis reconnects and subscribes again on the next Receive.
			if !lost {
				h.log.Warn("live updates: redis pub/sub interrupted", "err", err)
			}
			lost = true
			select { // do not spin while Redis is away
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if subscribed && lost {
				h.Local.resyncAll()
			}
			subscribed, lost = true, false
		case *redis.Message:
			var e Event
			if json.Unmarshal([]byte(m.Payload), &e) != nil || e.Workspace != strings.TrimPrefix(m.Channel, redisPrefix) {
				continue
			}
			h.Local.deliver(Delivery{Event: e, Wire: wire(e)}, e.Workspace)
		}
	}
}

// Close stops listening.
func (h *Redis) Close() error {
	h.cancel()
	err := h.ps.Close()
	h.done.Wait()
	return err
}
