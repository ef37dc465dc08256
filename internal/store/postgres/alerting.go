package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agentobs/agentobs/internal/store"
)

// alertConn runs the shared alerting SQL on the pool.
type alertConn struct{ pool *pgxpool.Pool }

func (c alertConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (c alertConn) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	return c.pool.Query(ctx, q, args...)
}
