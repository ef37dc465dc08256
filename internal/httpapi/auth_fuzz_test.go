package httpapi

import (
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// FuzzParseCredential feeds arbitrary Authorization and X-API-Key headers to the parser:
// it must never panic, refuse with 401 only, and accept only credentials that are safe to
// hash or parse (bounded, no whitespace or control characters).
func FuzzParseCredential(f *testing.F) {
	seeds := [][2]string{
		{"Bearer ao_abcdefghijklmnopqrstuvwxyz234567", ""},
		{"bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig", ""},
		{"", "ao_abcdefghijklmnopqrstuvwxyz234567"},
		{"Basic dXNlcjpwYXNz", ""},
		{"Basic cGstbGYtMTphb19hYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejIzNDU2Nw==", ""},
		{"basic OmV5SmhiR2NpT2lKSVV6STFOaUo5LmV5SnpkV0lpT2lKNEluMC5zaWc=", ""},
		{"Bearer", ""},
		{"Bearer  ", ""},
		{"Bearer a b", ""},
		{"Bearer \x00\x7f", " \t"},
		{"BEARER " + strings.Repeat("x", 5000), ""},
		{"Bearer a.b.c", "key"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, authorization, xAPIKey string) {
		c, err := parseCredential(authorization, xAPIKey)
		if err != nil {
			if model.ErrorCode(err) != model.EUNAUTHORIZED {
				t.Fatalf("error code %q for %q / %q", model.ErrorCode(err), authorization, xAPIKey)
			}
			return
		}
		if c.secret == "" || len(c.secret) > maxCredentialLength || strings.ContainsFunc(c.secret, isSpaceOrControl) {
			t.Fatalf("accepted unsafe credential %q", c.secret)
		}
		scheme, _, _ := strings.Cut(strings.TrimSpace(authorization), " ")
		basic := xAPIKey == "" && strings.EqualFold(scheme, "basic")
		if basic && c.token {
			t.Fatalf("a Basic password taken as an access token: %q", c.secret)
		}
		if xAPIKey == "" && !basic && c.token != auth.LooksLikeJWT(c.secret) {
			t.Fatalf("token = %v for %q", c.token, c.secret)
		}
		if xAPIKey != "" && c.token {
			t.Fatalf("X-API-Key taken as an access token: %q", xAPIKey)
		}
	})
}
