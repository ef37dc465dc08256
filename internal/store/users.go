package store

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// The users' table, the top users and the unique-users counts group a week or a month of
// traces by user. Both SQL backends answer them from user_stats_1d for the whole UTC days of
// their window and from the raw traces for the partial days at its edges, merged by user.

// UserRollupServes reports whether q is such a question: grouped by user, or counting
// distinct users, over a window holding a whole UTC day and filtered at most by user.
func UserRollupServes(q StatsQuery) bool {
	f := q.Filter
	for _, d := range f.NonEmpty {
		if d != DimUser {
			return false
		}
	}
	plain := TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To, UserIDs: f.UserIDs}
	f.NonEmpty = nil
	if fmt.Sprint(f) != fmt.Sprint(plain) || q.Buckets != nil || len(q.Percentiles) > 0 || len(q.ListDistinct) > 0 || q.Latest {
		return false
	}
	byUser := slices.Equal(q.GroupBy, []Dimension{DimUser}) && len(q.CountDistinct) == 0
	countUsers := len(q.GroupBy) == 0 && slices.Equal(q.CountDistinct, []Dimension{DimUser})
	if !byUser && !countUsers {
		return false
	}
	_, _, ok := AlignedWindow(f.From, f.To, DayMs)
	return ok
}

// AlignedWindow returns the whole slots of widthMs inside [from, to), false when there are
// none.
func AlignedWindow(from, to time.Time, widthMs int64) (time.Time, time.Time, bool) {
	if from.IsZero() || to.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	slot := time.Duration(widthMs) * time.Millisecond
	lo := from.Truncate(slot)
	if lo.Before(from) {
		lo = lo.Add(slot)
	}
	hi := to.Truncate(slot)
	return lo, hi, lo.Before(hi)
}

// SplitWindow returns the filters of the middle (whole slots of widthMs) and of the edges.
func SplitWindow(f TraceFilter, widthMs int64) (middle TraceFilter, edges []TraceFilter, ok bool) {
	lo, hi, ok := AlignedWindow(f.From, f.To, widthMs)
	if !ok {
		return f, nil, false
	}
	middle = f
	middle.From, middle.To = lo, hi
	for _, e := range [][2]time.Time{{f.From, lo}, {hi, f.To}} {
		if e[0].Before(e[1]) {
			ef := f
			ef.From, ef.To = e[0], e[1]
			edges = append(edges, ef)
		}
	}
	return middle, edges, true
}

// UserRollupSQL renders the per-user sums of user_stats_1d over the whole days of middle
// (see SplitWindow), one row per user: user_id, traces, success, errors, timeouts,
// latency_ms, priced, cost_usd, tokens_input, tokens_output, tokens_total, first_start,
// last_start, last_end. The table may hold several rows of a key, which are summed.
func (d Dialect) UserRollupSQL(middle TraceFilter, args *SQLArgs) string {
	query := `SELECT user_id, sum(traces)::bigint, sum(success)::bigint, sum(errors)::bigint, sum(timeouts)::bigint, sum(latency_ms)::bigint,
		sum(priced)::bigint, sum(cost_usd)::float8, sum(tokens_input)::bigint, sum(tokens_output)::bigint, sum(tokens_total)::bigint,
		min(first_start), max(last_start), max(last_end)
		FROM user_stats_1d WHERE workspace_id = ` + args.Add(middle.WorkspaceID) + ` AND day_ms >= ` + args.Add(middle.From.UnixMilli()) +
		` AND day_ms < ` + args.Add(middle.To.UnixMilli())
	if len(middle.NonEmpty) > 0 {
		query += ` AND user_id <> ''`
	}
	if len(middle.UserIDs) > 0 {
		query += ` AND ` + d.AnyOf("user_id", args.Add(middle.UserIDs))
	}
	return query + ` GROUP BY user_id HAVING sum(traces) <> 0`
}

// AddEdges adds the per-user figures of the edges of the window (see SplitWindow), which
// stats computes from the raw traces.
func (m *UserMerge) AddEdges(edges []TraceFilter, stats func(StatsQuery) (StatsResult, error)) error {
	for _, e := range edges {
		part, err := stats(StatsQuery{Filter: e, GroupBy: []Dimension{DimUser}, Times: true})
		if err != nil {
			return err
		}
		for _, r := range part.Rows {
			m.Add(r.Keys[0], r)
		}
	}
	return nil
}

// UserMerge adds up the per-user figures of the parts of a window.
type UserMerge struct {
	byUser map[string]*userRow
	order  []*userRow
}

type userRow struct {
	StatsRow
	user string
}

// Add merges one part's figures of user.
func (m *UserMerge) Add(user string, r StatsRow) {
	if m.byUser == nil {
		m.byUser = map[string]*userRow{}
	}
	have := m.byUser[user]
	if have == nil {
		have = &userRow{StatsRow: r, user: user}
		m.byUser[user] = have
		m.order = append(m.order, have)
		return
	}
	have.AddSums(&r)
	have.FirstStart = Earliest(have.FirstStart, r.FirstStart)
	if r.LastStart.After(have.LastStart) {
		have.LastStart = r.LastStart
	}
	if r.LastEnd.After(have.LastEnd) {
		have.LastEnd = r.LastEnd
	}
}

// Result answers q from the merged figures: the page of users in q's order, or the totals
// and the number of users when q groups by nothing.
func (m *UserMerge) Result(q StatsQuery) StatsResult {
	if len(q.GroupBy) == 0 {
		total := StatsRow{Distinct: []int64{0}}
		for _, u := range m.order {
			total.AddSums(&u.StatsRow)
			if q.Times {
				total.FirstStart = Earliest(total.FirstStart, u.FirstStart)
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
		return StatsResult{Rows: []StatsRow{total}, TotalGroups: 1}
	}
	order := slices.DeleteFunc(m.order, func(u *userRow) bool { return u.Count == 0 })
	slices.SortFunc(order, func(a, b *userRow) int {
		var c int
		switch q.Order {
		case OrderCount:
			c = cmp.Compare(b.Count, a.Count)
		case OrderCost:
			c = cmp.Compare(b.CostUSD, a.CostUSD)
		case OrderLastStart:
			c = b.LastStart.Compare(a.LastStart)
		}
		return cmp.Or(c, cmp.Compare(a.user, b.user))
	})
	res := StatsResult{TotalGroups: int64(len(order))}
	start := min(q.Offset, len(order))
	end := len(order)
	if q.Limit > 0 {
		end = min(start+q.Limit, end)
	}
	for _, u := range order[start:end] {
		row := u.StatsRow
		row.Keys = []string{u.user}
		row.Distinct = []int64{}
		if !q.Times && q.Order != OrderLastStart {
			row.FirstStart, row.LastStart, row.LastEnd = time.Time{}, time.Time{}, time.Time{}
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

// Earliest is the earlier of two instants, a zero one counting as absent.
func Earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// SessionCountServes reports whether session_bounds can count the sessions of f: a bounded
// window filtered by nothing but a session.
func SessionCountServes(f TraceFilter) bool {
	if !slices.Equal(f.NonEmpty, []Dimension{DimSession}) {
		return false // the empty session would count as a group
	}
	plain := TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To}
	f.NonEmpty = nil
	return !plain.From.IsZero() && !plain.To.IsZero() && fmt.Sprint(f) == fmt.Sprint(plain)
}
