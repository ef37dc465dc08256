package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/query"
)

// TestDashboardsUnderSmallMemoryLimit answers every dashboard and explorer route with the
// database held to a small memory limit: the answers must equal those without it (DuckDB
// spills what does not fit). Held to almost nothing (16MB), a route either still answers the same or
// fails with a 503 problem, never a 500 or a crash.
func TestDashboardsUnderSmallMemoryLimit(t *testing.T) {
	q := newQueryServer(t)
	// A fixed window, so that the answers do not move with the clock between the rounds.
	to := time.Now().UTC().Truncate(time.Minute)
	window := url.Values{"from": {to.Add(-7 * 24 * time.Hour).Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}.Encode()
	var paths []string
	for _, e := range query.Endpoints() {
		if e.Method != http.MethodGet || strings.Contains(e.Path, "{") || e.Path == "/api/v1/performance/thresholds" || e.Path == "/api/v1/cost/budget" {
			continue
		}
		paths = append(paths, e.Path+"?"+window)
	}
	paths = append(paths, "/api/v1/traces?sort=latency_ms&"+window, "/api/v1/traces?sort=cost_usd&order=asc&"+window,
		"/api/v1/traces?q=the&"+window, "/api/v1/sessions?limit=5&offset=3&"+window, "/api/v1/users?sort=last_seen&"+window)
	get := func(path string) qAnswer {
		req, _ := http.NewRequest("GET", q.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+queryKey)
		req.Header.Set("Cache-Control", "no-cache")
		return q.doReq(t, req)
	}
	want := map[string]string{}
	for i, p := range paths {
		a := get(p)
		if a.status == 400 && strings.Contains(string(a.body), `"field":"from"`) {
			// A route without a window (the feeds).
			p, _, _ = strings.Cut(p, "?")
			paths[i], a = p, get(p)
		}
		if a.status != 200 {
			t.Fatalf("GET %s = %d: %s", p, a.status, a.body)
		}
		want[p] = string(a.body)
	}
	ctx := context.Background()
	if err := q.st.SetMemoryLimit(ctx, "64MB"); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if a := get(p); a.status != 200 || string(a.body) != want[p] {
			t.Errorf("GET %s under 64MB = %d %.300s", p, a.status, a.body)
		}
	}
	if err := q.st.SetMemoryLimit(ctx, "16MB"); err != nil {
		t.Fatal(err)
	}
	unavailable := 0
	for _, p := range paths {
		a := get(p)
		switch {
		case a.status == 200 && string(a.body) == want[p]:
		case a.status == 503 && strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") &&
			strings.Contains(string(a.body), "memory"):
			unavailable++
		default:
			t.Errorf("GET %s under 16MB = %d %.300s", p, a.status, a.body)
		}
	}
	t.Logf("%d of %d routes answered 503 under 16MB", unavailable, len(paths))
}
