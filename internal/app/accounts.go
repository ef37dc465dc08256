package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/store"
)

// AuthConfig configures accounts, tokens, API keys and the gateway.
type AuthConfig struct {
	// JWTSecret signs access tokens; empty: generated once into the data directory.
	JWTSecret     string
	JWTAlgorithm  string        // HS256 (default), HS384 or HS512
	JWTExpiration time.Duration // access token lifetime
	RefreshTTL    time.Duration // sign-in session lifetime without use
	// APIKeySalt keys the hash API keys are stored with; empty: generated once into the
	// data directory. Changing it invalidates every API key.
	APIKeySalt     string
	KeyLimit       auth.Limit // per API key or user; zero Rate: unlimited
	WorkspaceLimit auth.Limit // per workspace; zero Rate: unlimited
	CORSOrigins    []string
	TrustedProxies []netip.Prefix
	CookieSecure   bool
	Registration   string // auth.RegistrationOpen (default) or auth.RegistrationInvite
}

// Files in the data directory holding generated secrets.
const (
	JWTSecretFile  = "jwt_secret"
	APIKeySaltFile = "api_key_salt"
)

// secret returns the configured value, else the one kept in the data directory (creating
// it with a warning on first start).
func secret(dataDir, value, file, envName string, log *slog.Logger) ([]byte, error) {
	if value != "" {
		if len(value) < 32 {
			return nil, fmt.Errorf("%s must be at least 32 characters (generate one with: openssl rand -base64 32)", envName)
		}
		return []byte(value), nil
	}
	path := filepath.Join(dataDir, file)
	b, created, err := auth.LoadOrCreateSecret(path)
	if err != nil {
		return nil, err
	}
	if created && log != nil {
		log.Warn("generated a secret and stored it in the data directory; set "+envName+" to manage it yourself, "+
			"and give every process of a scaled-out deployment the same value", "file", path)
	}
	return b, nil
}

// KeyHasher returns the hasher API keys are stored with: keyed with API_KEY_SALT, or with
// the salt generated once into the data directory.
func KeyHasher(cfg Config, log *slog.Logger) (auth.KeyHasher, error) {
	salt, err := secret(cfg.DataDir, cfg.Auth.APIKeySalt, APIKeySaltFile, "API_KEY_SALT", log)
	if err != nil {
		return auth.KeyHasher{}, err
	}
	return auth.NewKeyHasher(salt), nil
}

// newAuth builds the accounts service on the store.
func newAuth(ctx context.Context, cfg Config, st store.Store, hasher auth.KeyHasher, log *slog.Logger) (*auth.Service, error) {
	var acc auth.Store = st
	jwtSecret, err := secret(cfg.DataDir, cfg.Auth.JWTSecret, JWTSecretFile, "JWT_SECRET", log)
	if err != nil {
		return nil, err
	}
	exp := cfg.Auth.JWTExpiration
	if exp == 0 {
		exp = 15 * time.Minute
	}
	tokens, err := auth.NewTokens(jwtSecret, cfg.Auth.JWTAlgorithm, exp)
	if err != nil {
		return nil, err
	}
	opts := []auth.KeyCacheOption{auth.WithHasher(hasher)}
	// Keys of databases from before keyed hashes are upgraded on first use; the extra
	// lookup on unknown keys is only paid while such keys remain.
	if n, err := acc.CountLegacyAPIKeys(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		opts = append(opts, auth.WithLegacyKeys(acc))
	}
	return auth.NewService(auth.Config{
		Store:          acc,
		Tokens:         tokens,
		Keys:           auth.NewKeyCache(acc, 30*time.Second, opts...),
		RefreshTTL:     cfg.Auth.RefreshTTL,
		KeyLimit:       cfg.Auth.KeyLimit,
		WorkspaceLimit: cfg.Auth.WorkspaceLimit,
		Limiter:        cfg.ScaleOut.shared.sharedLimiter(), // nil: in memory
		Registration:   cfg.Auth.Registration,
		Log:            log,
	}), nil
}

// flushKeyUsage records API keys' last use every interval until ctx ends, then once more.
func flushKeyUsage(ctx context.Context, svc *auth.Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := svc.FlushKeyUsage(ctx); err != nil && ctx.Err() == nil {
				log.Warn("cannot record API key use", "err", err)
			}
		}
	}
}
