package duckdb

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Trace detail must stay fast at tens of millions of traces. DuckDB answers an equality on
// a single-column index from the index, but not when other conditions come with it, so
// the trace and its scores are looked up by id alone in a materialized step and the
// workspace is checked afterwards.

var traceByIDSQL = `WITH c AS MATERIALIZED (SELECT ` + traceColumns + ` FROM traces WHERE trace_id = $2)
	SELECT * FROM c WHERE workspace_id = $1`

var scoresByTraceSQL = `WITH c AS MATERIALIZED (SELECT ` + scoreColumns + ` FROM scores WHERE trace_id = $2)
	SELECT * FROM c WHERE workspace_id = $1 ORDER BY created_at, score_id`

// spanLookback is how long before its trace a span is first looked for. Spans start
// before their trace only when clients send odd times; the count check catches that.
const spanLookback = time.Hour

// traceSpans reads the spans of t (a trace just read, with its span count). Every span ends
// by the trace's end, which is a roll-up over its spans, and nearly always starts after the
// trace's start: bounding start_time to that window lets the scan skip all row groups but
// the few its zone maps place there. If the window misses a span (fewer than span_count
// found) the whole table is searched.
func (s *Store) traceSpans(ctx context.Context, t *model.Trace) ([]model.Span, error) {
	spans, err := querySpans(ctx, s.db, `WHERE workspace_id = $1 AND trace_id = $2 AND start_time >= $3 AND start_time <= $4`,
		t.WorkspaceID, t.TraceID, t.StartTime.Add(-spanLookback), t.EndTime)
	if err != nil || int64(len(spans)) == t.SpanCount {
		return spans, err
	}
	return querySpans(ctx, s.db, `WHERE workspace_id = $1 AND trace_id = $2`, t.WorkspaceID, t.TraceID)
}
