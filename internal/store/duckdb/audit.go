package duckdb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// SetWorkspaceProfile implements store.Accounts.
func (s *Store) SetWorkspaceProfile(ctx context.Context, id string, p model.WorkspaceProfile) error {
	n, err := s.execCount(ctx, `UPDATE workspaces SET description = ?, time_zone = ? WHERE id = ?`, p.Description, p.TimeZone, id)
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
		detail = string(e.Detail)
	}
	err := s.exec(ctx, `INSERT INTO audit_log (`+"id, workspace_id, occurred_at, actor_id, actor_email, action, target, detail, ip"+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.WorkspaceID, e.At, e.ActorID, e.ActorEmail, e.Action, e.Target, detail, e.IP)
	if err != nil {
		return fmt.Errorf("cannot write the audit log: %w", err)
	}
	return nil
}

// ListAudit implements store.Audit.
func (s *Store) ListAudit(ctx context.Context, workspaceID string, f store.AuditFilter) ([]model.AuditEntry, error) {
	q, args := store.AuditQuery(workspaceID, f)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the audit log: %w", err)
	}
	defer rows.Close()
	out := []model.AuditEntry{}
	for rows.Next() {
		var e model.AuditEntry
		var detail string
		if err := rows.Scan(&e.ID, &e.WorkspaceID, &e.At, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &detail, &e.IP); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		if detail != "" {
			e.Detail = json.RawMessage(detail)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
