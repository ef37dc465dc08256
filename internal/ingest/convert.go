package ingest

import (
	"encoding/json"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// ToModel turns a validated input into the store's trace type for workspaceID. What the
// client said at trace level goes to Declared; totals are derived later by the pipeline.
func (in *TraceInput) ToModel(workspaceID string) model.Trace {
	start, _ := ParseTime(in.Timestamp)
	var end time.Time
	if in.EndTime != "" {
		end, _ = ParseTime(in.EndTime)
	}
	status := model.Status(in.Status)
	if status == "" {
		status = model.StatusSuccess
	}
	name := in.Name
	if name == "" {
		name = in.AgentID
	}
	t := model.Trace{
		WorkspaceID:  workspaceID,
		TraceID:      in.TraceID,
		AgentID:      in.AgentID,
		Name:         name,
		UserID:       in.UserID,
		SessionID:    in.SessionID,
		StartTime:    start.UTC(),
		ErrorType:    in.ErrorType,
		ErrorMessage: in.ErrorMessage,
		Input:        in.Input,
		Output:       in.Output,
		Model:        in.Model,
		Provider:     in.ModelProvider,
		Tags:         in.Tags,
		Metadata:     objectOrEmpty(in.Metadata),
		Declared: model.Declared{
			Status:       status,
			LatencyMs:    in.LatencyMs,
			EndTime:      utcOrZero(end),
			TokensInput:  in.TokensInput,
			TokensOutput: in.TokensOutput,
			TokensCached: in.TokensCached,
			TokensTotal:  in.TokensTotal,
			CostUSD:      in.CostUSD,
		},
	}
	if len(in.Spans) > 0 {
		t.Spans = make([]model.Span, len(in.Spans))
		for i := range in.Spans {
			t.Spans[i] = in.Spans[i].toModel(workspaceID, in.TraceID)
		}
	}
	if len(in.Scores) > 0 {
		t.Scores = make([]model.Score, len(in.Scores))
		for i := range in.Scores {
			t.Scores[i] = in.Scores[i].toModel(workspaceID, in.TraceID)
		}
	}
	return t
}

func (sp *SpanInput) toModel(workspaceID, traceID string) model.Span {
	start, _ := ParseTime(sp.StartTime)
	var end time.Time
	if sp.EndTime != "" {
		end, _ = ParseTime(sp.EndTime)
	}
	kind := model.SpanKind(sp.Kind)
	if kind == "" {
		kind = model.KindChain
	}
	status := model.Status(sp.Status)
	if status == "" {
		status = model.StatusSuccess
	}
	out := model.Span{
		WorkspaceID:   workspaceID,
		TraceID:       traceID,
		SpanID:        sp.SpanID,
		ParentSpanID:  sp.ParentSpanID,
		Kind:          kind,
		Name:          sp.Name,
		StartTime:     start.UTC(),
		EndTime:       utcOrZero(end),
		Status:        status,
		StatusMessage: sp.StatusMessage,
		Model:         sp.Model,
		Provider:      sp.ModelProvider,
		TokensInput:   sp.TokensInput,
		TokensOutput:  sp.TokensOutput,
		TokensCached:  sp.TokensCached,
		TokensTotal:   sp.TokensTotal,
		CostUSD:       sp.CostUSD,
		Input:         sp.Input,
		Output:        sp.Output,
		Attributes:    objectOrEmpty(sp.Attributes),
	}
	if sp.LatencyMs != nil {
		out.LatencyMs = *sp.LatencyMs
	} else {
		out.LatencyMs = -1 // derived from the times by the pipeline
	}
	return out
}

func (sc *ScoreInput) toModel(workspaceID, traceID string) model.Score {
	id := sc.ScoreID
	if id == "" {
		id = sc.Name
		if sc.SpanID != "" {
			id = sc.Name + "@" + sc.SpanID
		}
	}
	source := model.ScoreSource(sc.Source)
	if source == "" {
		source = model.ScoreSourceAPI
	}
	return model.Score{
		WorkspaceID: workspaceID, TraceID: traceID, ScoreID: id, SpanID: sc.SpanID,
		Name: sc.Name, Value: *sc.Value, Comment: sc.Comment, Source: source,
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return raw
}

// FromModel renders a trace back into the ingestion shape, so that a trace which could not
// be stored can be kept as a dead letter and replayed through the same decoder.
func FromModel(t *model.Trace) TraceInput {
	d := &t.Declared
	in := TraceInput{
		TraceID: t.TraceID, AgentID: t.AgentID, WorkspaceID: t.WorkspaceID,
		Timestamp: t.StartTime.Format(time.RFC3339Nano), Name: t.Name, UserID: t.UserID, SessionID: t.SessionID,
		Input: t.Input, Output: t.Output, LatencyMs: d.LatencyMs, Status: string(d.Status),
		ErrorType: t.ErrorType, ErrorMessage: t.ErrorMessage, Model: t.Model, ModelProvider: t.Provider,
		TokensInput: d.TokensInput, TokensOutput: d.TokensOutput, TokensCached: d.TokensCached, TokensTotal: d.TokensTotal,
		CostUSD: d.CostUSD, Metadata: t.Metadata, Tags: t.Tags,
	}
	if !d.EndTime.IsZero() {
		in.EndTime = d.EndTime.Format(time.RFC3339Nano)
	}
	for i := range t.Spans {
		s := &t.Spans[i]
		sp := SpanInput{
			SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, Kind: string(s.Kind), Name: s.Name,
			StartTime: s.StartTime.Format(time.RFC3339Nano), Status: string(s.Status), StatusMessage: s.StatusMessage,
			Model: s.Model, ModelProvider: s.Provider, TokensInput: s.TokensInput, TokensOutput: s.TokensOutput,
			TokensCached: s.TokensCached, TokensTotal: s.TokensTotal, CostUSD: s.CostUSD,
			Input: s.Input, Output: s.Output, Attributes: s.Attributes,
		}
		if !s.EndTime.IsZero() {
			sp.EndTime = s.EndTime.Format(time.RFC3339Nano)
		}
		if s.LatencyMs >= 0 {
			sp.LatencyMs = model.Int64(s.LatencyMs)
		}
		in.Spans = append(in.Spans, sp)
	}
	for i := range t.Scores {
		sc := &t.Scores[i]
		in.Scores = append(in.Scores, ScoreInput{ScoreID: sc.ScoreID, Name: sc.Name, Value: model.Float64(sc.Value),
			SpanID: sc.SpanID, Comment: sc.Comment, Source: string(sc.Source)})
	}
	return in
}
