package auth

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Principal is an authenticated caller: an API key or a signed-in user. Every
// workspace-scoped query uses WorkspaceID and nothing the request names.
type Principal struct {
	WorkspaceID string        // empty for a user who has no workspace yet
	UserID      string        // users only
	Role        model.Role    // users only: their role in WorkspaceID
	SessionID   string        // users only: the refresh-token family
	Key         *model.APIKey // keys only; must not be modified
}

// IsUser reports whether the caller signed in with an access token.
func (p *Principal) IsUser() bool { return p.Key == nil }

// Subject names the caller for per-caller rate limits and logs: key:<id> or user:<id>.
func (p *Principal) Subject() string {
	if p.Key != nil {
		return "key:" + p.Key.ID
	}
	return "user:" + p.UserID
}

// NewUUID returns a random (version 4) UUID, the form of user and workspace ids.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ttlCache is a small map whose entries expire; the caches of memberships, sessions and
// workspace limits use it so that signed-in requests do not query the store each time.
type ttlCache[V any] struct {
	ttl time.Duration
	now func() time.Time

	mu sync.RWMutex
	m  map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, now: time.Now, m: map[string]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(k string) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || c.now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) set(k string, v V) {
	c.mu.Lock()
	if len(c.m) > 10_000 {
		c.m = map[string]ttlEntry[V]{} // bound memory
	}
	c.m[k] = ttlEntry[V]{v: v, expires: c.now().Add(c.ttl)}
	c.mu.Unlock()
}

func (c *ttlCache[V]) remove(k string) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}
