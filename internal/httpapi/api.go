// Package httpapi is agentobs's HTTP surface: one function lists every route, handlers
// return a value or an error, and one wrapper writes JSON or an RFC 9457 problem.
package httpapi

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/abtest"
	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/insight"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/query"
	"github.com/agentobs/agentobs/internal/queue"
	"github.com/agentobs/agentobs/internal/realtime"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is the part of the store the HTTP handlers read.
type Store interface {
	store.TraceReader
	store.TraceIndex
	store.DeadLetters
	store.Agents
	Ping(ctx context.Context) error
}

// Config is everything the API needs; app builds it.
type Config struct {
	Store     Store
	Publisher queue.Publisher
	Keys      *auth.KeyCache
	// Auth authenticates and authorizes callers; nil builds one for Keys and Store with a
	// random token secret (tests).
	Auth *auth.Service
	// CORSOrigins may call the API from browsers ("*": any, without credentials).
	CORSOrigins []string
	// TrustedProxies may set X-Forwarded-For for the client address of login throttling.
	TrustedProxies []netip.Prefix
	// CookieSecure marks the refresh cookie Secure even when TLS ends at a proxy.
	CookieSecure bool
	Prices       *pricing.Table
	Limits       ingest.Limits
	Log          *slog.Logger
	Registry     *prometheus.Registry
	Version      string
	// API, Ingest and Query say which route groups this process serves (its roles): API
	// is sign-in, accounts, keys and the web app; a process of none of them (the process
	// role alone) serves only /health, /ready and /metrics.
	API    bool
	Ingest bool
	Query  bool
	// Eval answers the evaluate role's routes (evaluations, quality, feedback); nil: the
	// process does not serve them.
	Eval *eval.Service
	// Feedback stores human feedback on traces (POST /api/v1/traces/{id}/feedback); nil:
	// Eval's, when there is one. The query role takes feedback too, see Routes.
	Feedback FeedbackWriter
	// ABTests answers the A/B test routes (evaluate role); nil: not served.
	ABTests *abtest.Service
	// Alert serves the alert role's routes (rules, alerts, silences, integrations).
	Alert bool
	// Sealer encrypts notification channel settings; nil makes one with a random key (tests).
	Sealer *alert.Sealer
	// Senders deliver test notifications and invite emails; nil: HTTP with a 15 s timeout.
	Senders *alert.Senders
	// SMTP, when set, sends invite emails (its To is ignored); otherwise a workspace's email
	// integration does, and without either the inviter gets the link to pass on.
	SMTP *alert.ChannelConfig
	// PublicURL is where users reach the web app (for links in emails); "" takes the
	// request's Origin, else its Host.
	PublicURL string
	// Analytics answers the query role's routes; nil builds an uncached one on Store.
	Analytics *query.Service
	// Web is the web app's files; nil serves the build embedded in the binary.
	Web fs.FS
	// MetricsToken, when set, is the bearer credential /metrics and profiles need.
	MetricsToken string
	// MetricsOnOpsOnly leaves /metrics off the API port (an operations listener serves it).
	MetricsOnOpsOnly bool
	// Live carries live updates to WebSocket clients; nil: the live routes answer 503.
	Live realtime.Hub
	// Guard runs guardrail checks and redacts traces before they are queued; with
	// Guardrails (its store) it enables the guardrail routes. Nil: neither.
	Guard      *guardrail.Service
	Guardrails GuardrailStore
	// Insights records and lists events (with Ingest and Query) and, with InsightRoutes
	// (the insights role), serves analyses and the Impact page. Nil: none of them.
	Insights      *insight.Service
	InsightRoutes bool
}

// API holds the handlers' dependencies.
type API struct {
	cfg          Config
	metrics      *metrics
	ingestStatus func() map[string]any
}

// New builds the API and registers its metrics on cfg.Registry.
func New(cfg Config) *API {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	if cfg.Feedback == nil && cfg.Eval != nil {
		cfg.Feedback = cfg.Eval
	}
	if cfg.Auth == nil {
		cfg.Auth = defaultAuth(cfg)
	}
	if cfg.Sealer == nil {
		cfg.Sealer = randomSealer()
	}
	if cfg.Senders == nil {
		cfg.Senders = &alert.Senders{HTTP: &http.Client{Timeout: 15 * time.Second}}
	}
	if cfg.Senders.Now == nil {
		cfg.Senders.Now = time.Now
	}
	if qs, ok := cfg.Store.(query.Store); ok && cfg.Analytics == nil {
		cfg.Analytics = query.New(query.Config{Store: qs, Log: cfg.Log})
	}
	return &API{cfg: cfg, metrics: newMetrics(cfg.Registry)}
}

// SetPublisher connects ingestion to the queue; app calls it once the queue exists.
func (a *API) SetPublisher(p queue.Publisher) { a.cfg.Publisher = p }

// SetIngestStatus adds the ingestion queue's state (commit lag, replay) to /ready.
func (a *API) SetIngestStatus(f func() map[string]any) { a.ingestStatus = f }

// Metrics exposes hooks for the queue and pipeline, which app wires.
func (a *API) Metrics() *metrics { return a.metrics }

type handlerFunc func(r *http.Request) (any, error)

// Permission is what a route requires of its caller. The authorize middleware is the one
// place that decides who holds which permission.
type Permission string

const (
	PermPublic Permission = "public" // no credentials
	PermIngest Permission = "ingest" // send traces
	PermRead   Permission = "read"   // read the workspace's data
	PermWrite  Permission = "write"  // change the workspace's settings (budgets, rules)
	PermAdmin  Permission = "admin"  // manage keys, members and dead letters
	PermOwner  Permission = "owner"  // what only a workspace's owners may do
	PermUser   Permission = "user"   // any signed-in user, whatever their workspace (not API keys)
	PermCheck  Permission = "check"  // run a guardrail check: whoever may read or ingest
)

// Route is one entry of the route table. Exactly one of Handle and Raw is set.
type Route struct {
	Pattern    string
	Permission Permission
	Handle     handlerFunc
	Raw        http.Handler
}

// addRoute appends a route to the table being built.
type addRoute func(pattern string, perm Permission, h handlerFunc)

// Routes is the route table of this process, which depends on its roles. Tests walk it to
// check that every route is documented and isolates workspaces.
func (a *API) Routes() []Route {
	var rs []Route
	add := func(pattern string, perm Permission, h handlerFunc) {
		rs = append(rs, Route{Pattern: pattern, Permission: perm, Handle: h})
	}
	add("GET /health", PermPublic, a.health)
	add("GET /ready", PermPublic, a.ready)
	rs = append(rs, Route{Pattern: "GET /api/v1/openapi.json", Permission: PermPublic, Raw: openAPIHandler()})
	if !a.cfg.MetricsOnOpsOnly {
		// Guarded by the metrics token or loopback, see operations.go.
		rs = append(rs, Route{Pattern: "GET /metrics", Permission: PermPublic, Raw: a.metricsHandler()})
	}
	if a.cfg.API {
		a.authRoutes(add)
		rs = append(rs, a.liveRoutes()...)
	}
	if a.cfg.Ingest {
		a.ingestRoutes(add)
		rs = append(rs, a.otlpRoutes()...)
		rs = append(rs, a.langfuseRoutes(add)...)
	}
	if a.cfg.Query {
		a.queryRoutes(add)
	}
	// An Ingress routes by path, not by method, so every /api/v1/traces request reaches the
	// query role: it also takes a single trace (published to the queue, as ingest does) and
	// feedback (written straight to the store, by whichever role has it).
	if a.cfg.Query && !a.cfg.Ingest {
		add("POST /api/v1/traces", PermIngest, a.ingestTrace)
	}
	if a.cfg.Feedback != nil {
		add("POST /api/v1/traces/{trace_id}/feedback", PermIngest, a.traceFeedback)
	}
	// Events are written straight to the store, so either role serves both methods: a
	// path-routing proxy sends /api/v1/events to one of them whatever the method.
	if a.cfg.Insights != nil && (a.cfg.Ingest || a.cfg.Query) {
		a.eventRoutes(add)
	}
	if a.cfg.Insights != nil && a.cfg.InsightRoutes {
		a.insightRoutes(add)
	}
	if a.cfg.Eval != nil {
		a.evalRoutes(add)
	}
	if a.cfg.ABTests != nil {
		a.abTestRoutes(add)
	}
	if a.cfg.Guard != nil && a.cfg.Guardrails != nil {
		a.guardrailRoutes(add)
	}
	if a.cfg.Alert {
		a.alertRoutes(add)
	}
	if a.cfg.API {
		// The web app answers every GET no other route matched (SPA fallback, see web.go).
		rs = append(rs, Route{Pattern: "GET /", Permission: PermPublic, Raw: a.webHandler()})
	}
	return rs
}

func (a *API) ingestRoutes(add addRoute) {
	add("POST /api/v1/traces", PermIngest, a.ingestTrace)
	add("POST /api/v1/traces/batch", PermIngest, a.ingestBatch)
	add("GET /api/v1/admin/dead-letters", PermAdmin, a.listDeadLetters)
	add("GET /api/v1/admin/dead-letters/{id}", PermAdmin, a.getDeadLetter)
	add("POST /api/v1/admin/dead-letters/{id}/replay", PermAdmin, a.replayDeadLetter)
}

// Handler returns the routed, instrumented HTTP handler.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		h := rt.Raw
		if h == nil {
			h = a.wrap(rt.Handle)
		}
		if rt.Permission != PermPublic {
			h = a.authorize(rt.Permission, h)
		}
		mux.Handle(rt.Pattern, a.instrument(rt.Pattern, h))
	}
	mux.Handle("/", a.wrap(func(r *http.Request) (any, error) {
		return nil, model.Errorf(model.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path)
	}))
	return a.requestLog(a.gateway(a.recoverPanics(mux)))
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
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
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
	out := map[string]any{"status": "ready"}
	if a.ingestStatus != nil {
		// Ready even while a backlog replays: new traces are accepted and queued behind it.
		out["ingestion"] = a.ingestStatus()
	}
	return out, nil
}
