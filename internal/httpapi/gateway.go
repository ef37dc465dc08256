package httpapi

import (
	"net/http"
	"strings"
)

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
