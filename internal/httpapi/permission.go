package httpapi

import (
	"context"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// The permission matrix: which roles and which API key scopes hold each permission. It is
// the only place that grants access (authorize consults it for every route); docs/auth.md
// shows it as a table, and a test checks the two agree.
//
// Keys never hold write or admin, and never act as a user: managing keys, members and the
// workspace takes a signed-in person.
var (
	rolePermissions = map[model.Role][]Permission{
		model.RoleOwner:  {PermRead, PermIngest, PermWrite, PermAdmin, PermOwner},
		model.RoleAdmin:  {PermRead, PermIngest, PermWrite, PermAdmin},
		model.RoleMember: {PermRead, PermIngest, PermWrite},
		model.RoleViewer: {PermRead},
	}
	scopePermissions = map[model.Scope]Permission{
		model.ScopeIngest: PermIngest,
		model.ScopeRead:   PermRead,
	}
)

// allowed reports whether the caller holds perm in its workspace.
func allowed(p *auth.Principal, perm Permission) bool {
	switch perm {
	case PermPublic:
		return true
	case PermUser:
		return p.IsUser()
	case PermCheck:
		// Agents call checks inline with whichever key they have.
		return allowed(p, PermRead) || allowed(p, PermIngest)
	}
	if p.WorkspaceID == "" {
		return false
	}
	if !p.IsUser() {
		for sc, granted := range scopePermissions {
			if granted == perm && p.Key.HasScope(sc) {
				return true
			}
		}
		return false
	}
	for _, have := range rolePermissions[p.Role] {
		if have == perm {
			return true
		}
	}
	return false
}

type ctxPrincipalKey struct{}

// principal is the authenticated caller; nil on public routes.
func principal(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(ctxPrincipalKey{}).(*auth.Principal)
	return p
}

// workspaceID is the caller's workspace. Every workspace-scoped handler takes the workspace
// from here and never from the request, which is what isolates tenants.
func workspaceID(ctx context.Context) string {
	if p := principal(ctx); p != nil {
		return p.WorkspaceID
	}
	return ""
}

func limitedWhat(p *auth.Principal) string {
	if p.IsUser() {
		return "this user or workspace"
	}
	return "this API key or workspace"
}

func denial(p *auth.Principal, perm Permission) error {
	switch {
	case perm == PermUser:
		return model.Errorf(model.EFORBIDDEN, "this route needs a signed-in user, not an API key")
	case p.WorkspaceID == "":
		return model.Errorf(model.EFORBIDDEN, "no workspace selected: create one or switch to one you belong to")
	case !p.IsUser():
		if perm == PermIngest || perm == PermRead || perm == PermCheck {
			return model.Errorf(model.EFORBIDDEN, "this API key lacks the %q scope", string(perm))
		}
		return model.Errorf(model.EFORBIDDEN, "API keys cannot do this; sign in as a user with the right role")
	}
	return model.Errorf(model.EFORBIDDEN, "your role %q does not allow this", string(p.Role))
}
