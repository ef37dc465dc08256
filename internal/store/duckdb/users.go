package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/store"
)

// traceStatsByUser answers what store.UserRollupServes accepts: user_stats_1d for the whole
// days of the window, the raw traces for its edges.
func (s *Store) traceStatsByUser(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	middle, edges, _ := store.SplitWindow(q.Filter, store.DayMs)
	var merged store.UserMerge
	var args store.SQLArgs
	rows, err := s.db.QueryContext(ctx, dialect.UserRollupSQL(middle, &args), args...)
	if err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var r store.StatsRow
		var first, last, lastEnd sql.NullTime
		if err := rows.Scan(&user, &r.Count, &r.Success, &r.Errors, &r.Timeouts, &r.LatencySumMs, &r.PricedCount, &r.CostUSD,
			&r.TokensInput, &r.TokensOutput, &r.TokensTotal, &first, &last, &lastEnd); err != nil {
			return store.StatsResult{}, fmt.Errorf("cannot aggregate users: %w", err)
		}
		if first.Valid {
			r.FirstStart, r.LastStart, r.LastEnd = first.Time.UTC(), last.Time.UTC(), lastEnd.Time.UTC()
		}
		merged.Add(user, r)
	}
	if err := rows.Err(); err != nil {
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

// countSessions counts the sessions with a trace in f's window from session_bounds, whose
// rows' bounds are starts of stored traces: a session with a row that begins or ends in the
// window surely has a trace in it; one whose rows all span the window (few) is looked up in
// the traces. Folded rows are counted without grouping (a session has one); the few
// sessions with unfolded rows (appended since the last compaction) are then corrected by
// looking at all their rows.
func (s *Store) countSessions(ctx context.Context, f store.TraceFilter) (int64, error) {
	const overlaps = `last_start >= $2 AND first_start < $3`
	const inside = overlaps + ` AND (first_start >= $2 OR last_start < $3)`
	const spans = `first_start < $2 AND last_start >= $3`
	var sure int64
	var spanning []any
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE `+inside+`), coalesce(list(session_id) FILTER (WHERE `+spans+`), [])
		FROM session_bounds WHERE workspace_id = $1 AND folded AND `+overlaps, f.WorkspaceID, f.From, f.To).Scan(&sure, &spanning)
	if err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	unsure := map[string]bool{}
	for _, id := range toStrings(spanning) {
		unsure[id] = true
	}
	rows, err := s.db.QueryContext(ctx, `SELECT session_id, bool_or(folded AND `+inside+`), bool_or(`+inside+`), bool_or(`+overlaps+`)
		FROM session_bounds WHERE workspace_id = $1 AND session_id IN (SELECT session_id FROM session_bounds WHERE workspace_id = $1 AND NOT folded)
		GROUP BY session_id`, f.WorkspaceID, f.From, f.To)
	if err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var countedFolded, anyInside, anyOverlap bool
		if err := rows.Scan(&id, &countedFolded, &anyInside, &anyOverlap); err != nil {
			return 0, fmt.Errorf("cannot count sessions: %w", err)
		}
		delete(unsure, id)
		if countedFolded {
			sure--
		}
		if anyInside {
			sure++
		} else if anyOverlap {
			unsure[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	if len(unsure) == 0 {
		return sure, nil
	}
	ids := make([]string, 0, len(unsure))
	for id := range unsure {
		ids = append(ids, id)
	}
	var active int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT session_id) FROM traces
		WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3 AND session_id IN (SELECT unnest($4))`,
		f.WorkspaceID, f.From, f.To, ids).Scan(&active); err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	return sure + active, nil
}

// sessionsSpan is the smallest window holding every trace of the sessions: the page of a
// sessions list only needs to read that part of the traces.
func (s *Store) sessionsSpan(ctx context.Context, workspaceID string, ids []string) (from, to time.Time, err error) {
	var first, last sql.NullTime
	err = s.db.QueryRowContext(ctx, `SELECT min(first_start), max(last_start) FROM session_bounds
		WHERE workspace_id = $1 AND session_id IN (SELECT unnest($2))`, workspaceID, ids).Scan(&first, &last)
	if err != nil || !first.Valid {
		return time.Time{}, time.Time{}, err
	}
	return first.Time, last.Time.Add(time.Microsecond), nil
}

// withinSessions narrows the window of a filter on sessions to the span of their traces,
// so that a session's page reads a few row groups instead of the whole table.
func (s *Store) withinSessions(ctx context.Context, f store.TraceFilter) (store.TraceFilter, error) {
	if len(f.SessionIDs) == 0 {
		return f, nil
	}
	from, to, err := s.sessionsSpan(ctx, f.WorkspaceID, f.SessionIDs)
	if err != nil {
		return f, fmt.Errorf("cannot find the sessions' bounds: %w", err)
	}
	if from.IsZero() {
		return f, nil
	}
	if from.After(f.From) {
		f.From = from
	}
	if f.To.IsZero() || to.Before(f.To) {
		f.To = to
	}
	return f, nil
}
