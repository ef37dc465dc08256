package langfuse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// ScoreRequest is a decoded POST /api/public/scores: SDK 5 sends a list of scores and
// expects counts back, older SDKs and direct callers one score and its id.
type ScoreRequest struct {
	Single bool
	Scores []model.Score // the valid ones
	Errors []ItemError   // the others, by position ("0", "1", ...) or id
}

// DecodeScores reads a score or a list of scores of workspace ws. It fails only when the
// body is neither; a bad score in a list is reported in Errors, a bad single score fails.
func DecodeScores(body []byte, ws string, maxScores int, now time.Time, newID func() string) (ScoreRequest, error) {
	trimmed := bytes.TrimSpace(body)
	var req ScoreRequest
	if len(trimmed) > 0 && trimmed[0] == '{' {
		req.Single = true
		s, err := decodeScore(trimmed, now.UTC(), newID)
		if err != nil {
			return req, err
		}
		s.WorkspaceID = ws
		req.Scores = []model.Score{s}
		return req, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(trimmed, &list); err != nil {
		return req, errors.New("body: must be a score object or a list of scores")
	}
	if len(list) > maxScores {
		return req, fmt.Errorf("body: holds %d scores, at most %d are accepted per request", len(list), maxScores)
	}
	for i, raw := range list {
		s, err := decodeScore(raw, now.UTC(), newID)
		if err != nil {
			var id struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			if id.ID == "" {
				id.ID = fmt.Sprint(i)
			}
			req.Errors = append(req.Errors, ItemError{ID: cut(id.ID, maxIDLen), Status: http.StatusBadRequest, Message: fmt.Sprintf("[%d].%s", i, strings.TrimPrefix(err.Error(), "body."))})
			continue
		}
		s.WorkspaceID = ws
		req.Scores = append(req.Scores, s)
	}
	return req, nil
}

// ScoreTraces groups scores into trace parts that carry only scores. Such a part keeps
// every field of a stored trace (model.MergeTraceFields: a part without the root span,
// starting later than what is stored); a score that arrives before its trace waits in a
// placeholder trace that the trace's own spans then fill.
func ScoreTraces(scores []model.Score) []model.Trace {
	index := map[string]int{}
	var out []model.Trace
	for _, s := range scores {
		i, ok := index[s.TraceID]
		if !ok {
			i = len(out)
			index[s.TraceID] = i
			out = append(out, model.Trace{WorkspaceID: s.WorkspaceID, TraceID: s.TraceID, AgentID: "unknown_service",
				StartTime: s.CreatedAt, Metadata: json.RawMessage("{}"),
				Declared: model.Declared{Status: model.StatusSuccess, Origin: model.OriginPartial}})
		}
		out[i].Scores = append(out[i].Scores, s)
		if s.CreatedAt.Before(out[i].StartTime) {
			out[i].StartTime = s.CreatedAt
		}
	}
	return out
}
