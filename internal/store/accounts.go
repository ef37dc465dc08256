package store

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Accounts keeps users, their roles in workspaces, invites, sign-in sessions (refresh
// tokens), per-workspace rate limits and the key operations beyond Workspaces'.
// Emails are passed normalised (model.NormalizeEmail); the store compares them exactly.
type Accounts interface {
	// CreateUser inserts u; an email already taken returns model.ECONFLICT. When ws is not
	// nil, ws is created too with u as its owner. Pending invites for u's email that have
	// not expired at u.CreatedAt become memberships; all of u's invites are deleted. All of
	// it happens in one transaction.
	CreateUser(ctx context.Context, u model.User, ws *model.Workspace) error
	CountUsers(ctx context.Context) (int64, error)
	// GetUser and UserByEmail return model.ENOTFOUND for unknown users.
	GetUser(ctx context.Context, id string) (*model.User, error)
	UserByEmail(ctx context.Context, email string) (*model.User, error)

	// CreateWorkspaceWithOwner creates ws with ownerID as its owner, in one transaction.
	CreateWorkspaceWithOwner(ctx context.Context, ws model.Workspace, ownerID string) error
	// RenameWorkspace changes the name; model.ENOTFOUND for an unknown workspace.
	RenameWorkspace(ctx context.Context, id, name string) error
	// SetWorkspaceProfile changes the description and time zone; model.ENOTFOUND for an
	// unknown workspace.
	SetWorkspaceProfile(ctx context.Context, id string, p model.WorkspaceProfile) error

	// AddMember inserts a membership; model.ECONFLICT when the user is already a member.
	AddMember(ctx context.Context, m model.Membership) error
	// GetMembership returns model.ENOTFOUND when the user is not a member.
	GetMembership(ctx context.Context, workspaceID, userID string) (*model.Membership, error)
	// ListUserMemberships returns the user's memberships with WorkspaceName, oldest first.
	ListUserMemberships(ctx context.Context, userID string) ([]model.Membership, error)
	// ListMembers returns the workspace's members, oldest first.
	ListMembers(ctx context.Context, workspaceID string) ([]model.Member, error)
	// SetMemberRole and RemoveMember return model.ENOTFOUND when the user is not a member.
	SetMemberRole(ctx context.Context, workspaceID, userID string, role model.Role) error
	RemoveMember(ctx context.Context, workspaceID, userID string) error

	// CreateInvite stores or replaces the invite of (workspace, email), token and expiry
	// included (a new invite's link replaces the old one's).
	CreateInvite(ctx context.Context, inv model.Invite) error
	// ListInvites returns the workspace's invites, expired ones included, oldest first.
	ListInvites(ctx context.Context, workspaceID string) ([]model.Invite, error)
	// InviteByToken returns the invite whose token hashes to tokenHash, expired or not;
	// model.ENOTFOUND when there is none.
	InviteByToken(ctx context.Context, tokenHash string) (*model.Invite, error)
	// DeleteInvite returns model.ENOTFOUND when there is no such invite.
	DeleteInvite(ctx context.Context, workspaceID, email string) error

	CreateRefreshToken(ctx context.Context, t model.RefreshToken) error
	// RefreshTokenByHash returns the token whatever its state (used, revoked, expired),
	// so that the caller can detect reuse; model.ENOTFOUND when unknown.
	RefreshTokenByHash(ctx context.Context, hash string) (*model.RefreshToken, error)
	// RotateRefreshToken marks oldID used at usedAt and stores next, atomically, but only
	// if oldID is neither used nor revoked; otherwise it returns model.ECONFLICT and
	// changes nothing. Two concurrent rotations of one token: exactly one succeeds.
	RotateRefreshToken(ctx context.Context, oldID string, usedAt time.Time, next model.RefreshToken) error
	// RevokeRefreshFamily revokes every token of the family; revoking twice is harmless.
	RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) error
	// RefreshFamilyActive reports whether the family has a token that is not revoked.
	RefreshFamilyActive(ctx context.Context, familyID string) (bool, error)

	// GetAPIKey returns a key of the workspace, revoked or not; model.ENOTFOUND otherwise.
	GetAPIKey(ctx context.Context, workspaceID, id string) (*model.APIKey, error)
	// RevokeAPIKey sets revoked_at if the key is not revoked yet and returns the key;
	// model.ENOTFOUND when the workspace has no such key.
	RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) (*model.APIKey, error)
	// TouchAPIKeys records last-use times by key id; unknown ids are ignored.
	TouchAPIKeys(ctx context.Context, lastUsed map[string]time.Time) error
	// LegacyAPIKeyByHash finds a non-revoked key stored with the plain SHA-256 hash of
	// the core issue; UpgradeAPIKeyHash replaces that hash by the keyed one.
	LegacyAPIKeyByHash(ctx context.Context, sha256Hex string) (*model.APIKey, error)
	UpgradeAPIKeyHash(ctx context.Context, id, hash string) error
	// CountLegacyAPIKeys counts non-revoked keys still stored with the plain hash.
	CountLegacyAPIKeys(ctx context.Context) (int64, error)

	// PutSetupSecret stores the hash of the secret that lets the first user claim the
	// workspace. An existing one is kept unless replace is set; it reports whether hash
	// is now the stored one.
	PutSetupSecret(ctx context.Context, workspaceID, hash string, at time.Time, replace bool) (bool, error)
	// TakeSetupSecret deletes the workspace's setup secret if its hash matches (any hash
	// when hash is empty) and reports whether it did: of concurrent claims, one wins.
	TakeSetupSecret(ctx context.Context, workspaceID, hash string) (bool, error)

	// WorkspaceLimits returns the workspace's overrides, the zero value when it has none.
	WorkspaceLimits(ctx context.Context, workspaceID string) (model.RateLimits, error)
	SetWorkspaceLimits(ctx context.Context, workspaceID string, l model.RateLimits) error
}

// InviteColumns selects an invite's columns, in the order of InviteDest.
const InviteColumns = `SELECT workspace_id, email, role, invited_by, created_at, expires_at, token_hash`

// InviteDest is where a row of InviteColumns is scanned; FinishInvite completes inv after.
func InviteDest(inv *model.Invite, role *string) []any {
	return []any{&inv.WorkspaceID, &inv.Email, role, &inv.InvitedBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.TokenHash}
}

// FinishInvite sets the role scanned apart and puts times in UTC.
func FinishInvite(inv *model.Invite, role string) {
	inv.Role, inv.CreatedAt = model.Role(role), inv.CreatedAt.UTC()
	if inv.ExpiresAt != nil {
		e := inv.ExpiresAt.UTC()
		inv.ExpiresAt = &e
	}
}
