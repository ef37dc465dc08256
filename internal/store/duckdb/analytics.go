package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

var _ store.Analytics = (*Store)(nil)

// dialect spells DuckDB's list functions for the filters both backends share.
var dialect = store.Dialect{
	AnyOf:    func(expr, list string) string { return "list_contains(" + list + ", " + expr + ")" },
	HasAll:   func(col, list string) string { return "list_has_all(" + col + ", " + list + ")" },
	Contains: func(haystack, needle string) string { return "contains(" + haystack + ", " + needle + ")" },
}

func floatList(ps []float64) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.FormatFloat(p, 'g', -1, 64)
	}
	return "[" + strings.Join(parts, ", ") + "]::DOUBLE[]"
}

// TraceStats implements store.Analytics.
//
// Grouped distinct counts are computed from a DISTINCT sub-aggregation joined to the groups:
// DuckDB's per-group DISTINCT aggregates are far slower on many rows. A page of groups of
// one dimension is found first from the few columns its order needs, and only its groups
// are then aggregated in full.
func (s *Store) TraceStats(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	if store.StatsRollupServes(q) {
		return s.traceStatsRollup(ctx, q)
	}
	if f, err := s.withinSessions(ctx, q.Filter); err != nil {
		return store.StatsResult{}, err
	} else if q.Buckets == nil {
		// Bucket labels depend on the window, which must then stay as asked.
		q.Filter = f
	}
	if store.UserRollupServes(q) {
		return s.traceStatsByUser(ctx, q)
	}
	if histogramServes(q) {
		if res, ok, err := s.traceStatsHistogram(ctx, q); ok || err != nil {
			return res, err
		}
	}
	// Sessions are too many to aggregate all of them fully for one page.
	if q.Limit > 0 && len(q.GroupBy) == 1 && q.GroupBy[0] == store.DimSession && q.Buckets == nil && q.Order != store.OrderKeys {
		return s.traceStatsPage(ctx, q)
	}
	var args store.SQLArgs
	where, err := s.whereTraces(ctx, q.Filter, &args)
	if err != nil {
		return store.StatsResult{}, err
	}
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
		sel = append(sel, store.BucketExpr(q.Buckets, "epoch_ms(start_time)")+" AS b")
		keys = append(keys, "b")
	}
	for i, d := range q.GroupBy {
		k := fmt.Sprintf("k%d", i)
		sel = append(sel, store.DimExpr(d, "")+" AS "+k)
		keys = append(keys, k)
	}
	keyExprs := append([]string(nil), sel...)
	// Figures not asked for are constants, so their columns are never read.
	pick := func(m store.Measures, exprs ...string) []string {
		if q.Measures.Has(m) {
			return exprs
		}
		out := make([]string, len(exprs))
		for i, e := range exprs {
			out[i] = "0::BIGINT"
			if strings.Contains(e, "DOUBLE") {
				out[i] = "0::DOUBLE"
			}
			if _, alias, ok := strings.Cut(e, " AS "); ok {
				out[i] += " AS " + alias
			}
		}
		return out
	}
	sel = append(sel, `count(*) AS cnt`)
	sel = append(sel, pick(store.MeasureStatus, `count(*) FILTER (WHERE status = 'success')`,
		`count(*) FILTER (WHERE status = 'error')`, `count(*) FILTER (WHERE status = 'timeout')`)...)
	sel = append(sel, pick(store.MeasureLatency, `coalesce(sum(latency_ms), 0)::BIGINT`)...)
	sel = append(sel, pick(store.MeasureCost, `count(cost_usd)`, `coalesce(sum(cost_usd), 0)::DOUBLE AS cost`)...)
	sel = append(sel, pick(store.MeasureTokens, `coalesce(sum(tokens_input), 0)::BIGINT`, `coalesce(sum(tokens_output), 0)::BIGINT`,
		`coalesce(sum(tokens_total), 0)::BIGINT`)...)
	if q.Times || q.Order == store.OrderLastStart || q.Measures == 0 {
		sel = append(sel, `min(start_time)`, `max(start_time) AS last`, `max(end_time)`)
	} else {
		sel = append(sel, `NULL::TIMESTAMPTZ`, `NULL::TIMESTAMPTZ AS last`, `NULL::TIMESTAMPTZ`)
	}
	if len(q.Percentiles) > 0 {
		sel = append(sel, "quantile_cont(latency_ms, "+floatList(q.Percentiles)+")")
	}
	for _, d := range q.ListDistinct {
		e := store.DimExpr(d, "")
		sel = append(sel, fmt.Sprintf("list_sort(list_distinct(list(%s) FILTER (WHERE %s <> '')))", e, e))
	}
	if q.Latest {
		sel = append(sel, `arg_max(trace_id, (start_time, trace_id))`, `arg_max(error_message, (start_time, trace_id))`,
			`arg_min(user_id, (start_time, trace_id))`)
	}
	grouped := len(keys) > 0
	if !grouped {
		for _, d := range q.CountDistinct {
			e := store.DimExpr(d, "")
			sel = append(sel, fmt.Sprintf("count(DISTINCT %s) FILTER (WHERE %s <> '')", e, e))
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
		with = append(with, fmt.Sprintf("%s AS (SELECT %s, count(*) AS n FROM (SELECT DISTINCT %s, %s AS v FROM traces WHERE %s AND %s <> '') GROUP BY %s)",
			name, group, strings.Join(keyExprs, ", "), e, where, e, group))
		outer = append(outer, fmt.Sprintf("coalesce(%s.n, 0)", name))
		var on []string
		for _, k := range keys {
			on = append(on, fmt.Sprintf("g.%s = %s.%s", k, name, k))
		}
		joins += fmt.Sprintf(" LEFT JOIN %s ON %s", name, strings.Join(on, " AND "))
	}
	outer = append(outer, "count(*) OVER ()")
	gkeys := "g." + strings.Join(keys, ", g.")
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

func (s *Store) traceStatsRollup(ctx context.Context, q store.StatsQuery) (store.StatsResult, error) {
	var args store.SQLArgs
	f := q.Filter
	where := append([]string{"workspace_id = " + args.Add(f.WorkspaceID)}, store.SlotBounds(f)...)
	statuses := make([]string, len(f.Statuses))
	for i, st := range f.Statuses {
		statuses[i] = string(st)
	}
	for _, c := range []struct {
		expr string
		vals []string
	}{{"agent_id", f.AgentIDs}, {"status", statuses}, {store.DimExpr(store.DimErrorType, ""), f.ErrorTypes}} {
		if len(c.vals) > 0 {
			where = append(where, "list_contains("+args.Add(c.vals)+", "+c.expr+")")
		}
	}
	var keys, sel []string
	if q.Buckets != nil {
		sel = append(sel, store.BucketExpr(q.Buckets, "slot_ms")+" AS b")
		keys = append(keys, "b")
	}
	for i, d := range q.GroupBy {
		k := fmt.Sprintf("k%d", i)
		sel = append(sel, store.DimExpr(d, "")+" AS "+k)
		keys = append(keys, k)
	}
	sel = append(sel, `coalesce(sum(traces), 0)::BIGINT AS cnt`,
		`coalesce(sum(traces) FILTER (WHERE status = 'success'), 0)::BIGINT`,
		`coalesce(sum(traces) FILTER (WHERE status = 'error'), 0)::BIGINT`,
		`coalesce(sum(traces) FILTER (WHERE status = 'timeout'), 0)::BIGINT`,
		`coalesce(sum(latency_ms), 0)::BIGINT`, `coalesce(sum(priced), 0)::BIGINT`, `coalesce(sum(cost_usd), 0)::DOUBLE AS cost`,
		`coalesce(sum(tokens_input), 0)::BIGINT`, `coalesce(sum(tokens_output), 0)::BIGINT`, `coalesce(sum(tokens_total), 0)::BIGINT`,
		`NULL::TIMESTAMPTZ`, `NULL::TIMESTAMPTZ`, `NULL::TIMESTAMPTZ`)
	grouped := len(keys) > 0
	if grouped {
		sel = append(sel, "count(*) OVER ()")
	}
	query := "SELECT " + strings.Join(sel, ", ") + " FROM trace_stats_5m WHERE " + strings.Join(where, " AND ")
	if grouped {
		k := strings.Join(keys, ", ")
		query += " GROUP BY " + k + " HAVING sum(traces) <> 0 ORDER BY "
		switch q.Order {
		case store.OrderCount:
			query += "cnt DESC, " + k
		case store.OrderCost:
			query += "cost DESC, " + k
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
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate traces: %w", err)
	}
	defer rows.Close()
	grouped := q.Buckets != nil || len(q.GroupBy) > 0
	var res store.StatsResult
	for rows.Next() {
		var r store.StatsRow
		var first, last, lastEnd sql.NullTime
		dest := []any{}
		if q.Buckets != nil {
			dest = append(dest, &r.Bucket)
		}
		keys := make([]sql.NullString, len(q.GroupBy))
		for i := range keys {
			dest = append(dest, &keys[i])
		}
		dest = append(dest, &r.Count, &r.Success, &r.Errors, &r.Timeouts, &r.LatencySumMs, &r.PricedCount, &r.CostUSD,
			&r.TokensInput, &r.TokensOutput, &r.TokensTotal, &first, &last, &lastEnd)
		var pcts any
		if len(q.Percentiles) > 0 {
			dest = append(dest, &pcts)
		}
		lists := make([]any, len(q.ListDistinct))
		for i := range lists {
			dest = append(dest, &lists[i])
		}
		var latestID, latestMsg, firstUser sql.NullString
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
			r.Keys = append(r.Keys, k.String)
		}
		if first.Valid {
			r.FirstStart, r.LastStart, r.LastEnd = first.Time.UTC(), last.Time.UTC(), lastEnd.Time.UTC()
		}
		if len(q.Percentiles) > 0 {
			r.Percentiles = make([]float64, len(q.Percentiles))
			if list, ok := pcts.([]any); ok {
				for i := range r.Percentiles {
					if i < len(list) {
						r.Percentiles[i] = toFloat(list[i])
					}
				}
			}
		}
		for _, l := range lists {
			r.Lists = append(r.Lists, toStrings(l))
		}
		r.LatestTraceID, r.LatestErrorMessage, r.FirstUserID = latestID.String, latestMsg.String, firstUser.String
		res.Rows = append(res.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return store.StatsResult{}, fmt.Errorf("cannot aggregate traces: %w", err)
	}
	return res, nil
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
	if q.GroupBy[0] == store.DimSession {
		// Only the part of the window the page's sessions span is read.
		f := q.Filter
		f.SessionIDs = keys
		f, err = s.withinSessions(ctx, f)
		if err != nil {
			return res, err
		}
		full.Filter.From, full.Filter.To = f.From, f.To
	}
	var args store.SQLArgs
	// A semi-join against the page's keys: a list test per row costs the page's length.
	where, err := s.whereTraces(ctx, full.Filter, &args)
	if err != nil {
		return res, err
	}
	where += " AND " + store.DimExpr(q.GroupBy[0], "") + " IN (SELECT unnest(" + args.Add(keys) + "))"
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
	where, err := s.whereTraces(ctx, q.Filter, &args)
	if err != nil {
		return nil, 0, err
	}
	dim := store.DimExpr(q.GroupBy[0], "")
	var total int64
	if q.GroupBy[0] == store.DimSession && store.SessionCountServes(q.Filter) {
		n, err := s.countSessions(ctx, q.Filter)
		if err != nil {
			return nil, 0, err
		}
		total = n
	} else if err := s.db.QueryRowContext(ctx, "SELECT count(DISTINCT "+dim+") FROM traces WHERE "+where, args...).Scan(&total); err != nil {
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
	query := fmt.Sprintf("SELECT %s AS k FROM traces WHERE %s GROUP BY k ORDER BY %s DESC, k LIMIT %d OFFSET %d", dim, where, measure, q.Limit, q.Offset)
	keys, err := s.strings(ctx, query, args)
	return keys, total, err
}

// latestKeys orders groups by their latest start. A group's latest trace is among the
// newest traces as soon as the group is, so the newest traces are read in growing slices
// (a top-N the scan answers from its zone maps) until the page is certainly complete.
func (s *Store) latestKeys(ctx context.Context, q store.StatsQuery, where string, args store.SQLArgs, dim string, need int, total int64) ([]string, int64, error) {
	for n := max(need*8, 1024); ; n *= 4 {
		query := fmt.Sprintf(`WITH recent AS MATERIALIZED (SELECT %s AS k, start_time FROM traces WHERE %s ORDER BY start_time DESC LIMIT %d)
			SELECT k, max(start_time) AS last, (SELECT count(*) FROM recent), (SELECT min(start_time) FROM recent)
			FROM recent GROUP BY k ORDER BY last DESC, k`, dim, where, n)
		rows, err := s.db.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, 0, fmt.Errorf("cannot find groups: %w", err)
		}
		var keys []string
		var lasts []time.Time
		var read int
		var oldest sql.NullTime
		for rows.Next() {
			var k string
			var last time.Time
			if err := rows.Scan(&k, &last, &read, &oldest); err != nil {
				rows.Close()
				return nil, 0, err
			}
			keys, lasts = append(keys, k), append(lasts, last)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		if page, complete := store.LatestPage(keys, lasts, int64(read), int64(n), oldest.Time, q.Offset, need); complete {
			return page, total, nil
		}
	}
}

func (s *Store) strings(ctx context.Context, query string, args store.SQLArgs) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot find groups: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	}
	return 0
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// callKinds are the span kinds that are calls to a model.
const callKinds = `('llm', 'embedding')`

// CallStats implements store.Analytics. Windows on whole 5-minute slots filtered at most by
// agent are answered from the llm_usage_5m roll-up; anything else from the raw tables.
func (s *Store) CallStats(ctx context.Context, q store.CallQuery) ([]store.CallRow, error) {
	if store.RollupServes(q.Filter) {
		return s.callStatsRollup(ctx, q)
	}
	return s.callStatsRaw(ctx, q)
}

func (s *Store) callStatsRollup(ctx context.Context, q store.CallQuery) ([]store.CallRow, error) {
	var args store.SQLArgs
	where := append([]string{"workspace_id = " + args.Add(q.Filter.WorkspaceID)}, store.SlotBounds(q.Filter)...)
	switch len(q.Filter.AgentIDs) {
	case 0:
	case 1:
		where = append(where, "agent_id = "+args.Add(q.Filter.AgentIDs[0]))
	default:
		where = append(where, "list_contains("+args.Add(q.Filter.AgentIDs)+", agent_id)")
	}
	bucket := "0"
	if q.Buckets != nil {
		bucket = store.BucketExpr(q.Buckets, "slot_ms")
	}
	keys := "''::VARCHAR, ''::VARCHAR"
	if q.ByModel {
		keys = "model, provider"
	}
	query := fmt.Sprintf(`SELECT %s AS b, %s, sum(calls)::BIGINT, sum(priced_calls)::BIGINT, sum(cost_usd)::DOUBLE,
		sum(tokens_input)::BIGINT, sum(tokens_output)::BIGINT
		FROM llm_usage_5m WHERE %s GROUP BY 1, 2, 3 HAVING sum(calls) <> 0 ORDER BY 1, 2, 3`, bucket, keys, strings.Join(where, " AND "))
	return s.scanCallRows(ctx, query, args)
}

func (s *Store) callStatsRaw(ctx context.Context, q store.CallQuery) ([]store.CallRow, error) {
	var args store.SQLArgs
	bucket := "0"
	if q.Buckets != nil {
		bucket = store.BucketExpr(q.Buckets, "epoch_ms(start_time)")
	}
	keys := "''::VARCHAR, ''::VARCHAR"
	if q.ByModel {
		keys = "model, provider"
	}
	// Traces are selected first, so that the join finding their spans has a small build
	// side. A flat trace is its own call.
	query := fmt.Sprintf(`WITH t AS MATERIALIZED (
			SELECT workspace_id, trace_id, start_time, span_count, model, provider, cost_usd, tokens_input, tokens_output
			FROM traces WHERE %s),
		c AS (
			SELECT start_time, model, provider, cost_usd, tokens_input, tokens_output FROM t WHERE span_count = 0
			UNION ALL
			SELECT t.start_time, s.model, s.provider, s.cost_usd, s.tokens_input, s.tokens_output
			FROM spans s JOIN t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id
			WHERE t.span_count > 0 AND s.kind IN %s AND s.workspace_id = %s)
		SELECT %s AS b, %s, count(*), count(cost_usd), coalesce(sum(cost_usd), 0)::DOUBLE,
			coalesce(sum(tokens_input), 0)::BIGINT, coalesce(sum(tokens_output), 0)::BIGINT
		FROM c GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
		dialect.WhereTraces(q.Filter, "", &args), callKinds, args.Add(q.Filter.WorkspaceID), bucket, keys)
	return s.scanCallRows(ctx, query, args)
}

func (s *Store) scanCallRows(ctx context.Context, query string, args store.SQLArgs) ([]store.CallRow, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot aggregate llm calls: %w", err)
	}
	defer rows.Close()
	out := []store.CallRow{}
	for rows.Next() {
		var r store.CallRow
		if err := rows.Scan(&r.Bucket, &r.Model, &r.Provider, &r.Calls, &r.PricedCalls, &r.CostUSD, &r.TokensInput, &r.TokensOutput); err != nil {
			return nil, fmt.Errorf("cannot read llm calls: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// summaryColumns are the trace list's columns; previews are cut in SQL so long inputs are
// never read into the process.
var summaryColumns = fmt.Sprintf(`trace_id, agent_id, name, user_id, session_id, start_time, end_time, latency_ms, status,
	error_type, left(error_message, %d), model, provider, tokens_input, tokens_output, tokens_total, cost_usd, span_count,
	error_span_count, tags, left(input, %d), left(output, %d)`, model.PreviewChars, model.PreviewChars, model.PreviewChars)

// ListTraces implements store.Analytics. Sorting on the bare column lets DuckDB push the
// top-N bound into the scan, which then skips row groups by their zone maps.
func (s *Store) ListTraces(ctx context.Context, q store.ListQuery) (store.TracePage, error) {
	f, err := s.withinSessions(ctx, q.Filter)
	if err != nil {
		return store.TracePage{}, err
	}
	q.Filter = f
	var args store.SQLArgs
	where, err := s.whereTraces(ctx, q.Filter, &args)
	if err != nil {
		return store.TracePage{}, err
	}
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
		page += fmt.Sprintf(" AND (%s %s %s OR (%s = %s AND trace_id %s %s))",
			key, cmp, args.Add(after), key, fmt.Sprintf("$%d", len(args)), cmp, args.Add(q.After.TraceID))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	var out store.TracePage
	cut := ""
	if q.Sort != store.SortStartTime {
		bound, err := s.sortBound(ctx, q, key, page, args, limit+1)
		if err != nil {
			return store.TracePage{}, err
		}
		cut = bound
	}
	for {
		query := fmt.Sprintf("SELECT %s FROM traces WHERE %s%s ORDER BY %s %s, trace_id %s LIMIT %d", summaryColumns, page, cut, key, dir, dir, limit+1)
		traces, err := s.summaries(ctx, query, args)
		if err != nil {
			return store.TracePage{}, err
		}
		out.Traces = traces
		// A page cut short by the bound may miss traces below it: read it again unbounded.
		if cut == "" || len(traces) > limit {
			break
		}
		cut = ""
	}
	if len(out.Traces) > limit {
		out.Traces, out.More = out.Traces[:limit], true
	}
	if q.Count {
		if out.Total, err = s.countTraces(ctx, q.Filter); err != nil {
			return store.TracePage{}, err
		}
	}
	return out, nil
}

// countTraces counts the traces f selects. The common explorer filters are counted from the
// roll-up for the whole 5-minute slots of the window and from the traces at its edges, not
// from every trace.
func (s *Store) countTraces(ctx context.Context, f store.TraceFilter) (int64, error) {
	middle, edges, ok := store.SplitWindow(f, store.SlotMs)
	if !ok {
		middle, edges = f, nil
	}
	var total int64
	if count := (store.StatsQuery{Filter: middle}); store.StatsRollupServes(count) {
		res, err := s.traceStatsRollup(ctx, count)
		if err != nil {
			return 0, err
		}
		if len(res.Rows) > 0 {
			total = res.Rows[0].Count
		}
	} else {
		edges = []store.TraceFilter{f}
	}
	for _, e := range edges {
		var n int64
		var args store.SQLArgs
		where, err := s.whereTraces(ctx, e, &args)
		if err != nil {
			return 0, err
		}
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM traces WHERE "+where, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("cannot count traces: %w", err)
		}
		total += n
	}
	return total, nil
}

func (s *Store) summaries(ctx context.Context, query string, args store.SQLArgs) ([]model.TraceSummary, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list traces: %w", err)
	}
	defer rows.Close()
	out := []model.TraceSummary{}
	for rows.Next() {
		t, err := scanSummary(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list traces: %w", err)
	}
	return out, nil
}

// sortBound finds a condition on the sort key that at least need traces of the page meet,
// so that the list reads the columns of those traces only: sorting a month of traces by
// latency or cost with all their columns costs a second at ten million. The slowest first
// take the bound from the latency histogram; other orders from the sort key alone. The
// bound is a guess when the histogram does not know the filter: the caller checks it got a
// full page. Empty when there is no bound to take.
func (s *Store) sortBound(ctx context.Context, q store.ListQuery, key, where string, args store.SQLArgs, need int) (string, error) {
	if q.Sort == store.SortLatency && !q.Asc {
		bins, err := s.listHistogram(ctx, q)
		if err != nil {
			return "", err
		}
		want := int64(need)
		if f := q.Filter; fmt.Sprint(f) != fmt.Sprint(store.TraceFilter{WorkspaceID: f.WorkspaceID, From: f.From, To: f.To}) {
			want *= 8 // filtered further: some of the histogram's traces are not listed
		}
		if lo, ok := store.LatencyCutoff(bins, want); ok {
			return fmt.Sprintf(" AND latency_ms >= %d", lo), nil
		}
		return "", nil
	}
	dir, agg, cmp := "DESC", "min", ">="
	if q.Asc {
		dir, agg, cmp = "ASC", "max", "<="
	}
	// First from a 1 % sample of the table's vectors: the value with 4 * need / 100 sampled
	// traces beyond it likely has 4 * need beyond it in all. Small tables yield no such value
	// and are read in full, where a top-N over the key alone is cheap.
	for _, from := range []struct {
		table string
		rank  int
	}{{"traces TABLESAMPLE 1% (system)", (4*need + 99) / 100}, {"traces", need}} {
		var bound sql.NullFloat64
		var n int
		query := fmt.Sprintf("SELECT %s(k)::DOUBLE, count(*) FROM (SELECT %s AS k FROM %s WHERE %s ORDER BY k %s LIMIT %d)",
			agg, key, from.table, where, dir, from.rank)
		if err := s.db.QueryRowContext(ctx, query, args...).Scan(&bound, &n); err != nil {
			return "", fmt.Errorf("cannot bound the trace list: %w", err)
		}
		if n == from.rank && bound.Valid {
			if q.Sort == store.SortCost && !q.Asc && bound.Float64 > -1 {
				// Unpriced traces (-1) are below the bound anyway: a condition on the bare
				// column is pushed into the scan, which then skips row groups by their zone
				// maps and reads the other columns of the traces above it only.
				key = "cost_usd"
			}
			return fmt.Sprintf(" AND %s %s %s", key, cmp, strconv.FormatFloat(bound.Float64, 'g', -1, 64)), nil
		}
	}
	return "", nil
}

// listHistogram reads the latency histogram of the whole hours inside the list's window
// (all hours when it is open), before its cursor.
func (s *Store) listHistogram(ctx context.Context, q store.ListQuery) ([]store.HistogramBin, error) {
	var args store.SQLArgs
	where := []string{"workspace_id = " + args.Add(q.Filter.WorkspaceID)}
	if f := q.Filter; !f.From.IsZero() {
		where = append(where, fmt.Sprintf("hour_ms >= %d", (f.From.UnixMilli()+hourMs-1)/hourMs*hourMs))
	}
	if f := q.Filter; !f.To.IsZero() {
		where = append(where, fmt.Sprintf("hour_ms + %d <= %d", hourMs, f.To.UnixMilli()))
	}
	if q.After != nil {
		// Buckets below the cursor's hold only traces after it.
		where = append(where, fmt.Sprintf("bucket < %d", store.LatencyBucket(int64(q.After.Value))))
	}
	rows, err := s.db.QueryContext(ctx, "SELECT bucket, sum(traces)::BIGINT FROM latency_hist_1h WHERE "+strings.Join(where, " AND ")+
		" GROUP BY bucket HAVING sum(traces) > 0", args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the latency histogram: %w", err)
	}
	defer rows.Close()
	var bins []store.HistogramBin
	for rows.Next() {
		var b store.HistogramBin
		if err := rows.Scan(&b.Bucket, &b.Traces); err != nil {
			return nil, fmt.Errorf("cannot read the latency histogram: %w", err)
		}
		bins = append(bins, b)
	}
	return bins, rows.Err()
}

func scanSummary(rows *sql.Rows) (model.TraceSummary, error) {
	var t model.TraceSummary
	var status string
	var ti, to, tt sql.NullInt64
	var cost sql.NullFloat64
	var tags []any
	if err := rows.Scan(&t.TraceID, &t.AgentID, &t.Name, &t.UserID, &t.SessionID, &t.StartTime, &t.EndTime, &t.LatencyMs,
		&status, &t.ErrorType, &t.ErrorMessage, &t.Model, &t.Provider, &ti, &to, &tt, &cost, &t.SpanCount, &t.ErrorSpanCount, &tags,
		&t.InputPreview, &t.OutputPreview); err != nil {
		return t, fmt.Errorf("cannot read trace: %w", err)
	}
	t.Status = model.Status(status)
	t.TokensInput, t.TokensOutput, t.TokensTotal, t.CostUSD = ptrInt(ti), ptrInt(to), ptrInt(tt), ptrFloat(cost)
	t.StartTime, t.EndTime = t.StartTime.UTC(), t.EndTime.UTC()
	t.Tags = toStrings(tags)
	return t, nil
}

// GetBudget implements store.Analytics.
func (s *Store) GetBudget(ctx context.Context, workspaceID string) (*model.Budget, error) {
	b := model.Budget{WorkspaceID: workspaceID}
	var thresholds []any
	err := s.db.QueryRowContext(ctx, `SELECT monthly_limit_usd, thresholds_pct, timezone, updated_at FROM budgets WHERE workspace_id = ?`,
		workspaceID).Scan(&b.MonthlyLimitUSD, &thresholds, &b.Timezone, &b.UpdatedAt)
	if err == sql.ErrNoRows {
		return nil, notFound("budget of workspace", workspaceID)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read budget: %w", err)
	}
	b.ThresholdsPct = make([]float64, 0, len(thresholds))
	for _, t := range thresholds {
		b.ThresholdsPct = append(b.ThresholdsPct, toFloat(t))
	}
	b.UpdatedAt = b.UpdatedAt.UTC()
	return &b, nil
}

// PutBudget implements store.Analytics.
func (s *Store) PutBudget(ctx context.Context, b model.Budget) error {
	err := s.exec(ctx, `INSERT INTO budgets (workspace_id, monthly_limit_usd, thresholds_pct, timezone, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET monthly_limit_usd = excluded.monthly_limit_usd, thresholds_pct = excluded.thresholds_pct,
		timezone = excluded.timezone, updated_at = excluded.updated_at`,
		b.WorkspaceID, b.MonthlyLimitUSD, b.ThresholdsPct, b.Timezone, b.UpdatedAt)
	if err != nil {
		return fmt.Errorf("cannot store budget: %w", err)
	}
	return nil
}

// GetHealthThresholds implements store.Analytics.
func (s *Store) GetHealthThresholds(ctx context.Context, workspaceID string) (*model.HealthThresholds, error) {
	h := model.HealthThresholds{WorkspaceID: workspaceID}
	err := s.db.QueryRowContext(ctx, `SELECT degraded_p95_ms, critical_p95_ms, degraded_error_rate_pct, critical_error_rate_pct, updated_at
		FROM health_thresholds WHERE workspace_id = ?`, workspaceID).Scan(&h.DegradedP95Ms, &h.CriticalP95Ms,
		&h.DegradedErrorRatePct, &h.CriticalErrorRatePct, &h.UpdatedAt)
	if err == sql.ErrNoRows {
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
	err := s.exec(ctx, `INSERT INTO health_thresholds VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
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
	rows, err := s.db.QueryContext(ctx, `SELECT id, rule_id, severity, status, title, description, agent_id, triggered_at, resolved_at
		FROM alerts WHERE workspace_id = ? ORDER BY triggered_at DESC, id LIMIT ?`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list alerts: %w", err)
	}
	defer rows.Close()
	out := []model.Alert{}
	for rows.Next() {
		a := model.Alert{WorkspaceID: workspaceID}
		var resolved sql.NullTime
		if err := rows.Scan(&a.ID, &a.RuleID, &a.Severity, &a.Status, &a.Title, &a.Description, &a.AgentID, &a.TriggeredAt, &resolved); err != nil {
			return nil, fmt.Errorf("cannot read alert: %w", err)
		}
		a.TriggeredAt = a.TriggeredAt.UTC()
		if resolved.Valid {
			t := resolved.Time.UTC()
			a.ResolvedAt = &t
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// slotMs is the width of the roll-up's time slots: every UTC offset in use is a multiple of
// 15 minutes, so 5-minute slots nest in the buckets of any zone and granularity.
const slotMs = 5 * 60 * 1000
