package httpapi

import (
	"encoding/base64"
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
// A public key that looks like ours (ao_...) must be the start of that API key, such as the
// prefix the key list shows, so a key pasted into the wrong variable is caught; any other
// public key (pk-lf-..., left from Langfuse) is ignored.
func basicCredential(value string) (credential, error) {
	if value == "" || len(value) > 2*maxCredentialLength {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "malformed Basic credential")
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "malformed Basic credential: not base64")
	}
	public, secret, ok := strings.Cut(string(raw), ":")
	if !ok || secret == "" || len(secret) > maxCredentialLength || strings.ContainsFunc(secret, isSpaceOrControl) {
		return credential{}, model.Errorf(model.EUNAUTHORIZED, "malformed Basic credential: the password must be an API key")
	}
	if strings.HasPrefix(public, auth.KeyPrefix) && !strings.HasPrefix(secret, public) {
		return credential{}, model.Errorf(model.EUNAUTHORIZED,
			"the public key %q is not the start of the API key sent as secret key: use the key's prefix (or any Langfuse public key)", auth.DisplayPrefix(public))
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
