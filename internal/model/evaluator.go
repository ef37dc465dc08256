package model

import (
	"math"
	"regexp"
	"strings"
	"time"
)

// Scopes of an evaluator: what one of its evaluations judges.
const (
	ScopeTrace   = "trace"
	ScopeSpan    = "span"
	ScopeSession = "session"
)

// JudgeWorkspaceID is the companion workspace that holds the traces of a workspace's judge
// calls. It is not a workspaces row (ids are UUIDs, which never contain '~'), so nothing
// that lists workspaces (alerts, insights, usage) ever sees it: judge traffic stays apart
// from the workspace's own, and only the owning workspace's routes read it.
func JudgeWorkspaceID(workspaceID string) string { return workspaceID + "~judge" }

// EvaluatorDef is a workspace's judge definition. Saving it again stores the next version;
// evaluation jobs are idempotent on (id@version, target), so a new version judges again
// and an old verdict stays attributed to the version that gave it.
type EvaluatorDef struct {
	WorkspaceID string `json:"-"`
	ID          string `json:"id"`
	Version     int    `json:"version"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Scope is trace (the trace's input and output), span (each matching span's) or
	// session (the session's traces in time order, once no new trace came for Delay).
	Scope  string          `json:"scope"`
	Filter EvaluatorFilter `json:"filter"`
	// SampleRate is the share of completed traces judged automatically (0: only on demand),
	// picked by a hash of id@version and the trace id, the same in every process.
	SampleRate float64 `json:"sample_rate"`
	// Delay is how long after a trace ended it is judged, so late spans are in; for a
	// session, how long after its last trace ended with no newer one.
	Delay Duration `json:"delay"`
	// Criteria judged; empty: the default set.
	Criteria []string `json:"criteria"`
	// Model overrides the configured judge's model (same provider); empty: the configured one.
	Model     string `json:"model,omitempty"`
	MaxTokens int    `json:"max_tokens,omitempty"`
	// Template and System make the prompt; empty: the built-in ones (see docs/evaluation.md
	// for the variables).
	Template string `json:"template,omitempty"`
	System   string `json:"system,omitempty"`
	// Explanation asks each verdict to explain itself (default true; false is cheaper).
	Explanation *bool `json:"explanation,omitempty"`
	// DailyBudgetUSD stops this evaluator's judge calls for the rest of the UTC day; 0: none.
	DailyBudgetUSD float64   `json:"daily_budget_usd"`
	Enabled        bool      `json:"enabled"`
	CreatedAt      time.Time `json:"created_at"`
	CreatedBy      string    `json:"created_by,omitempty"`
}

// EvaluatorFilter narrows what an evaluator judges; empty lists match everything.
type EvaluatorFilter struct {
	Agents []string `json:"agents,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// SpanKinds and SpanNames pick spans of a span-scoped evaluator.
	SpanKinds []string `json:"span_kinds,omitempty"`
	SpanNames []string `json:"span_names,omitempty"`
}

var evaluatorID = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// WantsExplanation reports whether verdicts explain themselves.
func (e *EvaluatorDef) WantsExplanation() bool { return e.Explanation == nil || *e.Explanation }

// Validate checks a definition as a client sent it.
func (e *EvaluatorDef) Validate() error {
	var fe FieldErrors
	if !evaluatorID.MatchString(e.ID) || e.ID == "default" {
		fe.Add(Path{"id"}, "must be 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter (not \"default\")")
	}
	if strings.TrimSpace(e.Name) == "" || len(e.Name) > 200 {
		fe.Add(Path{"name"}, "is required (at most 200 characters)")
	}
	if len(e.Description) > 2000 {
		fe.Add(Path{"description"}, "must be at most 2000 characters")
	}
	if e.Scope != ScopeTrace && e.Scope != ScopeSpan && e.Scope != ScopeSession {
		fe.Add(Path{"scope"}, "must be trace, span or session")
	}
	if e.Scope != ScopeSpan && (len(e.Filter.SpanKinds) > 0 || len(e.Filter.SpanNames) > 0) {
		fe.Add(Path{"filter"}, "span_kinds and span_names apply to span-scoped evaluators only")
	}
	if e.Scope == ScopeSession && len(e.Filter.Tags) > 0 {
		fe.Add(Path{"filter", "tags"}, "tags apply to trace- and span-scoped evaluators; a session evaluator filters by agents")
	}
	for i, k := range e.Filter.SpanKinds {
		if !SpanKind(k).Valid() {
			fe.Add(Path{"filter", "span_kinds", i}, "is not a span kind")
		}
	}
	for name, list := range map[string][]string{"agents": e.Filter.Agents, "tags": e.Filter.Tags, "span_names": e.Filter.SpanNames} {
		if len(list) > 100 {
			fe.Add(Path{"filter", name}, "must list at most 100 values")
		}
	}
	if math.IsNaN(e.SampleRate) || e.SampleRate < 0 || e.SampleRate > 1 {
		fe.Add(Path{"sample_rate"}, "must be between 0 and 1")
	}
	if e.Delay < 0 || e.Delay.D() > 24*time.Hour {
		fe.Add(Path{"delay"}, "must be between 0 and 24h")
	}
	if len(e.Criteria) > 20 {
		fe.Add(Path{"criteria"}, "must list at most 20 criteria")
	}
	if len(e.Model) > 200 {
		fe.Add(Path{"model"}, "must be at most 200 characters")
	}
	if e.MaxTokens < 0 || e.MaxTokens > 32000 {
		fe.Add(Path{"max_tokens"}, "must be between 0 and 32000")
	}
	if len(e.Template) > 32000 || len(e.System) > 8000 {
		fe.Add(Path{"template"}, "template must be at most 32000 and system at most 8000 characters")
	}
	if math.IsNaN(e.DailyBudgetUSD) || e.DailyBudgetUSD < 0 {
		fe.Add(Path{"daily_budget_usd"}, "must be a non-negative number")
	}
	return fe.Err("invalid evaluator")
}
