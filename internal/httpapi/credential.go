package httpapi

import (
	"net/http"
	"strings"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

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
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return bad("Authorization must use the Bearer scheme")
	}
	value = strings.TrimSpace(value)
	if value == "" || len(value) > maxCredentialLength || strings.ContainsFunc(value, isSpaceOrControl) {
		return bad("malformed bearer credential")
	}
	return credential{secret: value, token: auth.LooksLikeJWT(value)}, nil
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
