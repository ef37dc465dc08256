package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/cluster"
	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/httpapi"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/query"
	"github.com/agentobs/agentobs/internal/queue"
	"github.com/agentobs/agentobs/internal/queue/redisstream"
	"github.com/agentobs/agentobs/internal/realtime"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/postgres"
)

// ScaleOutConfig configures the scale-out deployment: PostgreSQL as the store and Redis
// Streams between the ingest and process roles.
type ScaleOutConfig struct {
	// PostgresDSN is used when Store is "postgres".
	PostgresDSN      string
	PostgresMaxConns int
	// RedisURL, when set, makes ingest publish to a Redis stream and process consume it,
	// whichever roles run together; without it ingest commits in process (group commit).
	RedisURL string
	Queue    redisstream.Options
	// PartitionsAhead is how many days of partitions the process role creates in advance.
	PartitionsAhead int
	// Retention drops partitions older than this; 0 keeps everything.
	Retention time.Duration
	// AllowVolatileRedis lets an ingest role start on a Redis that could lose acknowledged
	// entries in a crash (no append-only file, or appendfsync other than always).
	AllowVolatileRedis bool

	shared   *sharedState       // set by New when RedisURL is
	guard    *guardrail.Service // set by New for the process role when guardrails are on
	runGuard func(func())
}

func openPostgres(ctx context.Context, cfg Config) (store.Store, int, error) {
	dsn := cfg.ScaleOut.PostgresDSN
	if dsn == "" {
		return nil, 0, errors.New("AGENTOBS_STORE=postgres needs a database: set AGENTOBS_POSTGRES_DSN, POSTGRES_URL or TIMESCALE_URL")
	}
	s, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: int32(cfg.ScaleOut.PostgresMaxConns)})
	if err != nil {
		return nil, 0, err
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, 0, err
	}
	return s, n, nil
}

// scaleOut runs what a process needs beyond its HTTP routes in scale-out: the Redis queue
// (publisher for ingest, consumer for process) and partition maintenance on PostgreSQL.
type scaleOut struct {
	rdb    *redis.Client
	queue  *redisstream.Queue
	shared *sharedState
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// queued reports whether ingest and process talk through Redis.
func (s *scaleOut) queued() bool { return s != nil && s.queue != nil }

func startScaleOut(cfg Config, active map[string]bool, log *slog.Logger, api *httpapi.API, reg *prometheus.Registry,
	st store.Store, prices *pricing.Table, keys *auth.KeyCache, analytics *query.Service, live *realtime.Feed) (*scaleOut, error) {
	pg, isPG := st.(*postgres.Store)
	if cfg.ScaleOut.RedisURL == "" && !(isPG && active[RoleProcess]) {
		return nil, nil
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &scaleOut{cancel: cancel, shared: cfg.ScaleOut.shared}
	if sh := cfg.ScaleOut.shared; sh != nil {
		// A key revoked through any process stops working in every process at once.
		if isPG {
			pg.OnRevoke(func(hash string) {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := sh.revocations.Publish(ctx, hash); err != nil {
					log.Warn("cannot announce a key revocation; other processes notice it within their cache TTL", "err", err)
				}
			})
		}
		if keys != nil {
			s.goRun(func() { sh.revocations.Subscribe(runCtx, keys.Invalidate, log) })
		}
	}
	if isPG && active[RoleProcess] {
		s.goRun(func() { maintainPartitions(runCtx, pg, cfg.ScaleOut, log) })
	}
	if cfg.ScaleOut.RedisURL == "" {
		return s, nil
	}
	rdb, err := redisstream.NewClient(cfg.ScaleOut.RedisURL)
	if err != nil {
		cancel()
		return nil, err
	}
	s.rdb = rdb
	s.queue = redisstream.New(rdb, cfg.ScaleOut.Queue)
	pingCtx, cancelPing := context.WithTimeout(runCtx, 3*time.Second)
	if err := s.queue.Ping(pingCtx); err != nil {
		// Not fatal: ingest answers 503 and process retries until Redis is back.
		log.Warn("redis is not reachable yet", "err", err)
	}
	cancelPing()
	reg.MustRegister(s.queue.NewCollector())
	if active[RoleIngest] {
		if err := checkRedisDurability(runCtx, rdb, cfg.ScaleOut.AllowVolatileRedis, api, log); err != nil {
			cancel()
			rdb.Close()
			return nil, err
		}
		api.SetPublisher(s.queue)
	} else if active[RoleQuery] {
		// A query process takes the single traces an Ingress sends it, only when Redis keeps
		// what it acknowledges; otherwise it answers 503 and still serves reads.
		if err := checkRedisDurability(runCtx, rdb, cfg.ScaleOut.AllowVolatileRedis, api, log); err != nil {
			log.Warn("this query process will not take traces", "err", err)
		} else {
			api.SetPublisher(s.queue)
		}
	}
	if active[RoleProcess] {
		m := api.Metrics()
		proc := pipeline.NewProcessor(st, log, m.DeadLettered)
		// The data version and live updates are shared through Redis: bumping them at
		// every commit would empty every query process's cache a few milliseconds apart
		// under steady ingestion, and each dashboard read would run its aggregate on the
		// database. They move at most every --commit-visibility, as in one process.
		watchCommits(proc, analytics, live, cfg.CommitVisibility, log)
		watchGuardrails(proc, cfg.ScaleOut.guard, cfg.ScaleOut.runGuard)
		// Ingest enriched the trace already; enriching again is idempotent and lets the
		// process role's price table fill what an older ingest left out.
		handler := func(ctx context.Context, items []queue.Item) error {
			for i := range items {
				pipeline.Enrich(&items[i].Trace, prices)
			}
			return proc.Handle(ctx, items)
		}
		consumer := s.queue.NewConsumer(handler, st, log, redisstream.Hooks{Batch: m.ObserveCommit, DeadLettered: m.DeadLettered})
		s.goRun(func() { consumer.Run(runCtx) })
		s.goRun(func() { s.queue.RunMaintenance(runCtx, time.Second, log) })
		log.Info("consuming the redis queue", "stream", s.queue.Options().Stream, "consumer", s.queue.Options().Consumer)
	}
	return s, nil
}

// checkRedisDurability refuses to acknowledge on a Redis that could lose what it
// acknowledged, unless allowed; then the log and /ready say so.
func checkRedisDurability(ctx context.Context, rdb *redis.Client, allowVolatile bool, api *httpapi.API, log *slog.Logger) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := redisstream.CheckDurability(cctx, rdb)
	if err != nil {
		return fmt.Errorf("%w\nthe ingest role checks Redis persistence before acknowledging anything", err)
	}
	if d.Durable {
		return nil
	}
	if !allowVolatile {
		return fmt.Errorf("redis could lose acknowledged traces in a crash (%s): run it with appendonly yes and "+
			"appendfsync always, or start with --redis-allow-volatile to accept the risk", d.Detail)
	}
	log.Warn("redis is not durable: traces acknowledged shortly before a Redis crash can be lost", "redis", d.Detail)
	api.SetIngestStatus(func() map[string]any { return map[string]any{"redis_volatile": d.Detail} })
	return nil
}

func (s *scaleOut) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// close stops consuming (the batch in progress is committed and acknowledged first) and
// releases Redis. It must run before the store closes.
func (s *scaleOut) close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("queue consumer did not stop in time: %w", ctx.Err())
	}
	if s.rdb != nil {
		err = errors.Join(err, s.rdb.Close())
	}
	return errors.Join(err, s.shared.close())
}

// maintainPartitions creates partitions ahead and applies retention at start and hourly.
// Several process roles may do it at once; the store serialises them.
func maintainPartitions(ctx context.Context, pg *postgres.Store, cfg ScaleOutConfig, log *slog.Logger) {
	ahead := cfg.PartitionsAhead
	if ahead <= 0 {
		ahead = 7
	}
	for {
		retention, err := partitionRetention(ctx, pg, cfg.Retention)
		var dropped []string
		if err == nil {
			dropped, err = pg.MaintainPartitions(ctx, ahead, retention)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("partition maintenance failed; retrying in a minute", "err", err)
		case len(dropped) > 0:
			log.Info("retention dropped partitions", "days", dropped)
		}
		wait := time.Hour
		if err != nil {
			wait = time.Minute
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// startupLock serialises the first-start bootstrap of processes sharing one database:
// started together, each would otherwise create its own "Default" workspace.
const startupLock = 0x6167656e74737472 // "agentstr"

func serialStart(ctx context.Context, st store.Store, fn func() error) error {
	if pg, ok := st.(*postgres.Store); ok {
		return pg.WithLock(ctx, startupLock, fn)
	}
	return fn()
}

// sharedState is what processes share through Redis besides the queue: rate limits, cached
// query answers and their data versions, key revocations. Nil without REDIS_URL, and then
// each process keeps these in memory.
type sharedState struct {
	rdb         *redis.Client
	limiter     *cluster.Limiter
	cache       *cluster.Cache
	versions    *cluster.Versions
	revocations *cluster.Revocations
}

func openShared(cfg Config) (*sharedState, error) {
	if cfg.ScaleOut.RedisURL == "" {
		return nil, nil
	}
	rdb, err := redisstream.NewClient(cfg.ScaleOut.RedisURL)
	if err != nil {
		return nil, err
	}
	return &sharedState{rdb: rdb, limiter: cluster.NewLimiter(rdb), cache: cluster.NewCache(rdb),
		versions: cluster.NewVersions(rdb), revocations: cluster.NewRevocations(rdb)}, nil
}

// sharedLimiter is the limiter every process shares, or nil for the in-memory one.
func (s *sharedState) sharedLimiter() auth.Limiter {
	if s == nil {
		return nil
	}
	return s.limiter
}

// analytics builds the query service on the shared cache and versions: process roles bump
// a workspace's version after each commit, so a query process never serves an answer
// computed before data it could have read. Nil without Redis or analytics.
func (s *sharedState) analytics(st store.Store, log *slog.Logger) *query.Service {
	qs, ok := st.(query.Store)
	if s == nil || !ok {
		return nil
	}
	return query.New(query.Config{Store: qs, Cache: s.cache, Versions: s.versions, Log: log})
}

func (s *sharedState) close() error {
	if s == nil {
		return nil
	}
	return s.rdb.Close()
}
