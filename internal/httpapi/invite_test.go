package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/alert/alerttest"
	"github.com/agentobs/agentobs/internal/auth"
)

// token returns the token at the end of an invite link.
func inviteToken(t *testing.T, link string) string {
	t.Helper()
	_, tok, ok := strings.Cut(link, "/invite/")
	if !ok || !strings.HasPrefix(tok, auth.InvitePrefix) {
		t.Fatalf("invite link %q", link)
	}
	return tok
}

// TestInviteLinks: without mail the inviter gets a link; the link opens the invite without
// signing in, declining deletes it, and signing up joins with the role and uses it up.
func TestInviteLinks(t *testing.T) {
	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	e.do("PUT", "/api/v1/workspace", owner, map[string]any{"name": "Acme support"})
	check := func(method, pattern, path, cred string, body any, want int, hdr ...string) answer {
		t.Helper()
		a := e.do(method, path, cred, body, hdr...)
		if a.status != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, a.status, want, a.raw)
		}
		if a.status != 204 {
			validateAnswer(t, doc, method, pattern, a.status, a.header.Get("Content-Type"), []byte(a.raw))
		}
		return a
	}

	before := time.Now()
	a := check("POST", "/api/v1/team/invite", "/api/v1/team/invite", owner, map[string]any{"email": "Ivy@Example.com", "role": "member"}, 201,
		"Origin", "https://agentobs.example.com")
	if a.body["email_sent"] != false || a.body["email_error"] != nil || !strings.HasPrefix(a.str("link"), "https://agentobs.example.com/invite/aoi_") {
		t.Fatalf("invite without mail = %s", a.raw)
	}
	expires, _ := time.Parse(time.RFC3339, a.body["invite"].(map[string]any)["expires_at"].(string))
	if d := expires.Sub(before); d < auth.DefaultInviteTTL-time.Minute || d > auth.DefaultInviteTTL+time.Minute {
		t.Errorf("expires in %s, want %s", d, auth.DefaultInviteTTL)
	}
	declined := inviteToken(t, a.str("link"))

	v := check("GET", "/api/v1/invites/{token}", "/api/v1/invites/"+declined, "", nil, 200)
	if v.str("email") != "ivy@example.com" || v.str("role") != "member" || v.str("workspace_name") != "Acme support" ||
		v.str("invited_by") != "ada" || v.body["account_exists"] != false {
		t.Errorf("invite view = %s", v.raw)
	}
	for _, bad := range []string{"aoi_nope", "ao_" + declined[4:], strings.Repeat("x", 200)} {
		check("GET", "/api/v1/invites/{token}", "/api/v1/invites/"+bad, "", nil, 404)
	}
	check("POST", "/api/v1/invites/{token}/decline", "/api/v1/invites/"+declined+"/decline", "", nil, 204)
	check("GET", "/api/v1/invites/{token}", "/api/v1/invites/"+declined, "", nil, 404)
	check("POST", "/api/v1/invites/{token}/decline", "/api/v1/invites/"+declined+"/decline", "", nil, 404)
	if team := e.do("GET", "/api/v1/team/members", owner, nil); len(team.body["invites"].([]any)) != 0 {
		t.Errorf("declined invite still pending: %s", team.raw)
	}

	// Invited again, with a day to accept: the old link stays dead, the new one joins.
	a = check("POST", "/api/v1/team/invite", "/api/v1/team/invite", owner, map[string]any{"email": "ivy@example.com", "role": "viewer", "expires_in_days": 1}, 201)
	accepted := inviteToken(t, a.str("link"))
	if accepted == declined {
		t.Fatal("a new invite reused the old token")
	}
	s := e.register("ivy@example.com", nil)
	if s.str("role") != "viewer" || s.str("workspace_id") != e.wsID {
		t.Errorf("signed up from the invite = %s", s.raw)
	}
	check("GET", "/api/v1/invites/{token}", "/api/v1/invites/"+accepted, "", nil, 404)

	// Mistakes name their field; the link's lifetime is bounded.
	for _, days := range []float64{-1, 0.0001, 31} {
		a := check("POST", "/api/v1/team/invite", "/api/v1/team/invite", owner, map[string]any{"email": "x@example.com", "role": "member", "expires_in_days": days}, 400)
		if !strings.Contains(a.raw, `"field":"expires_in_days"`) {
			t.Errorf("expires_in_days %v: %s", days, a.raw)
		}
	}
}

// TestInviteEmail sends the invite through a real mail server (mailpit, make test-alerts):
// the link goes to the invitee and is not shown to the inviter. A mail server that refuses
// leaves the link with the inviter and says why.
func TestInviteEmail(t *testing.T) {
	mail := alerttest.StartMailpit(t)
	smtp := &alert.ChannelConfig{Host: "127.0.0.1", Port: mail.SMTPPort, TLS: "none", From: "agentobs@example.com"}
	e := newAuthEnv(t, func(_ *auth.Config, h *Config) { h.SMTP, h.PublicURL = smtp, "https://obs.example.com/" })
	owner := e.register("ada@example.com", nil).str("access_token")
	a := e.do("POST", "/api/v1/team/invite", owner, map[string]any{"email": "ivy@example.com", "role": "admin"})
	if a.status != 201 || a.body["email_sent"] != true || a.body["link"] != nil {
		t.Fatalf("invite by mail = %d %s", a.status, a.raw)
	}
	var msgs []alerttest.Message
	for deadline := time.Now().Add(10 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		msgs = mail.Messages()
	}
	if len(msgs) != 1 || msgs[0].To[0].Address != "ivy@example.com" || !strings.Contains(msgs[0].Subject, "invited") {
		t.Fatalf("mails = %+v", msgs)
	}
	text, err := mail.Text(msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(text, "https://obs.example.com/invite/aoi_")
	if i < 0 || !strings.Contains(text, "as admin") {
		t.Fatalf("mail text = %q", text)
	}
	tok := inviteToken(t, strings.Fields(text[i:])[0])
	if v := e.do("GET", "/api/v1/invites/"+tok, "", nil); v.status != 200 || v.str("role") != "admin" {
		t.Errorf("the mailed link = %d %s", v.status, v.raw)
	}

	smtp.Port = alerttest.FreePort(t) // nothing listens there
	a = e.do("POST", "/api/v1/team/invite", owner, map[string]any{"email": "bob@example.com", "role": "member"})
	if a.status != 201 || a.body["email_sent"] != false || !strings.Contains(a.str("email_error"), "cannot reach mail server") || a.str("link") == "" {
		t.Errorf("invite with the mail server down = %d %s", a.status, a.raw)
	}
}
