package auth

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
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

// RetentionDays is how many days of traces the workspace keeps; 0 keeps everything.
func (s *Service) RetentionDays(ctx context.Context, workspaceID string) (int, error) {
	return s.st.RetentionDays(ctx, workspaceID)
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

// WorkspaceUpdate is the body of PUT /api/v1/workspace; nil fields stay as they are.
type WorkspaceUpdate struct {
	Name        *string           `json:"name"`
	Description *string           `json:"description"`
	TimeZone    *string           `json:"time_zone"`
	RateLimits  *model.RateLimits `json:"rate_limits"`
	// RetentionDays: traces older than this many days are deleted; 0 keeps everything.
	RetentionDays *int `json:"retention_days"`
}

// MaxDescription bounds a workspace description, in characters.
const MaxDescription = 2000

// UpdateWorkspace checks every field first and only then writes, so a bad field changes
// nothing.
func (s *Service) UpdateWorkspace(ctx context.Context, p *Principal, u WorkspaceUpdate) error {
	var fe model.FieldErrors
	if u.Name != nil {
		checkName(&fe, model.Path{"name"}, *u.Name, true)
	}
	if u.Description != nil && utf8.RuneCountInString(*u.Description) > MaxDescription {
		fe.Add(model.Path{"description"}, "must be at most %d characters", MaxDescription)
	}
	if u.TimeZone != nil && !ValidTimeZone(strings.TrimSpace(*u.TimeZone)) {
		fe.Add(model.Path{"time_zone"}, "must be an IANA time zone name such as Europe/Berlin")
	}
	if u.RetentionDays != nil && (*u.RetentionDays < 0 || *u.RetentionDays > store.MaxRetentionDays) {
		fe.Add(model.Path{"retention_days"}, "must be a number of days from 0 (keep everything) to %d", store.MaxRetentionDays)
	}
	if err := fe.Err("invalid workspace"); err != nil {
		return err
	}
	if u.RateLimits != nil {
		if err := u.RateLimits.Validate(model.Path{"rate_limits"}); err != nil {
			return err
		}
	}
	if u.Name != nil {
		if err := s.st.RenameWorkspace(ctx, p.WorkspaceID, strings.TrimSpace(*u.Name)); err != nil {
			return err
		}
	}
	if u.Description != nil || u.TimeZone != nil {
		ws, err := s.st.GetWorkspace(ctx, p.WorkspaceID)
		if err != nil {
			return err
		}
		prof := model.WorkspaceProfile{Description: ws.Description, TimeZone: ws.TimeZone}
		if u.Description != nil {
			prof.Description = strings.TrimSpace(*u.Description)
		}
		if u.TimeZone != nil {
			prof.TimeZone = strings.TrimSpace(*u.TimeZone)
		}
		if err := s.st.SetWorkspaceProfile(ctx, p.WorkspaceID, prof); err != nil {
			return err
		}
	}
	if u.RetentionDays != nil {
		if err := s.st.SetRetentionDays(ctx, p.WorkspaceID, *u.RetentionDays); err != nil {
			return err
		}
	}
	if u.RateLimits != nil {
		return s.SetWorkspaceLimits(ctx, p.WorkspaceID, *u.RateLimits)
	}
	return nil
}

// ValidTimeZone accepts "" (UTC) and IANA names, never a file path or the host's "Local".
func ValidTimeZone(tz string) bool {
	if tz == "" {
		return true
	}
	if len(tz) > 64 || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") || strings.EqualFold(tz, "local") {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}
