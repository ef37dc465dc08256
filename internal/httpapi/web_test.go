package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
)

const testIndex = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

var testScript = strings.Repeat("console.log('agentobs');\n", 100)

func newWebTestServer(t *testing.T, files fstest.MapFS) *httptest.Server {
	t.Helper()
	api := New(Config{Registry: prometheus.NewRegistry(), Version: "test", Web: files, API: true})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func builtApp() fstest.MapFS {
	return fstest.MapFS{
		".keep":                  {Data: []byte("placeholder\n")},
		"index.html":             {Data: []byte(testIndex)},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"assets/index-abc123.js": {Data: []byte(testScript)},
	}
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// The transport would add Accept-Encoding and decompress on its own; the tests look at
	// the raw encoding.
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestWebServesIndexForAppRoutes(t *testing.T) {
	srv := newWebTestServer(t, builtApp())
	for _, path := range []string{"/", "/index.html", "/dashboard", "/dashboard/traces/trace.with.dots", "/signin?next=%2Fdashboard", "/../../etc/passwd"} {
		t.Run(path, func(t *testing.T) {
			res, body := get(t, srv.URL+path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if string(body) != testIndex {
				t.Fatalf("body = %q, want index.html", body)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q", got)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}

func TestWebHashedAssetsAreCachedAndGzipped(t *testing.T) {
	srv := newWebTestServer(t, builtApp())
	res, body := get(t, srv.URL+"/assets/index-abc123.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := res.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("Vary = %q", got)
	}
	if got := res.Header.Get("Content-Type"); !strings.Contains(got, "javascript") {
		t.Errorf("Content-Type = %q", got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != testScript {
		t.Fatalf("decompressed body differs from the file")
	}
	if len(body) >= len(testScript) {
		t.Errorf("gzip body %d bytes, plain %d", len(body), len(testScript))
	}

	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	res, _ = get(t, srv.URL+"/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation status = %d, want 304", res.StatusCode)
	}

	res, body = get(t, srv.URL+"/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if res.Header.Get("Content-Encoding") != "" || string(body) != testScript {
		t.Errorf("gzip;q=0 still got Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	res, body = get(t, srv.URL+"/assets/index-abc123.js", nil)
	if res.Header.Get("Content-Encoding") != "" || string(body) != testScript {
		t.Errorf("no Accept-Encoding still got Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
}

func TestWebOtherFiles(t *testing.T) {
	srv := newWebTestServer(t, builtApp())
	res, _ := get(t, srv.URL+"/favicon.svg", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("favicon: status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	res, body := get(t, srv.URL+"/assets/index-old999.js", nil)
	if res.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("<html")) {
		t.Errorf("missing hashed asset: status %d, body %q", res.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/dashboard/usage", nil)
	head, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK || !strings.HasPrefix(head.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HEAD: status %d, Content-Type %q", head.StatusCode, head.Header.Get("Content-Type"))
	}
}

func TestWebLeavesAPIPathsToTheAPI(t *testing.T) {
	srv := newWebTestServer(t, builtApp())
	for _, path := range []string{"/api/v1/nope", "/api", "/v1/traces", "/metrics/extra", "/health/deep"} {
		t.Run(path, func(t *testing.T) {
			res, body := get(t, srv.URL+path, nil)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("status = %d, want 404", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != "application/problem+json" {
				t.Fatalf("Content-Type = %q, want a problem document", got)
			}
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Status != http.StatusNotFound {
				t.Fatalf("problem = %+v, err %v", p, err)
			}
		})
	}
	res, body := get(t, srv.URL+"/health", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("/health: status %d, body %s", res.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dashboard", nil)
	post, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusNotFound || post.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("POST /dashboard: status %d, Content-Type %q", post.StatusCode, post.Header.Get("Content-Type"))
	}
}

func TestWebWithoutBuild(t *testing.T) {
	srv := newWebTestServer(t, fstest.MapFS{".keep": {Data: []byte("placeholder\n")}})
	res, body := get(t, srv.URL+"/", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "not part of this build") {
		t.Errorf("/: status %d, body %q", res.StatusCode, body)
	}
	res, _ = get(t, srv.URL+"/dashboard", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/dashboard: status %d, want 404", res.StatusCode)
	}
}

// The embedded build always compiles: the placeholder keeps dist/ non-empty.
func TestWebEmbeddedBuildOpens(t *testing.T) {
	api := New(Config{Registry: prometheus.NewRegistry(), Version: "test", API: true})
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	res, _ := get(t, srv.URL+"/", nil)
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}
}
