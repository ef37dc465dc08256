package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// SetWorkspaceProfile implements store.Accounts.
func (s *Store) SetWorkspaceProfile(ctx context.Context, id string, p model.WorkspaceProfile) error {
	n, err := s.execCount(ctx, `UPDATE workspaces SET description = $1, time_zone = $2 WHERE id = $3`, txt(p.Description), txt(p.TimeZone), id)
	if err != nil {
		return fmt.Errorf("cannot change workspace settings: %w", err)
	}
	if n == 0 {
		return notFound("workspace", id)
	}
	return nil
}

// AppendAudit implements store.Audit.
func (s *Store) AppendAudit(ctx context.Context, e model.AuditEntry) error {
	var detail any
	if len(e.Detail) > 0 {
		detail = txt(string(e.Detail))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (id, workspace_id, occurred_at, actor_id, actor_email, action, target, detail, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.WorkspaceID, e.At, txt(e.ActorID), txt(e.ActorEmail), txt(e.Action), txt(e.Target), detail, txt(e.IP))
	if err != nil {
		return fmt.Errorf("cannot write the audit log: %w", err)
	}
	return nil
}

// ListAudit implements store.Audit.
func (s *Store) ListAudit(ctx context.Context, workspaceID string, f store.AuditFilter) ([]model.AuditEntry, error) {
	q, args := store.AuditQuery(workspaceID, f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the audit log: %w", err)
	}
	out := []model.AuditEntry{}
	var e model.AuditEntry
	var detail string
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.WorkspaceID, &e.At, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &detail, &e.IP}, func() error {
		c := e
		c.At = c.At.UTC()
		if detail != "" {
			c.Detail = json.RawMessage(detail)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the audit log: %w", err)
	}
	return out, nil
}
