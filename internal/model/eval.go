package model

import (
	"math"
	"regexp"
	"strings"
	"time"
)

// OutputType is what a criterion's verdict is.
type OutputType string

const (
	OutputNumeric     OutputType = "numeric"     // a 0–100 score
	OutputBoolean     OutputType = "boolean"     // true scores 100, false 0
	OutputCategorical OutputType = "categorical" // one of Labels, each with its 0–100 score
)

// Criterion is one thing a judge rates. Every verdict becomes a 0–100 score; Direction
// says whether a high score is good (helpfulness) or bad (toxicity).
type Criterion struct {
	WorkspaceID string     `json:"-"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Rubric      string     `json:"rubric,omitempty"`
	Output      OutputType `json:"output_type"`
	// Labels are the categories of a categorical criterion with their scores.
	Labels []Label `json:"labels,omitempty"`
	// HigherIsBetter is the direction: false for hallucination or toxicity.
	HigherIsBetter bool      `json:"higher_is_better"`
	BuiltIn        bool      `json:"built_in"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
}

// Label is one category of a categorical criterion.
type Label struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

var criterionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate checks a criterion as a client sent it.
func (c *Criterion) Validate() error {
	var fe FieldErrors
	if !criterionName.MatchString(c.Name) {
		fe.Add(Path{"name"}, "must be 1 to 64 lower-case letters, digits or '_', starting with a letter")
	}
	if strings.TrimSpace(c.Description) == "" || len(c.Description) > 2000 {
		fe.Add(Path{"description"}, "must say in 1 to 2000 characters what the judge rates")
	}
	if len(c.Rubric) > 8000 {
		fe.Add(Path{"rubric"}, "must be at most 8000 characters")
	}
	switch c.Output {
	case OutputNumeric, OutputBoolean:
		if len(c.Labels) > 0 {
			fe.Add(Path{"labels"}, "only a categorical criterion has labels")
		}
	case OutputCategorical:
		if len(c.Labels) < 2 || len(c.Labels) > 20 {
			fe.Add(Path{"labels"}, "a categorical criterion needs 2 to 20 labels")
		}
		seen := map[string]bool{}
		for i, l := range c.Labels {
			key := strings.ToLower(strings.TrimSpace(l.Name))
			if key == "" || len(l.Name) > 64 || seen[key] {
				fe.Add(Path{"labels", i, "name"}, "must be a distinct name of 1 to 64 characters")
			}
			seen[key] = true
			if math.IsNaN(l.Score) || l.Score < 0 || l.Score > 100 {
				fe.Add(Path{"labels", i, "score"}, "must be between 0 and 100")
			}
		}
	default:
		fe.Add(Path{"output_type"}, "must be numeric, boolean or categorical")
	}
	return fe.Err("invalid criterion")
}

// Evaluation statuses.
const (
	EvalPending    = "pending"    // the job exists; the judge has not answered yet
	EvalDone       = "done"       // every verdict was parsed
	EvalUnparsable = "unparsable" // the judge answered but not in a form we can read; no score
	EvalFailed     = "failed"     // the judge could not be reached or refused
	EvalSkipped    = "skipped"    // not run: the evaluator is paused or over its daily budget
)

// Evaluation sources.
const (
	EvalSourceManual = "manual" // "evaluate now" and POST /evaluate/trace
	EvalSourceBatch  = "batch"
	EvalSourceAuto   = "auto" // online evaluators
)

// Verdict is a judge's answer for one criterion. Score is nil when unparsable.
type Verdict struct {
	Criterion   string   `json:"criterion"`
	Score       *float64 `json:"score"`
	Label       string   `json:"label,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Status      string   `json:"status"` // done or unparsable
}

// Evaluation is one judge run over one target (a trace, a span or a session), with what was sent and received.
type Evaluation struct {
	WorkspaceID string `json:"-"`
	ID          string `json:"id"`
	// JobKey makes jobs idempotent: evaluator@version and target.
	JobKey  string `json:"-"`
	TraceID string `json:"trace_id"`
	// SpanID names the judged span of a span-scoped evaluator; "" for a trace.
	SpanID string `json:"span_id,omitempty"`
	// SessionID names the judged session of a session-scoped evaluation, whose TraceID is "".
	SessionID        string    `json:"session_id,omitempty"`
	AgentID          string    `json:"agent_id"`
	EvaluatorID      string    `json:"evaluator_id"`
	EvaluatorVersion int       `json:"evaluator_version"`
	Source           string    `json:"source"`
	BatchID          string    `json:"batch_id,omitempty"`
	Status           string    `json:"status"`
	Overall          *float64  `json:"overall_score"`
	Verdicts         []Verdict `json:"verdicts"`
	Prompt           string    `json:"prompt,omitempty"`
	RawAnswer        string    `json:"raw_answer,omitempty"`
	Error            string    `json:"error,omitempty"`
	Provider         string    `json:"provider"`
	Model            string    `json:"model"`
	// CacheKey identifies the judge input (template version, model, params, inputs);
	// Cached says the verdict was reused from an earlier identical call.
	CacheKey     string   `json:"-"`
	Cached       bool     `json:"cached"`
	TokensInput  int64    `json:"tokens_input"`
	TokensOutput int64    `json:"tokens_output"`
	CostUSD      *float64 `json:"cost_usd"`
	LatencyMs    int64    `json:"latency_ms"`
	Attempts     int      `json:"attempts"`
	// JudgeTraceID names the trace of this evaluation's judge calls in the workspace's judge
	// companion (JudgeWorkspaceID); "" when no call was made (a cached verdict, a skip).
	JudgeTraceID string     `json:"judge_trace_id,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	FinishedAt   *time.Time `json:"finished_at"`
}

// EvalBatch is a batch evaluation request; its progress is counted from its evaluations.
// Total is the number of jobs it created.
type EvalBatch struct {
	WorkspaceID string    `json:"-"`
	ID          string    `json:"id"`
	Total       int       `json:"total"`
	Criteria    []string  `json:"criteria"`
	CreatedAt   time.Time `json:"created_at"`
	// Counts by status, filled when read.
	Counts map[string]int `json:"counts"`
	// AlreadyEvaluated and MissingTraces are told when the batch is created: traces the
	// same evaluator version had judged already, and ids that match no trace.
	AlreadyEvaluated int `json:"already_evaluated,omitempty"`
	MissingTraces    int `json:"missing_traces,omitempty"`
}
