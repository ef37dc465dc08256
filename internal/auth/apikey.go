// Package auth authenticates callers. This file covers API keys: generated with a recognisable
// prefix, stored only as a SHA-256 hash, and looked up through a short-lived cache so that
// ingestion does not hit the store on every request.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// KeyPrefix starts every generated key so leaked keys are easy to scan for.
const KeyPrefix = "ao_"

// GenerateAPIKey returns a new secret key: ao_ followed by 32 random base32 characters.
func GenerateAPIKey() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return KeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// HashAPIKey is what the store keeps instead of the key. Keys are long random strings,
// so a fast hash is enough; a slow password hash would cost every request.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// DisplayPrefix is the part of a key that may be shown in lists.
func DisplayPrefix(key string) string {
	if len(key) <= 10 {
		return key
	}
	return key[:10]
}

// KeyLookup finds a non-revoked key by its hash.
type KeyLookup interface {
	APIKeyByHash(ctx context.Context, hash string) (*model.APIKey, error)
}

// KeyCache remembers lookups for a short time. Revocation therefore takes effect within TTL.
type KeyCache struct {
	lookup KeyLookup
	ttl    time.Duration
	now    func() time.Time

	mu      sync.RWMutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	key     *model.APIKey // nil: known to be invalid
	expires time.Time
}

// NewKeyCache wraps lookup with a cache of the given TTL.
func NewKeyCache(lookup KeyLookup, ttl time.Duration) *KeyCache {
	return &KeyCache{lookup: lookup, ttl: ttl, now: time.Now, entries: map[string]cacheEntry{}}
}

// Authenticate returns the key record for a presented secret, or a model.EUNAUTHORIZED error.
func (c *KeyCache) Authenticate(ctx context.Context, secret string) (*model.APIKey, error) {
	if secret == "" {
		return nil, model.Errorf(model.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key> or X-API-Key")
	}
	hash := HashAPIKey(secret)
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[hash]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		k, err := c.lookup.APIKeyByHash(ctx, hash)
		if err != nil && model.ErrorCode(err) != model.ENOTFOUND {
			return nil, err
		}
		e = cacheEntry{key: k, expires: now.Add(c.ttl)}
		c.mu.Lock()
		if len(c.entries) > 10_000 {
			c.entries = map[string]cacheEntry{} // bound memory against floods of random keys
		}
		c.entries[hash] = e
		c.mu.Unlock()
	}
	if e.key == nil {
		return nil, model.Errorf(model.EUNAUTHORIZED, "invalid API key")
	}
	return e.key, nil
}
