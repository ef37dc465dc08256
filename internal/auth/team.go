package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

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
	// Token is the secret of the invite's link, returned this once: only its hash is kept.
	Token string `json:"-"`
}

// Invite links work for DefaultInviteTTL unless the inviter asks for another time up to
// MaxInviteTTL.
const (
	DefaultInviteTTL = 7 * 24 * time.Hour
	MaxInviteTTL     = 30 * 24 * time.Hour
)

// InvitePrefix starts every invite token.
const InvitePrefix = "aoi_"

// Invite adds a user by email with a role; an email without an account gets an invite with
// a link that works for ttl (0: DefaultInviteTTL) and becomes a membership when it
// registers.
func (s *Service) Invite(ctx context.Context, p *Principal, email string, role model.Role, ttl time.Duration) (*InviteResult, error) {
	email = model.NormalizeEmail(email)
	var fe model.FieldErrors
	if !model.ValidEmail(email) {
		fe.Add(model.Path{"email"}, "must be an email address")
	}
	checkRole(&fe, role)
	if ttl == 0 {
		ttl = DefaultInviteTTL
	}
	if ttl < time.Hour || ttl > MaxInviteTTL {
		fe.Add(model.Path{"expires_in_days"}, "must be between 1 hour and 30 days")
	}
	if err := fe.Err("invalid invite"); err != nil {
		return nil, err
	}
	if !mayAssign(p.Role, role) {
		return nil, model.Errorf(model.EFORBIDDEN, "only an owner can make owners")
	}
	now := s.now().UTC()
	u, err := s.st.UserByEmail(ctx, email)
	if model.ErrorCode(err) == model.ENOTFOUND {
		token := randomToken(InvitePrefix)
		expires := now.Add(ttl)
		inv := model.Invite{WorkspaceID: p.WorkspaceID, Email: email, Role: role, InvitedBy: p.UserID, CreatedAt: now,
			ExpiresAt: &expires, TokenHash: HashAPIKey(token)}
		if err := s.st.CreateInvite(ctx, inv); err != nil {
			return nil, err
		}
		return &InviteResult{Invite: &inv, Token: token}, nil
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

// InviteView is what the page an invite link opens shows before anyone signs in.
type InviteView struct {
	Email         string     `json:"email"`
	Role          model.Role `json:"role"`
	WorkspaceName string     `json:"workspace_name"`
	InvitedBy     string     `json:"invited_by"` // the inviter's name
	ExpiresAt     time.Time  `json:"expires_at"`
	// AccountExists says the email has an account already (sign in rather than sign up).
	AccountExists bool `json:"account_exists"`
}

// inviteByToken returns the pending invite of an invite link. The token is the only
// credential, so an unknown, revoked and expired link all answer the same way.
func (s *Service) inviteByToken(ctx context.Context, token string) (*model.Invite, error) {
	gone := model.Errorf(model.ENOTFOUND, "this invite link is not valid: it expired, was revoked or was already used")
	if !strings.HasPrefix(token, InvitePrefix) || len(token) > 100 {
		return nil, gone
	}
	inv, err := s.st.InviteByToken(ctx, HashAPIKey(token))
	if model.ErrorCode(err) == model.ENOTFOUND || err == nil && (inv.ExpiresAt == nil || inv.Expired(s.now())) {
		return nil, gone
	}
	return inv, err
}

// ViewInvite describes the invite of a link.
func (s *Service) ViewInvite(ctx context.Context, token string) (*InviteView, error) {
	inv, err := s.inviteByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	v := &InviteView{Email: inv.Email, Role: inv.Role, ExpiresAt: *inv.ExpiresAt}
	if ws, err := s.st.GetWorkspace(ctx, inv.WorkspaceID); err == nil {
		v.WorkspaceName = ws.Name
	} else {
		return nil, err
	}
	if u, err := s.st.GetUser(ctx, inv.InvitedBy); err == nil {
		v.InvitedBy = u.Name
	}
	_, err = s.st.UserByEmail(ctx, inv.Email)
	v.AccountExists = err == nil
	return v, nil
}

// DeclineInvite deletes the invite of a link, on behalf of whoever holds the link.
func (s *Service) DeclineInvite(ctx context.Context, token string) (*model.Invite, error) {
	inv, err := s.inviteByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return inv, s.st.DeleteInvite(ctx, inv.WorkspaceID, inv.Email)
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
