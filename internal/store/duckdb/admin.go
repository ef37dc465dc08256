package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func isConstraintError(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "Constraint Error") || strings.Contains(err.Error(), "constraint"))
}

// exec runs a write on the writer connection so that writes never contend in DuckDB.
func (s *Store) exec(ctx context.Context, q string, args ...any) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.wconn.ExecContext(ctx, q, args...)
	return err
}

// CreateWorkspace implements store.Workspaces.
func (s *Store) CreateWorkspace(ctx context.Context, ws model.Workspace) error {
	err := s.exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)`, ws.ID, ws.Name, ws.CreatedAt)
	if isConstraintError(err) {
		return model.Errorf(model.ECONFLICT, "workspace %q already exists", ws.ID)
	}
	if err != nil {
		return fmt.Errorf("cannot create workspace: %w", err)
	}
	return nil
}

// GetWorkspace implements store.Workspaces.
func (s *Store) GetWorkspace(ctx context.Context, id string) (*model.Workspace, error) {
	var ws model.Workspace
	err := s.db.QueryRowContext(ctx, `SELECT id, name, created_at FROM workspaces WHERE id = ?`, id).Scan(&ws.ID, &ws.Name, &ws.CreatedAt)
	if err == sql.ErrNoRows {
		return nil, notFound("workspace", id)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read workspace: %w", err)
	}
	ws.CreatedAt = ws.CreatedAt.UTC()
	return &ws, nil
}

// ListWorkspaces implements store.Workspaces.
func (s *Store) ListWorkspaces(ctx context.Context) ([]model.Workspace, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_at FROM workspaces ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("cannot list workspaces: %w", err)
	}
	defer rows.Close()
	out := []model.Workspace{}
	for rows.Next() {
		var ws model.Workspace
		if err := rows.Scan(&ws.ID, &ws.Name, &ws.CreatedAt); err != nil {
			return nil, err
		}
		ws.CreatedAt = ws.CreatedAt.UTC()
		out = append(out, ws)
	}
	return out, rows.Err()
}

// CreateAPIKey implements store.Workspaces. Keys are stored with the keyed hash scheme.
func (s *Store) CreateAPIKey(ctx context.Context, k model.APIKey) error {
	err := s.exec(ctx, `INSERT INTO api_keys (id, workspace_id, name, prefix, last4, hash, hash_scheme, scopes, created_by,
		created_at, last_used_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, 'hmac-sha256', ?, ?, ?, ?, ?, ?)`,
		k.ID, k.WorkspaceID, k.Name, k.Prefix, k.Last4, k.Hash, scopeStrings(k.Scopes), k.CreatedBy, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.RevokedAt)
	if isConstraintError(err) {
		return model.Errorf(model.ECONFLICT, "api key already exists")
	}
	if err != nil {
		return fmt.Errorf("cannot create api key: %w", err)
	}
	return nil
}

const apiKeyColumns = `id, workspace_id, name, prefix, last4, hash, scopes, created_by, created_at, last_used_at, expires_at, revoked_at`

func scanAPIKey(scan func(...any) error) (*model.APIKey, error) {
	var k model.APIKey
	var scopes []any
	var lastUsed, expires, revoked sql.NullTime
	if err := scan(&k.ID, &k.WorkspaceID, &k.Name, &k.Prefix, &k.Last4, &k.Hash, &scopes, &k.CreatedBy, &k.CreatedAt, &lastUsed, &expires, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	for _, sc := range scopes {
		if str, ok := sc.(string); ok {
			k.Scopes = append(k.Scopes, model.Scope(str))
		}
	}
	k.LastUsedAt, k.ExpiresAt, k.RevokedAt = utcPtr(lastUsed), utcPtr(expires), utcPtr(revoked)
	return &k, nil
}

// APIKeyByHash implements store.Workspaces.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*model.APIKey, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash)
	k, err := scanAPIKey(row.Scan)
	if err == sql.ErrNoRows {
		return nil, model.Errorf(model.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read api key: %w", err)
	}
	return k, nil
}

// ListAPIKeys implements store.Workspaces.
func (s *Store) ListAPIKeys(ctx context.Context, workspaceID string) ([]model.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list api keys: %w", err)
	}
	defer rows.Close()
	out := []model.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// AddDeadLetter implements store.DeadLetters.
func (s *Store) AddDeadLetter(ctx context.Context, dl model.DeadLetter) error {
	err := s.exec(ctx, `INSERT INTO dead_letters (id, workspace_id, source, reason, payload, created_at, attempts, replayed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		dl.ID, dl.WorkspaceID, dl.Source, dl.Reason, dl.Payload, dl.CreatedAt, dl.Attempts, dl.ReplayedAt)
	if err != nil {
		return fmt.Errorf("cannot store dead letter: %w", err)
	}
	return nil
}

const deadLetterColumns = `id, workspace_id, source, reason, payload, created_at, attempts, replayed_at`

func scanDeadLetter(scan func(...any) error) (*model.DeadLetter, error) {
	var dl model.DeadLetter
	var replayed sql.NullTime
	if err := scan(&dl.ID, &dl.WorkspaceID, &dl.Source, &dl.Reason, &dl.Payload, &dl.CreatedAt, &dl.Attempts, &replayed); err != nil {
		return nil, err
	}
	dl.CreatedAt = dl.CreatedAt.UTC()
	if replayed.Valid {
		t := replayed.Time.UTC()
		dl.ReplayedAt = &t
	}
	return &dl, nil
}

// ListDeadLetters implements store.DeadLetters.
func (s *Store) ListDeadLetters(ctx context.Context, workspaceID string, pendingOnly bool, limit int) ([]model.DeadLetter, error) {
	q := `SELECT ` + deadLetterColumns + ` FROM dead_letters WHERE workspace_id = ?`
	if pendingOnly {
		q += ` AND replayed_at IS NULL`
	}
	q += ` ORDER BY created_at DESC, id LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list dead letters: %w", err)
	}
	defer rows.Close()
	out := []model.DeadLetter{}
	for rows.Next() {
		dl, err := scanDeadLetter(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, *dl)
	}
	return out, rows.Err()
}

// GetDeadLetter implements store.DeadLetters.
func (s *Store) GetDeadLetter(ctx context.Context, workspaceID, id string) (*model.DeadLetter, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	dl, err := scanDeadLetter(row.Scan)
	if err == sql.ErrNoRows {
		return nil, notFound("dead letter", id)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read dead letter: %w", err)
	}
	return dl, nil
}

// MarkDeadLetterReplayed implements store.DeadLetters.
func (s *Store) MarkDeadLetterReplayed(ctx context.Context, workspaceID, id string, at *time.Time, reason string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.wconn.ExecContext(ctx, `UPDATE dead_letters SET attempts = attempts + 1, replayed_at = ?,
		reason = CASE WHEN ? = '' THEN reason ELSE ? END WHERE workspace_id = ? AND id = ?`, at, reason, reason, workspaceID, id)
	if err != nil {
		return fmt.Errorf("cannot update dead letter: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("dead letter", id)
	}
	return nil
}

// WriteEvents implements store.Activity; events are idempotent on (workspace, id).
func (s *Store) WriteEvents(ctx context.Context, events []model.Event) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
			time = excluded.time, type = excluded.type, agent_id = excluded.agent_id, title = excluded.title,
			severity = excluded.severity, details = excluded.details`,
			e.WorkspaceID, e.ID, e.Time, e.Type, e.AgentID, e.Title, e.Severity, jsonOrEmpty(e.Details)); err != nil {
			return fmt.Errorf("cannot write event %q: %w", e.ID, err)
		}
	}
	return tx.Commit()
}

// ListEvents implements store.Activity, newest first.
func (s *Store) ListEvents(ctx context.Context, workspaceID string, limit int) ([]model.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace_id, id, time, type, agent_id, title, severity, details FROM events
		WHERE workspace_id = ? ORDER BY time DESC, id LIMIT ?`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list events: %w", err)
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		var e model.Event
		var details string
		if err := rows.Scan(&e.WorkspaceID, &e.ID, &e.Time, &e.Type, &e.AgentID, &e.Title, &e.Severity, &details); err != nil {
			return nil, err
		}
		e.Time = e.Time.UTC()
		e.Details = json.RawMessage(details)
		out = append(out, e)
	}
	return out, rows.Err()
}
