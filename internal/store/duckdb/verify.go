package duckdb

import (
	"context"
	"fmt"

	"github.com/agentobs/agentobs/internal/store"
)

// VerifyRollups recomputes every roll-up from the raw tables and names those whose sums
// differ, with how many keys differ: the roll-ups are kept by deltas in each write
// transaction, so redeliveries, rewrites and compactions must leave them exact. A roll-up's
// rows of one key are added up first, as readers do.
func (s *Store) VerifyRollups(ctx context.Context) ([]string, error) {
	checks := []struct {
		table, expected, actual, keys string
		compare                       []string
	}{
		{"trace_stats_5m", `SELECT workspace_id, epoch_ms(start_time) // 300000 * 300000 AS slot_ms, agent_id, status, error_type,
			count(*) AS traces, sum(latency_ms) AS latency_ms, count(cost_usd) AS priced, coalesce(sum(tokens_total), 0) AS tokens_total
			FROM traces GROUP BY ALL`,
			`SELECT workspace_id, slot_ms, agent_id, status, error_type, sum(traces) AS traces, sum(latency_ms) AS latency_ms,
			sum(priced) AS priced, sum(tokens_total) AS tokens_total FROM trace_stats_5m GROUP BY ALL HAVING sum(traces) <> 0`,
			"workspace_id, slot_ms, agent_id, status, error_type", []string{"traces", "latency_ms", "priced", "tokens_total"}},
		{"llm_usage_5m", `SELECT workspace_id, slot_ms, agent_id, model, provider, count(*) AS calls, count(cost_usd) AS priced_calls,
			coalesce(sum(tokens_input), 0) AS tokens_input FROM (
				SELECT workspace_id, epoch_ms(start_time) // 300000 * 300000 AS slot_ms, agent_id, model, provider, cost_usd, tokens_input
				FROM traces WHERE span_count = 0
				UNION ALL
				SELECT t.workspace_id, epoch_ms(t.start_time) // 300000 * 300000, t.agent_id, s.model, s.provider, s.cost_usd, s.tokens_input
				FROM spans s JOIN traces t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id
				WHERE t.span_count > 0 AND s.kind IN ('llm', 'embedding')) GROUP BY ALL`,
			`SELECT workspace_id, slot_ms, agent_id, model, provider, sum(calls) AS calls, sum(priced_calls) AS priced_calls,
			sum(tokens_input) AS tokens_input FROM llm_usage_5m GROUP BY ALL HAVING sum(calls) <> 0`,
			"workspace_id, slot_ms, agent_id, model, provider", []string{"calls", "priced_calls", "tokens_input"}},
		{"latency_hist_1h", `SELECT workspace_id, epoch_ms(start_time) // 3600000 * 3600000 AS hour_ms, ` +
			store.LatencyBucketSQL("latency_ms", "//") + ` AS bucket, count(*) AS traces FROM traces GROUP BY ALL`,
			`SELECT workspace_id, hour_ms, bucket, sum(traces) AS traces FROM latency_hist_1h GROUP BY ALL HAVING sum(traces) <> 0`,
			"workspace_id, hour_ms, bucket", []string{"traces"}},
		{"user_stats_1d", `SELECT workspace_id, epoch_ms(start_time) // 86400000 * 86400000 AS day_ms, user_id, count(*) AS traces,
			count(*) FILTER (WHERE status = 'error') AS errors, sum(latency_ms) AS latency_ms, min(start_time) AS first_start,
			max(start_time) AS last_start, max(end_time) AS last_end, coalesce(sum(cost_usd), 0) AS cost_usd FROM traces GROUP BY ALL`,
			`SELECT workspace_id, day_ms, user_id, sum(traces) AS traces, sum(errors) AS errors, sum(latency_ms) AS latency_ms,
			min(first_start) AS first_start, max(last_start) AS last_start, max(last_end) AS last_end, sum(cost_usd) AS cost_usd
			FROM user_stats_1d GROUP BY ALL HAVING sum(traces) <> 0`,
			"workspace_id, day_ms, user_id", []string{"traces", "errors", "latency_ms", "first_start", "last_start", "last_end"}},
		{"session_bounds", `SELECT workspace_id, session_id, min(start_time) AS first_start, max(start_time) AS last_start, true AS one_folded
			FROM traces WHERE session_id <> '' GROUP BY ALL`,
			`SELECT workspace_id, session_id, min(first_start) AS first_start, max(last_start) AS last_start,
			count(*) FILTER (WHERE folded) <= 1 AS one_folded FROM session_bounds GROUP BY ALL`,
			"workspace_id, session_id", []string{"first_start", "last_start", "one_folded"}},
		// Rows whose hash (computed in Go for new sessions) is not the SQL one would hide
		// their sessions from lookups.
		{"session_bounds", `SELECT workspace_id, session_id, true AS hashed FROM session_bounds GROUP BY ALL`,
			`SELECT workspace_id, session_id, bool_and(id_hash = md5_number_lower(session_id)) AS hashed FROM session_bounds GROUP BY ALL`,
			"workspace_id, session_id", []string{"hashed"}},
	}
	var bad []string
	for _, c := range checks {
		var n int64
		query := store.VerifyRollupSQL(c.expected, "("+c.actual+")", c.keys, c.compare)
		if err := s.db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return nil, fmt.Errorf("cannot verify %s: %w", c.table, err)
		}
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d keys differ from the raw tables", c.table, n))
		}
	}
	// The text index may hold more (trigrams of rewritten texts) but never less, and its
	// trigrams are taken with DuckDB's lower() here: this also proves Go lower-cases alike.
	var missing int64
	if err := s.db.QueryRowContext(ctx, verifyTextGramsSQL).Scan(&missing); err != nil {
		return nil, fmt.Errorf("cannot verify text_grams: %w", err)
	}
	if missing > 0 {
		bad = append(bad, fmt.Sprintf("text_grams: %d trigrams of indexed traces are missing", missing))
	}
	return bad, nil
}

const verifyTextGramsSQL = `WITH texts AS (
		SELECT DISTINCT workspace_id, epoch_ms(start_time) // 3600000 * 3600000 AS hour_ms, lower(unnest([name, input, output])) AS l
		FROM traces WHERE epoch_ms(start_time) >= (SELECT unindexed_before_ms FROM text_index_state)),
	positions AS (SELECT workspace_id, hour_ms, l, unnest(range(1, length(l) - 1)) AS i FROM texts),
	grams AS (SELECT DISTINCT workspace_id, hour_ms,
		(unicode(substr(l, i, 1))::BIGINT << 42) | (unicode(substr(l, i + 1, 1))::BIGINT << 21) | unicode(substr(l, i + 2, 1)) AS gram FROM positions)
	SELECT count(*) FROM grams g WHERE NOT EXISTS (SELECT 1 FROM text_grams t
		WHERE t.workspace_id = g.workspace_id AND t.hour_ms = g.hour_ms AND t.gram = g.gram)`
