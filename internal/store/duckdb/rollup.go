package duckdb

import (
	"context"
	"crypto/md5"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// The roll-ups (llm_usage_5m, trace_stats_5m, latency_hist_1h, user_stats_1d, session_bounds) are kept equal to the raw tables inside every
// write transaction: new traces append their sums (computed here, in memory); traces written
// again append the negated sums of what is stored before their merge and the sums of the
// merged result after it, both read by the same SQL, so a replaced span or a moved start
// time never leaves stale sums behind. Readers sum all rows of a key. Every so often the
// writer compacts the slots appended to since the last compaction into one row per key.

// Compaction runs after this many commits or appended rows, whichever comes first.
const (
	compactEveryCommits = 256
	compactEveryRows    = 20000
)

// rollupState tracks what was appended since the last compaction.
type rollupState struct {
	commits, rows int
	dirty         bool
	minSlot       int64 // earliest slot appended to since the last compaction
}

func (r *rollupState) touch(slot int64, rows int) {
	if !r.dirty || slot < r.minSlot {
		r.minSlot = slot
	}
	r.dirty = true
	r.rows += rows
}

// addFreshUsage appends the sums of new traces to the roll-ups, on the writer's connection
// inside its open transaction.
func (s *Store) addFreshUsage(ctx context.Context, conn *duckdb.Conn, traces []model.Trace) error {
	usage, sums := map[store.UsageKey]*store.UsageSum{}, map[store.StatsKey]*store.StatsSum{}
	store.AddUsage(usage, traces, 1)
	store.AddStats(sums, traces, 1)
	var calls, stats [][]any
	for k, u := range usage {
		calls = append(calls, []any{k.WorkspaceID, k.SlotMs, k.AgentID, k.Model, k.Provider, u.Calls, u.Priced, u.CostUSD, u.TokensInput, u.TokensOutput})
		s.rollups.touch(k.SlotMs, 1)
	}
	for k, u := range sums {
		stats = append(stats, []any{k.WorkspaceID, k.SlotMs, k.AgentID, k.Status, k.ErrorType, u.Traces, u.LatencyMs, u.Priced, u.CostUSD,
			u.TokensInput, u.TokensOutput, u.TokensTotal})
		s.rollups.touch(k.SlotMs, 1)
	}
	hist := map[[3]any]int64{}
	for i := range traces {
		t := &traces[i]
		hist[[3]any{t.WorkspaceID, t.StartTime.UnixMilli() / hourMs * hourMs, store.LatencyBucket(t.LatencyMs)}]++
	}
	var histRows [][]any
	for k, n := range hist {
		histRows = append(histRows, []any{k[0], k[1], int32(k[2].(int64)), n})
		s.rollups.touch(k[1].(int64), 1)
	}
	users := map[store.UserKey]*store.UserSum{}
	store.AddUserStats(users, traces, 1)
	userRows := make([][]any, 0, len(users))
	for k, u := range users {
		userRows = append(userRows, []any{k.WorkspaceID, k.DayMs, k.UserID, u.Traces, u.Success, u.Errors, u.Timeouts, u.LatencyMs,
			u.Priced, u.CostUSD, u.TokensInput, u.TokensOutput, u.TokensTotal,
			time.UnixMicro(u.FirstStart).UTC(), time.UnixMicro(u.LastStart).UTC(), time.UnixMicro(u.LastEnd).UTC()})
	}
	var sessionRows [][]any
	for k, b := range store.SessionBoundsOf(traces) {
		sessionRows = append(sessionRows, []any{k.WorkspaceID, k.SessionID, b.First, b.Last, false, sessionHash(k.SessionID)})
	}
	s.rollups.rows += len(userRows) + len(sessionRows)
	if err := appendRows(ctx, conn, "user_stats_1d", userRows); err != nil {
		return err
	}
	if err := appendRows(ctx, conn, "session_bounds", sessionRows); err != nil {
		return err
	}
	if err := appendRows(ctx, conn, "llm_usage_5m", calls); err != nil {
		return err
	}
	if err := appendRows(ctx, conn, "latency_hist_1h", histRows); err != nil {
		return err
	}
	return appendRows(ctx, conn, "trace_stats_5m", stats)
}

// appendRows appends rows of sums to a roll-up with DuckDB's appender: a VALUES list with a
// parameter per figure cost more to plan than to run.
func appendRows(ctx context.Context, conn *duckdb.Conn, table string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	app, err := duckdb.NewAppenderFromConn(conn, "", table)
	if err != nil {
		return fmt.Errorf("cannot open %s appender: %w", table, err)
	}
	for _, row := range rows {
		vals := make([]driver.Value, len(row))
		for i, v := range row {
			vals[i] = v
		}
		if err := app.AppendRow(vals...); err != nil {
			app.Close()
			return fmt.Errorf("cannot append to roll-up %s: %w", table, err)
		}
	}
	if err := app.Close(); err != nil {
		return fmt.Errorf("cannot append to roll-up %s: %w", table, err)
	}
	return nil
}

// storedStatsSQL sums the stored listed traces of one workspace, times a sign.
const storedStatsSQL = `INSERT INTO trace_stats_5m
SELECT workspace_id, epoch_ms(start_time) // 300000 * 300000, agent_id, status, error_type, %[1]d * count(*), %[1]d * sum(latency_ms),
       %[1]d * count(cost_usd), %[1]d * coalesce(sum(cost_usd), 0), %[1]d * coalesce(sum(tokens_input), 0),
       %[1]d * coalesce(sum(tokens_output), 0), %[1]d * coalesce(sum(tokens_total), 0)
FROM rewritten_traces WHERE workspace_id = $1
GROUP BY ALL`

// storedUsageSQL sums the stored calls of the listed traces of one workspace, times a sign.
const storedUsageSQL = `INSERT INTO llm_usage_5m
SELECT workspace_id, slot_ms, agent_id, model, provider, %[1]d * count(*), %[1]d * count(cost_usd),
       %[1]d * coalesce(sum(cost_usd), 0), %[1]d * coalesce(sum(tokens_input), 0), %[1]d * coalesce(sum(tokens_output), 0)
FROM (
    SELECT workspace_id, epoch_ms(start_time) // 300000 * 300000 AS slot_ms, agent_id, model, provider,
           cost_usd, tokens_input, tokens_output
    FROM rewritten_traces WHERE workspace_id = $1 AND span_count = 0
    UNION ALL
    SELECT t.workspace_id, epoch_ms(t.start_time) // 300000 * 300000, t.agent_id, s.model, s.provider,
           s.cost_usd, s.tokens_input, s.tokens_output
    FROM spans s JOIN rewritten_traces t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id
    WHERE t.workspace_id = $1 AND s.workspace_id = $1 AND t.span_count > 0 AND s.kind IN ('llm', 'embedding')
)
GROUP BY ALL`

// storedHistSQL counts the stored listed traces of one workspace per hour and latency
// bucket, times a sign.
var storedHistSQL = `INSERT INTO latency_hist_1h
SELECT workspace_id, epoch_ms(start_time) // 3600000 * 3600000, ` + store.LatencyBucketSQL("latency_ms", "//") + `, %[1]d * count(*)
FROM rewritten_traces WHERE workspace_id = $1
GROUP BY ALL`

// The per-user-day sums and session bounds of traces written again are read afresh from
// the traces: their extremes cannot be taken away by a delta. noteTouched records the
// users' days and sessions of the listed traces (as stored, before and after the merge);
// rebuildTouched replaces their rows.
const (
	noteTouchedUsersSQL = `INSERT INTO touched_users SELECT workspace_id, epoch_ms(start_time) // 86400000 * 86400000, user_id
		FROM rewritten_traces WHERE workspace_id = $1`
	noteTouchedSessionsSQL = `INSERT INTO touched_sessions SELECT workspace_id, session_id
		FROM rewritten_traces WHERE workspace_id = $1 AND session_id <> ''`
)

var rebuildTouchedSQL = []string{
	`DELETE FROM user_stats_1d u USING (SELECT DISTINCT * FROM touched_users) k
		WHERE u.workspace_id = k.workspace_id AND u.day_ms = k.day_ms AND u.user_id = k.user_id`,
	`INSERT INTO user_stats_1d
		SELECT t.workspace_id, k.day_ms, t.user_id, count(*), count(*) FILTER (WHERE t.status = 'success'),
			count(*) FILTER (WHERE t.status = 'error'), count(*) FILTER (WHERE t.status = 'timeout'), sum(t.latency_ms),
			count(t.cost_usd), coalesce(sum(t.cost_usd), 0), coalesce(sum(t.tokens_input), 0), coalesce(sum(t.tokens_output), 0),
			coalesce(sum(t.tokens_total), 0), min(t.start_time), max(t.start_time), max(t.end_time)
		FROM traces t JOIN (SELECT DISTINCT * FROM touched_users) k ON t.workspace_id = k.workspace_id AND t.user_id = k.user_id
			AND epoch_ms(t.start_time) // 86400000 * 86400000 = k.day_ms
		GROUP BY t.workspace_id, k.day_ms, t.user_id`,
	`DELETE FROM touched_users`,
	`DELETE FROM session_bounds b USING (SELECT DISTINCT * FROM touched_sessions) k
		WHERE b.workspace_id = k.workspace_id AND b.session_id = k.session_id`,
	`INSERT INTO session_bounds
		SELECT t.workspace_id, t.session_id, min(t.start_time), max(t.start_time), true, md5_number_lower(t.session_id)
		FROM traces t JOIN (SELECT DISTINCT * FROM touched_sessions) k ON t.workspace_id = k.workspace_id AND t.session_id = k.session_id
		GROUP BY t.workspace_id, t.session_id`,
	`DELETE FROM touched_sessions`,
}

func rebuildTouched(ctx context.Context, conn *duckdb.Conn) error {
	for _, q := range rebuildTouchedSQL {
		if _, err := conn.ExecContext(ctx, q, nil); err != nil {
			return fmt.Errorf("cannot rebuild user and session roll-ups: %w", err)
		}
	}
	return nil
}

func idsByWorkspace(traces []model.Trace) map[string][]string {
	byWS := map[string][]string{}
	for i := range traces {
		byWS[traces[i].WorkspaceID] = append(byWS[traces[i].WorkspaceID], traces[i].TraceID)
	}
	return byWS
}

// rewrittenTracesColumns are what the roll-ups read of a trace written again.
const rewrittenTracesColumns = `workspace_id, trace_id, agent_id, user_id, session_id, start_time, status, error_type,
	latency_ms, cost_usd, tokens_input, tokens_output, tokens_total, model, provider, span_count`

// applyStored appends (sign 1) or subtracts (sign -1) the stored sums of traces that are
// being written again, and notes their users' days and sessions for rebuildTouched; it runs
// before and after their merge in the same transaction. The traces are read once into
// rewritten_traces: each statement scanning the traces table for the listed ids made a
// rewrite cost a dozen scans of the whole table.
func (s *Store) applyStored(ctx context.Context, conn *duckdb.Conn, traces []model.Trace, sign int) error {
	for ws, ids := range idsByWorkspace(traces) {
		args := []driver.NamedValue{{Ordinal: 1, Value: ws}, {Ordinal: 2, Value: ids}}
		if _, err := conn.ExecContext(ctx, `DELETE FROM rewritten_traces`, nil); err != nil {
			return fmt.Errorf("cannot read rewritten traces: %w", err)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO rewritten_traces SELECT `+rewrittenTracesColumns+`
			FROM traces WHERE workspace_id = $1 AND trace_id IN (SELECT unnest($2::VARCHAR[]))`, args); err != nil {
			return fmt.Errorf("cannot read rewritten traces: %w", err)
		}
		// The slots these rows land in join the compaction's range.
		rows, err := conn.QueryContext(ctx, `SELECT min(epoch_ms(start_time)) // 300000 * 300000, count(*) FROM rewritten_traces`, nil)
		if err != nil {
			return fmt.Errorf("cannot read rewritten traces: %w", err)
		}
		dest := make([]driver.Value, 2)
		if err := rows.Next(dest); err == nil {
			if slot, ok := dest[0].(int64); ok {
				s.rollups.touch(slot, int(dest[1].(int64)))
			}
		}
		rows.Close()
		for _, st := range []struct{ sql, what string }{
			{fmt.Sprintf(storedUsageSQL, sign), "llm usage roll-up"},
			{fmt.Sprintf(storedStatsSQL, sign), "trace stats roll-up"},
			{fmt.Sprintf(storedHistSQL, sign), "latency histogram"},
			{noteTouchedUsersSQL, "rewritten users"},
			{noteTouchedSessionsSQL, "rewritten sessions"},
		} {
			if _, err := conn.ExecContext(ctx, st.sql, args[:1]); err != nil {
				return fmt.Errorf("cannot update the %s: %w", st.what, err)
			}
		}
	}
	return nil
}

// maybeCompact folds the rows of recently appended slots into one row per key, when enough
// has been appended since the last time. It runs inside the write transaction.
func (s *Store) maybeCompact(ctx context.Context, conn *duckdb.Conn) error {
	r := &s.rollups
	if !r.dirty {
		return nil
	}
	if r.commits++; r.commits < compactEveryCommits && r.rows < compactEveryRows {
		return nil
	}
	if err := compactRollups(ctx, conn, r.minSlot); err != nil {
		return err
	}
	*r = rollupState{}
	return nil
}

// compactRollups rewrites the roll-up rows of slots from fromSlot on, one row per key; keys
// whose sums cancelled out disappear.
func compactRollups(ctx context.Context, conn *duckdb.Conn, fromSlot int64) error {
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE compact_usage AS SELECT workspace_id, slot_ms, agent_id, model, provider,
			sum(calls)::BIGINT, sum(priced_calls)::BIGINT, sum(cost_usd), sum(tokens_input)::BIGINT, sum(tokens_output)::BIGINT
			FROM llm_usage_5m WHERE slot_ms >= $1 GROUP BY ALL HAVING sum(calls) <> 0`,
		`DELETE FROM llm_usage_5m WHERE slot_ms >= $1`,
		`INSERT INTO llm_usage_5m SELECT * FROM compact_usage`,
		`DROP TABLE compact_usage`,
		`CREATE OR REPLACE TEMP TABLE compact_stats AS SELECT workspace_id, slot_ms, agent_id, status, error_type,
			sum(traces)::BIGINT, sum(latency_ms)::BIGINT, sum(priced)::BIGINT, sum(cost_usd), sum(tokens_input)::BIGINT,
			sum(tokens_output)::BIGINT, sum(tokens_total)::BIGINT
			FROM trace_stats_5m WHERE slot_ms >= $1 GROUP BY ALL HAVING sum(traces) <> 0`,
		`DELETE FROM trace_stats_5m WHERE slot_ms >= $1`,
		`INSERT INTO trace_stats_5m SELECT * FROM compact_stats`,
		`DROP TABLE compact_stats`,
		// Hours are compacted from the hour holding the first slot touched.
		`CREATE OR REPLACE TEMP TABLE compact_hist AS SELECT workspace_id, hour_ms, bucket, sum(traces)::BIGINT
			FROM latency_hist_1h WHERE hour_ms >= $1 // 3600000 * 3600000 GROUP BY ALL HAVING sum(traces) <> 0`,
		`DELETE FROM latency_hist_1h WHERE hour_ms >= $1 // 3600000 * 3600000`,
		`INSERT INTO latency_hist_1h SELECT * FROM compact_hist`,
		`DROP TABLE compact_hist`,
		// Days from the day holding the first slot touched.
		`CREATE OR REPLACE TEMP TABLE compact_users AS SELECT workspace_id, day_ms, user_id, sum(traces)::BIGINT, sum(success)::BIGINT,
			sum(errors)::BIGINT, sum(timeouts)::BIGINT, sum(latency_ms)::BIGINT, sum(priced)::BIGINT, sum(cost_usd),
			sum(tokens_input)::BIGINT, sum(tokens_output)::BIGINT, sum(tokens_total)::BIGINT, min(first_start), max(last_start), max(last_end)
			FROM user_stats_1d WHERE day_ms >= $1 // 86400000 * 86400000 GROUP BY ALL HAVING sum(traces) <> 0`,
		`DELETE FROM user_stats_1d WHERE day_ms >= $1 // 86400000 * 86400000`,
		`INSERT INTO user_stats_1d SELECT * FROM compact_users`,
		`DROP TABLE compact_users`,
		// Every row of a session with unfolded rows, into its one folded row.
		`CREATE OR REPLACE TEMP TABLE compact_sessions AS SELECT b.workspace_id, b.session_id, min(b.first_start) AS first_start,
			max(b.last_start) AS last_start, true AS folded, any_value(b.id_hash) AS id_hash
			FROM session_bounds b JOIN (SELECT DISTINCT workspace_id, session_id FROM session_bounds WHERE NOT folded) r
				ON b.workspace_id = r.workspace_id AND b.session_id = r.session_id
			GROUP BY b.workspace_id, b.session_id`,
		`DELETE FROM session_bounds b USING compact_sessions c WHERE b.workspace_id = c.workspace_id AND b.session_id = c.session_id`,
		`INSERT INTO session_bounds SELECT * FROM compact_sessions`,
		`DROP TABLE compact_sessions`,
	} {
		var args []driver.NamedValue
		if strings.Contains(q, "$1") {
			args = []driver.NamedValue{{Ordinal: 1, Value: fromSlot}}
		}
		if _, err := conn.ExecContext(ctx, q, args); err != nil {
			return fmt.Errorf("cannot compact roll-ups: %w", err)
		}
	}
	return nil
}

// sessionHash is session_bounds.id_hash: DuckDB's md5_number_lower, the md5 digest's last
// eight bytes read little-endian (VerifyRollups checks the two agree).
func sessionHash(id string) uint64 {
	sum := md5.Sum([]byte(id))
	return binary.LittleEndian.Uint64(sum[8:])
}
