package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

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

// credential is what a request presents: an API key or an access token.
type credential struct {
	secret string
	token  bool // a JWT access token rather than an API key
}

// maxCredentialLength bounds what is hashed or parsed per request.
const maxCredentialLength = 4096

// parseCredential reads X-API-Key, else Authorization: Bearer. A bearer value that looks
// like a JWT is an access token; anything else is an API key (the SDKs send keys as bearer).
func parseCredential(authorization, xAPIKey string) (credential, error) {
	bad := func(msg string) (credential, error) {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "%s", msg)
	}
	if xAPIKey != "" {
		k := strings.TrimSpace(xAPIKey)
		if k == "" || len(k) > maxCredentialLength || strings.ContainsFunc(k, isSpaceOrControl) {
			return bad("malformed X-API-Key header")
		}
		return credential{secret: k}, nil
	}
	if authorization == "" {
		return bad("missing credentials: send Authorization: Bearer <API key or access token>, or X-API-Key")
	}
	scheme, value, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if ok && strings.EqualFold(scheme, "basic") {
		return basicCredential(strings.TrimSpace(value))
	}
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return bad("Authorization must use the Bearer scheme (or Basic, public key and API key, as Langfuse SDKs send)")
	}
	value = strings.TrimSpace(value)
	if value == "" || len(value) > maxCredentialLength || strings.ContainsFunc(value, isSpaceOrControl) {
		return bad("malformed bearer credential")
	}
	return credential{secret: value, token: auth.LooksLikeJWT(value)}, nil
}

// basicCredential reads Basic credentials as Langfuse SDKs send them: the user is their
// public key, which is not needed to identify the workspace, and the password is an API key.
func basicCredential(value string) (credential, error) {
	if value == "" || len(value) > 2*maxCredentialLength {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "malformed Basic credential")
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "malformed Basic credential: not base64")
	}
	_, secret, ok := strings.Cut(string(raw), ":")
	if !ok || secret == "" || len(secret) > maxCredentialLength || strings.ContainsFunc(secret, isSpaceOrControl) {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "malformed Basic credential: the password must be an API key")
	}
	return credential{secret: secret}, nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// authenticate identifies the caller of a request.
func (a *API) authenticate(r *http.Request) (*auth.Principal, error) {
	c, err := parseCredential(r.Header.Get("Authorization"), r.Header.Get("X-API-Key"))
	if err != nil {
		return nil, err
	}
	if c.token {
		return a.cfg.Auth.AuthenticateToken(r.Context(), c.secret)
	}
	return a.cfg.Auth.AuthenticateKey(r.Context(), c.secret)
}

// authorize admits callers holding perm, then spends their rate-limit budget. A caller of
// another workspace is never refused here: it passes with its own workspace, and every
// query it can make is scoped to that, so objects of other workspaces are simply not found.
func (a *API) authorize(perm Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err != nil {
			if model.ErrorCode(err) == model.EUNAUTHORIZED {
				a.metrics.rejected.WithLabelValues("unauthorized").Inc()
			}
			a.writeProblem(w, r, err)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.workspace = p.WorkspaceID
		}
		if !allowed(p, perm) {
			a.writeProblem(w, r, denial(p, perm))
			return
		}
		if perm != PermUser {
			d, err := a.cfg.Auth.Throttle(r.Context(), p)
			if err != nil {
				a.writeProblem(w, r, err)
				return
			}
			setRateLimitHeaders(w.Header(), d)
			if !d.Allowed {
				a.metrics.rejected.WithLabelValues("rate_limited").Inc()
				w.Header().Set("Retry-After", strconv.Itoa(max(auth.Seconds(d.RetryAfter), 1)))
				a.writeProblem(w, r, model.Errorf(model.ETOOMANYREQUEST, "rate limit exceeded for %s; retry in %d s",
					limitedWhat(p), max(auth.Seconds(d.RetryAfter), 1)))
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxPrincipalKey{}, p)))
	})
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

// setRateLimitHeaders writes the RateLimit-* fields of the IETF draft
// (draft-ietf-httpapi-ratelimit-headers) for the tighter of the caller's limits.
func setRateLimitHeaders(h http.Header, d auth.Decision) {
	if d.Limit == 0 {
		return // unlimited
	}
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(auth.Seconds(d.Reset)))
}

// clientAddr is the address login throttling counts by: the peer's address, or, when the
// peer is a trusted proxy, the last address in X-Forwarded-For that is not one.
func (a *API) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !a.trusted(addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !a.trusted(hop) {
			return hop.String()
		}
	}
	return host
}

func (a *API) trusted(addr netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// --- request bodies ---------------------------------------------------------------------

// decodeJSON reads a JSON object into v, refusing unknown fields and reporting mistyped
// ones with their path. An empty body leaves v as it is when optional is set.
func (a *API) decodeJSON(r *http.Request, v any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	body, err := a.readJSONBody(nil, r)
	if err != nil {
		return err
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var path model.Path
	detail := "malformed JSON: " + err.Error()
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		for _, part := range strings.Split(te.Field, ".") {
			// Go names of embedded structs are not part of the JSON path; JSON names are snake_case.
			if part != "" && !(part[0] >= 'A' && part[0] <= 'Z') {
				path = append(path, part)
			}
		}
		detail = "must be of type " + jsonTypeName(te.Type.Kind().String())
	case errors.As(err, &pe):
		detail = "must be an RFC 3339 time such as 2026-12-31T00:00:00Z"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		path, detail = model.Path{name}, "unknown field"
	}
	return &model.Error{Code: model.EINVALID, Message: "invalid request body", Fields: []model.FieldError{{Path: path, Detail: detail}}}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

// --- sessions ---------------------------------------------------------------------------

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

func (a *API) me(r *http.Request) (any, error) {
	return a.cfg.Auth.Me(r.Context(), principal(r.Context()))
}

// --- workspaces ---------------------------------------------------------------------------

func (a *API) listWorkspaces(r *http.Request) (any, error) {
	me, err := a.cfg.Auth.Me(r.Context(), principal(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"workspaces": me.Workspaces}, nil
}

func (a *API) createWorkspace(r *http.Request) (any, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	ws, err := a.cfg.Auth.CreateWorkspace(r.Context(), principal(r.Context()), in.Name)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: ws}, nil
}

// WorkspaceView is the caller's workspace with the rate limits in force.
type WorkspaceView struct {
	model.Workspace
	Role       model.Role       `json:"role,omitempty"`
	RateLimits model.RateLimits `json:"rate_limits"` // the workspace's overrides (0: default)
	Effective  EffectiveLimits  `json:"effective_rate_limits"`
}

// EffectiveLimits are the limits in force; a rate of 0 means unlimited.
type EffectiveLimits struct {
	KeyRate        float64 `json:"key_rate"`
	KeyBurst       int     `json:"key_burst"`
	WorkspaceRate  float64 `json:"workspace_rate"`
	WorkspaceBurst int     `json:"workspace_burst"`
}

func (a *API) getWorkspace(r *http.Request) (any, error) {
	p := principal(r.Context())
	ws, err := a.cfg.Auth.Workspace(r.Context(), p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	o, kl, wl, err := a.cfg.Auth.WorkspaceLimits(r.Context(), p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return WorkspaceView{Workspace: *ws, Role: p.Role, RateLimits: o,
		Effective: EffectiveLimits{KeyRate: kl.Rate, KeyBurst: kl.Burst, WorkspaceRate: wl.Rate, WorkspaceBurst: wl.Burst}}, nil
}

func (a *API) updateWorkspace(r *http.Request) (any, error) {
	var in struct {
		Name       *string           `json:"name"`
		RateLimits *model.RateLimits `json:"rate_limits"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	p := principal(r.Context())
	if in.Name != nil {
		if err := a.cfg.Auth.RenameWorkspace(r.Context(), p, *in.Name); err != nil {
			return nil, err
		}
	}
	if in.RateLimits != nil {
		if err := a.cfg.Auth.SetWorkspaceLimits(r.Context(), p.WorkspaceID, *in.RateLimits); err != nil {
			return nil, err
		}
	}
	return a.getWorkspace(r)
}

// --- API keys -----------------------------------------------------------------------------

func (a *API) createAPIKey(r *http.Request) (any, error) {
	var in auth.CreateKeyInput
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	k, err := a.cfg.Auth.CreateAPIKey(r.Context(), principal(r.Context()), in)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: k, headers: map[string]string{"Cache-Control": "no-store"}}, nil
}

func (a *API) listAPIKeys(r *http.Request) (any, error) {
	p := principal(r.Context())
	keys, err := a.cfg.Auth.ListAPIKeys(r.Context(), p, allowed(p, PermAdmin))
	if err != nil {
		return nil, err
	}
	return map[string]any{"api_keys": keys}, nil
}

func (a *API) revokeAPIKey(r *http.Request) (any, error) {
	p := principal(r.Context())
	return a.cfg.Auth.RevokeAPIKey(r.Context(), p, r.PathValue("id"), allowed(p, PermAdmin))
}

// --- team ---------------------------------------------------------------------------------

func (a *API) listMembers(r *http.Request) (any, error) {
	return a.cfg.Auth.ListMembers(r.Context(), principal(r.Context()))
}

func (a *API) invite(r *http.Request) (any, error) {
	var in struct {
		Email string     `json:"email"`
		Role  model.Role `json:"role"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return nil, err
	}
	res, err := a.cfg.Auth.Invite(r.Context(), principal(r.Context()), in.Email, in.Role)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: res}, nil
}

func (a *API) cancelInvite(r *http.Request) (any, error) {
	if err := a.cfg.Auth.CancelInvite(r.Context(), principal(r.Context()), r.PathValue("email")); err != nil {
		return nil, err
	}
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
	return map[string]any{"user_id": r.PathValue("user_id"), "role": in.Role}, nil
}

func (a *API) removeMember(r *http.Request) (any, error) {
	p := principal(r.Context())
	if err := a.cfg.Auth.RemoveMember(r.Context(), p, r.PathValue("user_id"), allowed(p, PermAdmin)); err != nil {
		return nil, err
	}
	return response{status: http.StatusNoContent}, nil
}

// authRoutes are the gateway's own routes: sessions, workspaces, keys and the team.
func (a *API) authRoutes(add addRoute) {
	add("POST /api/v1/auth/register", PermPublic, a.register)
	add("POST /api/v1/auth/login", PermPublic, a.login)
	add("POST /api/v1/auth/refresh", PermPublic, a.refresh)
	add("POST /api/v1/auth/switch", PermPublic, a.switchWorkspace)
	add("POST /api/v1/auth/logout", PermPublic, a.logout)
	add("GET /api/v1/auth/me", PermUser, a.me)
	add("GET /api/v1/workspaces", PermUser, a.listWorkspaces)
	add("POST /api/v1/workspaces", PermUser, a.createWorkspace)
	add("GET /api/v1/workspace", PermRead, a.getWorkspace)
	add("PUT /api/v1/workspace", PermAdmin, a.updateWorkspace)
	add("POST /api/v1/api-keys", PermWrite, a.createAPIKey)
	add("GET /api/v1/api-keys", PermWrite, a.listAPIKeys)
	add("DELETE /api/v1/api-keys/{id}", PermWrite, a.revokeAPIKey)
	add("GET /api/v1/team/members", PermWrite, a.listMembers)
	add("POST /api/v1/team/invite", PermAdmin, a.invite)
	add("DELETE /api/v1/team/invites/{email}", PermAdmin, a.cancelInvite)
	add("PUT /api/v1/team/members/{user_id}/role", PermAdmin, a.setRole)
	add("DELETE /api/v1/team/members/{user_id}", PermWrite, a.removeMember)
}

// --- gateway ------------------------------------------------------------------------------

// gateway adds security headers to every answer and applies CORS: allowed origins get
// credentialed CORS answers and preflights are answered here, before routing.
func (a *API) gateway(next http.Handler) http.Handler {
	allowAll := false
	origins := map[string]bool{}
	for _, o := range a.cfg.CORSOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "*" {
			allowAll = true
		} else if o != "" {
			origins[strings.ToLower(o)] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Origin")
		if !allowAll && !origins[strings.ToLower(origin)] {
			next.ServeHTTP(w, r) // no CORS headers: the browser keeps the answer from the page
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if !allowAll {
			// Credentials (the refresh cookie) only for origins named one by one.
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Location")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding, X-API-Key, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// defaultAuth builds an auth service when the caller gave none: for the store in Config,
// with a random token secret, so that API keys work exactly as in a real process.
func defaultAuth(cfg Config) *auth.Service {
	st, ok := cfg.Store.(auth.Store)
	if !ok || cfg.Keys == nil {
		return nil
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, _ := auth.NewTokens(secret, "HS256", 15*time.Minute)
	return auth.NewService(auth.Config{Store: st, Tokens: tokens, Keys: cfg.Keys, Log: cfg.Log})
}
