package main

import (
	"os"
	"time"

	"github.com/agentobs/agentobs/internal/app"
	"github.com/agentobs/agentobs/internal/queue/redisstream"
)

// postgresFlags select the PostgreSQL database of the scale-out store; every command that
// opens the store binds them.
type postgresFlags struct {
	dsn      string
	maxConns int
}

func (f *postgresFlags) bind(s *settings) {
	// The plan's deployments name the database TIMESCALE_URL or POSTGRES_URL; both are
	// accepted as the default of the flag.
	def := os.Getenv("POSTGRES_URL")
	if def == "" {
		def = os.Getenv("TIMESCALE_URL")
	}
	s.str(&f.dsn, "postgres-dsn", "AGENTOBS_POSTGRES_DSN", def, "PostgreSQL URL or DSN for --store=postgres (also read from POSTGRES_URL or TIMESCALE_URL)")
	s.integer(&f.maxConns, "postgres-max-conns", "AGENTOBS_POSTGRES_MAX_CONNS", 0, "PostgreSQL connections per process (0: 4 or one per core)")
}

func (f *postgresFlags) apply(cfg *app.Config) {
	cfg.ScaleOut.PostgresDSN = f.dsn
	cfg.ScaleOut.PostgresMaxConns = f.maxConns
}

// queueFlags configure the Redis stream between ingest and process roles.
type queueFlags struct {
	redisURL                string
	stream, group, consumer string
	maxLen, batch           int
	claimIdle               time.Duration
	maxDeliveries           int
	ahead                   int
	retention               time.Duration
	allowVolatile           bool
}

func (f *queueFlags) bind(s *settings) {
	s.str(&f.redisURL, "redis-url", "REDIS_URL", "", "Redis URL (redis://host:6379/0); when set, ingest publishes to a Redis stream and process consumes it")
	s.str(&f.stream, "queue-stream", "AGENTOBS_QUEUE_STREAM", "agentobs:traces", "Redis stream of ingested traces")
	s.str(&f.group, "queue-group", "AGENTOBS_QUEUE_GROUP", "agentobs-process", "consumer group of the process roles")
	s.str(&f.consumer, "queue-consumer", "AGENTOBS_QUEUE_CONSUMER", "", "this process's consumer name (default: host-pid-random)")
	s.integer(&f.maxLen, "queue-max-len", "AGENTOBS_QUEUE_MAX_LEN", 500000, "traces waiting in the stream before ingest answers 503 with Retry-After")
	s.integer(&f.batch, "queue-batch", "AGENTOBS_QUEUE_BATCH", 10000, "most traces a process role reads and commits at once (a batch is whatever is waiting, up to this)")
	s.boolean(&f.allowVolatile, "redis-allow-volatile", "AGENTOBS_REDIS_ALLOW_VOLATILE", false, "let ingest acknowledge on a Redis without appendonly yes + appendfsync always (acknowledged traces can be lost if Redis crashes)")
	s.duration(&f.claimIdle, "queue-claim-idle", "AGENTOBS_QUEUE_CLAIM_IDLE", 30*time.Second, "how long an entry may sit unacknowledged on a consumer before another takes it over")
	s.integer(&f.maxDeliveries, "queue-max-deliveries", "AGENTOBS_QUEUE_MAX_DELIVERIES", 5, "deliveries of one entry before it goes to the dead-letter stream and table")
	s.integer(&f.ahead, "partitions-ahead", "AGENTOBS_PARTITIONS_AHEAD", 7, "days of PostgreSQL partitions the process role creates in advance")
	s.duration(&f.retention, "retention", "AGENTOBS_RETENTION", 0, "drop PostgreSQL partitions older than this, e.g. 2160h for 90 days (0: keep everything)")
}

func (f *queueFlags) apply(cfg *app.Config) {
	cfg.ScaleOut.RedisURL = f.redisURL
	cfg.ScaleOut.Queue = redisstream.Options{
		Stream: f.stream, Group: f.group, Consumer: f.consumer, MaxLen: int64(f.maxLen), BatchSize: f.batch,
		ClaimIdle: f.claimIdle, MaxDeliveries: int64(f.maxDeliveries),
	}
	cfg.ScaleOut.PartitionsAhead = f.ahead
	cfg.ScaleOut.Retention = f.retention
	cfg.ScaleOut.AllowVolatileRedis = f.allowVolatile
}
