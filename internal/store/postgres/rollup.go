package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// The roll-ups (llm_usage_5m, trace_stats_5m) are kept equal to the raw tables inside every
// write transaction. What a batch changes is summed in memory with the shared rules of
// package store: new traces add their sums; traces written again subtract what is stored
// (read in the slow path anyway) and add the merged result. One upsert per roll-up applies
// the deltas, in key order, so that concurrent writers wait for each other instead of
// deadlocking on the hot rows of the current slot.

type rollupDelta struct {
	usage      map[store.UsageKey]*store.UsageSum
	stats      map[store.StatsKey]*store.StatsSum
	subtracted bool
}

func newRollupDelta() *rollupDelta {
	return &rollupDelta{usage: map[store.UsageKey]*store.UsageSum{}, stats: map[store.StatsKey]*store.StatsSum{}}
}

// add counts rolled-up traces, whose Spans are all their spans, sign times.
func (d *rollupDelta) add(traces []model.Trace, sign int64) {
	store.AddUsage(d.usage, traces, sign)
	store.AddStats(d.stats, traces, sign)
	if sign < 0 {
		d.subtracted = true
	}
}

func (d *rollupDelta) apply(ctx context.Context, tx pgx.Tx) error {
	uk := make([]store.UsageKey, 0, len(d.usage))
	for k, u := range d.usage {
		if *u != (store.UsageSum{}) {
			uk = append(uk, k)
		}
	}
	slices.SortFunc(uk, func(a, b store.UsageKey) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.SlotMs, b.SlotMs), cmp.Compare(a.AgentID, b.AgentID),
			cmp.Compare(a.Model, b.Model), cmp.Compare(a.Provider, b.Provider))
	})
	sk := make([]store.StatsKey, 0, len(d.stats))
	for k, s := range d.stats {
		if *s != (store.StatsSum{}) {
			sk = append(sk, k)
		}
	}
	slices.SortFunc(sk, func(a, b store.StatsKey) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.SlotMs, b.SlotMs), cmp.Compare(a.AgentID, b.AgentID),
			cmp.Compare(a.Status, b.Status), cmp.Compare(a.ErrorType, b.ErrorType))
	})
	if len(sk) > 0 {
		n := len(sk)
		ws, agent, status, errType := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		slot, traces, latency, priced, tin, tout, ttot := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		cost := make([]float64, n)
		for i, k := range sk {
			s := d.stats[k]
			ws[i], agent[i], status[i], errType[i], slot[i] = k.WorkspaceID, txt(k.AgentID), k.Status, txt(k.ErrorType), k.SlotMs
			traces[i], latency[i], priced[i], cost[i] = s.Traces, s.LatencyMs, s.Priced, s.CostUSD
			tin[i], tout[i], ttot[i] = s.TokensInput, s.TokensOutput, s.TokensTotal
		}
		if _, err := tx.Exec(ctx, `INSERT INTO trace_stats_5m (workspace_id, slot_ms, agent_id, status, error_type, traces, latency_ms, priced,
			cost_usd, tokens_input, tokens_output, tokens_total)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $12::text[], $5::bigint[], $6::bigint[], $7::bigint[],
				$8::float8[], $9::bigint[], $10::bigint[], $11::bigint[])
			ON CONFLICT (workspace_id, slot_ms, agent_id, status, error_type) DO UPDATE SET traces = trace_stats_5m.traces + excluded.traces,
				latency_ms = trace_stats_5m.latency_ms + excluded.latency_ms, priced = trace_stats_5m.priced + excluded.priced,
				cost_usd = trace_stats_5m.cost_usd + excluded.cost_usd, tokens_input = trace_stats_5m.tokens_input + excluded.tokens_input,
				tokens_output = trace_stats_5m.tokens_output + excluded.tokens_output, tokens_total = trace_stats_5m.tokens_total + excluded.tokens_total`,
			ws, slot, agent, status, traces, latency, priced, cost, tin, tout, ttot, errType); err != nil {
			return fmt.Errorf("cannot update trace stats roll-up: %w", err)
		}
		if d.subtracted {
			// Rows emptied where rewritten traces moved away.
			if _, err := tx.Exec(ctx, `DELETE FROM trace_stats_5m r USING unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS k(ws, slot, agent, status, err)
				WHERE r.workspace_id = k.ws AND r.slot_ms = k.slot AND r.agent_id = k.agent AND r.status = k.status AND r.error_type = k.err
				AND r.traces = 0`, ws, slot, agent, status, errType); err != nil {
				return fmt.Errorf("cannot prune trace stats roll-up: %w", err)
			}
		}
	}
	if len(uk) > 0 {
		n := len(uk)
		ws, agent, mdl, provider := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		slot, calls, priced, tin, tout := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		cost := make([]float64, n)
		for i, k := range uk {
			u := d.usage[k]
			ws[i], agent[i], mdl[i], provider[i], slot[i] = k.WorkspaceID, txt(k.AgentID), txt(k.Model), txt(k.Provider), k.SlotMs
			calls[i], priced[i], cost[i], tin[i], tout[i] = u.Calls, u.Priced, u.CostUSD, u.TokensInput, u.TokensOutput
		}
		if _, err := tx.Exec(ctx, `INSERT INTO llm_usage_5m (workspace_id, slot_ms, agent_id, model, provider, calls, priced_calls,
			cost_usd, tokens_input, tokens_output)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
				$8::float8[], $9::bigint[], $10::bigint[])
			ON CONFLICT (workspace_id, slot_ms, agent_id, model, provider) DO UPDATE SET calls = llm_usage_5m.calls + excluded.calls,
				priced_calls = llm_usage_5m.priced_calls + excluded.priced_calls, cost_usd = llm_usage_5m.cost_usd + excluded.cost_usd,
				tokens_input = llm_usage_5m.tokens_input + excluded.tokens_input, tokens_output = llm_usage_5m.tokens_output + excluded.tokens_output`,
			ws, slot, agent, mdl, provider, calls, priced, cost, tin, tout); err != nil {
			return fmt.Errorf("cannot update llm usage roll-up: %w", err)
		}
		if d.subtracted {
			if _, err := tx.Exec(ctx, `DELETE FROM llm_usage_5m r USING unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS k(ws, slot, agent, model, provider)
				WHERE r.workspace_id = k.ws AND r.slot_ms = k.slot AND r.agent_id = k.agent AND r.model = k.model AND r.provider = k.provider AND r.calls = 0`,
				ws, slot, agent, mdl, provider); err != nil {
				return fmt.Errorf("cannot prune llm usage roll-up: %w", err)
			}
		}
	}
	return nil
}

// storedRollupFields reads the rolled-up fields of stored traces, so that what they
// contributed to the roll-ups can be subtracted before they are replaced.
func storedRollupFields(ctx context.Context, tx pgx.Tx, update []model.Trace, stored map[traceKey]time.Time) (map[traceKey]model.Trace, error) {
	out := map[traceKey]model.Trace{}
	if len(update) == 0 {
		return out, nil
	}
	ws, ids, _ := keyArrays(update)
	starts := make([]time.Time, len(update))
	for i := range update {
		starts[i] = stored[traceKey{update[i].WorkspaceID, update[i].TraceID}]
	}
	rows, err := tx.Query(ctx, `SELECT t.workspace_id, t.trace_id, t.agent_id, t.start_time, t.status, t.error_type, t.latency_ms, t.model, t.provider,
		t.cost_usd, t.tokens_input, t.tokens_output, t.tokens_total FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
		JOIN traces t ON t.workspace_id = u.ws AND t.trace_id = u.id AND t.start_time = u.st`, ws, ids, starts)
	if err != nil {
		return nil, fmt.Errorf("cannot read stored traces: %w", err)
	}
	var t model.Trace
	var status string
	_, err = pgx.ForEachRow(rows, []any{&t.WorkspaceID, &t.TraceID, &t.AgentID, &t.StartTime, &status, &t.ErrorType, &t.LatencyMs, &t.Model, &t.Provider,
		&t.CostUSD, &t.TokensInput, &t.TokensOutput, &t.TokensTotal}, func() error {
		c := t
		c.Status, c.StartTime = model.Status(status), c.StartTime.UTC()
		out[traceKey{c.WorkspaceID, c.TraceID}] = c
		t.CostUSD, t.TokensInput, t.TokensOutput, t.TokensTotal = nil, nil, nil, nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read stored traces: %w", err)
	}
	return out, nil
}
