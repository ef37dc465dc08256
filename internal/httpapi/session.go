package httpapi

import (
	"net/http"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// RefreshCookie holds the refresh token for browsers: httpOnly so scripts cannot read it,
// SameSite=Strict so other sites cannot make the browser send it, and scoped to the
// session endpoints.
const RefreshCookie = "agentobs_refresh"

const refreshCookiePath = "/api/v1/auth"

func (a *API) refreshCookie(r *http.Request, value string, expires time.Time) string {
	c := &http.Cookie{Name: RefreshCookie, Value: value, Path: refreshCookiePath, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: a.cfg.CookieSecure || r.TLS != nil}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c.String()
}

// sessionResponse answers with the session. In cookie mode the refresh token goes into
// the cookie and not into the body, so page scripts never see it.
func (a *API) sessionResponse(r *http.Request, s *auth.Session, cookie bool, status int) response {
	resp := response{status: status, body: s, headers: map[string]string{"Cache-Control": "no-store"}}
	if cookie {
		resp.headers["Set-Cookie"] = a.refreshCookie(r, s.RefreshToken, s.RefreshExpiresAt)
		s.RefreshToken = ""
	}
	return resp
}

// refreshInput is the body of refresh, switch and logout; every field is optional.
type refreshInput struct {
	RefreshToken string `json:"refresh_token"`
	WorkspaceID  string `json:"workspace_id"`
	Cookie       bool   `json:"cookie"`
}

// refreshToken returns the token from the body, else from the cookie (then answering in
// cookie mode).
func refreshToken(r *http.Request, in refreshInput) (string, bool) {
	if in.RefreshToken != "" {
		return in.RefreshToken, in.Cookie
	}
	if c, err := r.Cookie(RefreshCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", in.Cookie
}

type registerBody struct {
	auth.RegisterInput
	Cookie bool `json:"cookie"`
}

func (a *API) register(r *http.Request) (any, error) {
	var in registerBody
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	s, err := a.cfg.Auth.Register(r.Context(), in.RegisterInput, a.clientAddr(r))
	if err != nil {
		return nil, err
	}
	return a.sessionResponse(r, s, in.Cookie, http.StatusCreated), nil
}

type loginBody struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	WorkspaceID string `json:"workspace_id"`
	Cookie      bool   `json:"cookie"`
}

func (a *API) login(r *http.Request) (any, error) {
	var in loginBody
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	s, err := a.cfg.Auth.Login(r.Context(), in.Email, in.Password, in.WorkspaceID, a.clientAddr(r))
	if err != nil {
		return nil, err
	}
	return a.sessionResponse(r, s, in.Cookie, http.StatusOK), nil
}

func (a *API) refresh(r *http.Request) (any, error) {
	var in refreshInput
	if err := a.decodeJSON(r, &in, true); err != nil {
		return nil, err
	}
	return a.refreshWith(r, in)
}

func (a *API) refreshWith(r *http.Request, in refreshInput) (any, error) {
	tok, cookie := refreshToken(r, in)
	s, err := a.cfg.Auth.Refresh(r.Context(), tok, in.WorkspaceID)
	if err != nil {
		return nil, a.clearCookieOn(r, err, cookie)
	}
	return a.sessionResponse(r, s, cookie, http.StatusOK), nil
}

// switchWorkspace is refresh with a required workspace: the session moves to it.
func (a *API) switchWorkspace(r *http.Request) (any, error) {
	var in refreshInput
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	if in.WorkspaceID == "" {
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid request body",
			Fields: []model.FieldError{{Path: model.Path{"workspace_id"}, Detail: "is required"}}}
	}
	return a.refreshWith(r, in)
}

// clearCookieOn makes a failed cookie refresh also delete the dead cookie.
func (a *API) clearCookieOn(r *http.Request, err error, cookie bool) error {
	if !cookie || model.ErrorCode(err) != model.EUNAUTHORIZED {
		return err
	}
	return &headerError{err: err, headers: map[string]string{"Set-Cookie": a.refreshCookie(r, "", time.Time{})}}
}

// headerError is an error answered with extra response headers.
type headerError struct {
	err     error
	headers map[string]string
}

func (e *headerError) Error() string { return e.err.Error() }
func (e *headerError) Unwrap() error { return e.err }

// logout ends the session of the presented refresh token (body or cookie), or else of the
// presented access token. It always answers 204, so it can be repeated.
func (a *API) logout(r *http.Request) (any, error) {
	var in refreshInput
	if err := a.decodeJSON(r, &in, true); err != nil {
		return nil, err
	}
	tok, _ := refreshToken(r, in)
	if tok != "" {
		if err := a.cfg.Auth.Logout(r.Context(), tok); err != nil {
			return nil, err
		}
	} else if c, err := parseCredential(r.Header.Get("Authorization"), ""); err == nil && c.token {
		if p, err := a.cfg.Auth.AuthenticateToken(r.Context(), c.secret); err == nil {
			a.cfg.Auth.EndSession(r.Context(), p)
		}
	}
	return response{status: http.StatusNoContent, headers: map[string]string{
		"Set-Cookie": a.refreshCookie(r, "", time.Time{}), "Cache-Control": "no-store"}}, nil
}

// setupStatus tells the sign-up form whether to ask for the setup key.
func (a *API) setupStatus(r *http.Request) (any, error) {
	return a.cfg.Auth.Setup(r.Context())
}

func (a *API) me(r *http.Request) (any, error) {
	return a.cfg.Auth.Me(r.Context(), principal(r.Context()))
}
