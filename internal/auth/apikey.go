// Package auth authenticates callers and decides what they may do: API keys, passwords,
// access and refresh tokens, roles, rate limits and login throttling.
//
// This file covers API keys: generated with a recognisable prefix, stored only as a keyed
// hash (HMAC-SHA256 with API_KEY_SALT), and looked up through a short-lived cache so that
// ingestion does not hit the store on every request. Revoking a key removes it from the
// cache at once.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// KeyPrefix starts every generated key so leaked keys are easy to scan for.
const KeyPrefix = "ao_"

// GenerateAPIKey returns a new secret key: ao_ followed by 32 random base32 characters.
func GenerateAPIKey() string { return randomToken(KeyPrefix) }

// HashAPIKey is the plain SHA-256 of a key, the hash of keys created before keyed hashes.
// Keys are long random strings, so a fast hash is enough; a slow password hash would cost
// every request.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// DisplayPrefix is the start of a key that may be shown in lists: ao_ and 4 characters.
func DisplayPrefix(key string) string {
	if len(key) <= 7 {
		return key
	}
	return key[:7]
}

// Last4 is the end of a key that may be shown in lists.
func Last4(key string) string {
	if len(key) <= 4 {
		return key
	}
	return key[len(key)-4:]
}

// KeyHasher hashes keys with a secret salt, so a leaked database alone cannot be used to
// test guessed keys. Without a salt it falls back to HashAPIKey (tests, tools).
type KeyHasher struct{ salt []byte }

// NewKeyHasher returns a hasher keyed with salt.
func NewKeyHasher(salt []byte) KeyHasher { return KeyHasher{salt: salt} }

// Hash returns the stored form of key.
func (h KeyHasher) Hash(key string) string {
	if len(h.salt) == 0 {
		return HashAPIKey(key)
	}
	m := hmac.New(sha256.New, h.salt)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// KeyLookup finds a non-revoked key by its hash.
type KeyLookup interface {
	APIKeyByHash(ctx context.Context, hash string) (*model.APIKey, error)
}

// LegacyKeys finds keys stored with the plain hash of the core issue and re-hashes them.
type LegacyKeys interface {
	LegacyAPIKeyByHash(ctx context.Context, sha256Hex string) (*model.APIKey, error)
	UpgradeAPIKeyHash(ctx context.Context, id, hash string) error
}

// KeyCache remembers lookups for a short time. Revocation through this process takes effect
// at once (Invalidate); another process sharing the store sees it within the TTL.
type KeyCache struct {
	lookup KeyLookup
	hasher KeyHasher
	legacy LegacyKeys // nil once no legacy key is left to upgrade
	ttl    time.Duration
	now    func() time.Time

	mu      sync.RWMutex
	entries map[string]*cacheEntry
	unsaved map[string]time.Time // last uses of entries dropped before TakeUsage saw them
}

type cacheEntry struct {
	key     *model.APIKey // nil: known to be invalid
	expires time.Time
	used    atomic.Int64 // unix seconds of the last use, recorded for last_used_at
	flushed atomic.Int64 // the value of used last written to the store
}

// KeyCacheOption configures a KeyCache.
type KeyCacheOption func(*KeyCache)

// WithHasher sets the hasher presented keys are hashed with.
func WithHasher(h KeyHasher) KeyCacheOption { return func(c *KeyCache) { c.hasher = h } }

// WithLegacyKeys makes the cache accept keys stored with the plain SHA-256 hash, upgrading
// each to the keyed hash on its first use.
func WithLegacyKeys(l LegacyKeys) KeyCacheOption { return func(c *KeyCache) { c.legacy = l } }

// NewKeyCache wraps lookup with a cache of the given TTL.
func NewKeyCache(lookup KeyLookup, ttl time.Duration, opts ...KeyCacheOption) *KeyCache {
	c := &KeyCache{lookup: lookup, ttl: ttl, now: time.Now, entries: map[string]*cacheEntry{}, unsaved: map[string]time.Time{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Hasher returns the hasher keys are stored with.
func (c *KeyCache) Hasher() KeyHasher { return c.hasher }

// Authenticate returns the key record for a presented secret, or a model.EUNAUTHORIZED error.
// The caller must not modify the returned key.
func (c *KeyCache) Authenticate(ctx context.Context, secret string) (*model.APIKey, error) {
	if secret == "" {
		return nil, model.Errorf(model.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key> or X-API-Key")
	}
	hash := c.hasher.Hash(secret)
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[hash]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		k, err := c.find(ctx, secret, hash)
		if err != nil {
			return nil, err
		}
		e = &cacheEntry{key: k, expires: now.Add(c.ttl)}
		if k != nil && k.ExpiresAt != nil && k.ExpiresAt.Before(e.expires) {
			e.expires = *k.ExpiresAt
		}
		if k != nil && k.LastUsedAt != nil {
			e.flushed.Store(k.LastUsedAt.Unix())
			e.used.Store(k.LastUsedAt.Unix())
		}
		c.mu.Lock()
		if len(c.entries) > 10_000 {
			for _, old := range c.entries {
				c.keepUsage(old)
			}
			c.entries = map[string]*cacheEntry{} // bound memory against floods of random keys
		}
		c.keepUsage(c.entries[hash])
		c.entries[hash] = e
		c.mu.Unlock()
	}
	if e.key == nil {
		return nil, model.Errorf(model.EUNAUTHORIZED, "invalid API key")
	}
	if e.key.ExpiresAt != nil && !now.Before(*e.key.ExpiresAt) {
		return nil, model.Errorf(model.EUNAUTHORIZED, "API key expired")
	}
	if sec := now.Unix(); e.used.Load() != sec {
		e.used.Store(sec)
	}
	return e.key, nil
}

func (c *KeyCache) find(ctx context.Context, secret, hash string) (*model.APIKey, error) {
	k, err := c.lookup.APIKeyByHash(ctx, hash)
	if err == nil {
		return k, nil
	}
	if model.ErrorCode(err) != model.ENOTFOUND {
		return nil, err
	}
	if c.legacy == nil || hash == HashAPIKey(secret) {
		return nil, nil
	}
	k, err = c.legacy.LegacyAPIKeyByHash(ctx, HashAPIKey(secret))
	if err != nil {
		if model.ErrorCode(err) == model.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	if err := c.legacy.UpgradeAPIKeyHash(ctx, k.ID, hash); err != nil {
		return nil, err
	}
	k.Hash = hash
	return k, nil
}

// Invalidate forgets the cached lookup of a stored hash, so that the next request with
// that key reads the store again (used on revocation).
func (c *KeyCache) Invalidate(hash string) {
	c.mu.Lock()
	c.keepUsage(c.entries[hash])
	delete(c.entries, hash)
	c.mu.Unlock()
}

// keepUsage saves the unsaved last use of an entry about to be dropped; c.mu is held.
func (c *KeyCache) keepUsage(e *cacheEntry) {
	if e == nil || e.key == nil || len(c.unsaved) > 10_000 {
		return
	}
	if u := e.used.Load(); u > e.flushed.Load() {
		c.unsaved[e.key.ID] = time.Unix(u, 0).UTC()
	}
}

// TakeUsage returns the last-use time of every key used since the previous call, by key id.
func (c *KeyCache) TakeUsage() map[string]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.unsaved
	c.unsaved = map[string]time.Time{}
	for _, e := range c.entries {
		if e.key == nil {
			continue
		}
		if u := e.used.Load(); u > e.flushed.Load() {
			e.flushed.Store(u)
			out[e.key.ID] = time.Unix(u, 0).UTC()
		}
	}
	return out
}
