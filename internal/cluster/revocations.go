package cluster

import (
	"context"
	"log/slog"
	"time"
)

// Revocations tells every process when an API key is revoked, so that each drops it from
// its key cache at once instead of when the cache entry expires.
type Revocations struct {
	rdb     Client
	channel string
}

// NewRevocations returns revocations on rdb.
func NewRevocations(rdb Client) *Revocations {
	return &Revocations{rdb: rdb, channel: Prefix + "revoked-keys"}
}

// Publish announces that the key stored with hash was revoked.
func (r *Revocations) Publish(ctx context.Context, hash string) error {
	return r.rdb.Publish(ctx, r.channel, hash).Err()
}

// Subscribe calls forget with the hash of every key revoked anywhere until ctx ends,
// resubscribing after Redis outages. forget must be quick.
func (r *Revocations) Subscribe(ctx context.Context, forget func(hash string), log *slog.Logger) {
	for ctx.Err() == nil {
		sub := r.rdb.Subscribe(ctx, r.channel)
		if _, err := sub.Receive(ctx); err != nil {
			sub.Close()
			if ctx.Err() == nil {
				log.Debug("cannot subscribe to key revocations; retrying", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		ch := sub.Channel()
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case m, ok := <-ch:
				if !ok {
					break loop
				}
				forget(m.Payload)
			}
		}
		sub.Close()
	}
}

// NewRevocationsOn uses another channel name, for tests and for deployments sharing a Redis.
func NewRevocationsOn(rdb Client, channel string) *Revocations {
	return &Revocations{rdb: rdb, channel: channel}
}
