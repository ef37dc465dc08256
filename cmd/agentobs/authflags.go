package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/app"
	"github.com/agentobs/agentobs/internal/auth"
)

// authFlags are serve's settings of accounts, tokens, API keys and the gateway. The
// JWT_* and API_KEY_SALT names are the plan's.
type authFlags struct {
	jwtSecret, jwtAlgorithm, jwtHours, salt   string
	cors, proxies, cookieSecure, registration string
	keyRate, workspaceRate                    string
	keyBurst, workspaceBurst                  int
	refreshTTL                                time.Duration
}

func (f *authFlags) bind(s *settings) {
	s.str(&f.jwtSecret, "jwt-secret", "JWT_SECRET", "", "secret that signs access tokens, at least 32 characters (default: generated once into the data directory)")
	s.str(&f.jwtAlgorithm, "jwt-algorithm", "JWT_ALGORITHM", "HS256", "access token signature: HS256, HS384 or HS512")
	s.str(&f.jwtHours, "jwt-expiration-hours", "JWT_EXPIRATION_HOURS", "0.25", "access token lifetime in hours (fractions allowed: 0.25 is 15 minutes)")
	s.duration(&f.refreshTTL, "refresh-ttl", "AGENTOBS_REFRESH_TTL", 30*24*time.Hour, "how long a sign-in lasts without being refreshed")
	s.str(&f.salt, "api-key-salt", "API_KEY_SALT", "", "secret the API key hash is keyed with; changing it invalidates all keys (default: generated once into the data directory)")
	s.str(&f.cors, "cors-origins", "AGENTOBS_CORS_ORIGINS", "", "comma-separated origins allowed to call the API from browsers, e.g. https://app.example.com (* allows any, without cookies)")
	s.str(&f.proxies, "trusted-proxies", "AGENTOBS_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed")
	s.str(&f.cookieSecure, "cookie-secure", "AGENTOBS_COOKIE_SECURE", "false", "mark the refresh cookie Secure even on plain HTTP (set when TLS ends at a proxy)")
	s.str(&f.registration, "registration", "AGENTOBS_REGISTRATION", "open", "who may sign up: open (anyone) or invite (the first user, then invited emails only)")
	s.str(&f.keyRate, "rate-limit-key", "AGENTOBS_RATE_LIMIT_KEY", "10000", "requests per second per API key or user (0: unlimited); workspaces may override it")
	s.integer(&f.keyBurst, "rate-limit-key-burst", "AGENTOBS_RATE_LIMIT_KEY_BURST", 20000, "requests per API key or user allowed at once")
	s.str(&f.workspaceRate, "rate-limit-workspace", "AGENTOBS_RATE_LIMIT_WORKSPACE", "20000", "requests per second per workspace (0: unlimited); workspaces may override it")
	s.integer(&f.workspaceBurst, "rate-limit-workspace-burst", "AGENTOBS_RATE_LIMIT_WORKSPACE_BURST", 40000, "requests per workspace allowed at once")
}

func (f *authFlags) config() (app.AuthConfig, error) {
	c := app.AuthConfig{JWTSecret: f.jwtSecret, JWTAlgorithm: f.jwtAlgorithm, APIKeySalt: f.salt, RefreshTTL: f.refreshTTL}
	hours, err := strconv.ParseFloat(strings.TrimSpace(f.jwtHours), 64)
	if err != nil || hours <= 0 || hours > 24*365 {
		return c, usageError{fmt.Errorf("JWT_EXPIRATION_HOURS=%q: want a positive number of hours such as 0.25 or 24", f.jwtHours)}
	}
	c.JWTExpiration = time.Duration(hours * float64(time.Hour))
	if _, err := auth.NewTokens(make([]byte, 32), f.jwtAlgorithm, c.JWTExpiration); err != nil {
		return c, usageError{err}
	}
	if c.KeyLimit, err = parseLimit("AGENTOBS_RATE_LIMIT_KEY", f.keyRate, f.keyBurst); err != nil {
		return c, err
	}
	if c.WorkspaceLimit, err = parseLimit("AGENTOBS_RATE_LIMIT_WORKSPACE", f.workspaceRate, f.workspaceBurst); err != nil {
		return c, err
	}
	for _, o := range strings.Split(f.cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				return c, usageError{fmt.Errorf("AGENTOBS_CORS_ORIGINS: %q is not an origin such as https://app.example.com", o)}
			}
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	for _, p := range strings.Split(f.proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return c, usageError{fmt.Errorf("AGENTOBS_TRUSTED_PROXIES: %q is not an address or CIDR", p)}
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	switch c.Registration = strings.TrimSpace(f.registration); c.Registration {
	case auth.RegistrationOpen, auth.RegistrationInvite:
	default:
		return c, usageError{fmt.Errorf("AGENTOBS_REGISTRATION=%q: want open or invite", f.registration)}
	}
	if c.CookieSecure, err = strconv.ParseBool(f.cookieSecure); err != nil {
		return c, usageError{fmt.Errorf("AGENTOBS_COOKIE_SECURE=%q: want true or false", f.cookieSecure)}
	}
	return c, nil
}

func parseLimit(name, rate string, burst int) (auth.Limit, error) {
	r, err := strconv.ParseFloat(strings.TrimSpace(rate), 64)
	if err != nil || r < 0 {
		return auth.Limit{}, usageError{fmt.Errorf("%s=%q: want requests per second (0: unlimited)", name, rate)}
	}
	if burst < 1 {
		burst = max(int(r), 1)
	}
	return auth.Limit{Rate: r, Burst: burst}, nil
}
