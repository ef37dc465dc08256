// Package postgres is the scale-out store: PostgreSQL 15+ through pgx, traces and spans in
// day partitions, batches written with COPY. Any number of processes may share one database;
// writers of the same trace are serialised by its row in trace_keys.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune the connection.
type Options struct {
	// Schema, when set, holds every table (created if missing); empty uses the DSN's
	// search_path, normally "public". Tests give each store its own schema.
	Schema string
	// MaxConns caps the pool; 0 lets pgx decide (4 or the number of CPUs).
	MaxConns int32
}

// Store implements store.Store on PostgreSQL.
type Store struct {
	store.EvalSQL      // evaluations, criteria, feedback: shared SQL (evaluations.go)
	store.IngestionSQL // daily ingestion for the plan: shared SQL
	store.InsightSQL   // insights, goals, events: shared SQL (store/insights.go)
	store.AlertSQL     // alerting, in SQL shared with DuckDB
	store.RetentionSettings
	pool   *pgxpool.Pool
	schema string
	agents *store.AgentRegistry
	now    func() time.Time

	partMu sync.Mutex
	parts  map[string]bool // day partitions known to exist, by name suffix (20261120)

	lookups  fallback // last answers of request-path lookups, for database outages
	onRevoke func(hash string)
}

// OnRevoke sets a function told the hash of every key this store revokes, after the commit;
// scale-out uses it to tell the other processes.
func (s *Store) OnRevoke(f func(hash string)) { s.onRevoke = f }

var _ store.Store = (*Store)(nil)

// Open connects to dsn (a postgres:// URL or key=value string). It does not migrate.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot parse PostgreSQL DSN: %w", err)
	}
	if opts.MaxConns > 0 {
		// WithLock holds one connection while its function uses another.
		cfg.MaxConns = max(opts.MaxConns, 2)
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	// Every timestamp crosses the wire as timestamptz; a session zone keeps text output sane.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// Dashboard aggregates group and deduplicate hundreds of thousands of rows; the default
	// 4MB spills them to disk. Unless the DSN says otherwise.
	if _, ok := cfg.ConnConfig.RuntimeParams["work_mem"]; !ok {
		cfg.ConnConfig.RuntimeParams["work_mem"] = "64MB"
	}
	// JIT compiling costs 100-300 ms a query; it pays off only on scans far longer than any the
	// roll-ups leave, yet the cost estimate of a correlated subquery can trigger it.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, schema: opts.Schema, agents: store.NewAgentRegistry(), now: time.Now, parts: map[string]bool{}}
	s.EvalSQL = store.EvalSQL{DB: sqlRunner{s: s}}
	s.IngestionSQL = store.IngestionSQL{DB: sqlRunner{s: s}}
	s.AlertSQL = store.AlertSQL{Dialect: dialect, DB: alertConn{pool}}
	s.RetentionSettings = store.RetentionSettings{DB: alertConn{pool}, Now: func() time.Time { return s.now() }}
	s.InsightSQL = store.InsightSQL{Dialect: dialect, DB: alertConn{pool}}
	if opts.Schema != "" {
		if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{opts.Schema}.Sanitize()); err != nil {
			pool.Close()
			return nil, fmt.Errorf("cannot create schema %q: %w", opts.Schema, err)
		}
	}
	return s, nil
}

// Pool exposes the connection pool to tests and tooling of this module.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close releases the pool. Committed data is already durable.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that a connection can run a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres ping: %w", err)
	}
	return nil
}

func migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFiles, "migrations")
}

// LatestSchemaVersion is the version Migrate brings a database to.
func LatestSchemaVersion() int {
	all, err := migrations()
	if err != nil || len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// migrationLock is the advisory lock key that serialises Migrate across processes: in
// scale-out every role starts at once and each applies pending migrations.
const migrationLock = 0x6167656e746f6273 // "agentobs"

// Migrate applies every embedded migration newer than the recorded version, each in its own
// transaction with its schema_migrations row.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot connect to PostgreSQL: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return 0, fmt.Errorf("cannot take the migration lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return 0, fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return 0, err
	}
	all, err := migrations()
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range all {
		if m.Version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1, $2, $3)`, m.Version, m.Name, s.now().UTC())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied++
	}
	return applied, nil
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func schemaVersion(ctx context.Context, q queryRower) (int, error) {
	var v *int64
	err := q.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		if pgCode(err) == "42P01" { // undefined_table: a new database
			return 0, nil
		}
		return 0, fmt.Errorf("cannot read schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return int(*v), nil
}

// SchemaVersion returns the highest applied migration, 0 on a new database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.pool)
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func notFound(what, id string) error {
	return model.Errorf(model.ENOTFOUND, "%s %q not found", what, id)
}

// txt makes a string storable: PostgreSQL text cannot hold NUL, which JSON's \u0000 can
// carry. It is replaced by U+FFFD rather than failing the whole trace.
func txt(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func txts(list []string) []string {
	if list == nil {
		return []string{}
	}
	for i, s := range list {
		if strings.IndexByte(s, 0) >= 0 {
			out := make([]string, len(list))
			copy(out, list)
			for j := i; j < len(out); j++ {
				out[j] = txt(out[j])
			}
			return out
		}
	}
	return list
}

func jsonText(raw []byte) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// WithLock runs fn while holding a session advisory lock on key, shared by every process
// on the database. Processes starting at once use it so that only one bootstraps.
func (s *Store) WithLock(ctx context.Context, key int64, fn func() error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("cannot connect to PostgreSQL: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("cannot take lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
	return fn()
}
