package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/store"
)

// sqlRunner runs store.EvalSQL's statements on the pool or inside one transaction.
type sqlRunner struct {
	s  *Store
	tx pgx.Tx
}

var _ store.SQLRunner = sqlRunner{}

func (r sqlRunner) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if r.tx != nil {
		tag, err := r.tx.Exec(ctx, q, args...)
		return tag.RowsAffected(), err
	}
	tag, err := r.s.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (r sqlRunner) Query(ctx context.Context, q string, args []any, row func(scan func(...any) error) error) error {
	var rows pgx.Rows
	var err error
	if r.tx != nil {
		rows, err = r.tx.Query(ctx, q, args...)
	} else {
		rows, err = r.s.pool.Query(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	return store.EachRow(rows, row)
}

func (r sqlRunner) Tx(ctx context.Context, fn func(store.SQLRunner) error) error {
	return pgx.BeginFunc(ctx, r.s.pool, func(tx pgx.Tx) error { return fn(sqlRunner{s: r.s, tx: tx}) })
}

func (r sqlRunner) IsUniqueViolation(err error) bool { return isUniqueViolation(err) }
