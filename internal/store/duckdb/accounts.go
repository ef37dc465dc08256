package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

var _ store.Accounts = (*Store)(nil)

func scopeStrings(scopes []model.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

func utcPtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// tx runs fn in a transaction on the writer connection.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// execCount runs a write and returns the number of rows it touched.
func (s *Store) execCount(ctx context.Context, q string, args ...any) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.wconn.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateUser implements store.Accounts.
func (s *Store) CreateUser(ctx context.Context, u model.User, ws *model.Workspace) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Name, u.PasswordHash, u.CreatedAt)
		if isConstraintError(err) {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at)
			SELECT workspace_id, ?, role, ? FROM invites WHERE email = ? AND (expires_at IS NULL OR expires_at > ?)
			ON CONFLICT DO NOTHING`, u.ID, u.CreatedAt, u.Email, u.CreatedAt); err != nil {
			return fmt.Errorf("cannot accept invites: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE email = ?`, u.Email); err != nil {
			return fmt.Errorf("cannot accept invites: %w", err)
		}
		return nil
	})
}

func insertWorkspaceWithOwner(ctx context.Context, tx *sql.Tx, ws model.Workspace, ownerID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)`, ws.ID, ws.Name, ws.CreatedAt)
	if isConstraintError(err) {
		return model.Errorf(model.ECONFLICT, "workspace %q already exists", ws.ID)
	}
	if err != nil {
		return fmt.Errorf("cannot create workspace: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		ws.ID, ownerID, string(model.RoleOwner), at); err != nil {
		return fmt.Errorf("cannot add workspace owner: %w", err)
	}
	return nil
}

// CountUsers implements store.Accounts.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count users: %w", err)
	}
	return n, nil
}

func (s *Store) userWhere(ctx context.Context, cond string, arg any) (*model.User, error) {
	var u model.User
	err := s.db.QueryRowContext(ctx, `SELECT id, email, name, password_hash, created_at FROM users WHERE `+cond, arg).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.CreatedAt)
	if err == sql.ErrNoRows {
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
	return s.userWhere(ctx, "id = ?", id)
}

// UserByEmail implements store.Accounts.
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	return s.userWhere(ctx, "email = ?", email)
}

// CreateWorkspaceWithOwner implements store.Accounts.
func (s *Store) CreateWorkspaceWithOwner(ctx context.Context, ws model.Workspace, ownerID string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return insertWorkspaceWithOwner(ctx, tx, ws, ownerID, ws.CreatedAt)
	})
}

// RenameWorkspace implements store.Accounts.
func (s *Store) RenameWorkspace(ctx context.Context, id, name string) error {
	n, err := s.execCount(ctx, `UPDATE workspaces SET name = ? WHERE id = ?`, name, id)
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
	err := s.exec(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		m.WorkspaceID, m.UserID, string(m.Role), m.CreatedAt)
	if isConstraintError(err) {
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
	err := s.db.QueryRowContext(ctx, `SELECT m.role, m.created_at, w.name FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.workspace_id = ? AND m.user_id = ?`, workspaceID, userID).Scan(&role, &m.CreatedAt, &m.WorkspaceName)
	if err == sql.ErrNoRows {
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
	rows, err := s.db.QueryContext(ctx, `SELECT m.workspace_id, m.role, m.created_at, w.name FROM memberships m
		JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY m.created_at, m.workspace_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("cannot list memberships: %w", err)
	}
	defer rows.Close()
	out := []model.Membership{}
	for rows.Next() {
		m := model.Membership{UserID: userID}
		var role string
		if err := rows.Scan(&m.WorkspaceID, &role, &m.CreatedAt, &m.WorkspaceName); err != nil {
			return nil, err
		}
		m.Role, m.CreatedAt = model.Role(role), m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// ListMembers implements store.Accounts.
func (s *Store) ListMembers(ctx context.Context, workspaceID string) ([]model.Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m
		JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? ORDER BY m.created_at, u.email`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list members: %w", err)
	}
	defer rows.Close()
	out := []model.Member{}
	for rows.Next() {
		var m model.Member
		var role string
		if err := rows.Scan(&m.UserID, &m.Email, &m.Name, &role, &m.JoinedAt); err != nil {
			return nil, err
		}
		m.Role, m.JoinedAt = model.Role(role), m.JoinedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// SetMemberRole implements store.Accounts.
func (s *Store) SetMemberRole(ctx context.Context, workspaceID, userID string, role model.Role) error {
	n, err := s.execCount(ctx, `UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?`, string(role), workspaceID, userID)
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
	n, err := s.execCount(ctx, `DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
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
	err := s.exec(ctx, `INSERT INTO invites (workspace_id, email, role, invited_by, created_at, expires_at, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at,
		expires_at = excluded.expires_at, token_hash = excluded.token_hash`,
		inv.WorkspaceID, inv.Email, string(inv.Role), inv.InvitedBy, inv.CreatedAt, inv.ExpiresAt, inv.TokenHash)
	if err != nil {
		return fmt.Errorf("cannot create invite: %w", err)
	}
	return nil
}

// ListInvites implements store.Accounts.
func (s *Store) ListInvites(ctx context.Context, workspaceID string) ([]model.Invite, error) {
	return s.invites(ctx, `WHERE workspace_id = ? ORDER BY created_at, email`, workspaceID)
}

// InviteByToken implements store.Accounts.
func (s *Store) InviteByToken(ctx context.Context, tokenHash string) (*model.Invite, error) {
	list, err := s.invites(ctx, `WHERE token_hash = ? AND token_hash <> ''`, tokenHash)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "invite not found")
	}
	return &list[0], nil
}

func (s *Store) invites(ctx context.Context, where string, args ...any) ([]model.Invite, error) {
	rows, err := s.db.QueryContext(ctx, store.InviteColumns+` FROM invites `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list invites: %w", err)
	}
	defer rows.Close()
	out := []model.Invite{}
	for rows.Next() {
		var inv model.Invite
		var role string
		if err := rows.Scan(store.InviteDest(&inv, &role)...); err != nil {
			return nil, err
		}
		store.FinishInvite(&inv, role)
		out = append(out, inv)
	}
	return out, rows.Err()
}

// DeleteInvite implements store.Accounts.
func (s *Store) DeleteInvite(ctx context.Context, workspaceID, email string) error {
	n, err := s.execCount(ctx, `DELETE FROM invites WHERE workspace_id = ? AND email = ?`, workspaceID, email)
	if err != nil {
		return fmt.Errorf("cannot delete invite: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "invite not found")
	}
	return nil
}

func insertRefreshToken(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, t model.RefreshToken) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO refresh_tokens (id, family_id, user_id, workspace_id, hash, created_at, expires_at, used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.FamilyID, t.UserID, t.WorkspaceID, t.Hash, t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt)
	if isConstraintError(err) {
		return model.Errorf(model.ECONFLICT, "refresh token already exists")
	}
	if err != nil {
		return fmt.Errorf("cannot store refresh token: %w", err)
	}
	return nil
}

// CreateRefreshToken implements store.Accounts.
func (s *Store) CreateRefreshToken(ctx context.Context, t model.RefreshToken) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return insertRefreshToken(ctx, s.wconn, t)
}

// RefreshTokenByHash implements store.Accounts.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*model.RefreshToken, error) {
	var t model.RefreshToken
	var used, revoked sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT id, family_id, user_id, workspace_id, hash, created_at, expires_at, used_at, revoked_at
		FROM refresh_tokens WHERE hash = ?`, hash).Scan(&t.ID, &t.FamilyID, &t.UserID, &t.WorkspaceID, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &used, &revoked)
	if err == sql.ErrNoRows {
		return nil, model.Errorf(model.ENOTFOUND, "refresh token not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read refresh token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	t.UsedAt, t.RevokedAt = utcPtr(used), utcPtr(revoked)
	return &t, nil
}

// RotateRefreshToken implements store.Accounts.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, usedAt time.Time, next model.RefreshToken) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`, usedAt, oldID)
		if err != nil {
			return fmt.Errorf("cannot rotate refresh token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.Errorf(model.ECONFLICT, "refresh token was already used or revoked")
		}
		return insertRefreshToken(ctx, tx, next)
	})
}

// RevokeRefreshFamily implements store.Accounts.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) error {
	if err := s.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`, at, familyID); err != nil {
		return fmt.Errorf("cannot revoke session: %w", err)
	}
	return nil
}

// RefreshFamilyActive implements store.Accounts.
func (s *Store) RefreshFamilyActive(ctx context.Context, familyID string) (bool, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL`, familyID).Scan(&n); err != nil {
		return false, fmt.Errorf("cannot read session: %w", err)
	}
	return n > 0, nil
}

// GetAPIKey implements store.Accounts.
func (s *Store) GetAPIKey(ctx context.Context, workspaceID, id string) (*model.APIKey, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	k, err := scanAPIKey(row.Scan)
	if err == sql.ErrNoRows {
		return nil, notFound("api key", id)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read api key: %w", err)
	}
	return k, nil
}

// RevokeAPIKey implements store.Accounts.
func (s *Store) RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) (*model.APIKey, error) {
	if err := s.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL`, at, workspaceID, id); err != nil {
		return nil, fmt.Errorf("cannot revoke api key: %w", err)
	}
	return s.GetAPIKey(ctx, workspaceID, id)
}

// TouchAPIKeys implements store.Accounts.
func (s *Store) TouchAPIKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for id, at := range lastUsed {
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, at, id, at); err != nil {
				return fmt.Errorf("cannot record api key use: %w", err)
			}
		}
		return nil
	})
}

// LegacyAPIKeyByHash implements store.Accounts.
func (s *Store) LegacyAPIKeyByHash(ctx context.Context, sha256Hex string) (*model.APIKey, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ? AND hash_scheme = 'sha256' AND revoked_at IS NULL`, sha256Hex)
	k, err := scanAPIKey(row.Scan)
	if err == sql.ErrNoRows {
		return nil, model.Errorf(model.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read api key: %w", err)
	}
	return k, nil
}

// UpgradeAPIKeyHash implements store.Accounts.
func (s *Store) UpgradeAPIKeyHash(ctx context.Context, id, hash string) error {
	if err := s.exec(ctx, `UPDATE api_keys SET hash = ?, hash_scheme = 'hmac-sha256' WHERE id = ?`, hash, id); err != nil {
		return fmt.Errorf("cannot upgrade api key hash: %w", err)
	}
	return nil
}

// CountLegacyAPIKeys implements store.Accounts.
func (s *Store) CountLegacyAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE hash_scheme = 'sha256' AND revoked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count api keys: %w", err)
	}
	return n, nil
}

// WorkspaceLimits implements store.Accounts.
func (s *Store) WorkspaceLimits(ctx context.Context, workspaceID string) (model.RateLimits, error) {
	var l model.RateLimits
	err := s.db.QueryRowContext(ctx, `SELECT key_rate, key_burst, workspace_rate, workspace_burst FROM workspace_limits WHERE workspace_id = ?`,
		workspaceID).Scan(&l.KeyRate, &l.KeyBurst, &l.WorkspaceRate, &l.WorkspaceBurst)
	if err != nil && err != sql.ErrNoRows {
		return l, fmt.Errorf("cannot read workspace limits: %w", err)
	}
	return l, nil
}

// SetWorkspaceLimits implements store.Accounts.
func (s *Store) SetWorkspaceLimits(ctx context.Context, workspaceID string, l model.RateLimits) error {
	err := s.exec(ctx, `INSERT INTO workspace_limits VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET key_rate = excluded.key_rate,
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
	if err := s.exec(ctx, `INSERT INTO setup_secrets (workspace_id, hash, created_at) VALUES (?, ?, ?) ON CONFLICT `+conflict,
		workspaceID, hash, at); err != nil {
		return false, fmt.Errorf("cannot store the setup secret: %w", err)
	}
	var stored string
	if err := s.db.QueryRowContext(ctx, `SELECT hash FROM setup_secrets WHERE workspace_id = ?`, workspaceID).Scan(&stored); err != nil {
		return false, fmt.Errorf("cannot read the setup secret: %w", err)
	}
	return stored == hash, nil
}

// TakeSetupSecret implements store.Accounts.
func (s *Store) TakeSetupSecret(ctx context.Context, workspaceID, hash string) (bool, error) {
	n, err := s.execCount(ctx, `DELETE FROM setup_secrets WHERE workspace_id = ? AND (? = '' OR hash = ?)`, workspaceID, hash, hash)
	if err != nil {
		return false, fmt.Errorf("cannot take the setup secret: %w", err)
	}
	return n > 0, nil
}
