package store

import (
	"context"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Audit keeps the audit log: who changed what in a workspace, when and from where.
type Audit interface {
	// AppendAudit stores e durably; ids are unique.
	AppendAudit(ctx context.Context, e model.AuditEntry) error
	// ListAudit returns the workspace's entries matching f, newest first.
	ListAudit(ctx context.Context, workspaceID string, f AuditFilter) ([]model.AuditEntry, error)
}

// AuditFilter narrows an audit listing. Zero fields do not filter.
type AuditFilter struct {
	Action  string // an action ("api_key.create") or its subject ("api_key")
	ActorID string
	Since   time.Time
	Until   time.Time
	// BeforeAt and BeforeID page: entries strictly older than (BeforeAt, BeforeID).
	BeforeAt time.Time
	BeforeID string
	Limit    int // default and maximum 500
}

// AuditColumns are the audit_log columns in the order AuditQuery selects them.
const AuditColumns = "id, workspace_id, occurred_at, actor_id, actor_email, action, target, coalesce(detail, ''), ip"

// AuditQuery renders the listing for both SQL backends ($N placeholders).
func AuditQuery(workspaceID string, f AuditFilter) (string, SQLArgs) {
	var args SQLArgs
	var b strings.Builder
	b.WriteString("SELECT " + AuditColumns + " FROM audit_log WHERE workspace_id = " + args.Add(workspaceID))
	if a := f.Action; a != "" {
		if strings.Contains(a, ".") {
			b.WriteString(" AND action = " + args.Add(a))
		} else {
			// The subject: every action before its first dot.
			b.WriteString(" AND split_part(action, '.', 1) = " + args.Add(a))
		}
	}
	if f.ActorID != "" {
		b.WriteString(" AND actor_id = " + args.Add(f.ActorID))
	}
	if !f.Since.IsZero() {
		b.WriteString(" AND occurred_at >= " + args.Add(f.Since))
	}
	if !f.Until.IsZero() {
		b.WriteString(" AND occurred_at < " + args.Add(f.Until))
	}
	if !f.BeforeAt.IsZero() {
		at, id := args.Add(f.BeforeAt), args.Add(f.BeforeID)
		b.WriteString(" AND (occurred_at < " + at + " OR (occurred_at = " + at + " AND id < " + id + "))")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	b.WriteString(" ORDER BY occurred_at DESC, id DESC LIMIT " + args.Add(limit))
	return b.String(), args
}
