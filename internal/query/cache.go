package query

import (
	"container/list"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Cache keeps encoded answers for a while. The in-memory one serves a single process; a
// shared one (Redis) can stand behind the same interface because values are bytes.
type Cache interface {
	// Get returns the value stored under key, if present and not expired.
	Get(ctx context.Context, key string) ([]byte, bool)
	// Set stores value under key for ttl. The cache may drop it earlier.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration)
}

// Versions tells the data version of a workspace. Ingestion bumps it after every commit and
// before acknowledging, so a cache keyed on it never serves an answer computed before data
// the client was told is stored.
type Versions interface {
	Version(ctx context.Context, workspaceID string) (uint64, error)
	Bump(ctx context.Context, workspaceIDs ...string) error
}

// MemoryVersions counts versions in memory: right for one process, where the committer and
// the query role share it.
type MemoryVersions struct {
	mu sync.Mutex
	v  map[string]uint64
}

// NewMemoryVersions returns versions starting at 0.
func NewMemoryVersions() *MemoryVersions { return &MemoryVersions{v: map[string]uint64{}} }

// Version implements Versions.
func (m *MemoryVersions) Version(_ context.Context, ws string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.v[ws], nil
}

// Bump implements Versions.
func (m *MemoryVersions) Bump(_ context.Context, workspaceIDs ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ws := range workspaceIDs {
		m.v[ws]++
	}
	return nil
}

// MemoryCache is a size-bounded LRU cache with per-entry expiry.
type MemoryCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // front: most recently used
	entries  map[string]*list.Element
	now      func() time.Time
}

type cacheEntry struct {
	key     string
	value   []byte
	expires time.Time
}

// NewMemoryCache holds up to maxBytes of values (keys included).
func NewMemoryCache(maxBytes int) *MemoryCache {
	return &MemoryCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}, now: time.Now}
}

// Get implements Cache.
func (c *MemoryCache) Get(_ context.Context, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

// Set implements Cache.
func (c *MemoryCache) Set(_ context.Context, key string, value []byte, ttl time.Duration) {
	size := len(key) + len(value)
	if size > c.maxBytes/4 {
		return // one answer must not evict most of the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	el := c.order.PushFront(&cacheEntry{key: key, value: value, expires: c.now().Add(ttl)})
	c.entries[key] = el
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

// Len is the number of entries, for tests.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *MemoryCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.order.Remove(el)
	delete(c.entries, e.key)
	c.bytes -= len(e.key) + len(e.value)
}

// CommitHook returns a function for the ingestion pipeline to call after each commit: it
// bumps the versions of the workspaces written to.
func CommitHook(v Versions, log *slog.Logger) func(traces []model.Trace) {
	return func(traces []model.Trace) {
		var seen []string
	outer:
		for i := range traces {
			ws := traces[i].WorkspaceID
			for _, s := range seen {
				if s == ws {
					continue outer
				}
			}
			seen = append(seen, ws)
		}
		if err := v.Bump(context.Background(), seen...); err != nil && log != nil {
			log.Error("cannot bump data versions; cached answers may lag", "err", err)
		}
	}
}
