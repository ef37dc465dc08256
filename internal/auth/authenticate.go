package auth

import (
	"context"

	"github.com/agentobs/agentobs/internal/model"
)

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
