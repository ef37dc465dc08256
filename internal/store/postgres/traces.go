package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

var traceColumns = []string{"workspace_id", "trace_id", "agent_id", "name", "user_id", "session_id", "start_time", "end_time",
	"latency_ms", "status", "error_type", "error_message", "input", "output", "model", "provider",
	"tokens_input", "tokens_output", "tokens_cached", "tokens_total", "cost_usd", "tags", "metadata",
	"span_count", "error_span_count", "declared_status", "declared_latency_ms", "declared_end_time",
	"declared_tokens_input", "declared_tokens_output", "declared_tokens_cached", "declared_tokens_total",
	"declared_cost_usd", "ingested_at"}

var spanColumns = []string{"workspace_id", "trace_id", "span_id", "trace_start", "parent_span_id", "kind", "name", "start_time", "end_time",
	"latency_ms", "status", "status_message", "model", "provider", "tokens_input", "tokens_output", "tokens_cached",
	"tokens_total", "cost_usd", "input", "output", "attributes"}

const spanSelect = `workspace_id, trace_id, span_id, parent_span_id, kind, name, start_time, end_time,
	latency_ms, status, status_message, model, provider, tokens_input, tokens_output, tokens_cached,
	tokens_total, cost_usd, input, output, attributes`

const traceSelect = `workspace_id, trace_id, agent_id, name, user_id, session_id, start_time, end_time,
	latency_ms, status, error_type, error_message, input, output, model, provider,
	tokens_input, tokens_output, tokens_cached, tokens_total, cost_usd, tags, metadata,
	span_count, error_span_count, declared_status, declared_latency_ms, declared_end_time,
	declared_tokens_input, declared_tokens_output, declared_tokens_cached, declared_tokens_total, declared_cost_usd`

// errRetry asks WriteTraces to run the transaction again: another process changed a trace of
// the batch between two statements, or a partition the writer knew of is gone.
var errRetry = errors.New("concurrent change; retry")

func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	switch pgCode(err) {
	case "40001", "40P01": // serialization failure, deadlock detected
		return true
	}
	return false
}

type traceKey struct{ ws, id string }

// WriteTraces implements store.TraceWriter.
//
// The fast path inserts the batch's keys into trace_keys with ON CONFLICT DO NOTHING and, if
// every key was new, COPYs traces and spans straight into their partitions. Otherwise the
// slow path runs: it locks the existing keys, reads their stored spans, rolls them up with the
// new ones (the shared rules of package store), and replaces those traces and their spans.
// The key rows serialise concurrent writers of one trace across processes; batches are sorted
// by key so that two writers always lock in the same order.
func (s *Store) WriteTraces(ctx context.Context, in []model.Trace) error {
	return s.writeTraces(ctx, in, nil)
}

// WriteTracesAt implements store.TraceWriter.
func (s *Store) WriteTracesAt(ctx context.Context, in []model.Trace, pos model.LogPosition) error {
	if len(in) == 0 {
		_, err := s.pool.Exec(ctx, store.SQLSetLogPosition, pos.LogID, int64(pos.Seq))
		if err != nil {
			return fmt.Errorf("cannot store the log position: %w", err)
		}
		return nil
	}
	return s.writeTraces(ctx, in, &pos)
}

// LogPosition implements store.TraceWriter.
func (s *Store) LogPosition(ctx context.Context, logID string) (uint64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, store.SQLGetLogPosition, logID).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cannot read the log position: %w", err)
	}
	return uint64(seq), nil
}

// setLogPosition stores pos, when there is one, in the write transaction.
func setLogPosition(ctx context.Context, tx pgx.Tx, pos *model.LogPosition) error {
	if pos == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, store.SQLSetLogPosition, pos.LogID, int64(pos.Seq)); err != nil {
		return fmt.Errorf("cannot store the log position: %w", err)
	}
	return nil
}

func (s *Store) writeTraces(ctx context.Context, in []model.Trace, pos *model.LogPosition) error {
	if len(in) == 0 {
		return nil
	}
	batch := store.DedupeTraces(in)
	for i := range batch {
		model.RollUp(&batch[i], batch[i].Spans)
	}
	slices.SortFunc(batch, func(a, b model.Trace) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.TraceID, b.TraceID))
	})
	starts := make([]time.Time, len(batch))
	for i := range batch {
		starts[i] = batch[i].StartTime
	}
	if err := s.ensurePartitions(ctx, starts); err != nil {
		return err
	}
	ingestedAt := s.now().UTC()
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
			}
		}
		err = s.writeFast(ctx, batch, ingestedAt, pos)
		if errors.Is(err, errTraceExists) {
			err = s.writeSlow(ctx, batch, ingestedAt, pos)
		}
		if pgCode(err) == "23514" { // no partition for a row: another process dropped it
			if lerr := s.loadPartitions(ctx); lerr == nil {
				if perr := s.ensurePartitions(ctx, starts); perr != nil {
					return perr
				}
				continue
			}
		}
		if !retryable(err) {
			return err
		}
	}
	return err
}

var errTraceExists = errors.New("a trace of the batch already exists")

func (s *Store) writeFast(ctx context.Context, batch []model.Trace, ingestedAt time.Time, pos *model.LogPosition) error {
	agents := s.agents.Changes(batch)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := keyedPlans(ctx, tx); err != nil {
			return err
		}
		ws, ids, starts := keyArrays(batch)
		tag, err := tx.Exec(ctx, `INSERT INTO trace_keys (workspace_id, trace_id, start_time)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT DO NOTHING`, ws, ids, starts)
		if err != nil {
			return fmt.Errorf("cannot write trace keys: %w", err)
		}
		if tag.RowsAffected() != int64(len(batch)) {
			return errTraceExists
		}
		delta := newRollupDelta()
		delta.add(batch, 1)
		if err := s.insertAll(ctx, tx, batch, nil, agents, delta, ingestedAt); err != nil {
			return err
		}
		return setLogPosition(ctx, tx, pos)
	})
	if err == nil {
		s.agents.Remember(agents)
	}
	return err
}

func (s *Store) writeSlow(ctx context.Context, batch []model.Trace, ingestedAt time.Time, pos *model.LogPosition) error {
	agents := s.agents.Changes(batch)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := keyedPlans(ctx, tx); err != nil {
			return err
		}
		ws, ids, _ := keyArrays(batch)
		rows, err := tx.Query(ctx, `SELECT k.workspace_id, k.trace_id, k.start_time FROM trace_keys k
			JOIN unnest($1::text[], $2::text[]) AS u(ws, id) ON k.workspace_id = u.ws AND k.trace_id = u.id
			ORDER BY k.workspace_id, k.trace_id FOR UPDATE OF k`, ws, ids)
		if err != nil {
			return fmt.Errorf("cannot lock trace keys: %w", err)
		}
		stored := map[traceKey]time.Time{}
		var k traceKey
		var st time.Time
		_, err = pgx.ForEachRow(rows, []any{&k.ws, &k.id, &st}, func() error {
			stored[k] = st
			return nil
		})
		if err != nil {
			return fmt.Errorf("cannot lock trace keys: %w", err)
		}
		var fresh, update []model.Trace
		for i := range batch {
			if _, ok := stored[traceKey{batch[i].WorkspaceID, batch[i].TraceID}]; ok {
				update = append(update, batch[i])
			} else {
				fresh = append(fresh, batch[i])
			}
		}
		if len(fresh) > 0 {
			fws, fids, fstarts := keyArrays(fresh)
			tag, err := tx.Exec(ctx, `INSERT INTO trace_keys (workspace_id, trace_id, start_time)
				SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT DO NOTHING`, fws, fids, fstarts)
			if err != nil {
				return fmt.Errorf("cannot write trace keys: %w", err)
			}
			if tag.RowsAffected() != int64(len(fresh)) {
				return errRetry // another writer created one of them since the lock
			}
		}
		existing, err := storedSpans(ctx, tx, update, stored)
		if err != nil {
			return err
		}
		derived, err := storedTraceFields(ctx, tx, update, stored)
		if err != nil {
			return err
		}
		// What the stored versions contributed to the roll-ups goes before they are replaced.
		delta := newRollupDelta()
		old, err := storedRollupFields(ctx, tx, update, stored)
		if err != nil {
			return err
		}
		oldTraces := make([]model.Trace, 0, len(old))
		for k, t := range old {
			t.Spans = existing[k]
			oldTraces = append(oldTraces, t)
		}
		delta.add(oldTraces, -1)
		merged := make([][]model.Span, len(update))
		for i := range update {
			t := &update[i]
			k := traceKey{t.WorkspaceID, t.TraceID}
			if f, ok := derived[k]; ok {
				model.MergeTraceFields(&f, t, model.HasRootSpan(existing[k]))
			}
			merged[i] = store.MergeSpans(existing[k], t.Spans)
			model.RollUp(t, merged[i])
		}
		// Replace: delete the stored rows of the existing traces (wherever they live), then
		// insert them again rolled up over the merged spans, possibly in another partition.
		uws, uids, _ := keyArrays(update)
		ustarts := make([]time.Time, len(update))
		for i := range update {
			ustarts[i] = stored[traceKey{update[i].WorkspaceID, update[i].TraceID}]
		}
		if _, err := tx.Exec(ctx, `DELETE FROM traces t USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
			WHERE t.workspace_id = u.ws AND t.trace_id = u.id AND t.start_time = u.st`, uws, uids, ustarts); err != nil {
			return fmt.Errorf("cannot replace traces: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM spans s USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
			WHERE s.workspace_id = u.ws AND s.trace_id = u.id AND s.trace_start = u.st`, uws, uids, ustarts); err != nil {
			return fmt.Errorf("cannot replace spans: %w", err)
		}
		_, _, newStarts := keyArrays(update)
		if _, err := tx.Exec(ctx, `UPDATE trace_keys k SET start_time = u.st FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
			WHERE k.workspace_id = u.ws AND k.trace_id = u.id AND k.start_time <> u.st`, uws, uids, newStarts); err != nil {
			return fmt.Errorf("cannot move trace keys: %w", err)
		}
		all := append(fresh, update...)
		spans := make([][]model.Span, 0, len(all))
		for i := range fresh {
			spans = append(spans, fresh[i].Spans)
		}
		spans = append(spans, merged...)
		final := make([]model.Trace, len(all))
		for i := range all {
			final[i] = all[i]
			final[i].Spans = spans[i]
		}
		delta.add(final, 1)
		if err := s.insertAll(ctx, tx, all, spans, agents, delta, ingestedAt); err != nil {
			return err
		}
		return setLogPosition(ctx, tx, pos)
	})
	if err == nil {
		s.agents.Remember(agents)
	}
	return err
}

// keyedPlans makes the write transaction join its batch's keys (a few thousand, unnested
// from arrays) to traces and spans by index, one partition per key. The planner cannot see
// how few keys an array holds, nor how big a new day's partition has grown before it is
// analysed, and would otherwise hash-join or scan whole tables.
func keyedPlans(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_seqscan = off`); err != nil {
		return fmt.Errorf("cannot configure the write transaction: %w", err)
	}
	return nil
}

func keyArrays(batch []model.Trace) (ws, ids []string, starts []time.Time) {
	ws, ids, starts = make([]string, len(batch)), make([]string, len(batch)), make([]time.Time, len(batch))
	for i := range batch {
		ws[i], ids[i], starts[i] = batch[i].WorkspaceID, batch[i].TraceID, batch[i].StartTime
	}
	return ws, ids, starts
}

// storedSpans reads the spans of traces that exist, from the partition their key names.
func storedSpans(ctx context.Context, tx pgx.Tx, update []model.Trace, stored map[traceKey]time.Time) (map[traceKey][]model.Span, error) {
	out := map[traceKey][]model.Span{}
	if len(update) == 0 {
		return out, nil
	}
	ws, ids, _ := keyArrays(update)
	starts := make([]time.Time, len(update))
	for i := range update {
		starts[i] = stored[traceKey{update[i].WorkspaceID, update[i].TraceID}]
	}
	rows, err := tx.Query(ctx, `SELECT `+spanSelect+` FROM spans s
		JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
		ON s.workspace_id = u.ws AND s.trace_id = u.id AND s.trace_start = u.st
		ORDER BY s.start_time, s.span_id`, ws, ids, starts)
	if err != nil {
		return nil, fmt.Errorf("cannot read stored spans: %w", err)
	}
	spans, err := scanSpans(rows)
	if err != nil {
		return nil, err
	}
	for _, sp := range spans {
		k := traceKey{sp.WorkspaceID, sp.TraceID}
		out[k] = append(out[k], sp)
	}
	return out, nil
}

// storedTraceFields reads the trace-level fields of stored traces that the batch derives
// from spans (OTLP: model.OriginRoot or OriginPartial), so that a part without the root span
// does not overwrite what the root said. Declared traces (REST) are not read: the later
// part wins.
func storedTraceFields(ctx context.Context, tx pgx.Tx, update []model.Trace, stored map[traceKey]time.Time) (map[traceKey]model.Trace, error) {
	out := map[traceKey]model.Trace{}
	var ws, ids []string
	var starts []time.Time
	for i := range update {
		if update[i].Declared.Origin != model.OriginDeclared {
			k := traceKey{update[i].WorkspaceID, update[i].TraceID}
			ws, ids, starts = append(ws, k.ws), append(ids, k.id), append(starts, stored[k])
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT t.workspace_id, t.trace_id, t.agent_id, t.name, t.user_id, t.session_id, t.start_time,
		t.error_type, t.error_message, t.input, t.output, t.tags, t.metadata FROM traces t
		JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(ws, id, st)
		ON t.workspace_id = u.ws AND t.trace_id = u.id AND t.start_time = u.st`, ws, ids, starts)
	if err != nil {
		return nil, fmt.Errorf("cannot read stored traces: %w", err)
	}
	var t model.Trace
	var meta string
	_, err = pgx.ForEachRow(rows, []any{&t.WorkspaceID, &t.TraceID, &t.AgentID, &t.Name, &t.UserID, &t.SessionID, &t.StartTime,
		&t.ErrorType, &t.ErrorMessage, &t.Input, &t.Output, &t.Tags, &meta}, func() error {
		c := t
		c.StartTime, c.Metadata = c.StartTime.UTC(), json.RawMessage(meta)
		out[traceKey{c.WorkspaceID, c.TraceID}] = c
		t.Tags = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read stored traces: %w", err)
	}
	return out, nil
}

// insertAll COPYs traces and spans and upserts scores and agents. spans[i], when given,
// replaces traces[i].Spans (the merged list of an existing trace).
func (s *Store) insertAll(ctx context.Context, tx pgx.Tx, traces []model.Trace, spans [][]model.Span, agents []model.Agent, delta *rollupDelta, ingestedAt time.Time) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"traces"}, traceColumns, pgx.CopyFromSlice(len(traces), func(i int) ([]any, error) {
		t := &traces[i]
		d := &t.Declared
		return []any{t.WorkspaceID, t.TraceID, txt(t.AgentID), txt(t.Name), txt(t.UserID), txt(t.SessionID),
			t.StartTime, t.EndTime, t.LatencyMs, string(t.Status), txt(t.ErrorType), txt(t.ErrorMessage),
			txt(t.Input), txt(t.Output), txt(t.Model), txt(t.Provider),
			t.TokensInput, t.TokensOutput, t.TokensCached, t.TokensTotal, t.CostUSD, txts(t.Tags), jsonText(t.Metadata),
			t.SpanCount, t.ErrorSpanCount, string(d.Status), d.LatencyMs, nullTime(d.EndTime),
			d.TokensInput, d.TokensOutput, d.TokensCached, d.TokensTotal, d.CostUSD, ingestedAt}, nil
	})); err != nil {
		return fmt.Errorf("cannot write traces: %w", err)
	}
	type spanRow struct {
		t  *model.Trace
		sp *model.Span
	}
	var rows []spanRow
	var nScores int
	for i := range traces {
		list := traces[i].Spans
		if spans != nil {
			list = spans[i]
		}
		for j := range list {
			rows = append(rows, spanRow{&traces[i], &list[j]})
		}
		nScores += len(traces[i].Scores)
	}
	if len(rows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"spans"}, spanColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			t, sp := rows[i].t, rows[i].sp
			return []any{t.WorkspaceID, t.TraceID, sp.SpanID, t.StartTime, sp.ParentSpanID, string(sp.Kind), txt(sp.Name),
				sp.StartTime, sp.EndTime, sp.LatencyMs, string(sp.Status), txt(sp.StatusMessage), txt(sp.Model), txt(sp.Provider),
				sp.TokensInput, sp.TokensOutput, sp.TokensCached, sp.TokensTotal, sp.CostUSD,
				txt(sp.Input), txt(sp.Output), jsonText(sp.Attributes)}, nil
		})); err != nil {
			return fmt.Errorf("cannot write spans: %w", err)
		}
	}
	if nScores > 0 {
		if err := upsertScores(ctx, tx, traces, nScores, ingestedAt); err != nil {
			return err
		}
	}
	// Hot rows last: the roll-ups of the current slots and the agents registry are shared by
	// every writer, so their locks are held for as short a time as possible.
	if err := delta.apply(ctx, tx); err != nil {
		return err
	}
	if len(agents) > 0 {
		if err := upsertAgents(ctx, tx, agents); err != nil {
			return err
		}
	}
	return nil
}

func upsertScores(ctx context.Context, tx pgx.Tx, traces []model.Trace, n int, ingestedAt time.Time) error {
	ws, tids, ids, spanIDs, names, comments, sources := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n),
		make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	values, created := make([]float64, 0, n), make([]time.Time, 0, n)
	for i := range traces {
		t := &traces[i]
		for j := range t.Scores {
			sc := &t.Scores[j]
			at := sc.CreatedAt
			if at.IsZero() {
				at = ingestedAt
			}
			ws, tids, ids, spanIDs = append(ws, t.WorkspaceID), append(tids, t.TraceID), append(ids, txt(sc.ScoreID)), append(spanIDs, txt(sc.SpanID))
			names, comments, sources = append(names, txt(sc.Name)), append(comments, txt(sc.Comment)), append(sources, string(sc.Source))
			values, created = append(values, sc.Value), append(created, at)
		}
	}
	// The original created_at is kept, as on DuckDB: scores are listed in the order they came.
	_, err := tx.Exec(ctx, `INSERT INTO scores (workspace_id, trace_id, score_id, span_id, name, value, comment, source, created_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::timestamptz[])
		ON CONFLICT (workspace_id, trace_id, score_id) DO UPDATE SET span_id = excluded.span_id, name = excluded.name,
			value = excluded.value, comment = excluded.comment, source = excluded.source`,
		ws, tids, ids, spanIDs, names, values, comments, sources, created)
	if err != nil {
		return fmt.Errorf("cannot write scores: %w", err)
	}
	return nil
}

func upsertAgents(ctx context.Context, tx pgx.Tx, agents []model.Agent) error {
	sorted := slices.Clone(agents)
	slices.SortFunc(sorted, func(a, b model.Agent) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.AgentID, b.AgentID))
	})
	b := &pgx.Batch{}
	for _, a := range sorted {
		b.Queue(`INSERT INTO agents (workspace_id, agent_id, first_seen, last_seen, models) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (workspace_id, agent_id) DO UPDATE SET
				first_seen = least(agents.first_seen, excluded.first_seen),
				last_seen = greatest(agents.last_seen, excluded.last_seen),
				models = ARRAY(SELECT DISTINCT m FROM unnest(agents.models || excluded.models) AS m ORDER BY m)`,
			a.WorkspaceID, txt(a.AgentID), a.FirstSeen, a.LastSeen, txts(a.Models))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("cannot update agents: %w", err)
	}
	return nil
}

func scanSpans(rows pgx.Rows) ([]model.Span, error) {
	var out []model.Span
	var sp model.Span
	var kind, status, attrs string
	_, err := pgx.ForEachRow(rows, []any{&sp.WorkspaceID, &sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &kind, &sp.Name,
		&sp.StartTime, &sp.EndTime, &sp.LatencyMs, &status, &sp.StatusMessage, &sp.Model, &sp.Provider,
		&sp.TokensInput, &sp.TokensOutput, &sp.TokensCached, &sp.TokensTotal, &sp.CostUSD, &sp.Input, &sp.Output, &attrs}, func() error {
		c := sp
		c.Kind, c.Status = model.SpanKind(kind), model.Status(status)
		c.Attributes = json.RawMessage(attrs)
		c.StartTime, c.EndTime = c.StartTime.UTC(), c.EndTime.UTC()
		out = append(out, c)
		// Pointers are scanned into fresh values each row only if reset.
		sp.TokensInput, sp.TokensOutput, sp.TokensCached, sp.TokensTotal, sp.CostUSD = nil, nil, nil, nil, nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read spans: %w", err)
	}
	return out, nil
}

// GetTrace implements store.TraceReader. The key names the partition; one repeatable-read
// transaction reads the trace, its spans and its scores as of one moment.
func (s *Store) GetTrace(ctx context.Context, workspaceID, traceID string) (*model.Trace, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("cannot read trace: %w", err)
	}
	defer tx.Rollback(context.Background())
	var start time.Time
	err = tx.QueryRow(ctx, `SELECT start_time FROM trace_keys WHERE workspace_id = $1 AND trace_id = $2`, workspaceID, traceID).Scan(&start)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("trace", traceID)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read trace: %w", err)
	}
	var t model.Trace
	var status, declStatus, meta string
	var dend *time.Time
	err = tx.QueryRow(ctx, `SELECT `+traceSelect+` FROM traces WHERE workspace_id = $1 AND trace_id = $2 AND start_time = $3`,
		workspaceID, traceID, start).Scan(&t.WorkspaceID, &t.TraceID, &t.AgentID, &t.Name, &t.UserID, &t.SessionID, &t.StartTime, &t.EndTime,
		&t.LatencyMs, &status, &t.ErrorType, &t.ErrorMessage, &t.Input, &t.Output, &t.Model, &t.Provider,
		&t.TokensInput, &t.TokensOutput, &t.TokensCached, &t.TokensTotal, &t.CostUSD, &t.Tags, &meta,
		&t.SpanCount, &t.ErrorSpanCount, &declStatus, &t.Declared.LatencyMs, &dend,
		&t.Declared.TokensInput, &t.Declared.TokensOutput, &t.Declared.TokensCached, &t.Declared.TokensTotal, &t.Declared.CostUSD)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("trace", traceID)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read trace: %w", err)
	}
	t.Status, t.Declared.Status = model.Status(status), model.Status(declStatus)
	t.Metadata = json.RawMessage(meta)
	if t.Tags == nil {
		t.Tags = []string{}
	}
	t.StartTime, t.EndTime = t.StartTime.UTC(), t.EndTime.UTC()
	if dend != nil {
		t.Declared.EndTime = dend.UTC()
	}
	if t.SpanCount == 0 {
		t.Spans = []model.Span{store.FlatRootSpan(&t)}
	} else {
		rows, err := tx.Query(ctx, `SELECT `+spanSelect+` FROM spans WHERE workspace_id = $1 AND trace_id = $2 AND trace_start = $3
			ORDER BY start_time, span_id`, workspaceID, traceID, start)
		if err != nil {
			return nil, fmt.Errorf("cannot read spans: %w", err)
		}
		if t.Spans, err = scanSpans(rows); err != nil {
			return nil, err
		}
	}
	rows, err := tx.Query(ctx, `SELECT score_id, span_id, name, value, comment, source, created_at FROM scores
		WHERE workspace_id = $1 AND trace_id = $2 ORDER BY created_at, score_id`, workspaceID, traceID)
	if err != nil {
		return nil, fmt.Errorf("cannot read scores: %w", err)
	}
	t.Scores = []model.Score{}
	var sc model.Score
	var source string
	_, err = pgx.ForEachRow(rows, []any{&sc.ScoreID, &sc.SpanID, &sc.Name, &sc.Value, &sc.Comment, &source, &sc.CreatedAt}, func() error {
		c := sc
		c.WorkspaceID, c.TraceID, c.Source, c.CreatedAt = workspaceID, traceID, model.ScoreSource(source), c.CreatedAt.UTC()
		t.Scores = append(t.Scores, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read scores: %w", err)
	}
	return &t, nil
}

// CountTraces implements store.TraceReader; the key table has one row per trace.
func (s *Store) CountTraces(ctx context.Context, workspaceID string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM trace_keys WHERE workspace_id = $1`, workspaceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count traces: %w", err)
	}
	return n, nil
}

// StoredTraceIDs implements store.TraceIndex.
func (s *Store) StoredTraceIDs(ctx context.Context, workspaceID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT trace_id FROM trace_keys WHERE workspace_id = $1 AND trace_id = ANY($2)`, workspaceID, ids)
	if err != nil {
		return nil, fmt.Errorf("cannot look traces up: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cannot read trace ids: %w", err)
	}
	return out, nil
}

// ListAgents implements store.Agents.
func (s *Store) ListAgents(ctx context.Context, workspaceID string) ([]model.Agent, error) {
	rows, err := s.pool.Query(ctx, `SELECT workspace_id, agent_id, first_seen, last_seen, models FROM agents
		WHERE workspace_id = $1 ORDER BY agent_id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	out := []model.Agent{}
	var a model.Agent
	_, err = pgx.ForEachRow(rows, []any{&a.WorkspaceID, &a.AgentID, &a.FirstSeen, &a.LastSeen, &a.Models}, func() error {
		c := a
		c.FirstSeen, c.LastSeen = c.FirstSeen.UTC(), c.LastSeen.UTC()
		if c.Models == nil {
			c.Models = []string{}
		}
		slices.Sort(c.Models)
		out = append(out, c)
		a.Models = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	return out, nil
}

// TraceIDCounts returns how many rows each trace id has in the traces table, across
// workspaces and partitions. Consistency checks use it: every value must be 1.
func (s *Store) TraceIDCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT trace_id, count(*) FROM traces GROUP BY trace_id`)
	if err != nil {
		return nil, fmt.Errorf("cannot count trace ids: %w", err)
	}
	out := map[string]int{}
	var id string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		out[id] = n
		return nil
	})
	return out, err
}
