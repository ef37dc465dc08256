package postgres

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/store"
)

// Dashboards ask for windows such as "the last 24 hours" that end at the current minute, so
// they seldom fall on the roll-ups' 5-minute slots. Sums and counts are additive: such a
// window is answered exactly as the whole slots inside it, from the roll-ups, plus its two
// partial slots, from the raw tables, merged by key. Row stores scan millions of traces
// slowly; this keeps the dashboards' sums independent of the window's length.

// splitFilters returns the filters of the middle (whole 5-minute slots) and of the edges.
func splitFilters(f store.TraceFilter) (middle store.TraceFilter, edges []store.TraceFilter, ok bool) {
	return store.SplitWindow(f, slotMs)
}

// traceStatsSplit answers an additive, agent/status-grouped query whose window is not
// aligned: the roll-up for the middle, the raw tables for the edges.
func (s *Store) traceStatsSplit(ctx context.Context, q store.StatsQuery) (store.StatsResult, bool, error) {
	aligned := q
	f := q.Filter
	f.From, f.To = time.UnixMilli(0), time.UnixMilli(slotMs)
	aligned.Filter = f
	if !store.StatsRollupServes(aligned) {
		return store.StatsResult{}, false, nil
	}
	middle, edges, ok := splitFilters(q.Filter)
	if !ok {
		return store.StatsResult{}, false, nil
	}
	whole := q
	whole.Limit, whole.Offset = 0, 0
	parts := make([]store.StatsResult, 0, 1+len(edges))
	mq := whole
	mq.Filter = middle
	r, err := s.traceStatsRollup(ctx, mq)
	if err != nil {
		return r, true, err
	}
	parts = append(parts, r)
	for _, e := range edges {
		eq := whole
		eq.Filter = e
		var args store.SQLArgs
		r, err := s.scanStats(ctx, eq, statsSQL(eq, dialect.WhereTraces(e, "", &args)), args)
		if err != nil {
			return r, true, err
		}
		parts = append(parts, r)
	}
	return mergeStats(q, parts), true, nil
}

func statsKey(r *store.StatsRow) string {
	return string(rune(0)) + strings.Join(append([]string{time.UnixMilli(r.Bucket).UTC().Format(time.RFC3339Nano)}, r.Keys...), "\x00")
}

// mergeStats sums rows of equal keys, drops empty groups, orders and pages like SQL would.
func mergeStats(q store.StatsQuery, parts []store.StatsResult) store.StatsResult {
	grouped := q.Buckets != nil || len(q.GroupBy) > 0
	byKey := map[string]*store.StatsRow{}
	var rows []*store.StatsRow
	for _, p := range parts {
		for i := range p.Rows {
			r := p.Rows[i]
			k := statsKey(&r)
			have, ok := byKey[k]
			if !ok {
				c := r
				c.FirstStart, c.LastStart, c.LastEnd = time.Time{}, time.Time{}, time.Time{}
				byKey[k] = &c
				rows = append(rows, &c)
				continue
			}
			have.AddSums(&r)
		}
	}
	out := store.StatsResult{}
	if !grouped {
		// One row, as the SQL aggregate without GROUP BY always returns.
		if len(rows) == 0 {
			out.Rows = []store.StatsRow{{Keys: nil}}
		} else {
			out.Rows = []store.StatsRow{*rows[0]}
		}
		out.TotalGroups = 1
		return out
	}
	rows = slices.DeleteFunc(rows, func(r *store.StatsRow) bool { return r.Count == 0 })
	keyCmp := func(a, b *store.StatsRow) int {
		if c := cmp.Compare(a.Bucket, b.Bucket); c != 0 {
			return c
		}
		return slices.Compare(a.Keys, b.Keys)
	}
	slices.SortFunc(rows, func(a, b *store.StatsRow) int {
		switch q.Order {
		case store.OrderCount:
			if c := cmp.Compare(b.Count, a.Count); c != 0 {
				return c
			}
		case store.OrderCost:
			if c := cmp.Compare(b.CostUSD, a.CostUSD); c != 0 {
				return c
			}
		}
		return keyCmp(a, b)
	})
	out.TotalGroups = int64(len(rows))
	start := min(q.Offset, len(rows))
	end := len(rows)
	if q.Limit > 0 {
		end = min(start+q.Limit, len(rows))
	}
	for _, r := range rows[start:end] {
		out.Rows = append(out.Rows, *r)
	}
	return out
}

// callStatsSplit answers CallStats over an unaligned window the same way.
func (s *Store) callStatsSplit(ctx context.Context, q store.CallQuery) ([]store.CallRow, bool, error) {
	f := q.Filter
	f.From, f.To = time.UnixMilli(0), time.UnixMilli(slotMs)
	if !store.RollupServes(f) {
		return nil, false, nil
	}
	middle, edges, ok := splitFilters(q.Filter)
	if !ok {
		return nil, false, nil
	}
	mq := q
	mq.Filter = middle
	all, err := s.callStatsRollup(ctx, mq)
	if err != nil {
		return nil, true, err
	}
	for _, e := range edges {
		eq := q
		eq.Filter = e
		rows, err := s.callStatsRaw(ctx, eq)
		if err != nil {
			return nil, true, err
		}
		all = append(all, rows...)
	}
	return mergeCalls(all), true, nil
}

// mergeCalls sums rows of equal keys, drops empty ones and orders them like SQL would.
func mergeCalls(all []store.CallRow) []store.CallRow {
	type key struct {
		b    int64
		m, p string
	}
	byKey := map[key]int{}
	out := []store.CallRow{}
	for _, r := range all {
		k := key{r.Bucket, r.Model, r.Provider}
		if i, ok := byKey[k]; ok {
			o := &out[i]
			o.Calls += r.Calls
			o.PricedCalls += r.PricedCalls
			o.CostUSD += r.CostUSD
			o.TokensInput += r.TokensInput
			o.TokensOutput += r.TokensOutput
			continue
		}
		byKey[k] = len(out)
		out = append(out, r)
	}
	out = slices.DeleteFunc(out, func(r store.CallRow) bool { return r.Calls == 0 })
	slices.SortFunc(out, func(a, b store.CallRow) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Provider, b.Provider))
	})
	return out
}
