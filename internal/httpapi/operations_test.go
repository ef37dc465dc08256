package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/auth"
)

func TestMetricsAccess(t *testing.T) {
	open := newAuthEnv(t)
	for _, tc := range []struct {
		name   string
		hdr    []string
		status int
	}{
		{"direct loopback caller", nil, 200},
		{"relayed by a local proxy", []string{"X-Forwarded-For", "203.0.113.9"}, 403},
		{"relayed with Forwarded", []string{"Forwarded", "for=203.0.113.9"}, 403},
	} {
		if a := open.do("GET", "/metrics", "", nil, tc.hdr...); a.status != tc.status {
			t.Errorf("no token, %s: /metrics = %d %s, want %d", tc.name, a.status, a.raw, tc.status)
		}
	}

	tokened := newAuthEnv(t, func(_ *auth.Config, h *Config) { h.MetricsToken = "scrape-secret-1234" })
	ops := httptest.NewServer(tokened.api.OpsHandler())
	defer ops.Close()
	for _, base := range []string{tokened.srv.URL, ops.URL} {
		for _, tc := range []struct {
			cred   string
			status int
		}{{"", 401}, {"wrong-token", 401}, {tokened.key, 401}, {"scrape-secret-1234", 200}} {
			a := request(t, base, "GET", "/metrics", tc.cred, nil)
			if a.status != tc.status {
				t.Errorf("token set, bearer %q on %s: /metrics = %d, want %d", tc.cred, base, a.status, tc.status)
			}
			if tc.status == 200 && !strings.Contains(a.raw, "agentobs_http_requests_total") {
				t.Errorf("metrics body lacks the request counter")
			}
		}
		if a := request(t, base, "GET", "/debug/pprof/", "", nil); base == ops.URL && a.status != 401 {
			t.Errorf("profiles without the token = %d, want 401", a.status)
		}
	}
	if a := request(t, ops.URL, "GET", "/debug/pprof/", "scrape-secret-1234", nil); a.status != 200 {
		t.Errorf("profiles with the token = %d", a.status)
	}

	split := newAuthEnv(t, func(_ *auth.Config, h *Config) { h.MetricsOnOpsOnly = true })
	if a := split.do("GET", "/metrics", "", nil); a.status != 404 {
		t.Errorf("/metrics on the API port with an operations listener = %d, want 404", a.status)
	}
	privOps := httptest.NewServer(split.api.OpsHandler())
	defer privOps.Close()
	if a := request(t, privOps.URL, "GET", "/metrics", "", nil); a.status != 200 {
		t.Errorf("operations listener without a token = %d, want 200", a.status)
	}
}
