package cluster

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/query"
)

// Cache is query.Cache on Redis: answers computed by one query process serve the others.
// A Redis that does not answer is a miss, never an error: the query runs on the store.
type Cache struct {
	rdb Client
}

// NewCache returns a cache on rdb. Give Redis a maxmemory with an LRU policy if it holds
// only the cache; the ingestion stream needs noeviction, so share one Redis only with care
// (docs/scale-out.md).
func NewCache(rdb Client) *Cache { return &Cache{rdb: rdb} }

var _ query.Cache = (*Cache)(nil)

// Get implements query.Cache.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	b, err := c.rdb.Get(ctx, Prefix+"qc:"+key).Bytes()
	if err != nil {
		return nil, false
	}
	return b, true
}

// Set implements query.Cache.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) {
	_ = c.rdb.Set(ctx, Prefix+"qc:"+key, value, ttl).Err()
}

// Versions is query.Versions on Redis: one counter per workspace in a hash, bumped by the
// process role that commits and read by every query role, so a cached answer keyed on the
// version is never older than the data acknowledged before it was asked for.
type Versions struct {
	rdb Client
}

// NewVersions returns versions on rdb.
func NewVersions(rdb Client) *Versions { return &Versions{rdb: rdb} }

var _ query.Versions = (*Versions)(nil)

const versionsKey = Prefix + "data-versions"

// Version implements query.Versions. While Redis does not answer it returns a version no
// cached answer carries (the clock, above any counter), so queries still run, uncached.
func (v *Versions) Version(ctx context.Context, workspaceID string) (uint64, error) {
	s, err := v.rdb.HGet(ctx, versionsKey, workspaceID).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return 1<<63 | uint64(time.Now().UnixNano()), nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// Bump implements query.Versions.
func (v *Versions) Bump(ctx context.Context, workspaceIDs ...string) error {
	if len(workspaceIDs) == 0 {
		return nil
	}
	pipe := v.rdb.Pipeline()
	for _, ws := range workspaceIDs {
		pipe.HIncrBy(ctx, versionsKey, ws, 1)
	}
	_, err := pipe.Exec(ctx)
	return err
}
