// Package app wires roles into a running process. It is the only package, with cmd,
// that knows every other one; everything it builds is a plain constructor call.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/httpapi"
	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/insight"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue/wal"
	"github.com/agentobs/agentobs/internal/realtime"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// Config is the process configuration, filled by cmd from flags and environment.
type Config struct {
	Addr           string
	DataDir        string
	Store          string // duckdb or postgres
	Roles          []string
	InitAPIKey     string
	SetupSecret    string // one-time secret the first sign-up needs; empty: generated and printed
	PricesFile     string
	Limits         ingest.Limits
	CommitMaxBatch int
	CommitTimeout  time.Duration
	// CommitVisibility: commits reach the query cache and live updates at most this often
	// (embedded deployment); 0 passes each at once.
	CommitVisibility time.Duration
	// MaxCommitLag paces ingestion to the store (wal.Options.MaxCommitLag); zero: the
	// default.
	MaxCommitLag    time.Duration
	WAL             WALConfig
	ShutdownTimeout time.Duration
	DuckDB          duckdb.Options
	OTLPGRPCAddr    string // OTLP/gRPC listen address; empty: off (see otlpgrpc.go)
	Version         string
	Auth            AuthConfig
	ScaleOut        ScaleOutConfig
	Judge           JudgeConfig
	// GuardrailsOff turns off guardrail checks, redaction and scanning (see docs/guardrails.md).
	GuardrailsOff bool
	// GuardrailJudgeBelow, above 0, has the judge review classifier verdicts scoring under it.
	GuardrailJudgeBelow float64
	Alerts              AlertConfig
	Mail                MailConfig
	Insights            InsightsConfig
	// OpsAddr is the operations listener (/metrics, /debug/pprof); empty: off, and /metrics
	// stays on the API port for local callers or MetricsToken holders.
	OpsAddr      string
	MetricsToken string
}

// Role names. "all" runs every role in one process.
const (
	RoleAll     = "all"
	RoleAPI     = "api"
	RoleIngest  = "ingest"
	RoleProcess = "process"
	RoleQuery   = "query"
	RoleEval    = "evaluate"
	RoleGuard   = "guard"
)

// roles lists each role with the roles it implies, in the manner of a module table:
// adding a role is adding a row here and a case in New.
var roles = []struct {
	name  string
	needs []string
	help  string
}{
	{RoleAPI, nil, "health, readiness, metrics, API keys"},
	{RoleIngest, []string{RoleAPI}, "REST ingestion: validation, enrichment, enqueue"},
	{RoleProcess, nil, "consume the queue, write batches, dead letters"},
	{RoleQuery, []string{RoleAPI}, "read traces back"},
	{RoleEval, []string{RoleAPI}, "LLM-as-judge evaluations, quality overview, human feedback"},
	{RoleGuard, []string{RoleAPI}, "guardrail checks, rules and violations"},
	{RoleAlert, []string{RoleAPI}, "alert rules, anomaly detection, notifications"},
	{RoleInsights, []string{RoleAPI}, "cost, error and feedback analyses, daily summary, Impact page"},
	{RoleAll, []string{RoleAPI, RoleIngest, RoleProcess, RoleQuery, RoleGuard, RoleAlert, RoleEval, RoleInsights}, "every role in one process"},
}

// RoleHelp describes the roles for --help.
func RoleHelp() string {
	var b strings.Builder
	for _, r := range roles {
		fmt.Fprintf(&b, "  %-8s %s\n", r.name, r.help)
	}
	return b.String()
}

// ResolveRoles expands implied roles and rejects unknown names.
func ResolveRoles(names []string) (map[string]bool, error) {
	out := map[string]bool{}
	var add func(string) error
	add = func(n string) error {
		n = strings.TrimSpace(n)
		if n == "" || out[n] {
			return nil
		}
		i := slices.IndexFunc(roles, func(r struct {
			name  string
			needs []string
			help  string
		}) bool {
			return r.name == n
		})
		if i < 0 {
			return fmt.Errorf("unknown role %q (known: api, ingest, process, query, guard, alert, evaluate, insights, all)", n)
		}
		out[n] = true
		for _, dep := range roles[i].needs {
			if err := add(dep); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no role given")
	}
	return out, nil
}

// App is a running agentobs process.
type App struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	accounts *auth.Service
	wal      *wal.Log
	scale    *scaleOut
	server   *http.Server
	listener net.Listener
	live     realtime.Hub
	ops      *http.Server
	opsLn    net.Listener
	backups  *http.Server // the backup socket of an embedded store
	otlp     *otlpServer
	eval     *eval.Service // nil without the evaluate role
	guard    *guardrail.Service
	guardRun chan struct{} // closed when the guardrail scan has drained
	alerts   *alert.Service
	alertRun *loop
	insights *insight.Service // nil without the insights role
	daily    *loop
	// retention purges expired days in the process role.
	retention    bool
	retentionRun *loop
}

// OpenStore opens the configured store and applies pending migrations, returning how many ran.
func OpenStore(ctx context.Context, cfg Config) (store.Store, int, error) {
	switch cfg.Store {
	case "", "duckdb":
		path := filepath.Join(cfg.DataDir, duckdb.FileName)
		s, err := duckdb.Open(ctx, path, cfg.DuckDB)
		if err != nil {
			if strings.Contains(err.Error(), "lock") {
				return nil, 0, fmt.Errorf("%w\nanother agentobs process is using %s; stop it first", err, path)
			}
			return nil, 0, err
		}
		n, err := s.Migrate(ctx)
		if err != nil {
			s.Close()
			return nil, 0, err
		}
		return s, n, nil
	case "postgres":
		return openPostgres(ctx, cfg)
	default:
		return nil, 0, fmt.Errorf("unknown store %q (use duckdb or postgres)", cfg.Store)
	}
}

// New opens the store, makes sure a workspace and key exist, and builds the roles.
// bootstrapOut receives the generated API key, printed once.
func New(ctx context.Context, cfg Config, log *slog.Logger, bootstrapOut io.Writer) (*App, error) {
	active, err := ResolveRoles(cfg.Roles)
	if err != nil {
		return nil, err
	}
	if active[RoleIngest] && !active[RoleProcess] && cfg.ScaleOut.RedisURL == "" {
		return nil, errors.New("role ingest without role process needs a shared queue: set REDIS_URL")
	}
	prices := pricing.Default()
	if cfg.PricesFile != "" {
		if prices, err = pricing.Load(cfg.PricesFile); err != nil {
			return nil, fmt.Errorf("cannot load price file: %w", err)
		}
	}
	cfg.DuckDB.Logger = log
	st, _, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ScaleOut.shared, err = openShared(cfg); err != nil {
		st.Close()
		return nil, err
	}
	hasher, err := KeyHasher(cfg, log)
	if err == nil {
		err = serialStart(ctx, st, func() error {
			ws, err := Bootstrap(ctx, st, hasher, cfg.InitAPIKey, bootstrapOut)
			if err != nil || !active[RoleAPI] {
				return err
			}
			return PrepareSetup(ctx, st, ws, cfg.SetupSecret, bootstrapOut, log)
		})
	}
	var accounts *auth.Service
	if err == nil {
		accounts, err = newAuth(ctx, cfg, st, hasher, log)
	}
	if err != nil {
		st.Close()
		return nil, err
	}

	hub := newLiveHub(cfg.ScaleOut.shared, log)
	live := realtime.NewFeed(hub, log)
	// Only the roles that call a model need the judge's client.
	var judge *provider.Client
	if active[RoleEval] || active[RoleInsights] || (active[RoleProcess] && cfg.GuardrailJudgeBelow > 0) {
		if judge, err = newJudge(cfg.Judge, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	guard, err := newGuardrails(cfg, active, st, live.ViolationsStored, judge, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	var guardStore httpapi.GuardrailStore
	if active[RoleGuard] && guard != nil {
		guardStore = st
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if guard != nil {
		if c := guard.SecondOpinionCollector(); c != nil {
			reg.MustRegister(c)
		}
	}
	analytics := cfg.ScaleOut.shared.analytics(st, log)
	if analytics == nil {
		analytics = newAnalytics(st, active[RoleProcess] && cfg.ScaleOut.RedisURL == "", log)
	}
	var evalSvc *eval.Service
	if active[RoleEval] {
		evalSvc = newEval(cfg.Judge, judge, st, prices, log)
	}
	// The query role takes feedback too (an Ingress sends /api/v1/traces/* to it): writing a
	// score needs the store, not a judge.
	var feedback httpapi.FeedbackWriter
	switch {
	case evalSvc != nil:
		feedback = evalSvc
	case active[RoleQuery]:
		feedback = eval.New(eval.Config{Store: st, Prices: prices, Log: log})
	}
	var sealer *alert.Sealer
	if active[RoleAlert] {
		if sealer, err = newSealer(cfg, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	insightSvc := newInsights(cfg, active[RoleInsights], st, prices, judge, log)
	api := httpapi.New(httpapi.Config{
		Insights:         insightSvc,
		InsightRoutes:    active[RoleInsights],
		Eval:             evalSvc,
		Feedback:         feedback,
		ABTests:          abTests(active[RoleEval], st),
		Analytics:        analytics,
		Store:            st,
		Keys:             accounts.Keys(),
		Auth:             accounts,
		CORSOrigins:      cfg.Auth.CORSOrigins,
		TrustedProxies:   cfg.Auth.TrustedProxies,
		CookieSecure:     cfg.Auth.CookieSecure,
		Prices:           prices,
		Limits:           cfg.Limits,
		Log:              log,
		Registry:         reg,
		Version:          cfg.Version,
		API:              active[RoleAPI],
		Ingest:           active[RoleIngest],
		Query:            active[RoleQuery],
		Guard:            guard,
		Guardrails:       guardStore,
		Alert:            active[RoleAlert],
		Sealer:           sealer,
		MetricsToken:     cfg.MetricsToken,
		SMTP:             cfg.Mail.SMTP,
		PublicURL:        cfg.Mail.PublicURL,
		MetricsOnOpsOnly: cfg.OpsAddr != "",
		Live:             hub,
	})
	a := &App{cfg: cfg, log: log, store: st, accounts: accounts, guard: guard, live: hub, eval: evalSvc}
	if active[RoleInsights] {
		a.insights = insightSvc
	}
	if active[RoleProcess] {
		a.retention = true
		cfg.ScaleOut.guard = guard
		cfg.ScaleOut.runGuard = a.runGuard
	}
	if active[RoleAlert] {
		if a.alerts, err = newAlertService(cfg, st, sealer, log); err != nil {
			st.Close()
			return nil, err
		}
		a.alerts.Eval.OnStateChange = publishAlertStates(live)
	}
	if a.scale, err = startScaleOut(cfg, active, log, api, reg, st, prices, accounts.Keys(), analytics, live); err != nil {
		st.Close()
		return nil, err
	}
	if active[RoleProcess] && !a.scale.queued() {
		if a.wal, err = openWAL(ctx, cfg, st, api, reg, analytics, live, log); err != nil {
			a.scale.close(ctx)
			st.Close()
			return nil, err
		}
	}
	a.server = &http.Server{
		Addr:              cfg.Addr,
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	a.otlp = newOTLPServer(cfg, api, log, active[RoleIngest])
	if cfg.OpsAddr != "" {
		a.ops = &http.Server{Addr: cfg.OpsAddr, Handler: api.OpsHandler(), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	}
	return a, nil
}

// runGuard starts the guardrail scan once; close waits for it to drain.
func (a *App) runGuard(run func()) {
	if a.guardRun != nil {
		return
	}
	a.guardRun = make(chan struct{})
	go func() {
		defer close(a.guardRun)
		run()
	}()
}

// Listen binds the address; separate from Serve so callers know the port before serving.
func (a *App) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", a.cfg.Addr, err)
	}
	a.listener = ln
	if err := a.otlp.listen(); err != nil {
		ln.Close()
		return nil, err
	}
	if a.ops != nil {
		if a.opsLn, err = net.Listen("tcp", a.cfg.OpsAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("cannot listen on the operations address %s: %w", a.cfg.OpsAddr, err)
		}
		a.log.Info("operations listener (metrics, pprof)", "addr", a.opsLn.Addr().String())
	}
	return ln.Addr(), nil
}

// Serve runs until ctx is cancelled, then drains: it stops accepting connections, waits for
// in-flight requests (each waits for its commit), commits what is queued, checkpoints the
// store and returns.
func (a *App) Serve(ctx context.Context) error {
	if a.listener == nil {
		if _, err := a.Listen(); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	if a.ops != nil {
		go func() {
			if err := a.ops.Serve(a.opsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("operations listener stopped", "err", err)
			}
		}()
	}
	a.otlp.serve(errc)
	a.serveBackups()
	flushCtx, stopFlush := context.WithCancel(ctx)
	defer stopFlush()
	go flushKeyUsage(flushCtx, a.accounts, 15*time.Second, a.log)
	if a.eval != nil {
		startEval(flushCtx, a.eval, a.cfg.Judge.Online, a.store, a.log)
	}
	a.alertRun = startAlerts(flushCtx, a.alerts)
	if a.retention {
		a.retentionRun = startLoop(flushCtx, func(ctx context.Context) { enforceRetention(ctx, a.store, time.Hour, a.log) })
	}
	a.daily = startDaily(flushCtx, a.cfg, a.insights, a.store, a.log)
	select {
	case err := <-errc:
		a.close(context.Background())
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: draining in-flight requests")
	drainCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err := a.server.Shutdown(drainCtx)
	if cerr := a.close(drainCtx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.log.Info("shutdown complete")
	return nil
}

func (a *App) close(ctx context.Context) error {
	a.otlp.stop(ctx)
	if a.ops != nil {
		_ = a.ops.Close()
	}
	if a.backups != nil {
		_ = a.backups.Close()
	}
	if a.eval != nil {
		// Judge calls in flight record their outcome before the store closes.
		a.eval.Drain(ctx)
	}
	a.alertRun.stop()
	a.retentionRun.stop()
	a.daily.stop()
	var errs []error
	if a.wal != nil {
		errs = append(errs, a.wal.Close(ctx))
	}
	if a.accounts != nil {
		errs = append(errs, a.accounts.FlushKeyUsage(ctx))
	}
	errs = append(errs, a.live.Close())
	errs = append(errs, a.scale.close(ctx))
	if a.guardRun != nil {
		// Committed traces are all queued now: scan them before the store closes.
		a.guard.Stop()
		select {
		case <-a.guardRun:
		case <-ctx.Done():
		}
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}
