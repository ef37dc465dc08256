// Package httpapi is agentobs's HTTP surface: one function lists every route, handlers
// return a value or an error, and one wrapper writes JSON or an RFC 9457 problem.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is the part of the store the HTTP handlers read.
type Store interface {
	store.TraceReader
	store.DeadLetters
	store.Agents
	Ping(ctx context.Context) error
}

// Config is everything the API needs; app builds it.
type Config struct {
	Store     Store
	Publisher queue.Publisher
	Keys      *auth.KeyCache
	Prices    *pricing.Table
	Limits    ingest.Limits
	Log       *slog.Logger
	Registry  *prometheus.Registry
	Version   string
	// Ingest and Query say which route groups this process serves (its roles).
	Ingest bool
	Query  bool
}

// API holds the handlers' dependencies.
type API struct {
	cfg     Config
	metrics *metrics
}

// New builds the API and registers its metrics on cfg.Registry.
func New(cfg Config) *API {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	return &API{cfg: cfg, metrics: newMetrics(cfg.Registry)}
}

// SetPublisher connects ingestion to the queue; app calls it once the queue exists.
func (a *API) SetPublisher(p queue.Publisher) { a.cfg.Publisher = p }

// Metrics exposes hooks for the queue and pipeline, which app wires.
func (a *API) Metrics() *metrics { return a.metrics }

type handlerFunc func(r *http.Request) (any, error)

// Handler returns the routed, instrumented HTTP handler.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h handlerFunc, authed bool) {
		var hh http.Handler = a.wrap(h)
		if authed {
			hh = a.requireKey(hh)
		}
		mux.Handle(pattern, a.instrument(pattern, hh))
	}
	route("GET /health", a.health, false)
	route("GET /ready", a.ready, false)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.cfg.Registry, promhttp.HandlerOpts{Registry: a.cfg.Registry}))
	if a.cfg.Ingest {
		route("POST /api/v1/traces", a.ingestTrace, true)
		route("POST /api/v1/traces/batch", a.ingestBatch, true)
		route("GET /api/v1/admin/dead-letters", a.listDeadLetters, true)
		route("GET /api/v1/admin/dead-letters/{id}", a.getDeadLetter, true)
		route("POST /api/v1/admin/dead-letters/{id}/replay", a.replayDeadLetter, true)
	}
	if a.cfg.Query {
		route("GET /api/v1/traces/{trace_id}", a.getTrace, true)
		route("GET /api/v1/agents", a.listAgents, true)
	}
	route("GET /{$}", a.index, false)
	route("/", func(r *http.Request) (any, error) {
		return nil, model.Errorf(model.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path)
	}, false)
	return a.requestLog(a.recoverPanics(mux))
}

// response lets a handler choose a status other than 200 or add headers.
type response struct {
	status  int
	body    any
	headers map[string]string
}

// rawHTML is written as-is with an HTML content type.
type rawHTML string

func (a *API) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			a.writeProblem(w, r, err)
			return
		}
		status := http.StatusOK
		if resp, ok := v.(response); ok {
			status, v = resp.status, resp.body
			for k, val := range resp.headers {
				w.Header().Set(k, val)
			}
		}
		if html, ok := v.(rawHTML); ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(html))
			return
		}
		writeJSON(w, status, v)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"cannot encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (a *API) health(r *http.Request) (any, error) {
	return map[string]string{"status": "ok", "version": a.cfg.Version}, nil
}

func (a *API) ready(r *http.Request) (any, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.cfg.Store.Ping(ctx); err != nil {
		a.cfg.Log.Warn("readiness check failed", "err", err)
		return nil, model.Errorf(model.EUNAVAILABLE, "store is not reachable")
	}
	return map[string]string{"status": "ready"}, nil
}

func (a *API) index(r *http.Request) (any, error) {
	return rawHTML(indexPage(a.cfg.Version)), nil
}
