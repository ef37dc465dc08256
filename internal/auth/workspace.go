package auth

import (
	"context"
	"strings"

	"github.com/agentobs/agentobs/internal/model"
)

// CreateWorkspace creates a workspace owned by the user.
func (s *Service) CreateWorkspace(ctx context.Context, p *Principal, name string) (*model.Workspace, error) {
	var fe model.FieldErrors
	checkName(&fe, model.Path{"name"}, name, true)
	if err := fe.Err("invalid workspace"); err != nil {
		return nil, err
	}
	ws := model.Workspace{ID: NewUUID(), Name: strings.TrimSpace(name), CreatedAt: s.now().UTC()}
	if err := s.st.CreateWorkspaceWithOwner(ctx, ws, p.UserID); err != nil {
		return nil, err
	}
	s.members.remove(ws.ID + "|" + p.UserID)
	return &ws, nil
}

// Workspace returns a workspace by id.
func (s *Service) Workspace(ctx context.Context, id string) (*model.Workspace, error) {
	return s.st.GetWorkspace(ctx, id)
}

// RenameWorkspace renames the caller's workspace.
func (s *Service) RenameWorkspace(ctx context.Context, p *Principal, name string) error {
	var fe model.FieldErrors
	checkName(&fe, model.Path{"name"}, name, true)
	if err := fe.Err("invalid workspace"); err != nil {
		return err
	}
	return s.st.RenameWorkspace(ctx, p.WorkspaceID, strings.TrimSpace(name))
}
