// Package ingest decodes and validates what clients send to the REST ingestion endpoints
// and turns it into model types. It never trusts its input: every decoder here has a fuzz test.
package ingest

import (
	"encoding/json"
)

// TraceInput is the body of POST /api/v1/traces: the plan's TraceInput, extended with
// spans and scores. Optional numbers are pointers so that absent and zero differ.
type TraceInput struct {
	TraceID       string          `json:"trace_id"`
	AgentID       string          `json:"agent_id"`
	WorkspaceID   string          `json:"workspace_id"`
	Timestamp     string          `json:"timestamp"`
	EndTime       string          `json:"end_time"`
	Name          string          `json:"name"`
	UserID        string          `json:"user_id"`
	SessionID     string          `json:"session_id"`
	Input         string          `json:"input"`
	Output        string          `json:"output"`
	LatencyMs     *int64          `json:"latency_ms"`
	Status        string          `json:"status"`
	ErrorType     string          `json:"error_type"`
	ErrorMessage  string          `json:"error_message"`
	Model         string          `json:"model"`
	ModelProvider string          `json:"model_provider"`
	TokensInput   *int64          `json:"tokens_input"`
	TokensOutput  *int64          `json:"tokens_output"`
	TokensCached  *int64          `json:"tokens_cached_input"`
	TokensTotal   *int64          `json:"tokens_total"`
	CostUSD       *float64        `json:"cost_usd"`
	Metadata      json.RawMessage `json:"metadata"`
	Tags          []string        `json:"tags"`
	Spans         []SpanInput     `json:"spans"`
	Scores        []ScoreInput    `json:"scores"`
}

// SpanInput is one step of a multi-step run.
type SpanInput struct {
	SpanID        string          `json:"span_id"`
	ParentSpanID  string          `json:"parent_span_id"`
	Kind          string          `json:"kind"`
	Name          string          `json:"name"`
	StartTime     string          `json:"start_time"`
	EndTime       string          `json:"end_time"`
	LatencyMs     *int64          `json:"latency_ms"`
	Status        string          `json:"status"`
	StatusMessage string          `json:"status_message"`
	Model         string          `json:"model"`
	ModelProvider string          `json:"model_provider"`
	TokensInput   *int64          `json:"tokens_input"`
	TokensOutput  *int64          `json:"tokens_output"`
	TokensCached  *int64          `json:"tokens_cached_input"`
	TokensTotal   *int64          `json:"tokens_total"`
	CostUSD       *float64        `json:"cost_usd"`
	Input         string          `json:"input"`
	Output        string          `json:"output"`
	Attributes    json.RawMessage `json:"attributes"`
}

// ScoreInput is a judgement sent with a trace.
type ScoreInput struct {
	ScoreID string   `json:"score_id"`
	Name    string   `json:"name"`
	Value   *float64 `json:"value"`
	SpanID  string   `json:"span_id"`
	Comment string   `json:"comment"`
	Source  string   `json:"source"`
}

// fieldKind is the JSON type a field must have; the slow path uses it to report every
// mistyped field, since encoding/json stops at the first.
type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindNumber
	kindObject
	kindStringArray
	kindSpans
	kindScores
)

var traceSchema = map[string]fieldKind{
	"trace_id": kindString, "agent_id": kindString, "workspace_id": kindString, "timestamp": kindString,
	"end_time": kindString, "name": kindString, "user_id": kindString, "session_id": kindString,
	"input": kindString, "output": kindString, "latency_ms": kindInt, "status": kindString,
	"error_type": kindString, "error_message": kindString, "model": kindString, "model_provider": kindString,
	"tokens_input": kindInt, "tokens_output": kindInt, "tokens_cached_input": kindInt, "tokens_total": kindInt,
	"cost_usd": kindNumber, "metadata": kindObject, "tags": kindStringArray, "spans": kindSpans, "scores": kindScores,
}

var spanSchema = map[string]fieldKind{
	"span_id": kindString, "parent_span_id": kindString, "kind": kindString, "name": kindString,
	"start_time": kindString, "end_time": kindString, "latency_ms": kindInt, "status": kindString,
	"status_message": kindString, "model": kindString, "model_provider": kindString,
	"tokens_input": kindInt, "tokens_output": kindInt, "tokens_cached_input": kindInt, "tokens_total": kindInt,
	"cost_usd": kindNumber, "input": kindString, "output": kindString, "attributes": kindObject,
}

var scoreSchema = map[string]fieldKind{
	"score_id": kindString, "name": kindString, "value": kindNumber, "span_id": kindString,
	"comment": kindString, "source": kindString,
}
