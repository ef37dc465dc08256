package auth

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentobs/agentobs/internal/model"
)

func TestPasswords(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct") {
		t.Fatalf("hash = %q", h)
	}
	if h == HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Error("right password refused")
	}
	for _, bad := range []string{"correct horse batterY", "", strings.Repeat("x", MaxPasswordLength+1)} {
		if VerifyPassword(h, bad) {
			t.Errorf("wrong password %q accepted", bad)
		}
	}
	for _, malformed := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=18$m=1024,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA"} {
		if VerifyPassword(malformed, "x") {
			t.Errorf("malformed hash %q matched", malformed)
		}
	}
	for pw, ok := range map[string]bool{"short": false, "0123456789": true, "          ": false, strings.Repeat("é", 10): true, strings.Repeat("x", 300): false} {
		if (CheckPassword(pw) == "") != ok {
			t.Errorf("CheckPassword(%q) = %q", pw, CheckPassword(pw))
		}
	}
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func TestTokens(t *testing.T) {
	if _, err := NewTokens([]byte("short"), "HS256", time.Minute); err == nil {
		t.Error("short secret accepted")
	}
	if _, err := NewTokens(testSecret, "RS256", time.Minute); err == nil {
		t.Error("RS256 accepted without keys")
	}
	if _, err := NewTokens(testSecret, "none", time.Minute); err == nil {
		t.Error("alg none accepted")
	}
	tok, err := NewTokens(testSecret, "HS256", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tok.now = func() time.Time { return now }
	s, exp, err := tok.Issue("user-1", "ws-1", "sess-1")
	if err != nil || !exp.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("Issue = %v, %v", exp, err)
	}
	c, err := tok.Parse(s)
	if err != nil || c.Subject != "user-1" || c.WorkspaceID != "ws-1" || c.SessionID != "sess-1" {
		t.Fatalf("Parse = %+v, %v", c, err)
	}
	now = now.Add(16 * time.Minute)
	if _, err := tok.Parse(s); model.ErrorCode(err) != model.EUNAUTHORIZED || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	now = now.Add(-16 * time.Minute)
	// alg none with the same claims.
	parts := strings.Split(s, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "user-1", "sid": "s", "iss": Issuer,
		"exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": "user-1", "sid": "s", "iss": Issuer,
		"exp": now.Add(time.Hour).Unix()}).SignedString(testSecret)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user-1", "sid": "s", "iss": Issuer}).SignedString(testSecret)
	otherIss, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user-1", "sid": "s", "iss": "evil",
		"exp": now.Add(time.Hour).Unix()}).SignedString(testSecret)
	noSub, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sid": "s", "iss": Issuer, "exp": now.Add(time.Hour).Unix()}).SignedString(testSecret)
	for name, bad := range map[string]string{"alg none": none, "alg none signed": unsigned, "HS512 when HS256": hs512, "no exp": noExp,
		"other issuer": otherIss, "no subject": noSub, "tampered": parts[0] + "." + parts[1] + "x." + parts[2], "empty": ""} {
		if _, err := tok.Parse(bad); model.ErrorCode(err) != model.EUNAUTHORIZED {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if !LooksLikeJWT(s) || LooksLikeJWT("ao_abc.def.ghi") || LooksLikeJWT("ao_abc") {
		t.Error("LooksLikeJWT")
	}
}

func fakeLimiter() (*MemoryLimiter, *time.Time) {
	m := NewMemoryLimiter()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	return m, &now
}

func TestMemoryLimiter(t *testing.T) {
	ctx := context.Background()
	m, now := fakeLimiter()
	l := Limit{Rate: 2, Burst: 3} // one request every 500 ms
	for i := 0; i < 3; i++ {
		d, _ := m.Allow(ctx, "k", l)
		if !d.Allowed || d.Remaining != 2-i || d.Limit != 3 {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d, _ := m.Allow(ctx, "k", l)
	if d.Allowed || d.RetryAfter != 500*time.Millisecond || d.Remaining != 0 || d.Reset != 1500*time.Millisecond {
		t.Fatalf("over the burst: %+v", d)
	}
	if d, _ := m.Allow(ctx, "other", l); !d.Allowed {
		t.Error("keys share a bucket")
	}
	*now = now.Add(499 * time.Millisecond)
	if d, _ := m.Allow(ctx, "k", l); d.Allowed {
		t.Error("allowed before the retry time")
	}
	*now = now.Add(time.Millisecond)
	if d, _ := m.Peek(ctx, "k", l); !d.Allowed {
		t.Error("peek refused at the retry time")
	}
	if d, _ := m.Allow(ctx, "k", l); !d.Allowed || d.Remaining != 0 {
		t.Errorf("at the retry time: %+v", d)
	}
	if d, _ := m.Peek(ctx, "k", l); d.Allowed {
		t.Error("peek consumed nothing but answered allowed")
	}
	*now = now.Add(10 * time.Second)
	if d, _ := m.Allow(ctx, "k", l); !d.Allowed || d.Remaining != 2 {
		t.Errorf("after a long pause the burst is back: %+v", d)
	}
	_ = m.Reset(ctx, "k")
	if d, _ := m.Peek(ctx, "k", l); d.Remaining != 2 || d.Reset != 0 {
		t.Errorf("after reset: %+v", d)
	}
	if d, _ := m.Allow(ctx, "k", Limit{}); !d.Allowed || d.Limit != 0 {
		t.Errorf("unlimited: %+v", d)
	}
}

func TestMemoryLimiterConcurrent(t *testing.T) {
	m := NewMemoryLimiter()
	l := Limit{Rate: 0.001, Burst: 100}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if d, _ := m.Allow(context.Background(), "shared", l); d.Allowed {
					allowed.Add(1)
				}
				m.Allow(context.Background(), "own-"+string(rune('a'+g)), l)
			}
		}(g)
	}
	wg.Wait()
	if allowed.Load() != 100 {
		t.Errorf("allowed %d of 800, want exactly the burst of 100", allowed.Load())
	}
}

// fakeKeys is a key store that counts lookups.
type fakeKeys struct {
	mu      sync.Mutex
	byHash  map[string]*model.APIKey
	legacy  map[string]*model.APIKey
	lookups int
}

func (f *fakeKeys) APIKeyByHash(_ context.Context, hash string) (*model.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if k, ok := f.byHash[hash]; ok && k.RevokedAt == nil {
		c := *k
		return &c, nil
	}
	return nil, model.Errorf(model.ENOTFOUND, "not found")
}

func (f *fakeKeys) LegacyAPIKeyByHash(_ context.Context, h string) (*model.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.legacy[h]; ok {
		c := *k
		return &c, nil
	}
	return nil, model.Errorf(model.ENOTFOUND, "not found")
}

func (f *fakeKeys) UpgradeAPIKeyHash(_ context.Context, id, hash string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for h, k := range f.legacy {
		if k.ID == id {
			delete(f.legacy, h)
			k.Hash = hash
			f.byHash[hash] = k
		}
	}
	return nil
}

func TestKeyCache(t *testing.T) {
	ctx := context.Background()
	h := NewKeyHasher([]byte("salt-salt-salt-salt-salt-salt-salt"))
	secret := GenerateAPIKey()
	if h.Hash(secret) == HashAPIKey(secret) || h.Hash(secret) != h.Hash(secret) || NewKeyHasher([]byte("other salt other salt other salt!")).Hash(secret) == h.Hash(secret) {
		t.Fatal("keyed hash is not keyed")
	}
	store := &fakeKeys{byHash: map[string]*model.APIKey{h.Hash(secret): {ID: "k1", WorkspaceID: "w", Hash: h.Hash(secret)}}, legacy: map[string]*model.APIKey{}}
	c := NewKeyCache(store, time.Minute, WithHasher(h), WithLegacyKeys(store))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if k, err := c.Authenticate(ctx, secret); err != nil || k.ID != "k1" {
			t.Fatalf("Authenticate = %v, %v", k, err)
		}
	}
	if store.lookups != 1 {
		t.Errorf("lookups = %d, want 1 (cached)", store.lookups)
	}
	if _, err := c.Authenticate(ctx, "ao_wrong"); model.ErrorCode(err) != model.EUNAUTHORIZED {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := c.Authenticate(ctx, ""); model.ErrorCode(err) != model.EUNAUTHORIZED {
		t.Errorf("empty key: %v", err)
	}
	// Usage is reported once per change.
	if u := c.TakeUsage(); !u["k1"].Equal(now) || len(u) != 1 {
		t.Errorf("usage = %v", u)
	}
	if u := c.TakeUsage(); len(u) != 0 {
		t.Errorf("usage reported twice: %v", u)
	}
	// Revocation: the store marks it and the cache entry is dropped.
	now = now.Add(2 * time.Second)
	c.Authenticate(ctx, secret)
	store.byHash[h.Hash(secret)].RevokedAt = &now
	c.Invalidate(h.Hash(secret))
	if _, err := c.Authenticate(ctx, secret); model.ErrorCode(err) != model.EUNAUTHORIZED {
		t.Errorf("revoked key accepted: %v", err)
	}
	if u := c.TakeUsage(); !u["k1"].Equal(now) {
		t.Errorf("last use before revocation lost: %v", u)
	}
	// Expiry is honoured even while cached.
	exp := now.Add(10 * time.Second)
	s2 := GenerateAPIKey()
	store.byHash[h.Hash(s2)] = &model.APIKey{ID: "k2", Hash: h.Hash(s2), ExpiresAt: &exp}
	if _, err := c.Authenticate(ctx, s2); err != nil {
		t.Fatal(err)
	}
	now = now.Add(11 * time.Second)
	if _, err := c.Authenticate(ctx, s2); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired key: %v", err)
	}
	// A key stored with the plain hash of old databases is upgraded on first use.
	s3 := GenerateAPIKey()
	store.legacy[HashAPIKey(s3)] = &model.APIKey{ID: "k3", Hash: HashAPIKey(s3)}
	if k, err := c.Authenticate(ctx, s3); err != nil || k.ID != "k3" || k.Hash != h.Hash(s3) {
		t.Fatalf("legacy key = %+v, %v", k, err)
	}
	if _, ok := store.byHash[h.Hash(s3)]; !ok || len(store.legacy) != 0 {
		t.Error("legacy key not re-hashed in the store")
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "jwt_secret")
	s1, created, err := LoadOrCreateSecret(path)
	if err != nil || !created || len(s1) < 32 {
		t.Fatalf("create = %q %v %v", s1, created, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", fi.Mode())
	}
	s2, created, err := LoadOrCreateSecret(path)
	if err != nil || created || string(s2) != string(s1) {
		t.Errorf("reload = %q %v %v", s2, created, err)
	}
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, _, err := LoadOrCreateSecret(path); err == nil {
		t.Error("short secret file accepted")
	}
}

func TestModelHelpers(t *testing.T) {
	for s, ok := range map[string]bool{"a@b.co": true, "ada@example.com": true, "no-at": false, "a@b": false, "a b@c.de": false,
		"Ada <ada@example.com>": false, "": false} {
		if model.ValidEmail(s) != ok {
			t.Errorf("ValidEmail(%q) != %v", s, ok)
		}
	}
	if model.NormalizeEmail("  Ada@Example.COM ") != "ada@example.com" {
		t.Error("NormalizeEmail")
	}
	if (&model.APIKey{}).HasScope(model.ScopeRead) != true || (&model.APIKey{Scopes: []model.Scope{model.ScopeIngest}}).HasScope(model.ScopeRead) {
		t.Error("HasScope")
	}
	if mayAssign(model.RoleAdmin, model.RoleOwner) || !mayAssign(model.RoleOwner, model.RoleOwner) || !mayAssign(model.RoleAdmin, model.RoleAdmin) || mayAssign(model.RoleMember, model.RoleViewer) {
		t.Error("mayAssign")
	}
	if len(GenerateAPIKey()) != 35 || DisplayPrefix("ao_abcdefgh") != "ao_abcd" || Last4("ao_abcdefgh") != "efgh" {
		t.Error("key format")
	}
}
