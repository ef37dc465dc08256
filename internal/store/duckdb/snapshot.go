package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
)

// TableSum is what a backup records of a table: its rows and an order-independent checksum
// of their contents (the XOR of DuckDB's hash of every row).
type TableSum struct {
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

const snapshotAlias = "agentobs_snapshot"

// Snapshot copies the database into a new DuckDB file at path while the store keeps
// serving: the copy is one statement, so it reads one consistent state of every table
// (DuckDB is MVCC), and writers go on committing meanwhile. It returns the copy's sums.
func (s *Store) Snapshot(ctx context.Context, path string) (map[string]TableSum, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("cannot snapshot into %s: the file exists", path)
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var current string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&current); err != nil {
		return nil, fmt.Errorf("cannot name the database: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `ATTACH `+quoteLiteral(path)+` AS `+snapshotAlias); err != nil {
		return nil, fmt.Errorf("cannot create the snapshot file: %w", err)
	}
	sums, err := func() (map[string]TableSum, error) {
		if _, err := conn.ExecContext(ctx, `COPY FROM DATABASE `+quoteIdent(current)+` TO `+snapshotAlias); err != nil {
			return nil, fmt.Errorf("cannot copy the database: %w", err)
		}
		return tableSums(ctx, conn, snapshotAlias)
	}()
	// Detaching checkpoints the copy: the file is complete on its own.
	if _, derr := conn.ExecContext(context.WithoutCancel(ctx), `DETACH `+snapshotAlias); derr != nil && err == nil {
		err = fmt.Errorf("cannot close the snapshot file: %w", derr)
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	return sums, nil
}

// FileSums opens the DuckDB file at path read-only and returns the sums of its tables.
func FileSums(ctx context.Context, path string) (map[string]TableSum, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer conn.Close()
	var current string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&current); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return tableSums(ctx, conn, current)
}

// SchemaVersionOf reads the highest migration applied to the DuckDB file at path.
func SchemaVersionOf(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return 0, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer db.Close()
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s is not an agentobs database: %w", path, err)
	}
	return int(v.Int64), nil
}

func tableSums(ctx context.Context, conn *sql.Conn, database string) (map[string]TableSum, error) {
	rows, err := conn.QueryContext(ctx, `SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' AND NOT temporary`, database)
	if err != nil {
		return nil, fmt.Errorf("cannot list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(tables)
	out := make(map[string]TableSum, len(tables))
	for _, table := range tables {
		var n int64
		var sum sql.NullString
		q := `SELECT count(*), bit_xor(hash(r))::VARCHAR FROM ` + quoteIdent(database) + `.main.` + quoteIdent(table) + ` r`
		if err := conn.QueryRowContext(ctx, q).Scan(&n, &sum); err != nil {
			return nil, fmt.Errorf("cannot sum table %s: %w", table, err)
		}
		out[table] = TableSum{Rows: n, Checksum: sum.String}
	}
	return out, nil
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
