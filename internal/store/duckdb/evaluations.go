package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/agentobs/agentobs/internal/store"
)

// sqlRunner runs store.EvalSQL's statements: writes on the writer connection (under wmu),
// reads on the reader pool, or both inside one transaction of the writer.
type sqlRunner struct {
	s  *Store
	tx *sql.Tx
}

var _ store.SQLRunner = sqlRunner{}

func (r sqlRunner) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if r.tx != nil {
		res, err = r.tx.ExecContext(ctx, q, args...)
	} else {
		r.s.wmu.Lock()
		res, err = r.s.wconn.ExecContext(ctx, q, args...)
		r.s.wmu.Unlock()
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (r sqlRunner) Query(ctx context.Context, q string, args []any, row func(scan func(...any) error) error) error {
	var rows *sql.Rows
	var err error
	if r.tx != nil {
		rows, err = r.tx.QueryContext(ctx, q, args...)
	} else {
		rows, err = r.s.db.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	return store.EachRow(rows, row)
}

func (r sqlRunner) Tx(ctx context.Context, fn func(store.SQLRunner) error) error {
	r.s.wmu.Lock()
	defer r.s.wmu.Unlock()
	tx, err := r.s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot begin: %w", err)
	}
	if err := fn(sqlRunner{s: r.s, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (r sqlRunner) IsUniqueViolation(err error) bool { return isConstraintError(err) }
