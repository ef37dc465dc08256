package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/agentobs/agentobs/internal/store"
)

// VerifyRollups recomputes every roll-up from the raw tables and names those whose rows
// differ, with how many rows differ: the roll-ups are kept by deltas in each write
// transaction, so concurrent writers, redeliveries and rewrites must leave them exact.
func (s *Store) VerifyRollups(ctx context.Context) ([]string, error) {
	const slot5m = `floor(date_part('epoch', start_time) * 1000 / 300000)::bigint * 300000`
	const slot1h = `floor(date_part('epoch', start_time) * 1000 / 3600000)::bigint * 3600000`
	const day = `floor(date_part('epoch', start_time) * 1000 / 86400000)::bigint * 86400000`
	stats := func(slot string) string {
		return `SELECT workspace_id, ` + slot + ` AS slot_ms, agent_id, status, error_type, count(*) AS traces, sum(latency_ms) AS latency_ms,
			count(cost_usd) AS priced, coalesce(sum(cost_usd), 0) AS cost_usd, coalesce(sum(tokens_total), 0) AS tokens_total
			FROM traces GROUP BY 1, 2, 3, 4, 5`
	}
	usage := func(slot string) string {
		return `SELECT workspace_id, slot_ms, agent_id, model, provider, count(*) AS calls, count(cost_usd) AS priced_calls,
			coalesce(sum(cost_usd), 0) AS cost_usd, coalesce(sum(tokens_input), 0) AS tokens_input FROM (
				SELECT workspace_id, ` + slot + ` AS slot_ms, agent_id, model, provider, cost_usd, tokens_input FROM traces WHERE span_count = 0
				UNION ALL
				SELECT t.workspace_id, ` + strings.ReplaceAll(slot, "start_time", "t.start_time") + `, t.agent_id, s.model, s.provider, s.cost_usd, s.tokens_input
				FROM spans s JOIN traces t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id AND s.trace_start = t.start_time
				WHERE t.span_count > 0 AND s.kind IN ('llm', 'embedding')) c GROUP BY 1, 2, 3, 4, 5`
	}
	checks := []struct {
		table, expected, keys string
		compare               []string
	}{
		{"trace_stats_5m", stats(slot5m), "workspace_id, slot_ms, agent_id, status, error_type",
			[]string{"traces", "latency_ms", "priced", "tokens_total"}},
		{"trace_stats_1h", stats(slot1h), "workspace_id, slot_ms, agent_id, status, error_type",
			[]string{"traces", "latency_ms", "priced", "tokens_total"}},
		{"llm_usage_5m", usage(slot5m), "workspace_id, slot_ms, agent_id, model, provider", []string{"calls", "priced_calls", "tokens_input"}},
		{"llm_usage_1h", usage(slot1h), "workspace_id, slot_ms, agent_id, model, provider", []string{"calls", "priced_calls", "tokens_input"}},
		{"user_stats_1d", `SELECT workspace_id, ` + day + ` AS day_ms, user_id, count(*) AS traces, count(*) FILTER (WHERE status = 'error') AS errors,
			sum(latency_ms) AS latency_ms, min(start_time) AS first_start, max(start_time) AS last_start, max(end_time) AS last_end,
			coalesce(sum(cost_usd), 0) AS cost_usd FROM traces GROUP BY 1, 2, 3`, "workspace_id, day_ms, user_id",
			[]string{"traces", "errors", "latency_ms", "first_start", "last_start", "last_end"}},
		{"session_bounds", `SELECT workspace_id, session_id, min(start_time) AS first_start, max(start_time) AS last_start
			FROM traces WHERE session_id <> '' GROUP BY 1, 2`, "workspace_id, session_id", []string{"first_start", "last_start"}},
		{"latency_hist_1d", `SELECT workspace_id, ` + day + ` AS day_ms, ` + latencyBucketSQL + ` AS bucket, count(*) AS traces
			FROM traces GROUP BY 1, 2, 3`, "workspace_id, day_ms, bucket", []string{"traces"}},
	}
	var bad []string
	for _, c := range checks {
		var n int64
		query := store.VerifyRollupSQL(c.expected, c.table, c.keys, c.compare)
		if err := s.pool.QueryRow(ctx, query).Scan(&n); err != nil {
			return nil, fmt.Errorf("cannot verify %s: %w", c.table, err)
		}
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d rows differ from the raw tables", c.table, n))
		}
	}
	return bad, nil
}
