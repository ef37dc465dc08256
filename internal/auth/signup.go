package auth

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
)

// RegisterInput is the body of POST /api/v1/auth/register.
type RegisterInput struct {
	Email           string `json:"email"`
	Password        string `json:"password"`
	Name            string `json:"name"`
	WorkspaceName   string `json:"workspace_name"`   // create a workspace with this name
	CreateWorkspace bool   `json:"create_workspace"` // create one named after the user
	// SetupKey proves that the first user runs this server: the setup key printed at
	// first start, or an API key of the first workspace. Later sign-ups ignore it.
	SetupKey string `json:"setup_key"`
}

func checkName(fe *model.FieldErrors, path model.Path, v string, required bool) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(v)); {
	case required && n == 0:
		fe.Add(path, "is required")
	case n > 200:
		fe.Add(path, "must be at most 200 characters")
	}
}

// checkAddress throttles by client address, consuming one attempt.
func (s *Service) checkAddress(ctx context.Context, client string) error {
	if client == "" {
		return nil
	}
	return s.spendAttempt(ctx, "addr:"+client, s.cfg.LoginPerAddress, "too many attempts from this address; retry in %d s")
}

// Register creates a user. The first user of the process's store becomes the owner of
// the existing workspace without members (the one created at first start, holding the
// bootstrap key and its data); otherwise a workspace is created when asked. Pending
// invites for the email become memberships. It signs the user in.
func (s *Service) Register(ctx context.Context, in RegisterInput, client string) (*Session, error) {
	email := model.NormalizeEmail(in.Email)
	var fe model.FieldErrors
	if !model.ValidEmail(email) {
		fe.Add(model.Path{"email"}, "must be an email address")
	}
	if msg := CheckPassword(in.Password); msg != "" {
		fe.Add(model.Path{"password"}, "%s", msg)
	}
	checkName(&fe, model.Path{"name"}, in.Name, false)
	checkName(&fe, model.Path{"workspace_name"}, in.WorkspaceName, false)
	if err := fe.Err("invalid registration"); err != nil {
		return nil, err
	}
	if err := s.checkAddress(ctx, client); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := model.User{ID: NewUUID(), Email: email, Name: strings.TrimSpace(in.Name), PasswordHash: HashPassword(in.Password), CreatedAt: now}

	s.registerMu.Lock()
	defer s.registerMu.Unlock()
	n, err := s.st.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 && s.cfg.Registration == RegistrationInvite {
		ok, err := s.invited(ctx, email)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, model.Errorf(model.EFORBIDDEN, "registration is by invitation: ask an admin of a workspace to invite %s", email)
		}
	}
	// The first user always owns the workspace created at first start (it holds the
	// bootstrap key and the data), proving with the setup key that they run this server; a
	// workspace name given then renames it.
	var claim *model.Workspace
	if n == 0 {
		if claim, err = s.unownedWorkspace(ctx); err != nil {
			return nil, err
		}
	}
	if claim != nil {
		if err := s.claimWorkspace(ctx, claim.ID, strings.TrimSpace(in.SetupKey)); err != nil {
			return nil, err
		}
	}
	var created *model.Workspace
	name := strings.TrimSpace(in.WorkspaceName)
	if claim == nil && (name != "" || in.CreateWorkspace || n == 0) {
		if name == "" {
			name = defaultWorkspaceName(u)
		}
		created = &model.Workspace{ID: NewUUID(), Name: name, CreatedAt: now}
	}
	if err := s.st.CreateUser(ctx, u, created); err != nil {
		return nil, err
	}
	var wsID string
	switch {
	case created != nil:
		wsID = created.ID
	case claim != nil:
		if err := s.st.AddMember(ctx, model.Membership{WorkspaceID: claim.ID, UserID: u.ID, Role: model.RoleOwner, CreatedAt: now}); err != nil {
			return nil, err
		}
		if name != "" {
			if err := s.st.RenameWorkspace(ctx, claim.ID, name); err != nil {
				return nil, err
			}
		}
		s.cfg.Log.Info("first user owns the existing workspace", "workspace", claim.ID, "user", u.ID)
		wsID = claim.ID
	default: // the workspace of an accepted invite, if any
		if wsID, err = s.pickWorkspace(ctx, u.ID, "", ""); err != nil {
			return nil, err
		}
	}
	return s.startSession(ctx, &u, wsID)
}

// invited reports whether some workspace has a pending, unexpired invite for email. Registrations are
// rare, so walking the workspaces is acceptable.
func (s *Service) invited(ctx context.Context, email string) (bool, error) {
	list, err := s.st.ListWorkspaces(ctx)
	if err != nil {
		return false, err
	}
	for _, ws := range list {
		inv, err := s.st.ListInvites(ctx, ws.ID)
		if err != nil {
			return false, err
		}
		for _, i := range inv {
			if i.Email == email && !i.Expired(s.now()) {
				return true, nil
			}
		}
	}
	return false, nil
}

func defaultWorkspaceName(u model.User) string {
	if u.Name != "" {
		return u.Name + "'s workspace"
	}
	return "My workspace"
}

// unownedWorkspace returns the oldest workspace without members, if any.
func (s *Service) unownedWorkspace(ctx context.Context) (*model.Workspace, error) {
	list, err := s.st.ListWorkspaces(ctx)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	members, err := s.st.ListMembers(ctx, list[0].ID)
	if err != nil || len(members) > 0 {
		return nil, err
	}
	return &list[0], nil
}
