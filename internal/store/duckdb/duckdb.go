// Package duckdb is the embedded store: one DuckDB file, one writer connection that
// commits batches, and a pool of readers that see committed data (DuckDB is MVCC).
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// FileName is the database file inside the data directory.
const FileName = "agentobs.duckdb"

// Options tune the embedded database.
type Options struct {
	// Threads caps DuckDB's worker threads; 0 lets DuckDB decide.
	Threads int
	// MemoryLimit such as "2GB"; empty means DefaultMemoryLimit.
	MemoryLimit string
	// CheckpointThreshold is the WAL size that triggers a checkpoint, such as "64MB".
	// Larger values mean fewer pauses of the writer and a longer replay after a crash.
	CheckpointThreshold string
	// RowGroupSize is how many rows a table's row group holds in the file; 0 means
	// DefaultRowGroupSize. A multiple of 2048.
	RowGroupSize int
	// Logger receives what background work reports; nil means slog's default.
	Logger *slog.Logger
}

// DefaultRowGroupSize is smaller than DuckDB's 122,880 rows because every checkpoint
// rewrites the table's last, partly filled row group in full: under ingestion that is most
// of a checkpoint's work. With 20,480 rows a checkpoint after 50,000 new traces took 210 ms
// instead of 448 ms on average (bench/README.md, "Row groups and checkpoints").
const DefaultRowGroupSize = 20480

// catalogName is what the database file is attached as: the same name DuckDB gives a
// file opened directly, so current_database() reads as before.
const catalogName = "agentobs"

// Store implements store.Store on a DuckDB file.
type Store struct {
	store.EvalSQL      // evaluations, criteria, feedback: shared SQL (evaluations.go)
	store.IngestionSQL // daily ingestion for the plan: shared SQL
	store.InsightSQL   // insights, goals, events: shared SQL (store/insights.go)
	store.AlertSQL     // alerting, in SQL shared with PostgreSQL
	store.RetentionSettings
	connector *duckdb.Connector
	db        *sql.DB // readers

	wmu sync.Mutex // serialises writes on wconn and guards agents
	// violationsStaged: wconn has its stage_violations table (under wmu).
	violationsStaged bool
	wconn            *sql.Conn
	agents           *store.AgentRegistry // registry rows known to be stored, to skip redundant upserts
	now              func() time.Time
	log              *slog.Logger

	// setPosition is the log position upsert, prepared on the writer's connection at its
	// first use: planning it in every commit cost about half a millisecond (under wmu).
	setPosition *duckdb.Stmt

	rollups rollupState // guarded by wmu; see rollup.go
	text    textIndex   // see textindex.go

	// Background work (indexing traces stored before the text index) ends with Close.
	stopBackground context.CancelFunc
	background     sync.WaitGroup
	snapMu         sync.Mutex // one Snapshot at a time: they share the attached name

	release func() // lets the file be opened again in this process (claimFile)

	lookupOnce sync.Once
	lookup     *sql.Stmt // StoredTraceIDs, prepared once: planning cost more than running it
	lookupErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path. An empty path opens an in-memory
// database, which tests of other packages may use; durability then obviously does not hold.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("cannot create data directory: %w", err)
		}
	}
	release, err := claimFile(path)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, path, opts)
	if err != nil {
		release()
		return nil, err
	}
	s.release = release
	return s, nil
}

// openFiles are the database files this process has open. DuckDB's file lock keeps other
// processes out, but not a second instance in this one (POSIX locks belong to the process):
// two instances writing one file would corrupt it.
var openFiles sync.Map

func claimFile(path string) (release func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open duckdb %q: %w", path, err)
	}
	if _, taken := openFiles.LoadOrStore(abs, true); taken {
		return nil, fmt.Errorf("cannot open duckdb %q: it is already open in this process", path)
	}
	return func() { openFiles.Delete(abs) }, nil
}

func open(ctx context.Context, path string, opts Options) (*Store, error) {
	rowGroup := opts.RowGroupSize
	if rowGroup == 0 {
		rowGroup = DefaultRowGroupSize
	}
	if rowGroup < 2048 || rowGroup%2048 != 0 {
		return nil, fmt.Errorf("the row group size %d (--duckdb-row-group-size) is not a positive multiple of 2048", rowGroup)
	}
	// DuckDB's settings are the instance's, so they are given once, when it opens (setting
	// them on every new connection repeated them, and the spill directory cannot be moved
	// after a spill).
	config := url.Values{}
	if opts.Threads > 0 {
		config.Set("threads", strconv.Itoa(opts.Threads))
	}
	limit := opts.MemoryLimit
	if limit == "" {
		limit = DefaultMemoryLimit()
	}
	config.Set("memory_limit", limit)
	// Under ingestion DuckDB's allocator kept up to 128 MiB of freed memory per task before
	// returning it: a background thread and a 16 MiB threshold return it sooner (peak RSS
	// under batches 768-775 -> 706-714 MB, throughput unchanged).
	config.Set("allocator_background_threads", "true")
	config.Set("allocator_flush_threshold", "16MiB")
	if opts.CheckpointThreshold != "" {
		config.Set("checkpoint_threshold", opts.CheckpointThreshold)
	}
	if path != "" {
		// Spills go next to the file, as when DuckDB opens a file itself (an in-memory
		// instance would spill to .tmp in the working directory).
		config.Set("temp_directory", path+".tmp")
	}
	// The row group size is an option of ATTACH, not of opening a file: the instance is
	// opened in memory and the file attached to it once, then made every connection's
	// default database.
	connector, err := duckdb.NewConnector("?"+config.Encode(), func(execer driver.ExecerContext) error {
		if path == "" {
			return nil
		}
		attach := fmt.Sprintf("ATTACH IF NOT EXISTS %s AS %s (ROW_GROUP_SIZE %d)", quoteLiteral(path), catalogName, rowGroup)
		if _, err := execer.ExecContext(context.Background(), attach, nil); err != nil {
			return &openError{path: path, err: err}
		}
		_, err := execer.ExecContext(context.Background(), "USE "+catalogName, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cannot open duckdb %q: %w", path, err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxIdleConns(4)
	wconn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		connector.Close()
		if oe := (*openError)(nil); errors.As(err, &oe) {
			return nil, oe
		}
		return nil, fmt.Errorf("cannot open duckdb writer connection: %w", err)
	}
	s := &Store{connector: connector, db: db, wconn: wconn, agents: store.NewAgentRegistry(), now: time.Now, log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.EvalSQL = store.EvalSQL{DB: sqlRunner{s: s}}
	s.IngestionSQL = store.IngestionSQL{DB: sqlRunner{s: s}}
	s.AlertSQL = store.AlertSQL{Dialect: dialect, DB: alertConn{s}}
	s.RetentionSettings = store.RetentionSettings{DB: alertConn{s}, Now: func() time.Time { return s.now() }}
	s.InsightSQL = store.InsightSQL{Dialect: dialect, DB: alertConn{s}}
	return s, nil
}

// openError is a database file that cannot be opened (locked by another process, not a
// DuckDB file, unreadable).
type openError struct {
	path string
	err  error
}

func (e *openError) Error() string { return fmt.Sprintf("cannot open duckdb %q: %v", e.path, e.err) }
func (e *openError) Unwrap() error { return e.err }

// Close releases the database. Committed data is already durable; Close also checkpoints
// so the next start does not replay the write-ahead log.
func (s *Store) Close() error {
	if s.stopBackground != nil {
		s.stopBackground()
	}
	s.background.Wait()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, _ = s.wconn.ExecContext(context.Background(), "CHECKPOINT")
	if s.setPosition != nil {
		_ = s.setPosition.Close()
	}
	if s.lookup != nil {
		_ = s.lookup.Close()
	}
	err := errors.Join(s.wconn.Close(), s.db.Close(), s.connector.Close())
	if s.release != nil {
		s.release()
	}
	return err
}

// Ping runs a trivial query on a reader.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("duckdb ping: %w", err)
	}
	return nil
}

func migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFiles, "migrations")
}

// Migrate applies every embedded migration newer than the recorded schema version,
// each in its own transaction together with its schema_migrations row.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.wconn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return 0, fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	current, err := s.schemaVersion(ctx, s.wconn)
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
		tx, err := s.wconn.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, ?)`, m.Version, m.Name, s.now()); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied++
	}
	if err := s.prepareStaging(ctx); err != nil {
		return applied, err
	}
	if err := s.loadTextIndexState(ctx); err != nil {
		return applied, err
	}
	if s.text.unindexedBefore.Load() != indexAll && s.stopBackground == nil {
		bg, stop := context.WithCancel(context.Background())
		s.stopBackground = stop
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			// An error leaves the rest unindexed, read in full, until the next start.
			if err := s.indexStoredText(bg); err != nil && bg.Err() == nil {
				s.log.Warn("cannot index the text of stored traces", "err", err)
			}
		}()
	}
	return applied, nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) schemaVersion(ctx context.Context, q queryRower) (int, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return 0, nil
		}
		return 0, fmt.Errorf("cannot read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// SchemaVersion returns the highest applied migration, 0 on a new file.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return s.schemaVersion(ctx, s.db)
}

// LatestSchemaVersion is the version Migrate brings a database to.
func LatestSchemaVersion() int {
	all, err := migrations()
	if err != nil || len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// MigrationCount is how many migration files there are; numbers may have gaps.
func MigrationCount() int {
	all, _ := migrations()
	return len(all)
}

func notFound(what, id string) error {
	return model.Errorf(model.ENOTFOUND, "%s %q not found", what, id)
}

func nullInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func jsonOrEmpty(raw []byte) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

func ptrInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return model.Int64(n.Int64)
}

func ptrFloat(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	return model.Float64(n.Float64)
}
