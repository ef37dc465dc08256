package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// The analytics queries mirror DuckDB's (internal/store/duckdb/analytics.go) in PostgreSQL's
// dialect: the same roll-up routing, page-of-groups strategy and orderings. Text keys are
// compared with COLLATE "C", the byte order DuckDB uses, whatever the database's collation.

var _ store.Analytics = (*Store)(nil)

// slotMs is the width of the roll-ups' time slots.
const slotMs = 5 * 60 * 1000

// msExpr is start_time in Unix milliseconds. date_part is float8 arithmetic, ten times
// faster than extract's numeric; a float8 holds today's microseconds exactly enough that
// whole seconds, where every bucket boundary lies, land on their own millisecond.
const msExpr = `floor(date_part('epoch', start_time) * 1000)::bigint`

// dialect spells PostgreSQL's array operators for the filters both backends share.
var dialect = store.Dialect{
	AnyOf:    func(expr, list string) string { return expr + " = ANY(" + list + "::text[])" },
	HasAll:   func(col, list string) string { return col + " @> " + list + "::text[]" },
	Contains: func(haystack, needle string) string { return "strpos(" + haystack + ", " + needle + ") > 0" },
}

func floatArray(ps []float64) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.FormatFloat(p, 'g', -1, 64)
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]::float8[]"
}

// keyOrder orders grouped output by its keys: the bucket numerically, dimensions bytewise.
func keyOrder(prefix string, keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = prefix + k
		if k != "b" {
			parts[i] += ` COLLATE "C"`
		}
	}
	return strings.Join(parts, ", ")
}

// TraceStats implements store.Analytics.
func (s *Store) TraceStats(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	if store.StatsRollupServes(q) {
		return s.traceStatsRollup(ctx, q)
	}
	if store.UserRollupServes(q) {
		return s.traceStatsByUser(ctx, q)
	}
	if histogramServes(q) {
		if res, ok, err := s.traceStatsHistogram(ctx, q); ok || err != nil {
			return res, err
		}
	}
	if res, ok, err := s.traceStatsSplit(ctx, q); ok {
		return res, err
	}
	if res, ok, err := s.percentilesApart(ctx, q); ok {
		return res, err
	}
	if q.Limit > 0 && len(q.GroupBy) == 1 && q.Buckets == nil && q.Order != store.OrderKeys {
		return s.traceStatsPage(ctx, q)
	}
	var args store.SQLArgs
	where := dialect.WhereTraces(q.Filter, "", &args)
	query := statsSQL(q, where)
	grouped := q.Buckets != nil || len(q.GroupBy) > 0
	if grouped {
		if q.Limit > 0 {
			query += fmt.Sprintf(" LIMIT %d", q.Limit)
		}
		if q.Offset > 0 {
			query += fmt.Sprintf(" OFFSET %d", q.Offset)
		}
	}
	res, err := s.scanStats(ctx, q, query, args)
	if err != nil {
		return res, err
	}
	if !grouped {
		res.TotalGroups = int64(len(res.Rows))
	}
	return res, nil
}

// statsSQL renders q over the traces matching where, ordered but not limited.
func statsSQL(q store.StatsQuery, where string) string {
	var keys, sel []string
	if q.Buckets != nil {
		sel = append(sel, store.BucketExpr(q.Buckets, msExpr)+" AS b")
		keys = append(keys, "b")
	}
	for i, d := range q.GroupBy {
		k := fmt.Sprintf("k%d", i)
		sel = append(sel, store.DimExpr(d, "")+" AS "+k)
		keys = append(keys, k)
	}
	keyExprs := append([]string(nil), sel...)
	sel = append(sel, `count(*) AS cnt`,
		`count(*) FILTER (WHERE status = 'success')`,
		`count(*) FILTER (WHERE status = 'error')`,
		`count(*) FILTER (WHERE status = 'timeout')`,
		`coalesce(sum(latency_ms), 0)::bigint`,
		`count(cost_usd)`, `coalesce(sum(cost_usd), 0)::float8 AS cost`,
		`coalesce(sum(tokens_input), 0)::bigint`, `coalesce(sum(tokens_output), 0)::bigint`, `coalesce(sum(tokens_total), 0)::bigint`,
		`min(start_time)`, `max(start_time) AS last`, `max(end_time)`)
	if len(q.Percentiles) > 0 {
		sel = append(sel, "percentile_cont("+floatArray(q.Percentiles)+") WITHIN GROUP (ORDER BY latency_ms)")
	}
	for _, d := range q.ListDistinct {
		e := "(" + store.DimExpr(d, "") + `) COLLATE "C"`
		sel = append(sel, fmt.Sprintf("coalesce(array_agg(DISTINCT %s ORDER BY %s) FILTER (WHERE %s <> ''), '{}')", e, e, e))
	}
	if q.Latest {
		sel = append(sel, `(array_agg(trace_id ORDER BY start_time DESC, trace_id COLLATE "C" DESC))[1]`,
			`(array_agg(error_message ORDER BY start_time DESC, trace_id COLLATE "C" DESC))[1]`,
			`(array_agg(user_id ORDER BY start_time, trace_id COLLATE "C"))[1]`)
	}
	grouped := len(keys) > 0
	if !grouped {
		// A DISTINCT subquery can hash; count(DISTINCT) always sorts.
		for _, d := range q.CountDistinct {
			e := store.DimExpr(d, "")
			sel = append(sel, fmt.Sprintf("(SELECT count(*) FROM (SELECT DISTINCT %s FROM traces WHERE %s AND %s <> '') AS x)", e, where, e))
		}
		return "SELECT " + strings.Join(sel, ", ") + " FROM traces WHERE " + where
	}
	group := strings.Join(keys, ", ")
	var with []string
	outer := []string{"g.*"}
	var joins string
	with = append(with, "g AS (SELECT "+strings.Join(sel, ", ")+" FROM traces WHERE "+where+" GROUP BY "+group+")")
	for i, d := range q.CountDistinct {
		e := store.DimExpr(d, "")
		name := fmt.Sprintf("d%d", i)
		with = append(with, fmt.Sprintf("%s AS (SELECT %s, count(*) AS n FROM (SELECT DISTINCT %s, %s AS v FROM traces WHERE %s AND %s <> '') AS x GROUP BY %s)",
			name, group, strings.Join(keyExprs, ", "), e, where, e, group))
		outer = append(outer, fmt.Sprintf("coalesce(%s.n, 0)", name))
		var on []string
		for _, k := range keys {
			on = append(on, fmt.Sprintf("g.%s = %s.%s", k, name, k))
		}
		joins += fmt.Sprintf(" LEFT JOIN %s ON %s", name, strings.Join(on, " AND "))
	}
	outer = append(outer, "count(*) OVER ()")
	gkeys := keyOrder("g.", keys)
	order := gkeys
	switch q.Order {
	case store.OrderCount:
		order = "g.cnt DESC, " + gkeys
	case store.OrderCost:
		order = "g.cost DESC, " + gkeys
	case store.OrderLastStart:
		order = "g.last DESC, " + gkeys
	}
	return "WITH " + strings.Join(with, ", ") + " SELECT " + strings.Join(outer, ", ") + " FROM g" + joins + " ORDER BY " + order
}

// traceStatsRollup answers q, whose window lies on 5-minute slots, from the roll-ups: the
// whole hours inside the window from trace_stats_1h when the buckets are made of whole
// hours, the rest from trace_stats_5m.
func (s *Store) traceStatsRollup(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	middle, edges, ok := store.SplitWindow(q.Filter, hourMs)
	if !ok || !q.Buckets.Holds(hourMs) {
		return s.traceStatsFrom(ctx, q, "trace_stats_5m")
	}
	whole := q
	whole.Limit, whole.Offset = 0, 0
	parts := make([]store.StatsResult, 0, 1+len(edges))
	for i, f := range append([]store.TraceFilter{middle}, edges...) {
		part := whole
		part.Filter = f
		table := "trace_stats_5m"
		if i == 0 {
			table = "trace_stats_1h"
		}
		r, err := s.traceStatsFrom(ctx, part, table)
		if err != nil {
			return r, err
		}
		parts = append(parts, r)
	}
	return mergeStats(q, parts), nil
}

func (s *Store) traceStatsFrom(ctx context.Context, q store.StatsQuery, table string) (store.StatsResult, error) {
	var args store.SQLArgs
	f := q.Filter
	where := append([]string{"workspace_id = " + args.Add(f.WorkspaceID)}, store.SlotBounds(f)...)
	statuses := make([]string, len(f.Statuses))
	for i, st := range f.Statuses {
		statuses[i] = string(st)
	}
	if len(f.AgentIDs) > 0 {
		where = append(where, "agent_id = ANY("+args.Add(f.AgentIDs)+"::text[])")
	}
	if len(statuses) > 0 {
		where = append(where, "status = ANY("+args.Add(statuses)+"::text[])")
	}
	if len(f.ErrorTypes) > 0 {
		where = append(where, store.DimExpr(store.DimErrorType, "")+" = ANY("+args.Add(f.ErrorTypes)+"::text[])")
	}
	var keys, sel, orderKeys []string
	if q.Buckets != nil {
		sel = append(sel, store.BucketExpr(q.Buckets, "slot_ms")+" AS b")
		keys, orderKeys = append(keys, "b"), append(orderKeys, "b")
	}
	for i, d := range q.GroupBy {
		k := fmt.Sprintf("k%d", i)
		sel = append(sel, store.DimExpr(d, "")+" AS "+k)
		keys, orderKeys = append(keys, k), append(orderKeys, store.DimExpr(d, "")+` COLLATE "C"`)
	}
	sel = append(sel, `coalesce(sum(traces), 0)::bigint AS cnt`,
		`coalesce(sum(traces) FILTER (WHERE status = 'success'), 0)::bigint`,
		`coalesce(sum(traces) FILTER (WHERE status = 'error'), 0)::bigint`,
		`coalesce(sum(traces) FILTER (WHERE status = 'timeout'), 0)::bigint`,
		`coalesce(sum(latency_ms), 0)::bigint`, `coalesce(sum(priced), 0)::bigint`, `coalesce(sum(cost_usd), 0)::float8 AS cost`,
		`coalesce(sum(tokens_input), 0)::bigint`, `coalesce(sum(tokens_output), 0)::bigint`, `coalesce(sum(tokens_total), 0)::bigint`,
		`NULL::timestamptz`, `NULL::timestamptz`, `NULL::timestamptz`)
	grouped := len(keys) > 0
	if grouped {
		sel = append(sel, "count(*) OVER ()")
	}
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + table + " WHERE " + strings.Join(where, " AND ")
	if grouped {
		k := strings.Join(orderKeys, ", ")
		groupBy := make([]string, len(keys))
		copy(groupBy, keys)
		for i, d := range q.GroupBy {
			groupBy[len(keys)-len(q.GroupBy)+i] = store.DimExpr(d, "")
		}
		query += " GROUP BY " + strings.Join(groupBy, ", ") + " HAVING sum(traces) <> 0 ORDER BY "
		switch q.Order {
		case store.OrderCount:
			query += "sum(traces) DESC, " + k
		case store.OrderCost:
			query += "sum(cost_usd) DESC, " + k
		default:
			query += k
		}
		if q.Limit > 0 {
			query += fmt.Sprintf(" LIMIT %d", q.Limit)
		}
		if q.Offset > 0 {
			query += fmt.Sprintf(" OFFSET %d", q.Offset)
		}
	}
	res, err := s.scanStats(ctx, q, query, args)
	if err == nil && !grouped {
		res.TotalGroups = int64(len(res.Rows))
	}
	return res, err
}

// scanStats runs a statsSQL query and reads its rows.
func (s *Store) scanStats(ctx context.Context, q store.StatsQuery, query string, args store.SQLArgs) (store.StatsResult, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate traces: %w", err)
	}
	defer rows.Close()
	grouped := q.Buckets != nil || len(q.GroupBy) > 0
	var res store.StatsResult
	for rows.Next() {
		var r store.StatsRow
		var first, last, lastEnd *time.Time
		dest := []any{}
		if q.Buckets != nil {
			dest = append(dest, &r.Bucket)
		}
		keys := make([]*string, len(q.GroupBy))
		for i := range keys {
			dest = append(dest, &keys[i])
		}
		dest = append(dest, &r.Count, &r.Success, &r.Errors, &r.Timeouts, &r.LatencySumMs, &r.PricedCount, &r.CostUSD,
			&r.TokensInput, &r.TokensOutput, &r.TokensTotal, &first, &last, &lastEnd)
		var pcts []*float64
		if len(q.Percentiles) > 0 {
			dest = append(dest, &pcts)
		}
		lists := make([][]string, len(q.ListDistinct))
		for i := range lists {
			dest = append(dest, &lists[i])
		}
		var latestID, latestMsg, firstUser *string
		if q.Latest {
			dest = append(dest, &latestID, &latestMsg, &firstUser)
		}
		r.Distinct = make([]int64, len(q.CountDistinct))
		for i := range r.Distinct {
			dest = append(dest, &r.Distinct[i])
		}
		if grouped {
			dest = append(dest, &res.TotalGroups)
		}
		if err := rows.Scan(dest...); err != nil {
			return store.StatsResult{}, fmt.Errorf("cannot read aggregate: %w", err)
		}
		for _, k := range keys {
			r.Keys = append(r.Keys, deref(k))
		}
		if first != nil {
			r.FirstStart, r.LastStart, r.LastEnd = first.UTC(), last.UTC(), lastEnd.UTC()
		}
		if len(q.Percentiles) > 0 {
			r.Percentiles = make([]float64, len(q.Percentiles))
			for i := range r.Percentiles {
				if i < len(pcts) && pcts[i] != nil {
					r.Percentiles[i] = *pcts[i]
				}
			}
		}
		for _, l := range lists {
			if l == nil {
				l = []string{}
			}
			r.Lists = append(r.Lists, l)
		}
		r.LatestTraceID, r.LatestErrorMessage, r.FirstUserID = deref(latestID), deref(latestMsg), deref(firstUser)
		res.Rows = append(res.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate traces: %w", err)
	}
	return res, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// traceStatsPage answers a page of groups of one dimension in two steps: the page's keys
// and the number of groups from the columns the order needs, then the full figures of just
// those groups.
func (s *Store) traceStatsPage(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	keys, total, err := s.pageKeys(ctx, q)
	if err != nil {
		return store.StatsResult{}, err
	}
	res := store.StatsResult{TotalGroups: total}
	if len(keys) == 0 {
		return res, nil
	}
	full := q
	full.Limit, full.Offset = 0, 0
	var args store.SQLArgs
	where := dialect.WhereTraces(q.Filter, "", &args) + " AND " + store.DimExpr(q.GroupBy[0], "") + " = ANY(" + args.Add(keys) + "::text[])"
	got, err := s.scanStats(ctx, full, statsSQL(full, where), args)
	if err != nil {
		return res, err
	}
	res.Rows = store.RowsInKeyOrder(keys, got.Rows)
	return res, nil
}

// pageKeys finds the keys of the requested page of groups, in order, and counts all groups.
func (s *Store) pageKeys(ctx context.Context, q store.StatsQuery) ([]string, int64, error) {
	var args store.SQLArgs
	where := dialect.WhereTraces(q.Filter, "", &args)
	dim := store.DimExpr(q.GroupBy[0], "")
	var total int64
	if q.GroupBy[0] == store.DimSession && store.SessionCountServes(q.Filter) {
		n, err := s.countSessions(ctx, q.Filter)
		if err != nil {
			return nil, 0, err
		}
		total = n
	} else if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM (SELECT DISTINCT "+dim+" FROM traces WHERE "+where+") AS x", args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("cannot count groups: %w", err)
	}
	need := q.Offset + q.Limit
	if q.Order == store.OrderLastStart {
		return s.latestKeys(ctx, q, where, args, dim, need, total)
	}
	measure := "count(*)"
	if q.Order == store.OrderCost {
		measure = "coalesce(sum(cost_usd), 0)"
	}
	query := fmt.Sprintf(`SELECT %s AS k FROM traces WHERE %s GROUP BY %s ORDER BY %s DESC, %s COLLATE "C" LIMIT %d OFFSET %d`,
		dim, where, dim, measure, dim, q.Limit, q.Offset)
	keys, err := s.strings(ctx, query, args)
	return keys, total, err
}

// latestKeys orders groups by their latest start, reading the newest traces in growing
// slices until the page is certainly complete.
func (s *Store) latestKeys(ctx context.Context, q store.StatsQuery, where string, args store.SQLArgs, dim string, need int, total int64) ([]string, int64, error) {
	for n := max(need*8, 1024); ; n *= 4 {
		query := fmt.Sprintf(`WITH recent AS MATERIALIZED (SELECT %s AS k, start_time FROM traces WHERE %s ORDER BY start_time DESC LIMIT %d)
			SELECT k, max(start_time) AS last, (SELECT count(*) FROM recent), (SELECT min(start_time) FROM recent)
			FROM recent GROUP BY k ORDER BY last DESC, k COLLATE "C"`, dim, where, n)
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return nil, 0, fmt.Errorf("cannot find groups: %w", err)
		}
		var keys []string
		var lasts []time.Time
		var read int64
		var oldest *time.Time
		var k string
		var last time.Time
		_, err = pgx.ForEachRow(rows, []any{&k, &last, &read, &oldest}, func() error {
			keys, lasts = append(keys, k), append(lasts, last)
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("cannot find groups: %w", err)
		}
		var oldestStart time.Time
		if oldest != nil {
			oldestStart = *oldest
		}
		if page, complete := store.LatestPage(keys, lasts, read, int64(n), oldestStart, q.Offset, need); complete {
			return page, total, nil
		}
	}
}

func (s *Store) strings(ctx context.Context, query string, args store.SQLArgs) ([]string, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot find groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cannot find groups: %w", err)
	}
	return out, nil
}

// CallStats implements store.Analytics. Windows on whole 5-minute slots filtered at most by
// agent are answered from the llm_usage_5m roll-up; anything else from the raw tables.
func (s *Store) CallStats(ctx context.Context, q store.CallQuery) ([]store.CallRow, error) {
	if store.RollupServes(q.Filter) {
		return s.callStatsRollup(ctx, q)
	}
	if rows, ok, err := s.callStatsSplit(ctx, q); ok {
		return rows, err
	}
	return s.callStatsRaw(ctx, q)
}

// callStatsRollup answers q, whose window lies on 5-minute slots, from llm_usage_1h and
// llm_usage_5m as traceStatsRollup does.
func (s *Store) callStatsRollup(ctx context.Context, q store.CallQuery) ([]store.CallRow, error) {
	middle, edges, ok := store.SplitWindow(q.Filter, hourMs)
	if !ok || !q.Buckets.Holds(hourMs) {
		return s.callStatsFrom(ctx, q, "llm_usage_5m")
	}
	var all []store.CallRow
	for i, f := range append([]store.TraceFilter{middle}, edges...) {
		part := q
		part.Filter = f
		table := "llm_usage_5m"
		if i == 0 {
			table = "llm_usage_1h"
		}
		rows, err := s.callStatsFrom(ctx, part, table)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return mergeCalls(all), nil
}

func (s *Store) callStatsFrom(ctx context.Context, q store.CallQuery, table string) ([]store.CallRow, error) {
	var args store.SQLArgs
	where := append([]string{"workspace_id = " + args.Add(q.Filter.WorkspaceID)}, store.SlotBounds(q.Filter)...)
	if len(q.Filter.AgentIDs) > 0 {
		where = append(where, "agent_id = ANY("+args.Add(q.Filter.AgentIDs)+"::text[])")
	}
	bucket := "0::bigint"
	if q.Buckets != nil {
		bucket = store.BucketExpr(q.Buckets, "slot_ms")
	}
	keys, group, order := "''::text, ''::text", "1", "1"
	if q.ByModel {
		keys, group, order = "model, provider", "1, model, provider", `1, model COLLATE "C", provider COLLATE "C"`
	}
	query := fmt.Sprintf(`SELECT %s AS b, %s, sum(calls)::bigint, sum(priced_calls)::bigint, sum(cost_usd)::float8,
		sum(tokens_input)::bigint, sum(tokens_output)::bigint
		FROM %s WHERE %s GROUP BY %s HAVING sum(calls) <> 0 ORDER BY %s`, bucket, keys, table, strings.Join(where, " AND "), group, order)
	return s.scanCallRows(ctx, query, args)
}

func (s *Store) callStatsRaw(ctx context.Context, q store.CallQuery) ([]store.CallRow, error) {
	var args store.SQLArgs
	bucket := "0::bigint"
	if q.Buckets != nil {
		bucket = store.BucketExpr(q.Buckets, msExpr)
	}
	keys, group, order := "''::text, ''::text", "1", "1"
	if q.ByModel {
		keys, group, order = "model, provider", "1, model, provider", `1, model COLLATE "C", provider COLLATE "C"`
	}
	// Traces are selected first; their spans are then read from the partition of each.
	// A flat trace is its own call.
	query := fmt.Sprintf(`WITH t AS MATERIALIZED (
			SELECT workspace_id, trace_id, start_time, span_count, model, provider, cost_usd, tokens_input, tokens_output
			FROM traces WHERE %s),
		c AS (
			SELECT start_time, model, provider, cost_usd, tokens_input, tokens_output FROM t WHERE span_count = 0
			UNION ALL
			SELECT t.start_time, s.model, s.provider, s.cost_usd, s.tokens_input, s.tokens_output
			FROM spans s JOIN t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id AND s.trace_start = t.start_time
			WHERE t.span_count > 0 AND s.kind IN ('llm', 'embedding') AND s.workspace_id = %s)
		SELECT %s AS b, %s, count(*), count(cost_usd), coalesce(sum(cost_usd), 0)::float8,
			coalesce(sum(tokens_input), 0)::bigint, coalesce(sum(tokens_output), 0)::bigint
		FROM c GROUP BY %s ORDER BY %s`,
		dialect.WhereTraces(q.Filter, "", &args), args.Add(q.Filter.WorkspaceID), bucket, keys, group, order)
	return s.scanCallRows(ctx, query, args)
}

func (s *Store) scanCallRows(ctx context.Context, query string, args store.SQLArgs) ([]store.CallRow, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot aggregate llm calls: %w", err)
	}
	out := []store.CallRow{}
	var r store.CallRow
	_, err = pgx.ForEachRow(rows, []any{&r.Bucket, &r.Model, &r.Provider, &r.Calls, &r.PricedCalls, &r.CostUSD, &r.TokensInput, &r.TokensOutput}, func() error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read llm calls: %w", err)
	}
	return out, nil
}

// summaryColumns are the trace list's columns; previews are cut in SQL so long inputs are
// never sent to the process.
var summaryColumns = fmt.Sprintf(`trace_id, agent_id, name, user_id, session_id, start_time, end_time, latency_ms, status,
	error_type, left(error_message, %d), model, provider, tokens_input, tokens_output, tokens_total, cost_usd, span_count,
	error_span_count, tags, left(input, %d), left(output, %d)`, model.PreviewChars, model.PreviewChars, model.PreviewChars)

// ListTraces implements store.Analytics.
func (s *Store) ListTraces(ctx context.Context, q store.ListQuery) (store.TracePage, error) {
	var args store.SQLArgs
	where := dialect.WhereTraces(q.Filter, "", &args)
	var key string
	var after any
	switch q.Sort {
	case store.SortLatency:
		key = "latency_ms"
		if q.After != nil {
			after = int64(q.After.Value)
		}
	case store.SortCost:
		key = "coalesce(cost_usd, -1.0)"
		if q.After != nil {
			after = q.After.Value
		}
	default:
		key = "start_time"
		if q.After != nil {
			after = time.UnixMicro(int64(q.After.Value)).UTC()
		}
	}
	dir, cmp := "DESC", "<"
	if q.Asc {
		dir, cmp = "ASC", ">"
	}
	page := where
	if q.After != nil {
		a := args.Add(after)
		page += fmt.Sprintf(` AND (%s %s %s OR (%s = %s AND trace_id COLLATE "C" %s %s))`, key, cmp, a, key, a, cmp, args.Add(q.After.TraceID))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	query := fmt.Sprintf(`SELECT %s FROM traces WHERE %s ORDER BY %s %s, trace_id COLLATE "C" %s LIMIT %d`, summaryColumns, page, key, dir, dir, limit+1)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return store.TracePage{}, fmt.Errorf("cannot list traces: %w", err)
	}
	out := store.TracePage{Traces: []model.TraceSummary{}}
	var t model.TraceSummary
	var status string
	_, err = pgx.ForEachRow(rows, []any{&t.TraceID, &t.AgentID, &t.Name, &t.UserID, &t.SessionID, &t.StartTime, &t.EndTime, &t.LatencyMs,
		&status, &t.ErrorType, &t.ErrorMessage, &t.Model, &t.Provider, &t.TokensInput, &t.TokensOutput, &t.TokensTotal, &t.CostUSD, &t.SpanCount,
		&t.ErrorSpanCount, &t.Tags, &t.InputPreview, &t.OutputPreview}, func() error {
		c := t
		c.Status = model.Status(status)
		c.StartTime, c.EndTime = c.StartTime.UTC(), c.EndTime.UTC()
		if c.Tags == nil {
			c.Tags = []string{}
		}
		out.Traces = append(out.Traces, c)
		t.TokensInput, t.TokensOutput, t.TokensTotal, t.CostUSD, t.Tags = nil, nil, nil, nil, nil
		return nil
	})
	if err != nil {
		return store.TracePage{}, fmt.Errorf("cannot list traces: %w", err)
	}
	if len(out.Traces) > limit {
		out.Traces, out.More = out.Traces[:limit], true
	}
	if q.Count {
		// Counted like any aggregate, so that the roll-ups answer when the filter allows.
		res, err := s.TraceStats(ctx, store.StatsQuery{Filter: q.Filter, Measures: store.MeasureCount})
		if err != nil {
			return store.TracePage{}, fmt.Errorf("cannot count traces: %w", err)
		}
		out.Total = res.Rows[0].Count
	}
	return out, nil
}

// GetBudget implements store.Analytics.
func (s *Store) GetBudget(ctx context.Context, workspaceID string) (*model.Budget, error) {
	b := model.Budget{WorkspaceID: workspaceID}
	err := s.pool.QueryRow(ctx, `SELECT monthly_limit_usd, thresholds_pct, timezone, updated_at FROM budgets WHERE workspace_id = $1`,
		workspaceID).Scan(&b.MonthlyLimitUSD, &b.ThresholdsPct, &b.Timezone, &b.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("budget of workspace", workspaceID)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read budget: %w", err)
	}
	if b.ThresholdsPct == nil {
		b.ThresholdsPct = []float64{}
	}
	b.UpdatedAt = b.UpdatedAt.UTC()
	return &b, nil
}

// PutBudget implements store.Analytics.
func (s *Store) PutBudget(ctx context.Context, b model.Budget) error {
	thresholds := b.ThresholdsPct
	if thresholds == nil {
		thresholds = []float64{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO budgets (workspace_id, monthly_limit_usd, thresholds_pct, timezone, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (workspace_id) DO UPDATE SET monthly_limit_usd = excluded.monthly_limit_usd, thresholds_pct = excluded.thresholds_pct,
		timezone = excluded.timezone, updated_at = excluded.updated_at`,
		b.WorkspaceID, b.MonthlyLimitUSD, thresholds, b.Timezone, b.UpdatedAt)
	if err != nil {
		return fmt.Errorf("cannot store budget: %w", err)
	}
	return nil
}

// GetHealthThresholds implements store.Analytics.
func (s *Store) GetHealthThresholds(ctx context.Context, workspaceID string) (*model.HealthThresholds, error) {
	h := model.HealthThresholds{WorkspaceID: workspaceID}
	err := s.pool.QueryRow(ctx, `SELECT degraded_p95_ms, critical_p95_ms, degraded_error_rate_pct, critical_error_rate_pct, updated_at
		FROM health_thresholds WHERE workspace_id = $1`, workspaceID).Scan(&h.DegradedP95Ms, &h.CriticalP95Ms,
		&h.DegradedErrorRatePct, &h.CriticalErrorRatePct, &h.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("health thresholds of workspace", workspaceID)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read health thresholds: %w", err)
	}
	h.UpdatedAt = h.UpdatedAt.UTC()
	return &h, nil
}

// PutHealthThresholds implements store.Analytics.
func (s *Store) PutHealthThresholds(ctx context.Context, h model.HealthThresholds) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO health_thresholds (workspace_id, degraded_p95_ms, critical_p95_ms, degraded_error_rate_pct,
		critical_error_rate_pct, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id) DO UPDATE SET
		degraded_p95_ms = excluded.degraded_p95_ms, critical_p95_ms = excluded.critical_p95_ms,
		degraded_error_rate_pct = excluded.degraded_error_rate_pct, critical_error_rate_pct = excluded.critical_error_rate_pct,
		updated_at = excluded.updated_at`,
		h.WorkspaceID, h.DegradedP95Ms, h.CriticalP95Ms, h.DegradedErrorRatePct, h.CriticalErrorRatePct, h.UpdatedAt)
	if err != nil {
		return fmt.Errorf("cannot store health thresholds: %w", err)
	}
	return nil
}

// ListAlerts implements store.Analytics.
func (s *Store) ListAlerts(ctx context.Context, workspaceID string, limit int) ([]model.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, rule_id, severity, status, title, description, agent_id, triggered_at, resolved_at
		FROM alerts WHERE workspace_id = $1 ORDER BY triggered_at DESC, id LIMIT $2`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list alerts: %w", err)
	}
	out := []model.Alert{}
	var a model.Alert
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.RuleID, &a.Severity, &a.Status, &a.Title, &a.Description, &a.AgentID, &a.TriggeredAt, &a.ResolvedAt}, func() error {
		c := a
		c.WorkspaceID, c.TriggeredAt, c.ResolvedAt = workspaceID, c.TriggeredAt.UTC(), utcPtr(c.ResolvedAt)
		out = append(out, c)
		a.ResolvedAt = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read alert: %w", err)
	}
	return out, nil
}
