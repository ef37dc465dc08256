package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/app"
	"github.com/agentobs/agentobs/internal/errorreport"
	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// storeFlags are shared by every command that opens the store.
type storeFlags struct {
	dataDir, store, memoryLimit, checkpoint string
	threads, rowGroup                       int
	pg                                      postgresFlags
}

func (f *storeFlags) bind(s *settings) {
	s.str(&f.dataDir, "data-dir", "AGENTOBS_DATA_DIR", "./data", "directory of the embedded database")
	s.str(&f.store, "store", "AGENTOBS_STORE", "duckdb", "storage backend: duckdb, or postgres for scale-out")
	f.pg.bind(s)
	s.integer(&f.threads, "duckdb-threads", "AGENTOBS_DUCKDB_THREADS", 0, "DuckDB worker threads (0: one per core)")
	s.str(&f.memoryLimit, "duckdb-memory-limit", "AGENTOBS_DUCKDB_MEMORY_LIMIT", "", "DuckDB memory limit such as 2GB (empty: a quarter of the machine's memory, at most 128MiB); queries beyond it spill to disk or answer 503")
	s.str(&f.checkpoint, "checkpoint-threshold", "AGENTOBS_CHECKPOINT_THRESHOLD", "64MB", "write-ahead log size that triggers a checkpoint")
	s.integer(&f.rowGroup, "duckdb-row-group-size", "AGENTOBS_DUCKDB_ROW_GROUP_SIZE", duckdb.DefaultRowGroupSize, "rows in a row group of the file's tables, a multiple of 2048 (smaller: cheaper checkpoints under ingestion; DuckDB's own default is 122880); applies to rows written from now on")
}

func (f *storeFlags) config() app.Config {
	cfg := app.Config{
		DataDir: f.dataDir,
		Store:   f.store,
		DuckDB:  duckdb.Options{Threads: f.threads, MemoryLimit: f.memoryLimit, CheckpointThreshold: f.checkpoint, RowGroupSize: f.rowGroup},
		Version: buildVersion(),
	}
	f.pg.apply(&cfg)
	return cfg
}

func cmdServe(args []string, stdout, stderr io.Writer) error {
	s := newSettings("serve", "Run agentobs. With the default --roles=all one process serves the API, ingestion,\n"+
		"processing and queries on one port. Roles:\n"+strings.TrimRight(app.RoleHelp(), "\n"), stderr)
	var sf storeFlags
	sf.bind(s)
	var opsAddr, metricsToken, setupSecret string
	var addr, roles, initKey, prices, logLevel, logFormat, maxBody string
	var maxBatch, commitBatch int
	var commitTimeout, visibility, maxLag, shutdown time.Duration
	var walDir, walMax, walSegment, walMemory string
	s.str(&addr, "addr", "AGENTOBS_ADDR", ":8000", "address to listen on")
	var otlpGRPC string
	s.str(&otlpGRPC, "otlp-grpc-addr", "AGENTOBS_OTLP_GRPC_ADDR", app.DefaultOTLPGRPCAddr, "address of the OTLP/gRPC trace receiver (empty: off; if the default port is taken, gRPC is skipped with a warning)")
	s.str(&roles, "roles", "AGENTOBS_ROLES", "all", "comma-separated roles to run")
	s.str(&initKey, "init-api-key", "AGENTOBS_INIT_API_KEY", "", "API key to create for the first workspace (default: generate one and print it once)")
	s.str(&setupSecret, "setup-secret", "AGENTOBS_SETUP_SECRET", "", "one-time key the first account needs to take over the first workspace (default: generate one and print it once)")
	s.str(&prices, "prices", "AGENTOBS_PRICES_FILE", "", "JSON price file overriding or extending the built-in model prices")
	s.str(&maxBody, "max-body-bytes", "AGENTOBS_MAX_BODY_BYTES", "8MiB", "largest accepted request body")
	s.integer(&maxBatch, "max-batch", "AGENTOBS_MAX_BATCH", 100, "most traces in one batch request")
	s.integer(&commitBatch, "commit-max-batch", "AGENTOBS_COMMIT_MAX_BATCH", 10000, "most traces in one store commit (batches are whatever is waiting, up to this)")
	s.duration(&commitTimeout, "commit-timeout", "AGENTOBS_COMMIT_TIMEOUT", 30*time.Second, "longest a store commit may take before it is abandoned and retried")
	s.duration(&visibility, "commit-visibility", "AGENTOBS_COMMIT_VISIBILITY", 500*time.Millisecond, "under steady ingestion, how often commits are made visible to cached dashboard answers and live updates (0: every commit at once; ?wait=commit writes are always visible when answered)")
	s.duration(&maxLag, "max-commit-lag", "AGENTOBS_MAX_COMMIT_LAG", time.Second, "pace ingestion to the store: while the oldest acknowledged trace not yet committed is older than this, ingestion requests wait (up to 5 s) for commits to catch up, so traces become queryable within about this long; a failing store is not waited for (the log absorbs it). negative (e.g. -1s): never wait")
	s.str(&walDir, "wal-dir", "AGENTOBS_WAL_DIR", "", "directory of the ingestion write-ahead log (default: <data-dir>/wal)")
	s.str(&walMax, "wal-max-bytes", "AGENTOBS_WAL_MAX_BYTES", "1GiB", "most bytes the write-ahead log holds before ingestion answers 429")
	s.str(&walSegment, "wal-segment-bytes", "AGENTOBS_WAL_SEGMENT_BYTES", "64MiB", "size of one write-ahead log segment file")
	s.str(&walMemory, "wal-memory-bytes", "AGENTOBS_WAL_MEMORY_BYTES", "8MiB", "uncommitted log kept in memory, encoded as on disk; beyond it records are read back from disk")
	var goMemory string
	s.str(&goMemory, "go-memory-limit", "AGENTOBS_GO_MEMORY_LIMIT", "128MiB", "soft limit of the Go heap and runtime (not DuckDB's memory): near it the garbage collector runs more often; off: none. GOMEMLIMIT, when set, wins")
	s.duration(&shutdown, "shutdown-timeout", "AGENTOBS_SHUTDOWN_TIMEOUT", 30*time.Second, "how long SIGTERM waits for in-flight work")
	s.str(&logLevel, "log-level", "AGENTOBS_LOG_LEVEL", "info", "debug, info, warn or error (successful requests are logged at debug)")
	s.str(&logFormat, "log-format", "AGENTOBS_LOG_FORMAT", "text", "text or json")
	s.str(&opsAddr, "ops-addr", "AGENTOBS_OPS_ADDR", "", "operations listener serving /metrics and Go profiles (/debug/pprof), e.g. 127.0.0.1:9090; bind it to a private address. When set, /metrics leaves the API port")
	s.str(&metricsToken, "metrics-token", "AGENTOBS_METRICS_TOKEN", "", "bearer token that /metrics and profiles require (without it, /metrics on the API port answers only local callers)")
	var guardrails string
	s.str(&guardrails, "guardrails", "AGENTOBS_GUARDRAILS", "on", "on: guardrail checks, redaction before storage and the background scan (docs/guardrails.md); off: none")
	var guardJudge, guardJudgeBelow string
	s.str(&guardJudge, "guardrail-judge", "AGENTOBS_GUARDRAIL_JUDGE", "off", "on: the LLM judge (--judge-provider) reviews injection and toxicity classifier verdicts scoring under --guardrail-judge-below, after they are stored")
	s.str(&guardJudgeBelow, "guardrail-judge-below", "AGENTOBS_GUARDRAIL_JUDGE_BELOW", "0.9", "classifier score under which a verdict gets the judge's second opinion")
	var af authFlags
	af.bind(s)
	var mf mailFlags
	mf.bind(s)
	var encKey string
	var alertTick time.Duration
	s.str(&encKey, "encryption-key", "AGENTOBS_ENCRYPTION_KEY", "", "secret, at least 32 characters, that encrypts notification channel settings at rest (default: generated once into the data directory; give every alert process the same)")
	s.duration(&alertTick, "alert-tick", "AGENTOBS_ALERT_TICK", 5*time.Second, "how often the alert role looks for rules to evaluate and notifications to send")
	var narration string
	s.str(&narration, "insights-narration", "AGENTOBS_INSIGHTS_NARRATION", "on", "on: the judge's model rewrites insight findings as prose (discarded when it states a number the findings do not hold); off: deterministic text only")
	var qf queueFlags
	qf.bind(s)
	var jf judgeFlags
	jf.bind(s)
	var sentryDSN, sentryEnv string
	s.str(&sentryDSN, "sentry-dsn", "SENTRY_DSN", "", "report error logs to Sentry at this DSN (empty: off)")
	s.str(&sentryEnv, "sentry-environment", "SENTRY_ENVIRONMENT", "production", "environment name on Sentry reports")
	if err := s.parse(args); err != nil {
		return err
	}
	log, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		return err
	}
	reporter, err := errorreport.New(errorreport.Config{DSN: sentryDSN, Environment: sentryEnv, Release: buildVersion()})
	if err != nil {
		return usageError{err}
	}
	defer reporter.Flush(5 * time.Second)
	log = slog.New(reporter.Handler(log.Handler()))
	if err := applyGoMemoryLimit(goMemory, log); err != nil {
		return usageError{err}
	}
	bodyLimit, err := parseSize(maxBody)
	if err != nil {
		return usageError{fmt.Errorf("--max-body-bytes: %v", err)}
	}
	cfg := sf.config()
	cfg.Addr = addr
	cfg.OTLPGRPCAddr = otlpGRPC
	cfg.OpsAddr, cfg.MetricsToken = opsAddr, metricsToken
	cfg.Roles = strings.Split(roles, ",")
	cfg.InitAPIKey = initKey
	cfg.SetupSecret = setupSecret
	cfg.PricesFile = prices
	cfg.Limits = ingest.Limits{MaxBodyBytes: bodyLimit, MaxBatch: maxBatch}
	cfg.CommitMaxBatch = commitBatch
	cfg.CommitTimeout = commitTimeout
	cfg.CommitVisibility = visibility
	cfg.MaxCommitLag = maxLag
	cfg.WAL.Dir = walDir
	for _, sz := range []struct {
		flag, value string
		dst         *int64
	}{{"wal-max-bytes", walMax, &cfg.WAL.MaxBytes}, {"wal-segment-bytes", walSegment, &cfg.WAL.SegmentBytes},
		{"wal-memory-bytes", walMemory, &cfg.WAL.MemoryBytes}} {
		if *sz.dst, err = parseSize(sz.value); err != nil {
			return usageError{fmt.Errorf("--%s: %v", sz.flag, err)}
		}
	}
	cfg.ShutdownTimeout = shutdown
	switch guardrails {
	case "on":
	case "off":
		cfg.GuardrailsOff = true
	default:
		return usageError{fmt.Errorf("--guardrails %q: use on or off", guardrails)}
	}
	qf.apply(&cfg)
	cfg.Alerts = app.AlertConfig{EncryptionKey: encKey, Tick: alertTick}
	if narration != "on" && narration != "off" {
		return usageError{fmt.Errorf("--insights-narration %q: use on or off", narration)}
	}
	cfg.Insights.NarrationOff = narration == "off"
	if cfg.Auth, err = af.config(); err != nil {
		return err
	}
	if cfg.Mail, err = mf.config(); err != nil {
		return err
	}
	if cfg.Judge, err = jf.config(s); err != nil {
		return err
	}
	if cfg.GuardrailJudgeBelow, err = guardrailJudgeBelow(guardJudge, guardJudgeBelow, cfg.Judge); err != nil {
		return err
	}

	ctx, stop := signalContext()
	defer stop()
	start := time.Now()
	a, err := app.New(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	bound, err := a.Listen()
	if err != nil {
		return err
	}
	log.Info("agentobs ready", "addr", bound.String(), "store", cfg.Store, "data_dir", cfg.DataDir,
		"roles", roles, "version", cfg.Version, "startup_ms", time.Since(start).Milliseconds())
	return a.Serve(ctx)
}

func cmdMigrate(args []string, stdout, stderr io.Writer) error {
	s := newSettings("migrate", "Apply pending database migrations and exit. serve does this too on start.", stderr)
	var sf storeFlags
	sf.bind(s)
	if err := s.parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	cfg := sf.config()
	st, applied, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema is at version %d (%s store in %s)\n", applied, v, cfg.Store, cfg.DataDir)
	return nil
}

// guardrailJudgeBelow reads the guardrail second-opinion flags: 0 when it is off.
func guardrailJudgeBelow(on, below string, judge app.JudgeConfig) (float64, error) {
	switch on {
	case "off":
		return 0, nil
	case "on":
	default:
		return 0, usageError{fmt.Errorf("--guardrail-judge %q: use on or off", on)}
	}
	if judge.Provider.Kind == "" {
		return 0, usageError{fmt.Errorf("--guardrail-judge on: no judge is configured (set --judge-provider and its key, e.g. GEMINI_API_KEY)")}
	}
	v, err := strconv.ParseFloat(below, 64)
	if err != nil || v <= 0 || v > 1 {
		return 0, usageError{fmt.Errorf("--guardrail-judge-below: must be a number above 0, at most 1")}
	}
	return v, nil
}

// applyGoMemoryLimit sets the Go runtime's soft memory limit unless GOMEMLIMIT does. Under
// full ingestion the live heap is 60-85 MB, and with the default GOGC the heap grew to twice
// that between collections and stayed resident. The limit keeps the Go side near 128 MiB
// beside DuckDB's own limit (bench/README.md, "Memory at full ingestion"). It is soft: a
// heap that needs more gets more, at the cost of more frequent collections.
func applyGoMemoryLimit(value string, log *slog.Logger) error {
	if os.Getenv("GOMEMLIMIT") != "" {
		log.Debug("the Go memory limit comes from GOMEMLIMIT", "GOMEMLIMIT", os.Getenv("GOMEMLIMIT"))
		return nil
	}
	if value == "off" {
		debug.SetMemoryLimit(math.MaxInt64)
		return nil
	}
	limit, err := parseSize(value)
	if err != nil {
		return fmt.Errorf("--go-memory-limit: %v (or off)", err)
	}
	debug.SetMemoryLimit(limit)
	return nil
}
