package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

var _ store.Accounts = (*Store)(nil)

// CreateUser implements store.Accounts.
func (s *Store) CreateUser(ctx context.Context, u model.User, ws *model.Workspace) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
			u.ID, u.Email, txt(u.Name), u.PasswordHash, u.CreatedAt)
		if isUniqueViolation(err) {
			return model.Errorf(model.ECONFLICT, "an account with this email already exists")
		}
		if err != nil {
			return fmt.Errorf("cannot create user: %w", err)
		}
		if ws != nil {
			if err := insertWorkspaceWithOwner(ctx, tx, *ws, u.ID, u.CreatedAt); err != nil {
				return err
			}
		}
		// Invites become memberships; a workspace just created above already has the user.
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at)
			SELECT workspace_id, $1, role, $2 FROM invites WHERE email = $3 AND (expires_at IS NULL OR expires_at > $2)
			ON CONFLICT DO NOTHING`, u.ID, u.CreatedAt, u.Email); err != nil {
			return fmt.Errorf("cannot accept invites: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM invites WHERE email = $1`, u.Email); err != nil {
			return fmt.Errorf("cannot accept invites: %w", err)
		}
		return nil
	})
}

func insertWorkspaceWithOwner(ctx context.Context, tx pgx.Tx, ws model.Workspace, ownerID string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)`, ws.ID, txt(ws.Name), ws.CreatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.ECONFLICT, "workspace %q already exists", ws.ID)
	}
	if err != nil {
		return fmt.Errorf("cannot create workspace: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		ws.ID, ownerID, string(model.RoleOwner), at); err != nil {
		return fmt.Errorf("cannot add workspace owner: %w", err)
	}
	return nil
}

// CountUsers implements store.Accounts.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count users: %w", err)
	}
	return n, nil
}

func (s *Store) userWhere(ctx context.Context, cond string, arg any) (*model.User, error) {
	var u model.User
	err := s.pool.QueryRow(ctx, `SELECT id, email, name, password_hash, created_at FROM users WHERE `+cond, arg).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.Errorf(model.ENOTFOUND, "user not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read user: %w", err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// GetUser implements store.Accounts.
func (s *Store) GetUser(ctx context.Context, id string) (*model.User, error) {
	return s.userWhere(ctx, "id = $1", id)
}

// UserByEmail implements store.Accounts.
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	return s.userWhere(ctx, "email = $1", email)
}

// CreateWorkspaceWithOwner implements store.Accounts.
func (s *Store) CreateWorkspaceWithOwner(ctx context.Context, ws model.Workspace, ownerID string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return insertWorkspaceWithOwner(ctx, tx, ws, ownerID, ws.CreatedAt)
	})
}

// execCount runs a write and returns the number of rows it touched.
func (s *Store) execCount(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// RenameWorkspace implements store.Accounts.
func (s *Store) RenameWorkspace(ctx context.Context, id, name string) error {
	n, err := s.execCount(ctx, `UPDATE workspaces SET name = $1 WHERE id = $2`, txt(name), id)
	if err != nil {
		return fmt.Errorf("cannot rename workspace: %w", err)
	}
	if n == 0 {
		return notFound("workspace", id)
	}
	return nil
}

// AddMember implements store.Accounts.
func (s *Store) AddMember(ctx context.Context, m model.Membership) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		m.WorkspaceID, m.UserID, string(m.Role), m.CreatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.ECONFLICT, "the user is already a member of this workspace")
	}
	if err != nil {
		return fmt.Errorf("cannot add member: %w", err)
	}
	return nil
}

// GetMembership implements store.Accounts.
func (s *Store) GetMembership(ctx context.Context, workspaceID, userID string) (*model.Membership, error) {
	m := model.Membership{WorkspaceID: workspaceID, UserID: userID}
	var role string
	err := s.pool.QueryRow(ctx, `SELECT m.role, m.created_at, w.name FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.workspace_id = $1 AND m.user_id = $2`, workspaceID, userID).Scan(&role, &m.CreatedAt, &m.WorkspaceName)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.Errorf(model.ENOTFOUND, "membership not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read membership: %w", err)
	}
	m.Role, m.CreatedAt = model.Role(role), m.CreatedAt.UTC()
	return &m, nil
}

// ListUserMemberships implements store.Accounts.
func (s *Store) ListUserMemberships(ctx context.Context, userID string) ([]model.Membership, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.workspace_id, m.role, m.created_at, w.name FROM memberships m
		JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 ORDER BY m.created_at, m.workspace_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("cannot list memberships: %w", err)
	}
	out := []model.Membership{}
	var m model.Membership
	var role string
	_, err = pgx.ForEachRow(rows, []any{&m.WorkspaceID, &role, &m.CreatedAt, &m.WorkspaceName}, func() error {
		c := m
		c.UserID, c.Role, c.CreatedAt = userID, model.Role(role), c.CreatedAt.UTC()
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list memberships: %w", err)
	}
	return out, nil
}

// ListMembers implements store.Accounts.
func (s *Store) ListMembers(ctx context.Context, workspaceID string) ([]model.Member, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m
		JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, u.email`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list members: %w", err)
	}
	out := []model.Member{}
	var m model.Member
	var role string
	_, err = pgx.ForEachRow(rows, []any{&m.UserID, &m.Email, &m.Name, &role, &m.JoinedAt}, func() error {
		c := m
		c.Role, c.JoinedAt = model.Role(role), c.JoinedAt.UTC()
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list members: %w", err)
	}
	return out, nil
}

// SetMemberRole implements store.Accounts.
func (s *Store) SetMemberRole(ctx context.Context, workspaceID, userID string, role model.Role) error {
	n, err := s.execCount(ctx, `UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3`, string(role), workspaceID, userID)
	if err != nil {
		return fmt.Errorf("cannot change role: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "member not found")
	}
	return nil
}

// RemoveMember implements store.Accounts.
func (s *Store) RemoveMember(ctx context.Context, workspaceID, userID string) error {
	n, err := s.execCount(ctx, `DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2`, workspaceID, userID)
	if err != nil {
		return fmt.Errorf("cannot remove member: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "member not found")
	}
	return nil
}

// CreateInvite implements store.Accounts.
func (s *Store) CreateInvite(ctx context.Context, inv model.Invite) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO invites (workspace_id, email, role, invited_by, created_at, expires_at, token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (workspace_id, email) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at,
		expires_at = excluded.expires_at, token_hash = excluded.token_hash`,
		inv.WorkspaceID, inv.Email, string(inv.Role), inv.InvitedBy, inv.CreatedAt, inv.ExpiresAt, inv.TokenHash)
	if err != nil {
		return fmt.Errorf("cannot create invite: %w", err)
	}
	return nil
}

// ListInvites implements store.Accounts.
func (s *Store) ListInvites(ctx context.Context, workspaceID string) ([]model.Invite, error) {
	return s.invites(ctx, `WHERE workspace_id = $1 ORDER BY created_at, email`, workspaceID)
}

// InviteByToken implements store.Accounts.
func (s *Store) InviteByToken(ctx context.Context, tokenHash string) (*model.Invite, error) {
	list, err := s.invites(ctx, `WHERE token_hash = $1 AND token_hash <> ''`, tokenHash)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "invite not found")
	}
	return &list[0], nil
}

func (s *Store) invites(ctx context.Context, where string, args ...any) ([]model.Invite, error) {
	rows, err := s.pool.Query(ctx, store.InviteColumns+` FROM invites `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list invites: %w", err)
	}
	out := []model.Invite{}
	var inv model.Invite
	var role string
	_, err = pgx.ForEachRow(rows, store.InviteDest(&inv, &role), func() error {
		c := inv
		store.FinishInvite(&c, role)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list invites: %w", err)
	}
	return out, nil
}

// DeleteInvite implements store.Accounts.
func (s *Store) DeleteInvite(ctx context.Context, workspaceID, email string) error {
	n, err := s.execCount(ctx, `DELETE FROM invites WHERE workspace_id = $1 AND email = $2`, workspaceID, email)
	if err != nil {
		return fmt.Errorf("cannot delete invite: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "invite not found")
	}
	return nil
}

func insertRefreshToken(ctx context.Context, exec func(ctx context.Context, sql string, args ...any) error, t model.RefreshToken) error {
	err := exec(ctx, `INSERT INTO refresh_tokens (id, family_id, user_id, workspace_id, hash, created_at, expires_at, used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, t.ID, t.FamilyID, t.UserID, t.WorkspaceID, t.Hash, t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.ECONFLICT, "refresh token already exists")
	}
	if err != nil {
		return fmt.Errorf("cannot store refresh token: %w", err)
	}
	return nil
}

// CreateRefreshToken implements store.Accounts.
func (s *Store) CreateRefreshToken(ctx context.Context, t model.RefreshToken) error {
	return insertRefreshToken(ctx, func(ctx context.Context, q string, args ...any) error {
		_, err := s.pool.Exec(ctx, q, args...)
		return err
	}, t)
}

// RefreshTokenByHash implements store.Accounts.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*model.RefreshToken, error) {
	var t model.RefreshToken
	err := s.pool.QueryRow(ctx, `SELECT id, family_id, user_id, workspace_id, hash, created_at, expires_at, used_at, revoked_at
		FROM refresh_tokens WHERE hash = $1`, hash).Scan(&t.ID, &t.FamilyID, &t.UserID, &t.WorkspaceID, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.Errorf(model.ENOTFOUND, "refresh token not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read refresh token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	t.UsedAt, t.RevokedAt = utcPtr(t.UsedAt), utcPtr(t.RevokedAt)
	return &t, nil
}

// RotateRefreshToken implements store.Accounts. The conditional update takes the row lock,
// so of two concurrent rotations (two processes) exactly one changes a row.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, usedAt time.Time, next model.RefreshToken) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL`, usedAt, oldID)
		if err != nil {
			return fmt.Errorf("cannot rotate refresh token: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return model.Errorf(model.ECONFLICT, "refresh token was already used or revoked")
		}
		return insertRefreshToken(ctx, func(ctx context.Context, q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		}, next)
	})
}

// RevokeRefreshFamily implements store.Accounts.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL`, at, familyID); err != nil {
		return fmt.Errorf("cannot revoke session: %w", err)
	}
	return nil
}

// RefreshFamilyActive implements store.Accounts.
func (s *Store) RefreshFamilyActive(ctx context.Context, familyID string) (bool, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL`, familyID).Scan(&n); err != nil {
		return false, fmt.Errorf("cannot read session: %w", err)
	}
	return n > 0, nil
}

// GetAPIKey implements store.Accounts.
func (s *Store) GetAPIKey(ctx context.Context, workspaceID, id string) (*model.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("api key", id)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read api key: %w", err)
	}
	return k, nil
}

// RevokeAPIKey implements store.Accounts.
func (s *Store) RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) (*model.APIKey, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE workspace_id = $2 AND id = $3 AND revoked_at IS NULL`, at, workspaceID, id); err != nil {
		return nil, fmt.Errorf("cannot revoke api key: %w", err)
	}
	k, err := s.GetAPIKey(ctx, workspaceID, id)
	if err == nil {
		s.lookups.remember("key:"+k.Hash, (*model.APIKey)(nil))
		if s.onRevoke != nil {
			s.onRevoke(k.Hash)
		}
	}
	return k, err
}

// TouchAPIKeys implements store.Accounts.
func (s *Store) TouchAPIKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	ids, ats := make([]string, 0, len(lastUsed)), make([]time.Time, 0, len(lastUsed))
	for id, at := range lastUsed {
		ids, ats = append(ids, id), append(ats, at)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE api_keys k SET last_used_at = u.at FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
		WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`, ids, ats); err != nil {
		return fmt.Errorf("cannot record api key use: %w", err)
	}
	return nil
}

// LegacyAPIKeyByHash implements store.Accounts.
func (s *Store) LegacyAPIKeyByHash(ctx context.Context, sha256Hex string) (*model.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1 AND hash_scheme = 'sha256' AND revoked_at IS NULL`, sha256Hex))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.Errorf(model.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read api key: %w", err)
	}
	return k, nil
}

// UpgradeAPIKeyHash implements store.Accounts.
func (s *Store) UpgradeAPIKeyHash(ctx context.Context, id, hash string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE api_keys SET hash = $1, hash_scheme = 'hmac-sha256' WHERE id = $2`, hash, id); err != nil {
		return fmt.Errorf("cannot upgrade api key hash: %w", err)
	}
	return nil
}

// CountLegacyAPIKeys implements store.Accounts.
func (s *Store) CountLegacyAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE hash_scheme = 'sha256' AND revoked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count api keys: %w", err)
	}
	return n, nil
}

// WorkspaceLimits implements store.Accounts.
func (s *Store) WorkspaceLimits(ctx context.Context, workspaceID string) (model.RateLimits, error) {
	var l model.RateLimits
	err := s.pool.QueryRow(ctx, `SELECT key_rate, key_burst, workspace_rate, workspace_burst FROM workspace_limits WHERE workspace_id = $1`,
		workspaceID).Scan(&l.KeyRate, &l.KeyBurst, &l.WorkspaceRate, &l.WorkspaceBurst)
	if unreachable(ctx, err) {
		if v, ok := s.lookups.recall("limits:" + workspaceID); ok {
			return v.(model.RateLimits), nil
		}
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("cannot read workspace limits: %w", err)
	}
	s.lookups.remember("limits:"+workspaceID, l)
	return l, nil
}

// SetWorkspaceLimits implements store.Accounts.
func (s *Store) SetWorkspaceLimits(ctx context.Context, workspaceID string, l model.RateLimits) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO workspace_limits (workspace_id, key_rate, key_burst, workspace_rate, workspace_burst)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET key_rate = excluded.key_rate,
		key_burst = excluded.key_burst, workspace_rate = excluded.workspace_rate, workspace_burst = excluded.workspace_burst`,
		workspaceID, l.KeyRate, l.KeyBurst, l.WorkspaceRate, l.WorkspaceBurst)
	if err != nil {
		return fmt.Errorf("cannot store workspace limits: %w", err)
	}
	return nil
}

// PutSetupSecret implements store.Accounts.
func (s *Store) PutSetupSecret(ctx context.Context, workspaceID, hash string, at time.Time, replace bool) (bool, error) {
	conflict := "DO NOTHING"
	if replace {
		conflict = "DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at"
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO setup_secrets (workspace_id, hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id) `+conflict, workspaceID, hash, at); err != nil {
		return false, fmt.Errorf("cannot store the setup secret: %w", err)
	}
	var stored string
	if err := s.pool.QueryRow(ctx, `SELECT hash FROM setup_secrets WHERE workspace_id = $1`, workspaceID).Scan(&stored); err != nil {
		return false, fmt.Errorf("cannot read the setup secret: %w", err)
	}
	return stored == hash, nil
}

// TakeSetupSecret implements store.Accounts.
func (s *Store) TakeSetupSecret(ctx context.Context, workspaceID, hash string) (bool, error) {
	n, err := s.execCount(ctx, `DELETE FROM setup_secrets WHERE workspace_id = $1 AND ($2 = '' OR hash = $2)`, workspaceID, hash)
	if err != nil {
		return false, fmt.Errorf("cannot take the setup secret: %w", err)
	}
	return n > 0, nil
}
