package duckdb

import (
	"context"
	"database/sql"

	"github.com/agentobs/agentobs/internal/store"
)

// alertConn runs the shared alerting SQL: writes on the single writer connection, reads
// on the pool.
type alertConn struct{ s *Store }

func (c alertConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return c.s.execCount(ctx, q, args...)
}

func (c alertConn) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	rows, err := c.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
