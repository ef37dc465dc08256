package auth

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentobs/agentobs/internal/model"
)

// Issuer is the iss claim of every access token.
const Issuer = "agentobs"

// AccessClaims are the claims of an access token. An access token is bound to one
// workspace (wid) and one sign-in session (sid, the refresh-token family), so that
// switching workspace issues a new token and signing out ends the session's tokens.
type AccessClaims struct {
	WorkspaceID string `json:"wid,omitempty"`
	SessionID   string `json:"sid"`
	jwt.RegisteredClaims
}

// Tokens signs and verifies access tokens with an HMAC secret.
type Tokens struct {
	secret []byte
	method jwt.SigningMethod
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens checks the settings: algorithm HS256, HS384 or HS512 (JWT_ALGORITHM), a
// secret of at least 32 bytes (JWT_SECRET) and a positive lifetime.
func NewTokens(secret []byte, algorithm string, ttl time.Duration) (*Tokens, error) {
	var m jwt.SigningMethod
	switch strings.ToUpper(algorithm) {
	case "", "HS256":
		m = jwt.SigningMethodHS256
	case "HS384":
		m = jwt.SigningMethodHS384
	case "HS512":
		m = jwt.SigningMethodHS512
	default:
		return nil, fmt.Errorf("JWT algorithm %q is not supported: use HS256, HS384 or HS512", algorithm)
	}
	if len(secret) < 32 {
		return nil, fmt.Errorf("JWT secret must be at least 32 bytes (generate one with: openssl rand -base64 32)")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("JWT expiration must be positive")
	}
	return &Tokens{secret: secret, method: m, ttl: ttl, now: time.Now}, nil
}

// TTL is the lifetime of an access token.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed access token and its expiry.
func (t *Tokens) Issue(userID, workspaceID, sessionID string) (string, time.Time, error) {
	now := t.now().UTC().Truncate(time.Second)
	exp := now.Add(t.ttl)
	claims := AccessClaims{
		WorkspaceID: workspaceID,
		SessionID:   sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        randomToken(""),
		},
	}
	s, err := jwt.NewWithClaims(t.method, claims).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("cannot sign access token: %w", err)
	}
	return s, exp, nil
}

// Parse verifies an access token: signature with the configured algorithm only (so alg
// none or a switch to another algorithm is refused), issuer, expiry and subject.
func (t *Tokens) Parse(token string) (*AccessClaims, error) {
	var c AccessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{t.method.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		msg := "invalid access token"
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "access token expired: refresh it at POST /api/v1/auth/refresh"
		}
		return nil, model.Errorf(model.EUNAUTHORIZED, "%s", msg)
	}
	if c.Subject == "" || c.SessionID == "" {
		return nil, model.Errorf(model.EUNAUTHORIZED, "invalid access token")
	}
	return &c, nil
}

// LooksLikeJWT tells a bearer credential that is an access token from an API key.
func LooksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && !strings.HasPrefix(s, KeyPrefix)
}

// RefreshPrefix starts every refresh token.
const RefreshPrefix = "aor_"

// randomToken returns prefix followed by 32 random base32 characters (160 bits).
func randomToken(prefix string) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// HashRefreshToken is the stored form of a refresh token; like API keys these are long
// random strings, so a fast hash suffices.
func HashRefreshToken(tok string) string { return HashAPIKey(tok) }
