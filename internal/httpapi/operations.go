package httpapi

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentobs/agentobs/internal/model"
)

// Operations endpoints (metrics and profiles) tell an outsider a lot about a deployment
// and profiles cost CPU, so they are never open to whoever reaches the API port:
//
//   - with a metrics token (AGENTOBS_METRICS_TOKEN) they answer callers presenting it as a
//     bearer credential, on the API port and on the operations listener alike;
//   - without one, /metrics on the API port answers only direct loopback callers (a
//     request relayed by a proxy on the same host carries X-Forwarded-For and is refused),
//     and the operations listener (AGENTOBS_OPS_ADDR), which the operator binds to a
//     private address, answers everyone who reaches it.

// metricsHandler is /metrics as the API port serves it.
func (a *API) metricsHandler() http.Handler {
	h := promhttp.HandlerFor(a.cfg.Registry, promhttp.HandlerOpts{Registry: a.cfg.Registry})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.opsAllowed(r, false); err != nil {
			a.writeProblem(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// OpsHandler serves the operations listener: /metrics and Go profiles under /debug/pprof/.
func (a *API) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.cfg.Registry, promhttp.HandlerOpts{Registry: a.cfg.Registry}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.opsAllowed(r, true); err != nil {
			a.writeProblem(w, r, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// opsAllowed decides whether r may read operations endpoints; private is set on the
// operations listener.
func (a *API) opsAllowed(r *http.Request, private bool) error {
	if tok := a.cfg.MetricsToken; tok != "" {
		c, err := parseCredential(r.Header.Get("Authorization"), "")
		if err != nil || subtle.ConstantTimeCompare([]byte(c.secret), []byte(tok)) != 1 {
			return model.Errorf(model.EUNAUTHORIZED, "operations endpoints need the metrics token: send Authorization: Bearer <AGENTOBS_METRICS_TOKEN>")
		}
		return nil
	}
	if private || directLoopback(r) {
		return nil
	}
	return model.Errorf(model.EFORBIDDEN, "/metrics answers only local callers here: set AGENTOBS_METRICS_TOKEN, or serve it on AGENTOBS_OPS_ADDR")
}

// directLoopback reports whether r comes straight from this host, not through a proxy.
func directLoopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
