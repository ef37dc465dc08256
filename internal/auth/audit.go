package auth

import (
	"context"
	"encoding/json"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Audit records that p did action on target from the client address ip. The change it
// records has happened already, so a failure to record is logged, not returned.
func (s *Service) Audit(ctx context.Context, p *Principal, ip, action, target string, detail any) {
	if p == nil || p.WorkspaceID == "" {
		return
	}
	e := model.AuditEntry{ID: NewUUID(), WorkspaceID: p.WorkspaceID, At: s.now().UTC(), ActorID: p.UserID,
		Action: action, Target: target, IP: ip}
	if p.UserID != "" {
		if u, err := s.st.GetUser(ctx, p.UserID); err == nil {
			e.ActorEmail = u.Email
		}
	}
	if detail != nil {
		e.Detail, _ = json.Marshal(detail)
	}
	if err := s.st.AppendAudit(ctx, e); err != nil {
		s.cfg.Log.Error("cannot record an audit entry", "action", action, "workspace", p.WorkspaceID, "err", err)
	}
}

// AuditLog lists the caller's workspace's audit entries.
func (s *Service) AuditLog(ctx context.Context, p *Principal, f store.AuditFilter) ([]model.AuditEntry, error) {
	return s.st.ListAudit(ctx, p.WorkspaceID, f)
}
