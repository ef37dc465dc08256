package auth

import (
	"log/slog"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is what accounts need from the store.
type Store interface {
	store.Workspaces
	store.Accounts
	store.Audit
	store.Retention
}

// Config configures a Service. Tokens, Keys and Store are required.
type Config struct {
	Store   Store
	Tokens  *Tokens
	Keys    *KeyCache
	Limiter Limiter // nil: a new MemoryLimiter
	// RefreshTTL is how long a sign-in session lasts without use (default 30 days).
	RefreshTTL time.Duration
	// KeyLimit and WorkspaceLimit are the default request limits per API key (or user)
	// and per workspace; a workspace may override them. A zero Rate means unlimited.
	KeyLimit       Limit
	WorkspaceLimit Limit
	// LoginPerAccount and LoginPerAddress bound failed sign-ins per email and per client
	// address; LoginPerAddress also bounds registrations. Zero values take the defaults.
	LoginPerAccount Limit
	LoginPerAddress Limit
	// Registration is RegistrationOpen (anyone may sign up, the default) or
	// RegistrationInvite (only the first user and emails with a pending invite).
	Registration string
	Log          *slog.Logger
}

// Registration policies.
const (
	RegistrationOpen   = "open"
	RegistrationInvite = "invite"
)

// Default login throttling: 5 failures at once per account then one a minute, 20 per
// client address then one every 3 seconds.
var (
	DefaultLoginPerAccount = Limit{Rate: 1.0 / 60, Burst: 5}
	DefaultLoginPerAddress = Limit{Rate: 1.0 / 3, Burst: 20}
)

// Service implements sign-up, sign-in, sessions, API keys, members and rate limits on top
// of the store. It is safe for concurrent use.
type Service struct {
	cfg      Config
	st       Store
	tokens   *Tokens
	keys     *KeyCache
	limiter  Limiter
	now      func() time.Time
	members  *ttlCache[model.Role] // "" role: not a member
	sessions *ttlCache[bool]
	limits   *ttlCache[model.RateLimits]

	registerMu sync.Mutex // makes "the first user owns the existing workspace" race-free
}

// NewService builds the service.
func NewService(cfg Config) *Service {
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemoryLimiter()
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.LoginPerAccount.Rate == 0 {
		cfg.LoginPerAccount = DefaultLoginPerAccount
	}
	if cfg.LoginPerAddress.Rate == 0 {
		cfg.LoginPerAddress = DefaultLoginPerAddress
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// Memberships and sessions changed through this process are invalidated at once; the
	// TTL bounds how long another process sharing the store may lag.
	return &Service{
		cfg: cfg, st: cfg.Store, tokens: cfg.Tokens, keys: cfg.Keys, limiter: cfg.Limiter, now: time.Now,
		members:  newTTLCache[model.Role](10 * time.Second),
		sessions: newTTLCache[bool](10 * time.Second),
		limits:   newTTLCache[model.RateLimits](30 * time.Second),
	}
}

// Keys returns the API key cache.
func (s *Service) Keys() *KeyCache { return s.keys }

// ThrottledError is a refusal that tells the client when to come back.
type ThrottledError struct {
	Err        *model.Error
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string { return e.Err.Error() }
func (e *ThrottledError) Unwrap() error { return e.Err }

func throttled(after time.Duration, format string, args ...any) error {
	return &ThrottledError{Err: model.Errorf(model.ETOOMANYREQUEST, format, args...), RetryAfter: after}
}
