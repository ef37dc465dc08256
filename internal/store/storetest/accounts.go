package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// testAccounts checks store.Accounts: users, memberships, invites, refresh-token rotation,
// key revocation and use, legacy hashes and workspace limits.
func testAccounts(t *testing.T, s store.Store) {
	var acc store.Accounts = s
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store, acc store.Accounts)
	}{
		{"Users", testUsers},
		{"Members", testMembers},
		{"Invites", testInvites},
		{"RefreshRotation", testRefreshRotation},
		{"KeyLifecycle", testKeyLifecycle},
		{"WorkspaceLimits", testWorkspaceLimits},
		{"SetupSecret", testSetupSecret},
		{"WorkspaceProfile", testWorkspaceProfile},
		{"Audit", testAudit},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s, acc) })
	}
}

func user(id, email string) model.User {
	return model.User{ID: id, Email: email, Name: "N " + id, PasswordHash: "$argon2id$x", CreatedAt: t0}
}

func testUsers(t *testing.T, s store.Store, acc store.Accounts) {
	if n, err := acc.CountUsers(ctx()); err != nil || n != 0 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
	ws := model.Workspace{ID: "ws-users", Name: "Mine", CreatedAt: t0}
	u := user("u1", "ada@example.com")
	if err := acc.CreateUser(ctx(), u, &ws); err != nil {
		t.Fatal(err)
	}
	if err := acc.CreateUser(ctx(), user("u2", "ada@example.com"), nil); !isCode(err, model.ECONFLICT) {
		t.Errorf("duplicate email = %v", err)
	}
	// The failed insert left nothing behind.
	if _, err := acc.GetUser(ctx(), "u2"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetUser(u2) = %v", err)
	}
	got, err := acc.UserByEmail(ctx(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&u, got); diff != "" {
		t.Errorf("UserByEmail (-want +got):\n%s", diff)
	}
	if _, err := acc.UserByEmail(ctx(), "nobody@example.com"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("unknown email = %v", err)
	}
	m, err := acc.GetMembership(ctx(), "ws-users", "u1")
	if err != nil || m.Role != model.RoleOwner || m.WorkspaceName != "Mine" {
		t.Errorf("owner membership = %+v, %v", m, err)
	}
	// A workspace id that exists makes the whole registration fail.
	if err := acc.CreateUser(ctx(), user("u3", "u3@example.com"), &ws); !isCode(err, model.ECONFLICT) {
		t.Errorf("CreateUser with existing workspace = %v", err)
	}
	if _, err := acc.GetUser(ctx(), "u3"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("user of a failed registration exists: %v", err)
	}
	if n, _ := acc.CountUsers(ctx()); n != 1 {
		t.Errorf("CountUsers = %d", n)
	}
	if err := acc.RenameWorkspace(ctx(), "ws-users", "Renamed"); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.GetWorkspace(ctx(), "ws-users"); w.Name != "Renamed" {
		t.Errorf("rename: %+v", w)
	}
	if err := acc.RenameWorkspace(ctx(), "nope", "x"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("rename unknown = %v", err)
	}
}

func testMembers(t *testing.T, s store.Store, acc store.Accounts) {
	for _, u := range []model.User{user("m1", "m-a@example.com"), user("m2", "m-b@example.com")} {
		if err := acc.CreateUser(ctx(), u, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := acc.CreateWorkspaceWithOwner(ctx(), model.Workspace{ID: "ws-m1", Name: "One", CreatedAt: t0}, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := acc.CreateWorkspaceWithOwner(ctx(), model.Workspace{ID: "ws-m2", Name: "Two", CreatedAt: t0.Add(time.Hour)}, "m2"); err != nil {
		t.Fatal(err)
	}
	if err := acc.AddMember(ctx(), model.Membership{WorkspaceID: "ws-m2", UserID: "m1", Role: model.RoleViewer, CreatedAt: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := acc.AddMember(ctx(), model.Membership{WorkspaceID: "ws-m2", UserID: "m1", Role: model.RoleAdmin, CreatedAt: t0}); !isCode(err, model.ECONFLICT) {
		t.Errorf("duplicate member = %v", err)
	}
	ms, err := acc.ListUserMemberships(ctx(), "m1")
	if err != nil || len(ms) != 2 || ms[0].WorkspaceID != "ws-m1" || ms[0].Role != model.RoleOwner || ms[1].WorkspaceName != "Two" || ms[1].Role != model.RoleViewer {
		t.Fatalf("ListUserMemberships = %+v, %v", ms, err)
	}
	if err := acc.SetMemberRole(ctx(), "ws-m2", "m1", model.RoleMember); err != nil {
		t.Fatal(err)
	}
	members, err := acc.ListMembers(ctx(), "ws-m2")
	want := []model.Member{
		{UserID: "m2", Email: "m-b@example.com", Name: "N m2", Role: model.RoleOwner, JoinedAt: t0.Add(time.Hour)},
		{UserID: "m1", Email: "m-a@example.com", Name: "N m1", Role: model.RoleMember, JoinedAt: t0.Add(2 * time.Hour)},
	}
	if diff := cmp.Diff(want, members); err != nil || diff != "" {
		t.Errorf("ListMembers (-want +got):\n%s %v", diff, err)
	}
	if err := acc.SetMemberRole(ctx(), "ws-m1", "m2", model.RoleAdmin); !isCode(err, model.ENOTFOUND) {
		t.Errorf("role of a non-member = %v", err)
	}
	if err := acc.RemoveMember(ctx(), "ws-m2", "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.GetMembership(ctx(), "ws-m2", "m1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("removed membership = %v", err)
	}
	if err := acc.RemoveMember(ctx(), "ws-m2", "m1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("removing twice = %v", err)
	}
	if ms, _ := acc.ListUserMemberships(ctx(), "nobody"); ms == nil || len(ms) != 0 {
		t.Errorf("memberships of nobody = %#v", ms)
	}
}

func testInvites(t *testing.T, s store.Store, acc store.Accounts) {
	if err := acc.CreateUser(ctx(), user("i1", "i-owner@example.com"), &model.Workspace{ID: "ws-i1", Name: "One", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	expires := t0.Add(7 * 24 * time.Hour)
	inv := model.Invite{WorkspaceID: "ws-i1", Email: "new@example.com", Role: model.RoleViewer, InvitedBy: "i1", CreatedAt: t0,
		ExpiresAt: &expires, TokenHash: "hash-1"}
	if err := acc.CreateInvite(ctx(), inv); err != nil {
		t.Fatal(err)
	}
	inv.Role, inv.TokenHash = model.RoleMember, "hash-2" // a second invite replaces the first, link included
	if err := acc.CreateInvite(ctx(), inv); err != nil {
		t.Fatal(err)
	}
	if got, err := acc.InviteByToken(ctx(), "hash-2"); err != nil || got.Email != "new@example.com" || got.Role != model.RoleMember ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) || got.WorkspaceID != "ws-i1" {
		t.Errorf("InviteByToken = %+v, %v", got, err)
	}
	for _, h := range []string{"hash-1", ""} {
		if _, err := acc.InviteByToken(ctx(), h); !isCode(err, model.ENOTFOUND) {
			t.Errorf("InviteByToken(%q) = %v, want not found", h, err)
		}
	}
	// An expired invite is no membership: registering after its expiry only deletes it.
	past := t0.Add(-time.Hour)
	if err := acc.CreateInvite(ctx(), model.Invite{WorkspaceID: "ws-i1", Email: "late@example.com", Role: model.RoleAdmin, InvitedBy: "i1",
		CreatedAt: t0.Add(-2 * time.Hour), ExpiresAt: &past, TokenHash: "hash-late"}); err != nil {
		t.Fatal(err)
	}
	if err := acc.CreateUser(ctx(), user("i3", "late@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.GetMembership(ctx(), "ws-i1", "i3"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("an expired invite made a membership: %v", err)
	}
	if err := acc.CreateInvite(ctx(), model.Invite{WorkspaceID: "ws-i1", Email: "gone@example.com", Role: model.RoleViewer, InvitedBy: "i1", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	list, err := acc.ListInvites(ctx(), "ws-i1")
	if err != nil || len(list) != 2 || list[1].Email != "new@example.com" || list[1].Role != model.RoleMember {
		t.Fatalf("ListInvites = %+v, %v", list, err)
	}
	if err := acc.DeleteInvite(ctx(), "ws-i1", "gone@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := acc.DeleteInvite(ctx(), "ws-i1", "gone@example.com"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("deleting twice = %v", err)
	}
	// Registering the invited email makes the invite a membership.
	if err := acc.CreateUser(ctx(), user("i2", "new@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	if m, err := acc.GetMembership(ctx(), "ws-i1", "i2"); err != nil || m.Role != model.RoleMember {
		t.Errorf("invited membership = %+v, %v", m, err)
	}
	if list, _ := acc.ListInvites(ctx(), "ws-i1"); len(list) != 0 {
		t.Errorf("accepted invite still pending: %+v", list)
	}
}

func testRefreshRotation(t *testing.T, s store.Store, acc store.Accounts) {
	first := model.RefreshToken{ID: "r1", FamilyID: "f1", UserID: "u1", WorkspaceID: ws1, Hash: "h1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := acc.CreateRefreshToken(ctx(), first); err != nil {
		t.Fatal(err)
	}
	got, err := acc.RefreshTokenByHash(ctx(), "h1")
	if diff := cmp.Diff(&first, got); err != nil || diff != "" {
		t.Fatalf("RefreshTokenByHash (-want +got):\n%s %v", diff, err)
	}
	if active, _ := acc.RefreshFamilyActive(ctx(), "f1"); !active {
		t.Error("new family inactive")
	}
	second := model.RefreshToken{ID: "r2", FamilyID: "f1", UserID: "u1", WorkspaceID: ws2, Hash: "h2", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(2 * time.Hour)}
	if err := acc.RotateRefreshToken(ctx(), "r1", t0.Add(time.Minute), second); err != nil {
		t.Fatal(err)
	}
	// r1 is used up: a second rotation fails and changes nothing.
	third := model.RefreshToken{ID: "r3", FamilyID: "f1", UserID: "u1", Hash: "h3", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := acc.RotateRefreshToken(ctx(), "r1", t0.Add(2*time.Minute), third); !isCode(err, model.ECONFLICT) {
		t.Errorf("second rotation = %v, want conflict", err)
	}
	if _, err := acc.RefreshTokenByHash(ctx(), "h3"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("token of a failed rotation exists: %v", err)
	}
	if r1, _ := acc.RefreshTokenByHash(ctx(), "h1"); r1.UsedAt == nil || !r1.UsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("used_at = %v", r1.UsedAt)
	}
	if err := acc.RevokeRefreshFamily(ctx(), "f1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := acc.RevokeRefreshFamily(ctx(), "f1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	r2, _ := acc.RefreshTokenByHash(ctx(), "h2")
	if r2.RevokedAt == nil || !r2.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("revoked_at = %v (revoking twice keeps the first time)", r2.RevokedAt)
	}
	if err := acc.RotateRefreshToken(ctx(), "r2", t0.Add(time.Hour), third); !isCode(err, model.ECONFLICT) {
		t.Errorf("rotating a revoked token = %v", err)
	}
	if active, _ := acc.RefreshFamilyActive(ctx(), "f1"); active {
		t.Error("revoked family active")
	}
	if active, _ := acc.RefreshFamilyActive(ctx(), "unknown"); active {
		t.Error("unknown family active")
	}
}

func testKeyLifecycle(t *testing.T, s store.Store, acc store.Accounts) {
	exp := t0.Add(24 * time.Hour)
	k := model.APIKey{ID: "k1", WorkspaceID: ws1, Name: "ci", Prefix: "ao_abcd", Last4: "wxyz", Hash: "hmac-1",
		Scopes: []model.Scope{model.ScopeIngest}, CreatedBy: "u1", CreatedAt: t0, ExpiresAt: &exp}
	if err := s.CreateAPIKey(ctx(), k); err != nil {
		t.Fatal(err)
	}
	got, err := acc.GetAPIKey(ctx(), ws1, "k1")
	if diff := cmp.Diff(&k, got); err != nil || diff != "" {
		t.Fatalf("GetAPIKey (-want +got):\n%s %v", diff, err)
	}
	if _, err := acc.GetAPIKey(ctx(), ws2, "k1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("key from another workspace = %v", err)
	}
	if _, err := acc.RevokeAPIKey(ctx(), ws2, "k1", t0); !isCode(err, model.ENOTFOUND) {
		t.Errorf("revoking from another workspace = %v", err)
	}
	used := t0.Add(time.Hour)
	if err := acc.TouchAPIKeys(ctx(), map[string]time.Time{"k1": used, "unknown": used}); err != nil {
		t.Fatal(err)
	}
	if err := acc.TouchAPIKeys(ctx(), map[string]time.Time{"k1": t0}); err != nil { // older: ignored
		t.Fatal(err)
	}
	if got, _ := acc.GetAPIKey(ctx(), ws1, "k1"); got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
		t.Errorf("last_used_at = %v", got.LastUsedAt)
	}
	revoked, err := acc.RevokeAPIKey(ctx(), ws1, "k1", t0.Add(2*time.Hour))
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("RevokeAPIKey = %+v, %v", revoked, err)
	}
	if again, _ := acc.RevokeAPIKey(ctx(), ws1, "k1", t0.Add(3*time.Hour)); !again.RevokedAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("revoking twice moved revoked_at to %v", again.RevokedAt)
	}
	if _, err := s.APIKeyByHash(ctx(), "hmac-1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("revoked key found by hash: %v", err)
	}
	// Keys created through CreateAPIKey are never legacy.
	if n, _ := acc.CountLegacyAPIKeys(ctx()); n != 0 {
		t.Errorf("CountLegacyAPIKeys = %d", n)
	}
	if _, err := acc.LegacyAPIKeyByHash(ctx(), "hmac-1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("LegacyAPIKeyByHash = %v", err)
	}
}

func testWorkspaceLimits(t *testing.T, s store.Store, acc store.Accounts) {
	if l, err := acc.WorkspaceLimits(ctx(), ws1); err != nil || l != (model.RateLimits{}) {
		t.Fatalf("no limits = %+v, %v", l, err)
	}
	want := model.RateLimits{KeyRate: 2.5, KeyBurst: 5, WorkspaceRate: -1}
	for range 2 {
		if err := acc.SetWorkspaceLimits(ctx(), ws1, want); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := acc.WorkspaceLimits(ctx(), ws1); err != nil || l != want {
		t.Errorf("limits = %+v, %v", l, err)
	}
	if l, _ := acc.WorkspaceLimits(ctx(), ws2); l != (model.RateLimits{}) {
		t.Errorf("limits leak across workspaces: %+v", l)
	}
}

func testSetupSecret(t *testing.T, s store.Store, acc store.Accounts) {
	const ws = "ws-setup"
	if ok, err := acc.TakeSetupSecret(ctx(), ws, ""); err != nil || ok {
		t.Fatalf("take without a secret = %v, %v", ok, err)
	}
	if ok, err := acc.PutSetupSecret(ctx(), ws, "hash-1", t0, false); err != nil || !ok {
		t.Fatalf("first put = %v, %v", ok, err)
	}
	// A second start without a chosen secret keeps the first one.
	if ok, err := acc.PutSetupSecret(ctx(), ws, "hash-2", t0, false); err != nil || ok {
		t.Fatalf("put over an existing secret = %v, %v; want it kept", ok, err)
	}
	if ok, err := acc.TakeSetupSecret(ctx(), ws, "hash-2"); err != nil || ok {
		t.Fatalf("take with the wrong hash = %v, %v", ok, err)
	}
	if ok, err := acc.PutSetupSecret(ctx(), ws, "hash-3", t0, true); err != nil || !ok {
		t.Fatalf("replacing put = %v, %v", ok, err)
	}
	if ok, err := acc.TakeSetupSecret(ctx(), "ws-other", "hash-3"); err != nil || ok {
		t.Fatalf("take in another workspace = %v, %v", ok, err)
	}
	if ok, err := acc.TakeSetupSecret(ctx(), ws, "hash-3"); err != nil || !ok {
		t.Fatalf("take = %v, %v", ok, err)
	}
	if ok, err := acc.TakeSetupSecret(ctx(), ws, "hash-3"); err != nil || ok {
		t.Fatalf("second take of a one-time secret = %v, %v", ok, err)
	}
	if _, err := acc.PutSetupSecret(ctx(), ws, "hash-4", t0, false); err != nil {
		t.Fatal(err)
	}
	if ok, err := acc.TakeSetupSecret(ctx(), ws, ""); err != nil || !ok {
		t.Fatalf("take any = %v, %v", ok, err)
	}
}

func testWorkspaceProfile(t *testing.T, s store.Store, acc store.Accounts) {
	ws := model.Workspace{ID: "ws-profile", Name: "Profile", CreatedAt: t0}
	if err := s.CreateWorkspace(ctx(), ws); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetWorkspace(ctx(), ws.ID); err != nil || got.Description != "" || got.TimeZone != "" {
		t.Fatalf("new workspace = %+v, %v; want an empty profile", got, err)
	}
	p := model.WorkspaceProfile{Description: "Support agents in production", TimeZone: "Europe/Berlin"}
	if err := acc.SetWorkspaceProfile(ctx(), ws.ID, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetWorkspace(ctx(), ws.ID)
	if err != nil || got.Description != p.Description || got.TimeZone != p.TimeZone || got.Name != "Profile" {
		t.Fatalf("after SetWorkspaceProfile = %+v, %v", got, err)
	}
	if err := acc.SetWorkspaceProfile(ctx(), "ws-missing", p); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("unknown workspace: %v", err)
	}
}

func testAudit(t *testing.T, s store.Store, _ store.Accounts) {
	entry := func(id, ws, action, actor string, at time.Time) model.AuditEntry {
		return model.AuditEntry{ID: id, WorkspaceID: ws, At: at, ActorID: actor, ActorEmail: actor + "@example.com",
			Action: action, Target: "t-" + id, Detail: []byte(`{"k":"` + id + `"}`), IP: "192.0.2.7"}
	}
	all := []model.AuditEntry{
		entry("a1", "ws-audit", "api_key.create", "u1", t0),
		entry("a2", "ws-audit", "member.role", "u2", t0.Add(time.Minute)),
		entry("a3", "ws-audit", "api_key.revoke", "u1", t0.Add(2*time.Minute)),
		entry("a4", "ws-audit", "api_key.create", "u1", t0.Add(2*time.Minute)), // same time as a3
		entry("b1", "ws-audit-other", "api_key.create", "u1", t0),
	}
	for _, e := range all {
		if err := s.AppendAudit(ctx(), e); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(f store.AuditFilter) []string {
		t.Helper()
		list, err := s.ListAudit(ctx(), "ws-audit", f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range list {
			out = append(out, e.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    store.AuditFilter
		want []string
	}{
		"newest first, one workspace": {store.AuditFilter{}, []string{"a4", "a3", "a2", "a1"}},
		"an action":                   {store.AuditFilter{Action: "api_key.create"}, []string{"a4", "a1"}},
		"a subject":                   {store.AuditFilter{Action: "api_key"}, []string{"a4", "a3", "a1"}},
		"an actor":                    {store.AuditFilter{ActorID: "u2"}, []string{"a2"}},
		"since and until":             {store.AuditFilter{Since: t0.Add(time.Minute), Until: t0.Add(2 * time.Minute)}, []string{"a2"}},
		"a page":                      {store.AuditFilter{Limit: 2}, []string{"a4", "a3"}},
		"the next page":               {store.AuditFilter{BeforeAt: t0.Add(2 * time.Minute), BeforeID: "a3", Limit: 2}, []string{"a2", "a1"}},
	} {
		if got := ids(tc.f); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	list, _ := s.ListAudit(ctx(), "ws-audit", store.AuditFilter{Limit: 1})
	if diff := cmp.Diff(all[3], list[0]); diff != "" {
		t.Errorf("stored entry differs (-want +got):\n%s", diff)
	}
}
