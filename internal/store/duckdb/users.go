package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
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
	// Two queries: the count reads no session id, the few spanning sessions' ids are fetched
	// for those rows only.
	var sure int64
	var spanning []any
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM session_bounds WHERE workspace_id = $1 AND folded AND `+inside,
		f.WorkspaceID, f.From, f.To).Scan(&sure)
	if err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT coalesce(list(session_id), []) FROM session_bounds WHERE workspace_id = $1 AND folded AND `+spans,
		f.WorkspaceID, f.From, f.To).Scan(&spanning)
	if err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	unsure := map[string]bool{}
	for _, id := range toStrings(spanning) {
		unsure[id] = true
	}
	rows, err := s.unfoldedSessionRows(ctx, f.WorkspaceID)
	if err != nil {
		return 0, fmt.Errorf("cannot count sessions: %w", err)
	}
	type flags struct{ countedFolded, anyInside, anyOverlap bool }
	seen := map[string]*flags{}
	for _, r := range rows {
		fl := seen[r.id]
		if fl == nil {
			fl = &flags{}
			seen[r.id] = fl
		}
		overlap := !r.last.Before(f.From) && r.first.Before(f.To)
		in := overlap && (!r.first.Before(f.From) || r.last.Before(f.To))
		fl.countedFolded = fl.countedFolded || (r.folded && in)
		fl.anyInside = fl.anyInside || in
		fl.anyOverlap = fl.anyOverlap || overlap
	}
	for id, fl := range seen {
		delete(unsure, id)
		if fl.countedFolded {
			sure--
		}
		if fl.anyInside {
			sure++
		} else if fl.anyOverlap {
			unsure[id] = true
		}
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
	hashes := make([]uint64, len(ids))
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		hashes[i], want[id] = sessionHash(id), true
	}
	rows, err := s.sessionRows(ctx, workspaceID, hashes)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	for _, r := range rows {
		if !want[r.id] {
			continue
		}
		if from.IsZero() || r.first.Before(from) {
			from = r.first
		}
		if r.last.After(to) {
			to = r.last
		}
	}
	if from.IsZero() {
		return from, to, nil
	}
	return from, to.Add(time.Microsecond), nil
}

// unfoldedSessionRows reads every row of the workspace's sessions that have unfolded rows
// (appended since the last compaction), in one query: the hashes of the unfolded rows (a
// scan of a flag), the row ids with those hashes (a scan of the integer column), then those
// rows. Up to 20,000 sessions may be unfolded between compactions; passed back to the
// database as lists of constants they cost 400 ms at ten million traces with 5,000 of
// them, and 20 ms this way.
func (s *Store) unfoldedSessionRows(ctx context.Context, workspaceID string) ([]sessionRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT session_id, first_start, last_start, folded FROM session_bounds
		WHERE rowid IN (SELECT rowid FROM session_bounds WHERE id_hash IN (SELECT id_hash FROM session_bounds WHERE NOT folded))
		AND workspace_id = $1`, workspaceID)
	if err != nil {
		return nil, err
	}
	return scanSessionRows(rows)
}

// scanSessionRows reads rows of (session_id, first_start, last_start, folded) and closes them.
func scanSessionRows(rows *sql.Rows) ([]sessionRow, error) {
	defer rows.Close()
	var out []sessionRow
	for rows.Next() {
		var r sessionRow
		if err := rows.Scan(&r.id, &r.first, &r.last, &r.folded); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

type sessionRow struct {
	id          string
	first, last time.Time
	folded      bool
}

// maxHashLiterals bounds the hashes written into one lookup's SQL.
const maxHashLiterals = 2000

// sessionRows reads the workspace's session_bounds rows whose id hash is one of hashes, in
// two steps: the row ids of the matching hashes, written into the SQL as constants so that
// only the integer column is read, then the rows by row id. A test of a text column in the
// first step would read the session ids of all rows (4.7 million at 10 million traces).
func (s *Store) sessionRows(ctx context.Context, workspaceID string, hashes []uint64) ([]sessionRow, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	// One snapshot for both steps: a compaction in between would renumber rows.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot find sessions: %w", err)
	}
	defer tx.Rollback()
	var out []sessionRow
	for len(hashes) > 0 {
		n := min(len(hashes), maxHashLiterals)
		lits := make([]string, n)
		for i, h := range hashes[:n] {
			lits[i] = strconv.FormatUint(h, 10)
		}
		hashes = hashes[n:]
		found, err := int64s(ctx, tx, `SELECT rowid FROM session_bounds WHERE id_hash IN (`+strings.Join(lits, ", ")+`)`)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			continue
		}
		ids := make([]string, len(found))
		for i, id := range found {
			ids[i] = strconv.FormatInt(id, 10)
		}
		rows, err := tx.QueryContext(ctx, `SELECT session_id, first_start, last_start, folded FROM session_bounds
			WHERE rowid IN (`+strings.Join(ids, ", ")+`) AND workspace_id = $1`, workspaceID)
		if err != nil {
			return nil, fmt.Errorf("cannot find sessions: %w", err)
		}
		got, err := scanSessionRows(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot find sessions: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func int64s(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot find sessions: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("cannot find sessions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
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
