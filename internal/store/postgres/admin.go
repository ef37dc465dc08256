package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
)

func isUniqueViolation(err error) bool { return pgCode(err) == "23505" }

// CreateWorkspace implements store.Workspaces.
func (s *Store) CreateWorkspace(ctx context.Context, ws model.Workspace) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)`, ws.ID, txt(ws.Name), ws.CreatedAt)
	if isUniqueViolation(err) {
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
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM workspaces WHERE id = $1`, id).Scan(&ws.ID, &ws.Name, &ws.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at FROM workspaces ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("cannot list workspaces: %w", err)
	}
	out := []model.Workspace{}
	var ws model.Workspace
	_, err = pgx.ForEachRow(rows, []any{&ws.ID, &ws.Name, &ws.CreatedAt}, func() error {
		c := ws
		c.CreatedAt = c.CreatedAt.UTC()
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list workspaces: %w", err)
	}
	return out, nil
}

// CreateAPIKey implements store.Workspaces. Keys are stored with the keyed hash scheme.
func (s *Store) CreateAPIKey(ctx context.Context, k model.APIKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (id, workspace_id, name, prefix, last4, hash, hash_scheme, scopes, created_by,
		created_at, last_used_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, 'hmac-sha256', $7, $8, $9, $10, $11, $12)`,
		k.ID, k.WorkspaceID, txt(k.Name), k.Prefix, k.Last4, k.Hash, scopeStrings(k.Scopes), k.CreatedBy, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.RevokedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.ECONFLICT, "api key already exists")
	}
	if err != nil {
		return fmt.Errorf("cannot create api key: %w", err)
	}
	return nil
}

const apiKeyColumns = `id, workspace_id, name, prefix, last4, hash, scopes, created_by, created_at, last_used_at, expires_at, revoked_at`

func scanAPIKey(row pgx.Row) (*model.APIKey, error) {
	var k model.APIKey
	var scopes []string
	if err := row.Scan(&k.ID, &k.WorkspaceID, &k.Name, &k.Prefix, &k.Last4, &k.Hash, &scopes, &k.CreatedBy, &k.CreatedAt,
		&k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	for _, sc := range scopes {
		k.Scopes = append(k.Scopes, model.Scope(sc))
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.ExpiresAt, k.RevokedAt = utcPtr(k.LastUsedAt), utcPtr(k.ExpiresAt), utcPtr(k.RevokedAt)
	return &k, nil
}

func scopeStrings(scopes []model.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

// APIKeyByHash implements store.Workspaces.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*model.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		s.lookups.remember("key:"+hash, (*model.APIKey)(nil))
		return nil, model.Errorf(model.ENOTFOUND, "api key not found")
	}
	if unreachable(ctx, err) {
		if v, ok := s.lookups.recall("key:" + hash); ok {
			if k, _ := v.(*model.APIKey); k != nil {
				c := *k
				return &c, nil
			}
			return nil, model.Errorf(model.ENOTFOUND, "api key not found")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read api key: %w", err)
	}
	c := *k
	s.lookups.remember("key:"+hash, &c)
	return k, nil
}

// ListAPIKeys implements store.Workspaces.
func (s *Store) ListAPIKeys(ctx context.Context, workspaceID string) ([]model.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = $1 ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list api keys: %w", err)
	}
	defer rows.Close()
	out := []model.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read api key: %w", err)
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// AddDeadLetter implements store.DeadLetters. Adding the same id twice keeps the first: a
// queue that redelivers a dead-lettering step must not fail on it.
func (s *Store) AddDeadLetter(ctx context.Context, dl model.DeadLetter) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO dead_letters (id, workspace_id, source, reason, payload, created_at, attempts, replayed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
		dl.ID, dl.WorkspaceID, dl.Source, txt(dl.Reason), dl.Payload, dl.CreatedAt, dl.Attempts, dl.ReplayedAt)
	if err != nil {
		return fmt.Errorf("cannot store dead letter: %w", err)
	}
	return nil
}

const deadLetterColumns = `id, workspace_id, source, reason, payload, created_at, attempts, replayed_at`

func scanDeadLetter(row pgx.Row) (*model.DeadLetter, error) {
	var dl model.DeadLetter
	if err := row.Scan(&dl.ID, &dl.WorkspaceID, &dl.Source, &dl.Reason, &dl.Payload, &dl.CreatedAt, &dl.Attempts, &dl.ReplayedAt); err != nil {
		return nil, err
	}
	dl.CreatedAt = dl.CreatedAt.UTC()
	dl.ReplayedAt = utcPtr(dl.ReplayedAt)
	return &dl, nil
}

// ListDeadLetters implements store.DeadLetters.
func (s *Store) ListDeadLetters(ctx context.Context, workspaceID string, pendingOnly bool, limit int) ([]model.DeadLetter, error) {
	q := `SELECT ` + deadLetterColumns + ` FROM dead_letters WHERE workspace_id = $1`
	if pendingOnly {
		q += ` AND replayed_at IS NULL`
	}
	q += ` ORDER BY created_at DESC, id LIMIT $2`
	rows, err := s.pool.Query(ctx, q, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list dead letters: %w", err)
	}
	defer rows.Close()
	out := []model.DeadLetter{}
	for rows.Next() {
		dl, err := scanDeadLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read dead letter: %w", err)
		}
		out = append(out, *dl)
	}
	return out, rows.Err()
}

// GetDeadLetter implements store.DeadLetters.
func (s *Store) GetDeadLetter(ctx context.Context, workspaceID, id string) (*model.DeadLetter, error) {
	dl, err := scanDeadLetter(s.pool.QueryRow(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("dead letter", id)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read dead letter: %w", err)
	}
	return dl, nil
}

// MarkDeadLetterReplayed implements store.DeadLetters.
func (s *Store) MarkDeadLetterReplayed(ctx context.Context, workspaceID, id string, at *time.Time, reason string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE dead_letters SET attempts = attempts + 1, replayed_at = $1,
		reason = CASE WHEN $2 = '' THEN reason ELSE $2 END WHERE workspace_id = $3 AND id = $4`, at, txt(reason), workspaceID, id)
	if err != nil {
		return fmt.Errorf("cannot update dead letter: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("dead letter", id)
	}
	return nil
}

// WriteEvents implements store.Activity; events are idempotent on (workspace, id).
func (s *Store) WriteEvents(ctx context.Context, events []model.Event) error {
	b := &pgx.Batch{}
	for _, e := range events {
		b.Queue(`INSERT INTO events (workspace_id, id, time, type, agent_id, title, severity, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (workspace_id, id) DO UPDATE SET time = excluded.time, type = excluded.type, agent_id = excluded.agent_id,
			title = excluded.title, severity = excluded.severity, details = excluded.details`,
			e.WorkspaceID, e.ID, e.Time, txt(e.Type), txt(e.AgentID), txt(e.Title), txt(e.Severity), jsonText(e.Details))
	}
	return s.sendBatchTx(ctx, b, "events")
}

func (s *Store) sendBatchTx(ctx context.Context, b *pgx.Batch, what string) error {
	if b.Len() == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", what, err)
	}
	return nil
}

// ListEvents implements store.Activity, newest first.
func (s *Store) ListEvents(ctx context.Context, workspaceID string, limit int) ([]model.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT workspace_id, id, time, type, agent_id, title, severity, details FROM events
		WHERE workspace_id = $1 ORDER BY time DESC, id LIMIT $2`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list events: %w", err)
	}
	out := []model.Event{}
	var e model.Event
	var details string
	_, err = pgx.ForEachRow(rows, []any{&e.WorkspaceID, &e.ID, &e.Time, &e.Type, &e.AgentID, &e.Title, &e.Severity, &details}, func() error {
		c := e
		c.Time, c.Details = c.Time.UTC(), json.RawMessage(details)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list events: %w", err)
	}
	return out, nil
}
