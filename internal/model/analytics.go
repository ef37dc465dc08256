package model

import (
	"math"
	"time"
)

// TraceSummary is a trace as lists show it: no spans, scores or metadata, and the first
// characters of its input, output and error message.
type TraceSummary struct {
	TraceID        string    `json:"trace_id"`
	AgentID        string    `json:"agent_id"`
	Name           string    `json:"name"`
	UserID         string    `json:"user_id"`
	SessionID      string    `json:"session_id"`
	StartTime      time.Time `json:"start_time"`
	EndTime        time.Time `json:"end_time"`
	LatencyMs      int64     `json:"latency_ms"`
	Status         Status    `json:"status"`
	ErrorType      string    `json:"error_type"`
	ErrorMessage   string    `json:"error_message"`
	Model          string    `json:"model"`
	Provider       string    `json:"model_provider"`
	TokensInput    *int64    `json:"tokens_input"`
	TokensOutput   *int64    `json:"tokens_output"`
	TokensTotal    *int64    `json:"tokens_total"`
	CostUSD        *float64  `json:"cost_usd"`
	SpanCount      int64     `json:"span_count"`
	ErrorSpanCount int64     `json:"error_span_count"`
	Tags           []string  `json:"tags"`
	InputPreview   string    `json:"input_preview"`
	OutputPreview  string    `json:"output_preview"`
}

// PreviewChars is how many characters of input and output a TraceSummary keeps.
const PreviewChars = 200

// Budget is a workspace's monthly spending limit with the percentages at which to warn.
type Budget struct {
	WorkspaceID     string    `json:"-"`
	MonthlyLimitUSD float64   `json:"monthly_limit_usd"`
	ThresholdsPct   []float64 `json:"thresholds_pct"`
	// Timezone is the IANA zone whose calendar months the budget follows.
	Timezone  string    `json:"timezone"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultBudgetThresholds are used when a budget names none.
var DefaultBudgetThresholds = []float64{80, 100}

// Validate checks the budget as a client sent it.
func (b *Budget) Validate() error {
	var fe FieldErrors
	if math.IsNaN(b.MonthlyLimitUSD) || math.IsInf(b.MonthlyLimitUSD, 0) || b.MonthlyLimitUSD <= 0 || b.MonthlyLimitUSD > 1e12 {
		fe.Add(Path{"monthly_limit_usd"}, "must be a number > 0 and at most 1e12")
	}
	if len(b.ThresholdsPct) == 0 || len(b.ThresholdsPct) > 10 {
		fe.Add(Path{"thresholds_pct"}, "must hold 1 to 10 percentages")
	}
	for i, p := range b.ThresholdsPct {
		switch {
		case math.IsNaN(p) || p <= 0 || p > 1000:
			fe.Add(Path{"thresholds_pct", i}, "must be a percentage > 0 and at most 1000")
		case i > 0 && p <= b.ThresholdsPct[i-1]:
			fe.Add(Path{"thresholds_pct", i}, "must be greater than the previous threshold")
		}
	}
	if b.Timezone == "" {
		fe.Add(Path{"timezone"}, "must be an IANA time zone name such as Europe/Berlin")
	} else if _, err := time.LoadLocation(b.Timezone); err != nil || len(b.Timezone) > 64 || b.Timezone == "Local" {
		fe.Add(Path{"timezone"}, "must be an IANA time zone name such as Europe/Berlin")
	}
	return fe.Err("invalid budget")
}

// HealthThresholds decide the health badge of the performance page.
type HealthThresholds struct {
	WorkspaceID          string    `json:"-"`
	DegradedP95Ms        float64   `json:"degraded_p95_ms"`
	CriticalP95Ms        float64   `json:"critical_p95_ms"`
	DegradedErrorRatePct float64   `json:"degraded_error_rate_pct"`
	CriticalErrorRatePct float64   `json:"critical_error_rate_pct"`
	UpdatedAt            time.Time `json:"updated_at,omitzero"`
}

// DefaultHealthThresholds apply until a workspace sets its own.
var DefaultHealthThresholds = HealthThresholds{
	DegradedP95Ms: 5000, CriticalP95Ms: 10000, DegradedErrorRatePct: 5, CriticalErrorRatePct: 10,
}

// Validate checks thresholds as a client sent them.
func (h *HealthThresholds) Validate() error {
	var fe FieldErrors
	check := func(name string, v, max float64) {
		if math.IsNaN(v) || v <= 0 || v > max {
			fe.Add(Path{name}, "must be a number > 0 and at most %g", max)
		}
	}
	check("degraded_p95_ms", h.DegradedP95Ms, 1e9)
	check("critical_p95_ms", h.CriticalP95Ms, 1e9)
	check("degraded_error_rate_pct", h.DegradedErrorRatePct, 100)
	check("critical_error_rate_pct", h.CriticalErrorRatePct, 100)
	if len(fe) == 0 {
		if h.CriticalP95Ms < h.DegradedP95Ms {
			fe.Add(Path{"critical_p95_ms"}, "must be at least degraded_p95_ms")
		}
		if h.CriticalErrorRatePct < h.DegradedErrorRatePct {
			fe.Add(Path{"critical_error_rate_pct"}, "must be at least degraded_error_rate_pct")
		}
	}
	return fe.Err("invalid thresholds")
}

// Alert is a fired alert rule.
type Alert struct {
	WorkspaceID string     `json:"-"`
	ID          string     `json:"id"`
	RuleID      string     `json:"rule_id"`
	Severity    string     `json:"severity"` // critical | warning | info
	Status      string     `json:"status"`   // firing | acknowledged | resolved
	Title       string     `json:"title"`
	Description string     `json:"description"`
	AgentID     string     `json:"agent_id"`
	TriggeredAt time.Time  `json:"triggered_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	// Episode details the alerting role records (see alert.go).
	GroupKey       string            `json:"group_key"`
	Labels         map[string]string `json:"labels"`
	Value          float64           `json:"value"`
	Threshold      float64           `json:"threshold"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at"`
	AcknowledgedBy string            `json:"acknowledged_by"`
	// LastError is the last permanent delivery failure of a notification of the episode.
	LastError string `json:"last_error"`
}
