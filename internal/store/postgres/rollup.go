package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// The roll-ups (llm_usage_5m/1h, trace_stats_5m/1h, user_stats_1d) are kept equal to the
// raw tables inside every write transaction. What a batch changes is summed in memory with
// the shared rules of package store: new traces add their sums; traces written again
// subtract what is stored (read in the slow path anyway) and add the merged result. One
// upsert per roll-up applies the deltas, in key order, so that concurrent writers wait for
// each other instead of deadlocking on the hot rows of the current slot; the upserts travel
// in one round trip.

const hourMs = 3600 * 1000

type rollupDelta struct {
	usage      map[store.UsageKey]*store.UsageSum
	stats      map[store.StatsKey]*store.StatsSum
	users      map[store.UserKey]*store.UserSum
	sessions   map[sessionKey]*sessionBounds
	latency    map[latencyKey]int64
	subtracted bool
}

type latencyKey struct {
	workspaceID   string
	dayMs, bucket int64
}

type sessionKey struct{ workspaceID, sessionID string }

// sessionBounds are the extremes added traces bring (Unix microseconds); shrunk says traces
// were taken away.
type sessionBounds struct {
	first, last   int64
	added, shrunk bool
}

func newRollupDelta() *rollupDelta {
	return &rollupDelta{usage: map[store.UsageKey]*store.UsageSum{}, stats: map[store.StatsKey]*store.StatsSum{},
		users: map[store.UserKey]*store.UserSum{}, sessions: map[sessionKey]*sessionBounds{},
		latency: map[latencyKey]int64{}}
}

// add counts rolled-up traces, whose Spans are all their spans, sign times.
func (d *rollupDelta) add(traces []model.Trace, sign int64) {
	store.AddUsage(d.usage, traces, sign)
	store.AddStats(d.stats, traces, sign)
	store.AddUserStats(d.users, traces, sign)
	for i := range traces {
		t := &traces[i]
		d.latency[latencyKey{t.WorkspaceID, store.DayOf(t.StartTime.UnixMilli()), store.LatencyBucket(t.LatencyMs)}] += sign
		if t.SessionID == "" {
			continue
		}
		k := sessionKey{t.WorkspaceID, t.SessionID}
		b := d.sessions[k]
		if b == nil {
			b = &sessionBounds{}
			d.sessions[k] = b
		}
		if sign < 0 {
			b.shrunk = true
			continue
		}
		st := t.StartTime.UnixMicro()
		if !b.added || st < b.first {
			b.first = st
		}
		if !b.added || st > b.last {
			b.last = st
		}
		b.added = true
	}
	if sign < 0 {
		d.subtracted = true
	}
}

// hourly folds 5-minute sums into hours.
func hourly[K comparable, S any](sums map[K]*S, slotOf func(*K) *int64, add func(dst, src *S)) map[K]*S {
	out := make(map[K]*S, len(sums)/4+1)
	for k, v := range sums {
		slot := slotOf(&k)
		*slot = *slot / hourMs * hourMs
		if have := out[k]; have != nil {
			add(have, v)
			continue
		}
		c := *v
		out[k] = &c
	}
	return out
}

func (d *rollupDelta) apply(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	for _, level := range []struct {
		table string
		sums  map[store.StatsKey]*store.StatsSum
	}{
		{"trace_stats_5m", d.stats},
		{"trace_stats_1h", hourly(d.stats, func(k *store.StatsKey) *int64 { return &k.SlotMs }, (*store.StatsSum).Add)},
	} {
		d.queueStats(b, level.table, level.sums)
	}
	for _, level := range []struct {
		table string
		sums  map[store.UsageKey]*store.UsageSum
	}{
		{"llm_usage_5m", d.usage},
		{"llm_usage_1h", hourly(d.usage, func(k *store.UsageKey) *int64 { return &k.SlotMs }, (*store.UsageSum).Add)},
	} {
		d.queueUsage(b, level.table, level.sums)
	}
	d.queueUsers(b)
	d.queueSessions(b)
	d.queueLatency(b)
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("cannot update roll-ups: %w", err)
	}
	return nil
}

func (d *rollupDelta) queueStats(b *pgx.Batch, table string, sums map[store.StatsKey]*store.StatsSum) {
	sk := make([]store.StatsKey, 0, len(sums))
	for k, s := range sums {
		if *s != (store.StatsSum{}) {
			sk = append(sk, k)
		}
	}
	if len(sk) == 0 {
		return
	}
	slices.SortFunc(sk, func(a, b store.StatsKey) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.SlotMs, b.SlotMs), cmp.Compare(a.AgentID, b.AgentID),
			cmp.Compare(a.Status, b.Status), cmp.Compare(a.ErrorType, b.ErrorType))
	})
	n := len(sk)
	ws, agent, status, errType := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	slot, traces, latency, priced, tin, tout, ttot := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	cost := make([]float64, n)
	for i, k := range sk {
		s := sums[k]
		ws[i], agent[i], status[i], errType[i], slot[i] = k.WorkspaceID, txt(k.AgentID), k.Status, txt(k.ErrorType), k.SlotMs
		traces[i], latency[i], priced[i], cost[i] = s.Traces, s.LatencyMs, s.Priced, s.CostUSD
		tin[i], tout[i], ttot[i] = s.TokensInput, s.TokensOutput, s.TokensTotal
	}
	b.Queue(`INSERT INTO `+table+` AS r (workspace_id, slot_ms, agent_id, status, error_type, traces, latency_ms, priced,
		cost_usd, tokens_input, tokens_output, tokens_total)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $12::text[], $5::bigint[], $6::bigint[], $7::bigint[],
			$8::float8[], $9::bigint[], $10::bigint[], $11::bigint[])
		ON CONFLICT (workspace_id, slot_ms, agent_id, status, error_type) DO UPDATE SET traces = r.traces + excluded.traces,
			latency_ms = r.latency_ms + excluded.latency_ms, priced = r.priced + excluded.priced,
			cost_usd = r.cost_usd + excluded.cost_usd, tokens_input = r.tokens_input + excluded.tokens_input,
			tokens_output = r.tokens_output + excluded.tokens_output, tokens_total = r.tokens_total + excluded.tokens_total`,
		ws, slot, agent, status, traces, latency, priced, cost, tin, tout, ttot, errType)
	if d.subtracted {
		// Rows emptied where rewritten traces moved away.
		b.Queue(`DELETE FROM `+table+` r USING unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS k(ws, slot, agent, status, err)
			WHERE r.workspace_id = k.ws AND r.slot_ms = k.slot AND r.agent_id = k.agent AND r.status = k.status AND r.error_type = k.err
			AND r.traces = 0`, ws, slot, agent, status, errType)
	}
}

func (d *rollupDelta) queueUsage(b *pgx.Batch, table string, sums map[store.UsageKey]*store.UsageSum) {
	uk := make([]store.UsageKey, 0, len(sums))
	for k, u := range sums {
		if *u != (store.UsageSum{}) {
			uk = append(uk, k)
		}
	}
	if len(uk) == 0 {
		return
	}
	slices.SortFunc(uk, func(a, b store.UsageKey) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.SlotMs, b.SlotMs), cmp.Compare(a.AgentID, b.AgentID),
			cmp.Compare(a.Model, b.Model), cmp.Compare(a.Provider, b.Provider))
	})
	n := len(uk)
	ws, agent, mdl, provider := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	slot, calls, priced, tin, tout := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	cost := make([]float64, n)
	for i, k := range uk {
		u := sums[k]
		ws[i], agent[i], mdl[i], provider[i], slot[i] = k.WorkspaceID, txt(k.AgentID), txt(k.Model), txt(k.Provider), k.SlotMs
		calls[i], priced[i], cost[i], tin[i], tout[i] = u.Calls, u.Priced, u.CostUSD, u.TokensInput, u.TokensOutput
	}
	b.Queue(`INSERT INTO `+table+` AS r (workspace_id, slot_ms, agent_id, model, provider, calls, priced_calls,
		cost_usd, tokens_input, tokens_output)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
			$8::float8[], $9::bigint[], $10::bigint[])
		ON CONFLICT (workspace_id, slot_ms, agent_id, model, provider) DO UPDATE SET calls = r.calls + excluded.calls,
			priced_calls = r.priced_calls + excluded.priced_calls, cost_usd = r.cost_usd + excluded.cost_usd,
			tokens_input = r.tokens_input + excluded.tokens_input, tokens_output = r.tokens_output + excluded.tokens_output`,
		ws, slot, agent, mdl, provider, calls, priced, cost, tin, tout)
	if d.subtracted {
		b.Queue(`DELETE FROM `+table+` r USING unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS k(ws, slot, agent, model, provider)
			WHERE r.workspace_id = k.ws AND r.slot_ms = k.slot AND r.agent_id = k.agent AND r.model = k.model AND r.provider = k.provider AND r.calls = 0`,
			ws, slot, agent, mdl, provider)
	}
}

// queueUsers upserts the per-user sums; rows that rewrites took traces from are then read
// again from the traces, which this transaction has already written.
func (d *rollupDelta) queueUsers(b *pgx.Batch) {
	keys := make([]store.UserKey, 0, len(d.users))
	for k, u := range d.users {
		if u.StatsSum != (store.StatsSum{}) || u.Shrunk || u.LastStart != math.MinInt64 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortFunc(keys, func(a, b store.UserKey) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.DayMs, b.DayMs), cmp.Compare(a.UserID, b.UserID))
	})
	n := len(keys)
	ws, user := make([]string, n), make([]string, n)
	day, traces, success, errs, timeouts, latency, priced, tin, tout, ttot := make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	cost := make([]float64, n)
	first, last, lastEnd := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	var shrunkWS, shrunkUser []string
	var shrunkDay []int64
	for i, k := range keys {
		u := d.users[k]
		ws[i], user[i], day[i] = k.WorkspaceID, txt(k.UserID), k.DayMs
		traces[i], success[i], errs[i], timeouts[i], latency[i], priced[i], cost[i] = u.Traces, u.Success, u.Errors, u.Timeouts, u.LatencyMs, u.Priced, u.CostUSD
		tin[i], tout[i], ttot[i] = u.TokensInput, u.TokensOutput, u.TokensTotal
		if u.LastStart != math.MinInt64 {
			f, l, e := time.UnixMicro(u.FirstStart).UTC(), time.UnixMicro(u.LastStart).UTC(), time.UnixMicro(u.LastEnd).UTC()
			first[i], last[i], lastEnd[i] = &f, &l, &e
		}
		if u.Shrunk {
			shrunkWS, shrunkUser, shrunkDay = append(shrunkWS, k.WorkspaceID), append(shrunkUser, txt(k.UserID)), append(shrunkDay, k.DayMs)
		}
	}
	b.Queue(`INSERT INTO user_stats_1d AS r (workspace_id, day_ms, user_id, traces, success, errors, timeouts, latency_ms, priced, cost_usd,
		tokens_input, tokens_output, tokens_total, first_start, last_start, last_end)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
			$9::bigint[], $10::float8[], $11::bigint[], $12::bigint[], $13::bigint[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[])
		ON CONFLICT (workspace_id, day_ms, user_id) DO UPDATE SET traces = r.traces + excluded.traces, success = r.success + excluded.success,
			errors = r.errors + excluded.errors, timeouts = r.timeouts + excluded.timeouts, latency_ms = r.latency_ms + excluded.latency_ms,
			priced = r.priced + excluded.priced, cost_usd = r.cost_usd + excluded.cost_usd, tokens_input = r.tokens_input + excluded.tokens_input,
			tokens_output = r.tokens_output + excluded.tokens_output, tokens_total = r.tokens_total + excluded.tokens_total,
			first_start = least(r.first_start, excluded.first_start), last_start = greatest(r.last_start, excluded.last_start),
			last_end = greatest(r.last_end, excluded.last_end)`,
		ws, day, user, traces, success, errs, timeouts, latency, priced, cost, tin, tout, ttot, first, last, lastEnd)
	if len(shrunkWS) == 0 {
		return
	}
	b.Queue(`DELETE FROM user_stats_1d r USING unnest($1::text[], $2::bigint[], $3::text[]) AS k(ws, day, usr)
		WHERE r.workspace_id = k.ws AND r.day_ms = k.day AND r.user_id = k.usr AND r.traces = 0`, shrunkWS, shrunkDay, shrunkUser)
	b.Queue(`UPDATE user_stats_1d r SET first_start = x.first_start, last_start = x.last_start, last_end = x.last_end
		FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(ws, day, usr),
		LATERAL (SELECT min(t.start_time) AS first_start, max(t.start_time) AS last_start, max(t.end_time) AS last_end FROM traces t
			WHERE t.workspace_id = k.ws AND t.user_id = k.usr AND t.start_time >= to_timestamp(k.day / 1000.0)
			AND t.start_time < to_timestamp(k.day / 1000.0) + interval '1 day') AS x
		WHERE r.workspace_id = k.ws AND r.day_ms = k.day AND r.user_id = k.usr`, shrunkWS, shrunkDay, shrunkUser)
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
	rows, err := tx.Query(ctx, `SELECT t.workspace_id, t.trace_id, t.agent_id, t.user_id, t.session_id, t.start_time, t.end_time, t.status, t.error_type, t.latency_ms, t.model, t.provider,
		t.cost_usd, t.tokens_input, t.tokens_output, t.tokens_total FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
		JOIN traces t ON t.workspace_id = u.ws AND t.trace_id = u.id AND t.start_time = u.st`, ws, ids, starts)
	if err != nil {
		return nil, fmt.Errorf("cannot read stored traces: %w", err)
	}
	var t model.Trace
	var status string
	_, err = pgx.ForEachRow(rows, []any{&t.WorkspaceID, &t.TraceID, &t.AgentID, &t.UserID, &t.SessionID, &t.StartTime, &t.EndTime, &status, &t.ErrorType, &t.LatencyMs, &t.Model, &t.Provider,
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

// queueSessions widens the bounds of the batch's sessions; sessions that rewrites took
// traces from are then read again from the traces.
func (d *rollupDelta) queueSessions(b *pgx.Batch) {
	keys := make([]sessionKey, 0, len(d.sessions))
	for k := range d.sessions {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return
	}
	slices.SortFunc(keys, func(a, b sessionKey) int {
		return cmp.Or(cmp.Compare(a.workspaceID, b.workspaceID), cmp.Compare(a.sessionID, b.sessionID))
	})
	var ws, ids, shrunkWS, shrunkIDs []string
	var first, last []time.Time
	for _, k := range keys {
		sb := d.sessions[k]
		if sb.added {
			ws, ids = append(ws, k.workspaceID), append(ids, txt(k.sessionID))
			first, last = append(first, time.UnixMicro(sb.first).UTC()), append(last, time.UnixMicro(sb.last).UTC())
		}
		if sb.shrunk {
			shrunkWS, shrunkIDs = append(shrunkWS, k.workspaceID), append(shrunkIDs, txt(k.sessionID))
		}
	}
	if len(ws) > 0 {
		b.Queue(`INSERT INTO session_bounds AS r (workspace_id, session_id, first_start, last_start)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
			ON CONFLICT (workspace_id, session_id) DO UPDATE SET first_start = least(r.first_start, excluded.first_start),
				last_start = greatest(r.last_start, excluded.last_start)
			WHERE excluded.first_start < r.first_start OR excluded.last_start > r.last_start`, ws, ids, first, last)
	}
	if len(shrunkWS) == 0 {
		return
	}
	b.Queue(`UPDATE session_bounds r SET first_start = x.first_start, last_start = x.last_start
		FROM unnest($1::text[], $2::text[]) AS k(ws, id),
		LATERAL (SELECT min(t.start_time) AS first_start, max(t.start_time) AS last_start FROM traces t
			WHERE t.workspace_id = k.ws AND t.session_id = k.id) AS x
		WHERE r.workspace_id = k.ws AND r.session_id = k.id AND x.first_start IS NOT NULL`, shrunkWS, shrunkIDs)
	b.Queue(`DELETE FROM session_bounds r USING unnest($1::text[], $2::text[]) AS k(ws, id)
		WHERE r.workspace_id = k.ws AND r.session_id = k.id
		AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.workspace_id = k.ws AND t.session_id = k.id)`, shrunkWS, shrunkIDs)
}

func (d *rollupDelta) queueLatency(b *pgx.Batch) {
	keys := make([]latencyKey, 0, len(d.latency))
	for k, n := range d.latency {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortFunc(keys, func(a, b latencyKey) int {
		return cmp.Or(cmp.Compare(a.workspaceID, b.workspaceID), cmp.Compare(a.dayMs, b.dayMs), cmp.Compare(a.bucket, b.bucket))
	})
	ws, day, bucket, traces := make([]string, len(keys)), make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		ws[i], day[i], bucket[i], traces[i] = k.workspaceID, k.dayMs, k.bucket, d.latency[k]
	}
	b.Queue(`INSERT INTO latency_hist_1d AS r (workspace_id, day_ms, bucket, traces)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
		ON CONFLICT (workspace_id, day_ms, bucket) DO UPDATE SET traces = r.traces + excluded.traces`, ws, day, bucket, traces)
	if d.subtracted {
		b.Queue(`DELETE FROM latency_hist_1d r USING unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(ws, day, bucket)
			WHERE r.workspace_id = k.ws AND r.day_ms = k.day AND r.bucket = k.bucket AND r.traces = 0`, ws, day, bucket)
	}
}
