package model

import (
	"net/mail"
	"strings"
	"time"
)

// Role is what a user may do in one workspace. The permission matrix that gives each role
// its permissions lives in httpapi's authorize; docs/auth.md describes it.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Roles lists the roles from most to least privileged.
var Roles = []Role{RoleOwner, RoleAdmin, RoleMember, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleMember, RoleViewer:
		return true
	}
	return false
}

// Rank orders roles: a higher rank holds every permission of a lower one.
func (r Role) Rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Scope is what an API key may do.
type Scope string

const (
	ScopeIngest Scope = "ingest" // send traces
	ScopeRead   Scope = "read"   // read the workspace's data
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeIngest || s == ScopeRead }

// HasScope reports whether the key holds s. A key without scopes predates them (the
// core issue's keys) and holds both, as it did then; new keys always name theirs.
func (k *APIKey) HasScope(s Scope) bool {
	if len(k.Scopes) == 0 {
		return true
	}
	for _, have := range k.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

// User is a person who signs in with an email and a password.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// Membership gives a user a role in a workspace.
type Membership struct {
	WorkspaceID string    `json:"workspace_id"`
	UserID      string    `json:"user_id"`
	Role        Role      `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
	// WorkspaceName is filled when memberships are listed for a user.
	WorkspaceName string `json:"workspace_name,omitempty"`
}

// Member is a membership as the team page shows it.
type Member struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// Invite is a pending membership for an email that has no account yet; it becomes a
// membership when that email registers before ExpiresAt. Its link carries a secret token
// of which only TokenHash is stored.
type Invite struct {
	WorkspaceID string     `json:"workspace_id"`
	Email       string     `json:"email"`
	Role        Role       `json:"role"`
	InvitedBy   string     `json:"invited_by"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at"` // nil: made before invites expired
	TokenHash   string     `json:"-"`
}

// Expired reports whether the invite can no longer be accepted at now.
func (i *Invite) Expired(now time.Time) bool {
	return i.ExpiresAt != nil && !now.Before(*i.ExpiresAt)
}

// RefreshToken is one link of a rotating refresh-token family (one sign-in session).
// Only a hash of the secret is stored. A token is used once: refreshing marks it used
// and issues the next one of the family; presenting a used token again revokes the family.
type RefreshToken struct {
	ID          string
	FamilyID    string
	UserID      string
	WorkspaceID string // the workspace the session is in; empty when the user has none
	Hash        string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
	RevokedAt   *time.Time
}

// RateLimits overrides the process-wide request limits for one workspace. A zero rate
// keeps the process default; a negative rate means unlimited.
type RateLimits struct {
	KeyRate        float64 `json:"key_rate"`        // requests per second per API key or user
	KeyBurst       int     `json:"key_burst"`       // requests allowed at once per API key or user
	WorkspaceRate  float64 `json:"workspace_rate"`  // requests per second for the whole workspace
	WorkspaceBurst int     `json:"workspace_burst"` // requests allowed at once for the workspace
}

// Validate checks the limits, reporting fields under prefix.
func (l RateLimits) Validate(prefix Path) error {
	var fe FieldErrors
	if l.KeyBurst < 0 {
		fe.Add(prefix.Append("key_burst"), "must not be negative")
	}
	if l.WorkspaceBurst < 0 {
		fe.Add(prefix.Append("workspace_burst"), "must not be negative")
	}
	if l.KeyRate > 1e6 {
		fe.Add(prefix.Append("key_rate"), "must be at most 1000000")
	}
	if l.WorkspaceRate > 1e6 {
		fe.Add(prefix.Append("workspace_rate"), "must be at most 1000000")
	}
	return fe.Err("invalid rate limits")
}

// NormalizeEmail lower-cases and trims an address so that one mailbox is one account.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// ValidEmail reports whether s (normalised) is a plain address such as a@b.example.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}
