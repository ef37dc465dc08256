package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/store"
)

// The users' table, the top users and the unique-users counts group a week or a month of
// traces by user: hundreds of thousands of rows, a second of reading in a row store. See
// store.UserRollupServes.
func (s *Store) traceStatsByUser(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	middle, edges, _ := store.SplitWindow(q.Filter, store.DayMs)
	var merged store.UserMerge
	var args store.SQLArgs
	rows, err := s.pool.Query(ctx, dialect.UserRollupSQL(middle, &args), args...)
	if err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate users: %w", err)
	}
	var user string
	var r store.StatsRow
	var first, last, lastEnd *time.Time
	_, err = pgx.ForEachRow(rows, []any{&user, &r.Count, &r.Success, &r.Errors, &r.Timeouts, &r.LatencySumMs, &r.PricedCount, &r.CostUSD,
		&r.TokensInput, &r.TokensOutput, &r.TokensTotal, &first, &last, &lastEnd}, func() error {
		c := r
		if first != nil {
			c.FirstStart, c.LastStart, c.LastEnd = first.UTC(), last.UTC(), lastEnd.UTC()
		}
		merged.Add(user, c)
		return nil
	})
	if err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate users: %w", err)
	}
	err = merged.AddEdges(edges, func(eq store.StatsQuery) (store.StatsResult, error) {
		var args store.SQLArgs
		return s.scanStats(ctx, eq, statsSQL(eq, dialect.WhereTraces(eq.Filter, "", &args)), args)
	})
	if err != nil {
		return store.StatsResult{}, err
	}
	return merged.Result(q), nil
}

// countSessions counts the sessions with a trace in f's window: those whose first trace is
// in it, and those begun before it whose last trace is in it or, when later, that have a
// trace in it (the only case that reads traces).
func (s *Store) countSessions(ctx context.Context, f store.TraceFilter) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `WITH begun_before AS MATERIALIZED (
			SELECT session_id, last_start FROM session_bounds WHERE workspace_id = $1 AND last_start >= $2 AND first_start < $2)
		SELECT (SELECT count(*) FROM session_bounds WHERE workspace_id = $1 AND first_start >= $2 AND first_start < $3) +
			(SELECT count(*) FROM begun_before b WHERE b.last_start < $3 OR EXISTS (SELECT 1 FROM traces t
				WHERE t.workspace_id = $1 AND t.session_id = b.session_id AND t.start_time >= $2 AND t.start_time < $3))`,
		f.WorkspaceID, f.From, f.To).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	return n, nil
}
