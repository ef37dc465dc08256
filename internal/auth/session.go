package auth

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

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
	// Each attempt is counted before the password is checked, in one atomic step per
	// budget: concurrent guesses cannot all pass a check made before any of them counted.
	acct := "login:" + email
	budgets := []struct {
		key string
		l   Limit
	}{{acct, s.cfg.LoginPerAccount}}
	if client != "" {
		budgets = append(budgets, struct {
			key string
			l   Limit
		}{"addr:" + client, s.cfg.LoginPerAddress})
	}
	for _, b := range budgets {
		if err := s.spendAttempt(ctx, b.key, b.l, "too many failed sign-ins; retry in %d s"); err != nil {
			return nil, err
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
		return nil, model.Errorf(model.EUNAUTHORIZED, "invalid email or password")
	}
	// Success clears the account's count; the address's count stands, so one address
	// cannot probe many accounts by signing in to its own between guesses.
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
