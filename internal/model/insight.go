package model

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Insight kinds: one per analysis.
const (
	InsightCost         = "cost-optimization"
	InsightErrors       = "error-diagnosis"
	InsightFeedback     = "feedback-analysis"
	InsightDailySummary = "daily-summary"
)

// Confidence says how a finding's figure was obtained.
const (
	// ConfidenceMeasured: counted from stored data (a duplicate's cost was paid).
	ConfidenceMeasured = "measured"
	// ConfidenceEstimated: computed from stored data and a stated assumption (a price).
	ConfidenceEstimated = "estimated"
	// ConfidenceUnvalidated: a saving whose quality cost nobody measured (a cheaper model
	// without evaluation scores on the same task).
	ConfidenceUnvalidated = "unvalidated"
)

// Evidence is what a finding rests on: the traces, the metric and its window.
type Evidence struct {
	TraceIDs []string  `json:"trace_ids"`
	Metric   string    `json:"metric"`
	Value    float64   `json:"value"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// Finding is one typed result of an analyser. Figures are computed by agentobs, never by a
// model: a narration may only restate them.
type Finding struct {
	Kind       string    `json:"kind"`     // e.g. duplicate_requests, model_switch, error_spike
	Severity   string    `json:"severity"` // info | low | medium | high
	Title      string    `json:"title"`
	Detail     string    `json:"detail"`
	AgentID    string    `json:"agent_id,omitempty"`
	Model      string    `json:"model,omitempty"`
	SavingsUSD float64   `json:"estimated_savings_usd"`
	Confidence string    `json:"confidence"`
	Evidence   Evidence  `json:"evidence"`
	Attributes MapString `json:"attributes,omitempty"`
}

// MapString is string attributes of a finding (the template, the suggested model...).
type MapString map[string]string

// InsightRun is one stored analysis: its findings, their deterministic text and, when a
// model narrated them and every number checked out, the narration.
type InsightRun struct {
	WorkspaceID string    `json:"-"`
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	CreatedAt   time.Time `json:"created_at"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Findings    []Finding `json:"findings"`
	// Summary is the deterministic text built from the findings.
	Summary string `json:"summary"`
	// Narration is a model's prose, empty when none is configured or it was discarded.
	Narration      string  `json:"narration"`
	NarrationModel string  `json:"narration_model,omitempty"`
	NarrationNote  string  `json:"narration_note,omitempty"`
	NarrationCost  float64 `json:"narration_cost_usd"`
	// TotalSavingsUSD sums the findings' estimated savings.
	TotalSavingsUSD float64 `json:"total_savings_usd"`
	// Notified is set once the run was handed to the notification channels.
	Notified bool `json:"notified"`
}

// Goal is a business KPI of the Impact page: units achieved, each worth ValuePerUnitUSD.
// Source "manual" takes Achieved as entered; "successful_traces" counts the successful
// traces of AgentID in the window.
type Goal struct {
	WorkspaceID     string    `json:"-"`
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Unit            string    `json:"unit"`
	ValuePerUnitUSD float64   `json:"value_per_unit_usd"`
	Target          float64   `json:"target"`
	Source          string    `json:"source"`
	AgentID         string    `json:"agent_id"`
	Achieved        float64   `json:"achieved"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Goal sources.
const (
	GoalManual           = "manual"
	GoalSuccessfulTraces = "successful_traces"
)

// Validate checks a goal as a client sent it.
func (g *Goal) Validate() error {
	var fe FieldErrors
	g.Name = strings.TrimSpace(g.Name)
	if g.Name == "" || len(g.Name) > 200 {
		fe.Add(Path{"name"}, "must be 1 to 200 characters")
	}
	if len(g.Unit) > 50 {
		fe.Add(Path{"unit"}, "must be at most 50 characters")
	}
	finite := func(f string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e12 {
			fe.Add(Path{f}, "must be a number from 0 to 1e12")
		}
	}
	finite("value_per_unit_usd", g.ValuePerUnitUSD)
	finite("target", g.Target)
	finite("achieved", g.Achieved)
	switch g.Source {
	case "":
		g.Source = GoalManual
	case GoalManual:
	case GoalSuccessfulTraces:
		if g.AgentID == "" {
			fe.Add(Path{"agent_id"}, "is required when source is successful_traces")
		}
	default:
		fe.Add(Path{"source"}, "must be manual or successful_traces")
	}
	if len(g.AgentID) > 200 {
		fe.Add(Path{"agent_id"}, "must be at most 200 characters")
	}
	return fe.Err("invalid goal")
}

// ImpactSettings are a workspace's figures for the ROI card beyond its LLM spend.
type ImpactSettings struct {
	WorkspaceID string `json:"-"`
	// InfraMonthlyUSD is the monthly infrastructure cost, prorated over the window.
	InfraMonthlyUSD float64 `json:"infra_monthly_usd"`
	// DailySummaryChannels are the notification channels (webhook, slack, email...) the
	// daily summary is sent through; none: it is only stored.
	DailySummaryChannels []string  `json:"daily_summary_channels"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// Validate checks settings as a client sent them.
func (s *ImpactSettings) Validate() error {
	var fe FieldErrors
	if math.IsNaN(s.InfraMonthlyUSD) || s.InfraMonthlyUSD < 0 || s.InfraMonthlyUSD > 1e12 {
		fe.Add(Path{"infra_monthly_usd"}, "must be a number from 0 to 1e12")
	}
	if s.DailySummaryChannels == nil {
		s.DailySummaryChannels = []string{}
	}
	for i, c := range s.DailySummaryChannels {
		if c == "" || len(c) > 50 {
			fe.Add(Path{"daily_summary_channels", i}, "must be a channel type such as webhook or slack")
		}
	}
	return fe.Err("invalid impact settings")
}

// Event types accepted by POST /api/v1/events.
var EventTypes = []string{"deployment", "config_change", "incident", "custom"}

// EventInput is an event as a client posts it.
type EventInput struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Time        *time.Time      `json:"timestamp"`
	AgentID     string          `json:"agent_id"`
	Version     string          `json:"version"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Severity    string          `json:"severity"`
	Metadata    json.RawMessage `json:"metadata"`
}

// EventDetails is what an event keeps in its details document.
type EventDetails struct {
	Version     string          `json:"version,omitempty"`
	Description string          `json:"description,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	Source      string          `json:"source,omitempty"`
}

// Validate checks an event input and fills defaults; now is the server clock.
func (e *EventInput) Validate(now time.Time) error {
	var fe FieldErrors
	known := false
	for _, t := range EventTypes {
		known = known || e.Type == t
	}
	if !known {
		fe.Add(Path{"type"}, "must be one of %s", strings.Join(EventTypes, ", "))
	}
	e.Title = strings.TrimSpace(e.Title)
	if e.Title == "" || len(e.Title) > 300 {
		fe.Add(Path{"title"}, "must be 1 to 300 characters")
	}
	if len(e.ID) > 200 {
		fe.Add(Path{"id"}, "must be at most 200 characters")
	}
	for f, v := range map[string]string{"agent_id": e.AgentID, "version": e.Version} {
		if len(v) > 200 {
			fe.Add(Path{f}, "must be at most 200 characters")
		}
	}
	if len(e.Description) > 4000 {
		fe.Add(Path{"description"}, "must be at most 4000 characters")
	}
	switch e.Severity {
	case "":
		e.Severity = "info"
	case "info", "low", "medium", "high", "critical":
	default:
		fe.Add(Path{"severity"}, "must be info, low, medium, high or critical")
	}
	if len(e.Metadata) > 0 && string(e.Metadata) != "null" {
		var obj map[string]any
		if err := json.Unmarshal(e.Metadata, &obj); err != nil || obj == nil {
			fe.Add(Path{"metadata"}, "must be a JSON object")
		} else if len(e.Metadata) > 16<<10 {
			fe.Add(Path{"metadata"}, "must be at most 16 KiB")
		}
	} else {
		e.Metadata = nil
	}
	if e.Time == nil {
		t := now
		e.Time = &t
	} else if e.Time.After(now.Add(24 * time.Hour)) {
		fe.Add(Path{"timestamp"}, "must not be more than a day in the future")
	}
	return fe.Err("invalid event")
}
