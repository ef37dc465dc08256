package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

func (a *API) listMembers(r *http.Request) (any, error) {
	return a.cfg.Auth.ListMembers(r.Context(), principal(r.Context()))
}

// InviteAnswer is the answer of POST /api/v1/team/invite. An invite of an email without an
// account has a link: emailed when mail is configured, else (or when sending failed) given
// here for the inviter to pass on. Link is never given when the email went out.
type InviteAnswer struct {
	*auth.InviteResult
	Link      string `json:"link,omitempty"`
	EmailSent bool   `json:"email_sent"`
	// EmailError says why the email could not be sent, when mail is configured.
	EmailError string `json:"email_error,omitempty"`
}

func (a *API) invite(r *http.Request) (any, error) {
	var in struct {
		Email         string     `json:"email"`
		Role          model.Role `json:"role"`
		ExpiresInDays float64    `json:"expires_in_days"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	ttl := time.Duration(in.ExpiresInDays * float64(24*time.Hour))
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 0 && ttl == 0 {
		ttl = -1 // refused by Invite, naming the field
	}
	p := principal(r.Context())
	res, err := a.cfg.Auth.Invite(r.Context(), p, in.Email, in.Role, ttl)
	if err != nil {
		return nil, err
	}
	a.audit(r, "member.invite", model.NormalizeEmail(in.Email), map[string]any{"role": in.Role})
	ans := InviteAnswer{InviteResult: res}
	if res.Token != "" {
		link := a.publicURL(r) + "/invite/" + res.Token
		ans.EmailSent, ans.EmailError = a.mailInvite(r.Context(), p.WorkspaceID, res.Invite, link)
		if !ans.EmailSent {
			ans.Link = link
		}
	}
	return response{status: http.StatusCreated, body: ans}, nil
}

// publicURL is where the web app is reached, for links.
func (a *API) publicURL(r *http.Request) string {
	if a.cfg.PublicURL != "" {
		return strings.TrimRight(a.cfg.PublicURL, "/")
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return o
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// mailConfig is how invite emails leave: the server's SMTP settings, else the workspace's
// email integration; false when neither is configured.
func (a *API) mailConfig(ctx context.Context, ws string) (alert.ChannelConfig, bool, error) {
	if a.cfg.SMTP != nil {
		return *a.cfg.SMTP, true, nil
	}
	st, ok := a.cfg.Store.(alert.Store)
	if !ok {
		return alert.ChannelConfig{}, false, nil
	}
	sealed, _, err := st.GetIntegration(ctx, ws, "email")
	if model.ErrorCode(err) == model.ENOTFOUND {
		return alert.ChannelConfig{}, false, nil
	}
	if err != nil {
		return alert.ChannelConfig{}, false, err
	}
	c, err := a.cfg.Sealer.Open(ws, "email", sealed)
	return c, err == nil, err
}

// mailInvite emails the invite's link; it reports whether the email went out and, when
// mail is configured but failed, why.
func (a *API) mailInvite(ctx context.Context, ws string, inv *model.Invite, link string) (bool, string) {
	c, ok, err := a.mailConfig(ctx, ws)
	if err != nil {
		a.cfg.Log.Warn("cannot read the mail settings for an invite", "workspace", ws, "err", err)
		return false, "cannot read the mail settings: " + err.Error()
	}
	if !ok {
		return false, ""
	}
	name := "a workspace"
	if st, ok := a.cfg.Store.(interface {
		GetWorkspace(ctx context.Context, id string) (*model.Workspace, error)
	}); ok {
		if w, err := st.GetWorkspace(ctx, ws); err == nil {
			name = w.Name
		}
	}
	c.To = []string{inv.Email}
	subject := "You are invited to " + name + " on agentobs"
	body := "You have been invited to join " + name + " on agentobs as " + string(inv.Role) + ".\n\n" +
		"Accept or decline: " + link + "\n\n" +
		"The link works until " + inv.ExpiresAt.UTC().Format("2 January 2006 15:04 MST") + ". If you did not expect it, ignore this email.\n"
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := a.cfg.Senders.Mail(ctx, c, "invite-"+auth.NewUUID(), subject, body); err != nil {
		a.cfg.Log.Warn("cannot email an invite", "workspace", ws, "err", err)
		return false, err.Error()
	}
	return true, ""
}

func (a *API) viewInvite(r *http.Request) (any, error) {
	return a.cfg.Auth.ViewInvite(r.Context(), r.PathValue("token"))
}

func (a *API) declineInvite(r *http.Request) (any, error) {
	inv, err := a.cfg.Auth.DeclineInvite(r.Context(), r.PathValue("token"))
	if err != nil {
		return nil, err
	}
	a.cfg.Log.Info("invite declined", "workspace", inv.WorkspaceID)
	return response{status: http.StatusNoContent}, nil
}

func (a *API) cancelInvite(r *http.Request) (any, error) {
	if err := a.cfg.Auth.CancelInvite(r.Context(), principal(r.Context()), r.PathValue("email")); err != nil {
		return nil, err
	}
	a.audit(r, "member.invite_cancel", model.NormalizeEmail(r.PathValue("email")), nil)
	return response{status: http.StatusNoContent}, nil
}

func (a *API) setRole(r *http.Request) (any, error) {
	var in struct {
		Role model.Role `json:"role"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	if err := a.cfg.Auth.SetRole(r.Context(), principal(r.Context()), r.PathValue("user_id"), in.Role); err != nil {
		return nil, err
	}
	a.audit(r, "member.role", r.PathValue("user_id"), map[string]any{"role": in.Role})
	return map[string]any{"user_id": r.PathValue("user_id"), "role": in.Role}, nil
}

func (a *API) removeMember(r *http.Request) (any, error) {
	p := principal(r.Context())
	if err := a.cfg.Auth.RemoveMember(r.Context(), p, r.PathValue("user_id"), allowed(p, PermAdmin)); err != nil {
		return nil, err
	}
	a.audit(r, "member.remove", r.PathValue("user_id"), nil)
	return response{status: http.StatusNoContent}, nil
}
