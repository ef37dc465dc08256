package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is what accounts need from the store.
type Store interface {
	store.Workspaces
	store.Accounts
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

// --- authentication -------------------------------------------------------------------

// AuthenticateKey authenticates an API key.
func (s *Service) AuthenticateKey(ctx context.Context, secret string) (*Principal, error) {
	k, err := s.keys.Authenticate(ctx, secret)
	if err != nil {
		return nil, err
	}
	return &Principal{WorkspaceID: k.WorkspaceID, Key: k}, nil
}

// AuthenticateToken verifies an access token and that its session and membership still
// hold, so signing out or losing a role takes effect before the token expires.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Principal, error) {
	c, err := s.tokens.Parse(token)
	if err != nil {
		return nil, err
	}
	active, ok := s.sessions.get(c.SessionID)
	if !ok {
		if active, err = s.st.RefreshFamilyActive(ctx, c.SessionID); err != nil {
			return nil, err
		}
		s.sessions.set(c.SessionID, active)
	}
	if !active {
		return nil, model.Errorf(model.EUNAUTHORIZED, "session ended: sign in again")
	}
	p := &Principal{UserID: c.Subject, SessionID: c.SessionID}
	if c.WorkspaceID != "" {
		role, err := s.role(ctx, c.WorkspaceID, c.Subject)
		if err != nil {
			return nil, err
		}
		if role != "" {
			p.WorkspaceID, p.Role = c.WorkspaceID, role
		}
	}
	return p, nil
}

// role returns the user's role in the workspace, "" when not a member.
func (s *Service) role(ctx context.Context, workspaceID, userID string) (model.Role, error) {
	k := workspaceID + "|" + userID
	if r, ok := s.members.get(k); ok {
		return r, nil
	}
	m, err := s.st.GetMembership(ctx, workspaceID, userID)
	var r model.Role
	switch {
	case err == nil:
		r = m.Role
	case model.ErrorCode(err) != model.ENOTFOUND:
		return "", err
	}
	s.members.set(k, r)
	return r, nil
}

// --- sessions -------------------------------------------------------------------------

// Session is what sign-up, sign-in and refresh return.
type Session struct {
	AccessToken      string     `json:"access_token"`
	TokenType        string     `json:"token_type"`
	ExpiresIn        int        `json:"expires_in"`
	ExpiresAt        time.Time  `json:"expires_at"`
	RefreshToken     string     `json:"refresh_token"`
	RefreshExpiresAt time.Time  `json:"refresh_expires_at"`
	User             model.User `json:"user"`
	WorkspaceID      string     `json:"workspace_id,omitempty"`
	Role             model.Role `json:"role,omitempty"`
}

// RegisterInput is the body of POST /api/v1/auth/register.
type RegisterInput struct {
	Email           string `json:"email"`
	Password        string `json:"password"`
	Name            string `json:"name"`
	WorkspaceName   string `json:"workspace_name"`   // create a workspace with this name
	CreateWorkspace bool   `json:"create_workspace"` // create one named after the user
}

func checkName(fe *model.FieldErrors, path model.Path, v string, required bool) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(v)); {
	case required && n == 0:
		fe.Add(path, "is required")
	case n > 200:
		fe.Add(path, "must be at most 200 characters")
	}
}

// checkAddress throttles by client address, consuming one attempt.
func (s *Service) checkAddress(ctx context.Context, client string) error {
	if client == "" {
		return nil
	}
	d, err := s.limiter.Allow(ctx, "addr:"+client, s.cfg.LoginPerAddress)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return throttled(d.RetryAfter, "too many attempts from this address; retry in %d s", Seconds(d.RetryAfter))
	}
	return nil
}

// Register creates a user. The first user of the process's store becomes the owner of
// the existing workspace without members (the one created at first start, holding the
// bootstrap key and its data); otherwise a workspace is created when asked. Pending
// invites for the email become memberships. It signs the user in.
func (s *Service) Register(ctx context.Context, in RegisterInput, client string) (*Session, error) {
	email := model.NormalizeEmail(in.Email)
	var fe model.FieldErrors
	if !model.ValidEmail(email) {
		fe.Add(model.Path{"email"}, "must be an email address")
	}
	if msg := CheckPassword(in.Password); msg != "" {
		fe.Add(model.Path{"password"}, "%s", msg)
	}
	checkName(&fe, model.Path{"name"}, in.Name, false)
	checkName(&fe, model.Path{"workspace_name"}, in.WorkspaceName, false)
	if err := fe.Err("invalid registration"); err != nil {
		return nil, err
	}
	if err := s.checkAddress(ctx, client); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := model.User{ID: NewUUID(), Email: email, Name: strings.TrimSpace(in.Name), PasswordHash: HashPassword(in.Password), CreatedAt: now}

	s.registerMu.Lock()
	defer s.registerMu.Unlock()
	n, err := s.st.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 && s.cfg.Registration == RegistrationInvite {
		ok, err := s.invited(ctx, email)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, model.Errorf(model.EFORBIDDEN, "registration is by invitation: ask an admin of a workspace to invite %s", email)
		}
	}
	var claim *model.Workspace
	if n == 0 {
		if claim, err = s.unownedWorkspace(ctx); err != nil {
			return nil, err
		}
	}
	var created *model.Workspace
	if name := strings.TrimSpace(in.WorkspaceName); name != "" || in.CreateWorkspace || (n == 0 && claim == nil) {
		if name == "" {
			name = defaultWorkspaceName(u)
		}
		created = &model.Workspace{ID: NewUUID(), Name: name, CreatedAt: now}
	}
	if err := s.st.CreateUser(ctx, u, created); err != nil {
		return nil, err
	}
	var wsID string
	switch {
	case created != nil:
		wsID = created.ID
	case claim != nil:
		if err := s.st.AddMember(ctx, model.Membership{WorkspaceID: claim.ID, UserID: u.ID, Role: model.RoleOwner, CreatedAt: now}); err != nil {
			return nil, err
		}
		s.cfg.Log.Info("first user owns the existing workspace", "workspace", claim.ID, "user", u.ID)
		wsID = claim.ID
	default: // the workspace of an accepted invite, if any
		if wsID, err = s.pickWorkspace(ctx, u.ID, "", ""); err != nil {
			return nil, err
		}
	}
	return s.startSession(ctx, &u, wsID)
}

// invited reports whether some workspace has a pending invite for email. Registrations are
// rare, so walking the workspaces is acceptable.
func (s *Service) invited(ctx context.Context, email string) (bool, error) {
	list, err := s.st.ListWorkspaces(ctx)
	if err != nil {
		return false, err
	}
	for _, ws := range list {
		inv, err := s.st.ListInvites(ctx, ws.ID)
		if err != nil {
			return false, err
		}
		for _, i := range inv {
			if i.Email == email {
				return true, nil
			}
		}
	}
	return false, nil
}

func defaultWorkspaceName(u model.User) string {
	if u.Name != "" {
		return u.Name + "'s workspace"
	}
	return "My workspace"
}

// unownedWorkspace returns the oldest workspace without members, if any.
func (s *Service) unownedWorkspace(ctx context.Context) (*model.Workspace, error) {
	list, err := s.st.ListWorkspaces(ctx)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	members, err := s.st.ListMembers(ctx, list[0].ID)
	if err != nil || len(members) > 0 {
		return nil, err
	}
	return &list[0], nil
}

// Login checks an email and password, throttling failures per account and per client
// address, and signs the user in to workspaceID (or their first workspace).
func (s *Service) Login(ctx context.Context, email, password, workspaceID, client string) (*Session, error) {
	email = model.NormalizeEmail(email)
	var fe model.FieldErrors
	if email == "" {
		fe.Add(model.Path{"email"}, "is required")
	}
	if password == "" {
		fe.Add(model.Path{"password"}, "is required")
	}
	if err := fe.Err("invalid sign-in"); err != nil {
		return nil, err
	}
	acct := "login:" + email
	for _, b := range []struct {
		key string
		l   Limit
	}{{acct, s.cfg.LoginPerAccount}, {"addr:" + client, s.cfg.LoginPerAddress}} {
		d, err := s.limiter.Peek(ctx, b.key, b.l)
		if err != nil {
			return nil, err
		}
		if !d.Allowed {
			return nil, throttled(d.RetryAfter, "too many failed sign-ins; retry in %d s", Seconds(d.RetryAfter))
		}
	}
	u, err := s.st.UserByEmail(ctx, email)
	if err != nil && model.ErrorCode(err) != model.ENOTFOUND {
		return nil, err
	}
	hash := dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	if !VerifyPassword(hash, password) || u == nil {
		_, _ = s.limiter.Allow(ctx, acct, s.cfg.LoginPerAccount)
		if client != "" {
			_, _ = s.limiter.Allow(ctx, "addr:"+client, s.cfg.LoginPerAddress)
		}
		return nil, model.Errorf(model.EUNAUTHORIZED, "invalid email or password")
	}
	_ = s.limiter.Reset(ctx, acct)
	ws, err := s.pickWorkspace(ctx, u.ID, workspaceID, "")
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u, ws)
}

// pickWorkspace returns the workspace a session should be in: the requested one (which
// must be the user's, else not found, so other workspaces' ids do not leak), else the
// current one if still the user's, else the user's first, else none.
func (s *Service) pickWorkspace(ctx context.Context, userID, requested, current string) (string, error) {
	if requested != "" {
		role, err := s.role(ctx, requested, userID)
		if err != nil {
			return "", err
		}
		if role == "" {
			return "", model.Errorf(model.ENOTFOUND, "workspace %q not found", requested)
		}
		return requested, nil
	}
	if current != "" {
		role, err := s.role(ctx, current, userID)
		if err != nil {
			return "", err
		}
		if role != "" {
			return current, nil
		}
	}
	ms, err := s.st.ListUserMemberships(ctx, userID)
	if err != nil || len(ms) == 0 {
		return "", err
	}
	return ms[0].WorkspaceID, nil
}

func (s *Service) startSession(ctx context.Context, u *model.User, workspaceID string) (*Session, error) {
	now := s.now().UTC()
	secret := randomToken(RefreshPrefix)
	t := model.RefreshToken{ID: NewUUID(), FamilyID: NewUUID(), UserID: u.ID, WorkspaceID: workspaceID,
		Hash: HashRefreshToken(secret), CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL)}
	if err := s.st.CreateRefreshToken(ctx, t); err != nil {
		return nil, err
	}
	return s.session(ctx, u, t, secret)
}

func (s *Service) session(ctx context.Context, u *model.User, t model.RefreshToken, secret string) (*Session, error) {
	access, exp, err := s.tokens.Issue(u.ID, t.WorkspaceID, t.FamilyID)
	if err != nil {
		return nil, err
	}
	out := &Session{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.tokens.TTL().Seconds()), ExpiresAt: exp,
		RefreshToken: secret, RefreshExpiresAt: t.ExpiresAt, User: *u, WorkspaceID: t.WorkspaceID}
	if t.WorkspaceID != "" {
		if out.Role, err = s.role(ctx, t.WorkspaceID, u.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var errSessionEnded = model.Errorf(model.EUNAUTHORIZED, "invalid or expired refresh token: sign in again")

// Refresh exchanges a refresh token for a new pair; the old token is used up. Presenting a
// used token again means it was stolen or replayed: the whole session is revoked. With
// workspaceID it also switches the session to that workspace (the caller must belong to it).
func (s *Service) Refresh(ctx context.Context, refreshToken, workspaceID string) (*Session, error) {
	if refreshToken == "" {
		return nil, model.Errorf(model.EUNAUTHORIZED, "missing refresh token: send it in the body or the cookie")
	}
	t, err := s.st.RefreshTokenByHash(ctx, HashRefreshToken(refreshToken))
	if model.ErrorCode(err) == model.ENOTFOUND {
		return nil, errSessionEnded
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	switch {
	case t.RevokedAt != nil:
		return nil, errSessionEnded
	case t.UsedAt != nil:
		s.revokeFamily(ctx, t.FamilyID, "refresh token reused")
		return nil, model.Errorf(model.EUNAUTHORIZED, "refresh token was already used: the session is revoked, sign in again")
	case !now.Before(t.ExpiresAt):
		return nil, errSessionEnded
	}
	u, err := s.st.GetUser(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	ws, err := s.pickWorkspace(ctx, u.ID, workspaceID, t.WorkspaceID)
	if err != nil {
		return nil, err
	}
	secret := randomToken(RefreshPrefix)
	next := model.RefreshToken{ID: NewUUID(), FamilyID: t.FamilyID, UserID: u.ID, WorkspaceID: ws,
		Hash: HashRefreshToken(secret), CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL)}
	if err := s.st.RotateRefreshToken(ctx, t.ID, now, next); err != nil {
		if model.ErrorCode(err) == model.ECONFLICT {
			s.revokeFamily(ctx, t.FamilyID, "refresh token reused concurrently")
			return nil, model.Errorf(model.EUNAUTHORIZED, "refresh token was already used: the session is revoked, sign in again")
		}
		return nil, err
	}
	return s.session(ctx, u, next, secret)
}

func (s *Service) revokeFamily(ctx context.Context, familyID, why string) {
	if err := s.st.RevokeRefreshFamily(ctx, familyID, s.now().UTC()); err != nil {
		s.cfg.Log.Error("cannot revoke session", "session", familyID, "err", err)
	}
	s.sessions.set(familyID, false)
	if why != "" {
		s.cfg.Log.Warn("session revoked", "session", familyID, "reason", why)
	}
}

// Logout ends the session of a refresh token: every token of its family, refresh and
// access alike, stops working. An unknown token is not an error (logging out twice).
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	if refreshToken == "" {
		return nil
	}
	t, err := s.st.RefreshTokenByHash(ctx, HashRefreshToken(refreshToken))
	if model.ErrorCode(err) == model.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	s.revokeFamily(ctx, t.FamilyID, "")
	return nil
}

// EndSession ends the session an access token belongs to.
func (s *Service) EndSession(ctx context.Context, p *Principal) {
	if p != nil && p.SessionID != "" {
		s.revokeFamily(ctx, p.SessionID, "")
	}
}

// Me is the answer of GET /api/v1/auth/me.
type Me struct {
	User       model.User         `json:"user"`
	Workspace  *model.Workspace   `json:"workspace"` // the token's workspace; null if none
	Role       model.Role         `json:"role,omitempty"`
	Workspaces []model.Membership `json:"workspaces"`
}

// Me describes the signed-in user.
func (s *Service) Me(ctx context.Context, p *Principal) (*Me, error) {
	u, err := s.st.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	ms, err := s.st.ListUserMemberships(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := &Me{User: *u, Role: p.Role, Workspaces: ms}
	if p.WorkspaceID != "" {
		if out.Workspace, err = s.st.GetWorkspace(ctx, p.WorkspaceID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateWorkspace creates a workspace owned by the user.
func (s *Service) CreateWorkspace(ctx context.Context, p *Principal, name string) (*model.Workspace, error) {
	var fe model.FieldErrors
	checkName(&fe, model.Path{"name"}, name, true)
	if err := fe.Err("invalid workspace"); err != nil {
		return nil, err
	}
	ws := model.Workspace{ID: NewUUID(), Name: strings.TrimSpace(name), CreatedAt: s.now().UTC()}
	if err := s.st.CreateWorkspaceWithOwner(ctx, ws, p.UserID); err != nil {
		return nil, err
	}
	s.members.remove(ws.ID + "|" + p.UserID)
	return &ws, nil
}

// Workspace returns a workspace by id.
func (s *Service) Workspace(ctx context.Context, id string) (*model.Workspace, error) {
	return s.st.GetWorkspace(ctx, id)
}

// RenameWorkspace renames the caller's workspace.
func (s *Service) RenameWorkspace(ctx context.Context, p *Principal, name string) error {
	var fe model.FieldErrors
	checkName(&fe, model.Path{"name"}, name, true)
	if err := fe.Err("invalid workspace"); err != nil {
		return err
	}
	return s.st.RenameWorkspace(ctx, p.WorkspaceID, strings.TrimSpace(name))
}

// --- API keys -------------------------------------------------------------------------

// CreateKeyInput is the body of POST /api/v1/api-keys.
type CreateKeyInput struct {
	Name      string        `json:"name"`
	Scopes    []model.Scope `json:"scopes"`
	ExpiresAt *time.Time    `json:"expires_at"`
}

// CreatedKey is a new key with its secret, which is shown only this once.
type CreatedKey struct {
	model.APIKey
	Key string `json:"key"`
}

// CreateAPIKey creates a key in the caller's workspace. Without scopes it gets both.
func (s *Service) CreateAPIKey(ctx context.Context, p *Principal, in CreateKeyInput) (*CreatedKey, error) {
	var fe model.FieldErrors
	checkName(&fe, model.Path{"name"}, in.Name, true)
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = []model.Scope{model.ScopeIngest, model.ScopeRead}
	}
	seen := map[model.Scope]bool{}
	uniq := scopes[:0:0]
	for i, sc := range scopes {
		if !sc.Valid() {
			fe.Add(model.Path{"scopes", i}, "must be %q or %q", model.ScopeIngest, model.ScopeRead)
		} else if !seen[sc] {
			seen[sc] = true
			uniq = append(uniq, sc)
		}
	}
	now := s.now().UTC()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		fe.Add(model.Path{"expires_at"}, "must be in the future")
	}
	if err := fe.Err("invalid API key"); err != nil {
		return nil, err
	}
	secret := GenerateAPIKey()
	k := model.APIKey{ID: NewUUID(), WorkspaceID: p.WorkspaceID, Name: strings.TrimSpace(in.Name),
		Prefix: DisplayPrefix(secret), Last4: Last4(secret), Hash: s.keys.Hasher().Hash(secret),
		Scopes: uniq, CreatedBy: p.UserID, CreatedAt: now}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	if err := s.st.CreateAPIKey(ctx, k); err != nil {
		return nil, err
	}
	return &CreatedKey{APIKey: k, Key: secret}, nil
}

// ListAPIKeys lists the workspace's keys, newest last: all of them when all is set (the
// caller may manage every key), else only the caller's own.
func (s *Service) ListAPIKeys(ctx context.Context, p *Principal, all bool) ([]model.APIKey, error) {
	list, err := s.st.ListAPIKeys(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, k := range list {
		if all || (k.CreatedBy != "" && k.CreatedBy == p.UserID) {
			if k.Scopes == nil {
				k.Scopes = []model.Scope{}
			}
			out = append(out, k)
		}
	}
	return out, nil
}

// RevokeAPIKey revokes a key of the caller's workspace (only their own unless all), with
// immediate effect in this process. Revoking a revoked key answers it unchanged.
func (s *Service) RevokeAPIKey(ctx context.Context, p *Principal, id string, all bool) (*model.APIKey, error) {
	k, err := s.st.GetAPIKey(ctx, p.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if !all && (k.CreatedBy == "" || k.CreatedBy != p.UserID) {
		return nil, model.Errorf(model.ENOTFOUND, "api key %q not found", id)
	}
	if k, err = s.st.RevokeAPIKey(ctx, p.WorkspaceID, id, s.now().UTC()); err != nil {
		return nil, err
	}
	s.keys.Invalidate(k.Hash)
	return k, nil
}

// FlushKeyUsage writes the last-use times of keys used since the previous flush.
func (s *Service) FlushKeyUsage(ctx context.Context) error {
	return s.st.TouchAPIKeys(ctx, s.keys.TakeUsage())
}

// --- members --------------------------------------------------------------------------

// Team is the answer of GET /api/v1/team/members.
type Team struct {
	Members []model.Member `json:"members"`
	Invites []model.Invite `json:"invites"`
}

// ListMembers lists the workspace's members and pending invites.
func (s *Service) ListMembers(ctx context.Context, p *Principal) (*Team, error) {
	ms, err := s.st.ListMembers(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	inv, err := s.st.ListInvites(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &Team{Members: ms, Invites: inv}, nil
}

// mayAssign says whether a caller of role actor may give or take role r: only an owner
// may make or unmake owners; an admin manages admins, members and viewers.
func mayAssign(actor, r model.Role) bool {
	if r == model.RoleOwner {
		return actor == model.RoleOwner
	}
	return actor.Rank() >= model.RoleAdmin.Rank()
}

func checkRole(fe *model.FieldErrors, r model.Role) {
	if !r.Valid() {
		fe.Add(model.Path{"role"}, "must be one of owner, admin, member, viewer")
	}
}

// InviteResult says whether an invite added an existing user at once.
type InviteResult struct {
	Member *model.Member `json:"member,omitempty"` // the user had an account: now a member
	Invite *model.Invite `json:"invite,omitempty"` // no account yet: joins on registration
}

// Invite adds a user by email with a role; an email without an account gets an invite that
// becomes a membership when it registers.
func (s *Service) Invite(ctx context.Context, p *Principal, email string, role model.Role) (*InviteResult, error) {
	email = model.NormalizeEmail(email)
	var fe model.FieldErrors
	if !model.ValidEmail(email) {
		fe.Add(model.Path{"email"}, "must be an email address")
	}
	checkRole(&fe, role)
	if err := fe.Err("invalid invite"); err != nil {
		return nil, err
	}
	if !mayAssign(p.Role, role) {
		return nil, model.Errorf(model.EFORBIDDEN, "only an owner can make owners")
	}
	now := s.now().UTC()
	u, err := s.st.UserByEmail(ctx, email)
	if model.ErrorCode(err) == model.ENOTFOUND {
		inv := model.Invite{WorkspaceID: p.WorkspaceID, Email: email, Role: role, InvitedBy: p.UserID, CreatedAt: now}
		if err := s.st.CreateInvite(ctx, inv); err != nil {
			return nil, err
		}
		return &InviteResult{Invite: &inv}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.st.AddMember(ctx, model.Membership{WorkspaceID: p.WorkspaceID, UserID: u.ID, Role: role, CreatedAt: now}); err != nil {
		return nil, err
	}
	s.members.remove(p.WorkspaceID + "|" + u.ID)
	return &InviteResult{Member: &model.Member{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, JoinedAt: now}}, nil
}

// CancelInvite deletes a pending invite.
func (s *Service) CancelInvite(ctx context.Context, p *Principal, email string) error {
	return s.st.DeleteInvite(ctx, p.WorkspaceID, model.NormalizeEmail(email))
}

// member returns a member of the caller's workspace, not found otherwise.
func (s *Service) member(ctx context.Context, p *Principal, userID string) (*model.Membership, error) {
	m, err := s.st.GetMembership(ctx, p.WorkspaceID, userID)
	if model.ErrorCode(err) == model.ENOTFOUND {
		return nil, model.Errorf(model.ENOTFOUND, "member %q not found", userID)
	}
	return m, err
}

// lastOwner reports whether userID is the workspace's only owner.
func (s *Service) lastOwner(ctx context.Context, workspaceID, userID string) (bool, error) {
	ms, err := s.st.ListMembers(ctx, workspaceID)
	if err != nil {
		return false, err
	}
	owners := 0
	for _, m := range ms {
		if m.Role == model.RoleOwner {
			owners++
		}
	}
	return owners == 1, nil
}

// SetRole changes a member's role. A workspace always keeps at least one owner.
func (s *Service) SetRole(ctx context.Context, p *Principal, userID string, role model.Role) error {
	var fe model.FieldErrors
	checkRole(&fe, role)
	if err := fe.Err("invalid role"); err != nil {
		return err
	}
	m, err := s.member(ctx, p, userID)
	if err != nil {
		return err
	}
	if !mayAssign(p.Role, m.Role) || !mayAssign(p.Role, role) {
		return model.Errorf(model.EFORBIDDEN, "only an owner can make or unmake owners")
	}
	if m.Role == model.RoleOwner && role != model.RoleOwner {
		if last, err := s.lastOwner(ctx, p.WorkspaceID, userID); err != nil || last {
			return errors.Join(err, model.Errorf(model.ECONFLICT, "the workspace must keep at least one owner"))
		}
	}
	if err := s.st.SetMemberRole(ctx, p.WorkspaceID, userID, role); err != nil {
		return err
	}
	s.members.remove(p.WorkspaceID + "|" + userID)
	return nil
}

// RemoveMember takes a user out of the workspace; members may also remove themselves.
// Their sessions keep working in their other workspaces.
func (s *Service) RemoveMember(ctx context.Context, p *Principal, userID string, manage bool) error {
	m, err := s.member(ctx, p, userID)
	if err != nil {
		return err
	}
	if userID != p.UserID && (!manage || !mayAssign(p.Role, m.Role)) {
		return model.Errorf(model.EFORBIDDEN, "you may not remove this member")
	}
	if m.Role == model.RoleOwner {
		if last, err := s.lastOwner(ctx, p.WorkspaceID, userID); err != nil || last {
			return errors.Join(err, model.Errorf(model.ECONFLICT, "the workspace must keep at least one owner"))
		}
	}
	if err := s.st.RemoveMember(ctx, p.WorkspaceID, userID); err != nil {
		return err
	}
	s.members.remove(p.WorkspaceID + "|" + userID)
	return nil
}

// --- rate limits ----------------------------------------------------------------------

// Limits returns the limits in force for a workspace: its overrides over the defaults.
func (s *Service) Limits(ctx context.Context, workspaceID string) (key, workspace Limit, err error) {
	o, ok := s.limits.get(workspaceID)
	if !ok {
		if o, err = s.st.WorkspaceLimits(ctx, workspaceID); err != nil {
			return Limit{}, Limit{}, err
		}
		s.limits.set(workspaceID, o)
	}
	key, workspace = s.cfg.KeyLimit, s.cfg.WorkspaceLimit
	override := func(l *Limit, rate float64, burst int) {
		switch {
		case rate < 0:
			*l = Limit{}
		case rate > 0:
			l.Rate = rate
			if burst > 0 {
				l.Burst = burst
			} else {
				l.Burst = max(int(rate), 1)
			}
		}
	}
	override(&key, o.KeyRate, o.KeyBurst)
	override(&workspace, o.WorkspaceRate, o.WorkspaceBurst)
	return key, workspace, nil
}

// WorkspaceLimits returns the workspace's overrides and the limits in force.
func (s *Service) WorkspaceLimits(ctx context.Context, workspaceID string) (model.RateLimits, Limit, Limit, error) {
	o, err := s.st.WorkspaceLimits(ctx, workspaceID)
	if err != nil {
		return o, Limit{}, Limit{}, err
	}
	k, w, err := s.Limits(ctx, workspaceID)
	return o, k, w, err
}

// SetWorkspaceLimits stores a workspace's overrides; they apply at once in this process.
func (s *Service) SetWorkspaceLimits(ctx context.Context, workspaceID string, l model.RateLimits) error {
	if err := l.Validate(model.Path{"rate_limits"}); err != nil {
		return err
	}
	if err := s.st.SetWorkspaceLimits(ctx, workspaceID, l); err != nil {
		return err
	}
	s.limits.remove(workspaceID)
	return nil
}

// Throttle spends one request of the caller's and of its workspace's budget and returns
// the tighter of the two decisions. A refused request spends nothing of the other budget
// it did not reach.
func (s *Service) Throttle(ctx context.Context, p *Principal) (Decision, error) {
	if p.WorkspaceID == "" {
		return Decision{Allowed: true}, nil
	}
	kl, wl, err := s.Limits(ctx, p.WorkspaceID)
	if err != nil {
		return Decision{}, err
	}
	kd, err := s.limiter.Allow(ctx, p.Subject(), kl)
	if err != nil || !kd.Allowed {
		return kd, err
	}
	wd, err := s.limiter.Allow(ctx, "ws:"+p.WorkspaceID, wl)
	if err != nil || !wd.Allowed || kl.Unlimited() {
		return wd, err
	}
	if wl.Unlimited() || kd.Remaining <= wd.Remaining {
		return kd, nil
	}
	return wd, nil
}

// String describes a limit for logs and headers: "100;w=1" style.
func (l Limit) String() string {
	if l.Unlimited() {
		return "unlimited"
	}
	return fmt.Sprintf("%g/s burst %d", l.Rate, l.Burst)
}
