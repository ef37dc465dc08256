package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/web"
)

// apiPrefixes are paths that belong to the API: a GET there that no route matched is a 404
// problem document, never the web app's index.html.
var apiPrefixes = []string{"/api", "/v1", "/health", "/ready", "/metrics"}

func isAPIPath(p string) bool {
	for _, prefix := range apiPrefixes {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// contentSecurityPolicy keeps trace content, which is untrusted, from ever running as script:
// the app renders it as text, and this forbids inline and foreign scripts besides.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// webAsset is one file of the build, read once; the build is immutable for the process's life.
type webAsset struct {
	body   []byte
	gz     []byte // nil when compressing does not pay
	etag   string
	ctype  string
	static bool // under assets/: the name carries a content hash
}

// webApp serves the single-page app: files of the build under their paths, index.html for
// every other non-API GET so client-side routes survive a reload.
type webApp struct {
	files   fs.FS
	version string

	mu    sync.Mutex
	cache map[string]*webAsset
}

func newWebApp(files fs.FS, version string) *webApp {
	if files == nil {
		files = web.Dist()
	}
	return &webApp{files: files, version: version, cache: map[string]*webAsset{}}
}

// asset returns the named file, or nil when the build has no such file.
func (wa *webApp) asset(name string) (*webAsset, error) {
	wa.mu.Lock()
	defer wa.mu.Unlock()
	if a, ok := wa.cache[name]; ok {
		return a, nil
	}
	body, err := fs.ReadFile(wa.files, name)
	if errors.Is(err, fs.ErrNotExist) || isDirErr(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a := &webAsset{
		body:   body,
		etag:   `"` + hex.EncodeToString(sum[:12]) + `"`,
		ctype:  mime.TypeByExtension(path.Ext(name)),
		static: strings.HasPrefix(name, "assets/"),
	}
	if a.ctype == "" {
		a.ctype = http.DetectContentType(body)
	}
	if compressible(a.ctype) && len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	wa.cache[name] = a
	return a, nil
}

func isDirErr(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "is a directory")
}

func compressible(ctype string) bool {
	for _, t := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml", "application/manifest+json", "application/wasm"} {
		if strings.HasPrefix(ctype, t) {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		// "gzip;q=0" refuses it; any other weight accepts it.
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err != nil || v > 0
	}
	return false
}

// webHandler is the route for every GET that no API route matched.
func (a *API) webHandler() http.Handler {
	wa := newWebApp(a.cfg.Web, a.cfg.Version)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if isAPIPath(p) {
			a.writeProblem(w, r, model.Errorf(model.ENOTFOUND, "no route for %s %s", r.Method, p))
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+p), "/")
		if name == "" {
			name = "index.html"
		}
		asset, err := wa.asset(name)
		if err != nil {
			a.writeProblem(w, r, err)
			return
		}
		if asset == nil {
			if strings.HasPrefix(name, "assets/") {
				// A missing hashed file is a stale page asking for an old build: answering
				// with index.html would hand it HTML where it expects a script.
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			name = "index.html"
			if asset, err = wa.asset(name); err != nil {
				a.writeProblem(w, r, err)
				return
			}
			if asset == nil {
				a.serveUnbuilt(w, r)
				return
			}
		}
		h := w.Header()
		switch {
		case asset.static:
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		case name == "index.html":
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
		default:
			// favicon, theme.js: stable names, so revalidate each time.
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", asset.ctype)
		body, etag := asset.body, asset.etag
		if asset.gz != nil {
			h.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r) {
				body, etag = asset.gz, strings.TrimSuffix(asset.etag, `"`)+`-gz"`
				h.Set("Content-Encoding", "gzip")
			}
		}
		if name != "index.html" {
			h.Set("ETag", etag)
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	})
}

// serveUnbuilt answers when the binary was built without the web app (a fresh clone where
// only the placeholder is embedded): the API works, and the page says how to get the app.
func (a *API) serveUnbuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if r.URL.Path != "/" {
		status = http.StatusNotFound
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	page := indexPage(a.cfg.Version)
	note := `<p><strong>The dashboard is not part of this build.</strong> Run <code>make build</code> ` +
		`(or <code>make run</code>), which builds <code>web/</code> first, to embed it.</p>`
	page = strings.Replace(page, "</body>", note+"</body>", 1)
	_, _ = io.WriteString(w, page)
}
