// Package model holds agentobs's domain types and the rules that make them valid.
// It imports nothing of ours, so every other package can depend on it.
package model

import (
	"encoding/json"
	"time"
)

// Status is the outcome of a trace or span.
type Status string

const (
	StatusSuccess Status = "success"
	StatusError   Status = "error"
	StatusTimeout Status = "timeout"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	return s == StatusSuccess || s == StatusError || s == StatusTimeout
}

// Failed reports whether s counts as a failure in roll-ups.
func (s Status) Failed() bool { return s == StatusError || s == StatusTimeout }

// SpanKind says what a span did inside an agent run.
type SpanKind string

const (
	KindAgent     SpanKind = "agent"
	KindLLM       SpanKind = "llm"
	KindTool      SpanKind = "tool"
	KindRetrieval SpanKind = "retrieval"
	KindChain     SpanKind = "chain"
	KindEmbedding SpanKind = "embedding"
	KindGuardrail SpanKind = "guardrail"
	KindEvent     SpanKind = "event"
)

// SpanKinds lists every kind, in the order documented to clients.
var SpanKinds = []SpanKind{KindAgent, KindLLM, KindTool, KindRetrieval, KindChain, KindEmbedding, KindGuardrail, KindEvent}

// Valid reports whether k is a known span kind.
func (k SpanKind) Valid() bool {
	for _, known := range SpanKinds {
		if k == known {
			return true
		}
	}
	return false
}

// RootSpanID is the span id given to the single llm span of a flat trace.
const RootSpanID = "root"

// Trace is one agent run as written to and read from the store.
//
// Token and cost fields are pointers because "unknown" (nil) and zero differ:
// an unpriced model has a nil cost, never 0.
type Trace struct {
	WorkspaceID  string          `json:"workspace_id"`
	TraceID      string          `json:"trace_id"`
	AgentID      string          `json:"agent_id"`
	Name         string          `json:"name"`
	UserID       string          `json:"user_id"`
	SessionID    string          `json:"session_id"`
	StartTime    time.Time       `json:"start_time"`
	EndTime      time.Time       `json:"end_time"`
	LatencyMs    int64           `json:"latency_ms"`
	Status       Status          `json:"status"`
	ErrorType    string          `json:"error_type"`
	ErrorMessage string          `json:"error_message"`
	Input        string          `json:"input"`
	Output       string          `json:"output"`
	Model        string          `json:"model"`
	Provider     string          `json:"model_provider"`
	TokensInput  *int64          `json:"tokens_input"`
	TokensOutput *int64          `json:"tokens_output"`
	TokensCached *int64          `json:"tokens_cached_input"`
	TokensTotal  *int64          `json:"tokens_total"`
	CostUSD      *float64        `json:"cost_usd"`
	Tags         []string        `json:"tags"`
	Metadata     json.RawMessage `json:"metadata"`

	// Roll-ups over all stored spans of the trace, maintained by the store.
	SpanCount      int64 `json:"span_count"`
	ErrorSpanCount int64 `json:"error_span_count"`

	// Declared holds what the client said at trace level; the fields above are
	// the roll-up over the spans, falling back to Declared.
	Declared Declared `json:"-"`

	Spans  []Span  `json:"spans,omitempty"`
	Scores []Score `json:"scores,omitempty"`
}

// Declared is what a client sent on the trace itself, kept apart from roll-ups so that
// spans arriving later can be rolled up again without losing it.
type Declared struct {
	Status       Status
	LatencyMs    *int64
	EndTime      time.Time
	TokensInput  *int64
	TokensOutput *int64
	TokensCached *int64
	TokensTotal  *int64
	CostUSD      *float64
	// Origin says where the trace's own fields came from (see MergeTraceFields).
	Origin Origin
}

// Span is one step inside a trace. Its identity is (workspace, trace, span id).
type Span struct {
	WorkspaceID   string          `json:"-"`
	TraceID       string          `json:"-"`
	SpanID        string          `json:"span_id"`
	ParentSpanID  string          `json:"parent_span_id"`
	Kind          SpanKind        `json:"kind"`
	Name          string          `json:"name"`
	StartTime     time.Time       `json:"start_time"`
	EndTime       time.Time       `json:"end_time"`
	LatencyMs     int64           `json:"latency_ms"`
	Status        Status          `json:"status"`
	StatusMessage string          `json:"status_message"`
	Model         string          `json:"model"`
	Provider      string          `json:"model_provider"`
	TokensInput   *int64          `json:"tokens_input"`
	TokensOutput  *int64          `json:"tokens_output"`
	TokensCached  *int64          `json:"tokens_cached_input"`
	TokensTotal   *int64          `json:"tokens_total"`
	CostUSD       *float64        `json:"cost_usd"`
	Input         string          `json:"input"`
	Output        string          `json:"output"`
	Attributes    json.RawMessage `json:"attributes"`

	// Children is filled only when a trace is read back as a tree.
	Children []Span `json:"children,omitempty"`
}

// ScoreSource says who produced a score.
type ScoreSource string

const (
	ScoreSourceAPI   ScoreSource = "api"
	ScoreSourceHuman ScoreSource = "human"
	ScoreSourceEval  ScoreSource = "eval"
)

// Valid reports whether s is a known score source.
func (s ScoreSource) Valid() bool {
	return s == ScoreSourceAPI || s == ScoreSourceHuman || s == ScoreSourceEval
}

// Score is a judgement of a trace or one of its spans.
// Its identity is (workspace, trace id, score id); re-sending replaces it.
type Score struct {
	WorkspaceID string      `json:"-"`
	TraceID     string      `json:"-"`
	ScoreID     string      `json:"score_id"`
	SpanID      string      `json:"span_id"`
	Name        string      `json:"name"`
	Value       float64     `json:"value"`
	Comment     string      `json:"comment"`
	Source      ScoreSource `json:"source"`
	CreatedAt   time.Time   `json:"created_at"`
}

// Int64 returns a pointer to v, for optional counts.
func Int64(v int64) *int64 { return &v }

// Float64 returns a pointer to v, for optional amounts.
func Float64(v float64) *float64 { return &v }

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
