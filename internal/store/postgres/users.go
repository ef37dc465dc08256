package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/store"
)

// The users' table, the top users and the unique-users counts group a week or a month of
// traces by user: hundreds of thousands of rows, a second of reading in a row store. They
// are answered from user_stats_1d for the whole UTC days of their window and from the raw
// traces for the partial days at its edges, merged by user.

// userRollupServes reports whether q is such a question: grouped by user, or counting
// distinct users, over a window holding a whole UTC day and filtered at most by user.
func userRollupServes(q store.StatsQuery) bool {
	f := q.Filter
	for _, d := range f.NonEmpty {
		if d != store.DimUser {
			return false
		}
	}
	plain := store.TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To, UserIDs: f.UserIDs}
	f.NonEmpty = nil
	if fmt.Sprint(f) != fmt.Sprint(plain) || q.Buckets != nil || len(q.Percentiles) > 0 || len(q.ListDistinct) > 0 || q.Latest {
		return false
	}
	byUser := slices.Equal(q.GroupBy, []store.Dimension{store.DimUser}) && len(q.CountDistinct) == 0
	countUsers := len(q.GroupBy) == 0 && slices.Equal(q.CountDistinct, []store.Dimension{store.DimUser})
	if !byUser && !countUsers {
		return false
	}
	_, _, ok := alignedWindow(f.From, f.To, store.DayMs)
	return ok
}

// userRow is one user's figures while parts of the window are merged.
type userRow struct {
	store.StatsRow
	user string
}

func (s *Store) traceStatsByUser(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	middle, edges, _ := splitOn(q.Filter, store.DayMs)
	nonEmpty := len(q.Filter.NonEmpty) > 0
	byUser := map[string]*userRow{}
	var order []*userRow
	merge := func(user string, r store.StatsRow) {
		have := byUser[user]
		if have == nil {
			have = &userRow{StatsRow: r, user: user}
			byUser[user] = have
			order = append(order, have)
			return
		}
		have.AddSums(&r)
		have.FirstStart = earliest(have.FirstStart, r.FirstStart)
		if r.LastStart.After(have.LastStart) {
			have.LastStart = r.LastStart
		}
		if r.LastEnd.After(have.LastEnd) {
			have.LastEnd = r.LastEnd
		}
	}

	query := `SELECT user_id, sum(traces)::bigint, sum(success)::bigint, sum(errors)::bigint, sum(timeouts)::bigint, sum(latency_ms)::bigint,
		sum(priced)::bigint, sum(cost_usd)::float8, sum(tokens_input)::bigint, sum(tokens_output)::bigint, sum(tokens_total)::bigint,
		min(first_start), max(last_start), max(last_end)
		FROM user_stats_1d WHERE workspace_id = $1 AND day_ms >= $2 AND day_ms < $3`
	args := []any{q.Filter.WorkspaceID, middle.From.UnixMilli(), middle.To.UnixMilli()}
	if nonEmpty {
		query += ` AND user_id <> ''`
	}
	if len(q.Filter.UserIDs) > 0 {
		query += ` AND user_id = ANY($4::text[])`
		args = append(args, q.Filter.UserIDs)
	}
	rows, err := s.pool.Query(ctx, query+` GROUP BY user_id HAVING sum(traces) <> 0`, args...)
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
		merge(user, c)
		return nil
	})
	if err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate users: %w", err)
	}
	for _, e := range edges {
		eq := store.StatsQuery{Filter: e, GroupBy: []store.Dimension{store.DimUser}, Times: true}
		var args store.SQLArgs
		part, err := s.scanStats(ctx, eq, statsSQL(eq, dialect.WhereTraces(e, "", &args)), args)
		if err != nil {
			return store.StatsResult{}, err
		}
		for _, r := range part.Rows {
			merge(r.Keys[0], r)
		}
	}

	if len(q.GroupBy) == 0 {
		total := store.StatsRow{Distinct: []int64{0}}
		for _, u := range order {
			total.AddSums(&u.StatsRow)
			if q.Times {
				total.FirstStart = earliest(total.FirstStart, u.FirstStart)
				if u.LastStart.After(total.LastStart) {
					total.LastStart = u.LastStart
				}
				if u.LastEnd.After(total.LastEnd) {
					total.LastEnd = u.LastEnd
				}
			}
			if u.user != "" && u.Count > 0 {
				total.Distinct[0]++
			}
		}
		return store.StatsResult{Rows: []store.StatsRow{total}, TotalGroups: 1}, nil
	}

	order = slices.DeleteFunc(order, func(u *userRow) bool { return u.Count == 0 })
	slices.SortFunc(order, func(a, b *userRow) int {
		var c int
		switch q.Order {
		case store.OrderCount:
			c = cmp.Compare(b.Count, a.Count)
		case store.OrderCost:
			c = cmp.Compare(b.CostUSD, a.CostUSD)
		case store.OrderLastStart:
			c = b.LastStart.Compare(a.LastStart)
		}
		return cmp.Or(c, cmp.Compare(a.user, b.user))
	})
	res := store.StatsResult{TotalGroups: int64(len(order))}
	start := min(q.Offset, len(order))
	end := len(order)
	if q.Limit > 0 {
		end = min(start+q.Limit, end)
	}
	for _, u := range order[start:end] {
		row := u.StatsRow
		row.Keys = []string{u.user}
		row.Distinct = []int64{}
		if !q.Times && q.Order != store.OrderLastStart {
			row.FirstStart, row.LastStart, row.LastEnd = time.Time{}, time.Time{}, time.Time{}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// earliest is the earlier of two instants, a zero one counting as absent.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// sessionCountServes reports whether session_bounds can count the sessions of f: a bounded
// window filtered by nothing but a session.
func sessionCountServes(f store.TraceFilter) bool {
	if !slices.Equal(f.NonEmpty, []store.Dimension{store.DimSession}) {
		return false // the empty session would count as a group
	}
	plain := store.TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To}
	f.NonEmpty = nil
	return !plain.From.IsZero() && !plain.To.IsZero() && fmt.Sprint(f) == fmt.Sprint(plain)
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
