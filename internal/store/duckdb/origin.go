package duckdb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/agentobs/agentobs/internal/model"
)

// storedTraceFields reads the trace-level fields of the stored traces that a batch derives
// from spans (OTLP, model.OriginRoot or OriginPartial), so that a part without the root
// span does not overwrite what the root said (model.MergeTraceFields). Traces declared by
// the client (REST) are not read: their later part wins.
func (s *Store) storedTraceFields(ctx context.Context, batch []model.Trace) (map[traceKey]model.Trace, error) {
	byWS := map[string][]string{}
	for i := range batch {
		if batch[i].Declared.Origin != model.OriginDeclared {
			byWS[batch[i].WorkspaceID] = append(byWS[batch[i].WorkspaceID], batch[i].TraceID)
		}
	}
	out := map[traceKey]model.Trace{}
	for ws, ids := range byWS {
		rows, err := s.wconn.QueryContext(ctx, `SELECT trace_id, agent_id, name, user_id, session_id, start_time,
			error_type, error_message, input, output, tags, metadata
			FROM traces WHERE workspace_id = ? AND `+traceIDInList, ws, ids)
		if err != nil {
			return nil, fmt.Errorf("cannot read stored traces: %w", err)
		}
		for rows.Next() {
			t := model.Trace{WorkspaceID: ws}
			var tags []any
			var meta string
			if err := rows.Scan(&t.TraceID, &t.AgentID, &t.Name, &t.UserID, &t.SessionID, &t.StartTime,
				&t.ErrorType, &t.ErrorMessage, &t.Input, &t.Output, &tags, &meta); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read stored trace: %w", err)
			}
			t.StartTime = t.StartTime.UTC()
			for _, tag := range tags {
				if s, ok := tag.(string); ok {
					t.Tags = append(t.Tags, s)
				}
			}
			t.Metadata = json.RawMessage(meta)
			out[traceKey{ws, t.TraceID}] = t
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
