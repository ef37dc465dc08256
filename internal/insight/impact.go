package insight

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// ROIFormula is shown on the ROI card next to the figures.
const ROIFormula = "ROI = (value − (LLM cost + infrastructure cost)) ÷ (LLM cost + infrastructure cost) × 100 %"

// GoalProgress is a goal with what it achieved in the window.
type GoalProgress struct {
	model.Goal
	ValueUSD float64 `json:"value_usd"`
	// Progress is Achieved / Target (nil without a target).
	Progress *float64 `json:"progress"`
}

// ROI is the ROI card.
type ROI struct {
	ValueUSD     float64 `json:"value_usd"`
	LLMCostUSD   float64 `json:"llm_cost_usd"`
	InfraCostUSD float64 `json:"infra_cost_usd"`
	TotalCostUSD float64 `json:"total_cost_usd"`
	NetUSD       float64 `json:"net_usd"`
	// ROIPercent is nil when nothing was spent.
	ROIPercent *float64 `json:"roi_percent"`
	Formula    string   `json:"formula"`
}

// PeriodFigures describe the traces on one side of a deployment.
type PeriodFigures struct {
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	Traces       int64     `json:"traces"`
	SuccessRate  *float64  `json:"success_rate"`
	CostUSD      float64   `json:"cost_usd"`
	CostPerTrace *float64  `json:"cost_per_trace_usd"`
	MeanScore    *float64  `json:"mean_score"`
}

// DeploymentSplit compares before and after a deployment event.
type DeploymentSplit struct {
	Event  EventView     `json:"event"`
	Before PeriodFigures `json:"before"`
	After  PeriodFigures `json:"after"`
}

// EventView is an event as the API shows it, its details spread out.
type EventView struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Timestamp   time.Time       `json:"timestamp"`
	AgentID     string          `json:"agent_id"`
	Version     string          `json:"version"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Severity    string          `json:"severity"`
	Metadata    json.RawMessage `json:"metadata"`
}

// ViewEvent spreads an event's details.
func ViewEvent(e model.Event) EventView {
	var d model.EventDetails
	_ = json.Unmarshal(e.Details, &d)
	v := EventView{ID: e.ID, Type: e.Type, Timestamp: e.Time, AgentID: e.AgentID, Version: d.Version, Title: e.Title,
		Description: d.Description, Severity: e.Severity, Metadata: d.Metadata}
	if len(v.Metadata) == 0 {
		v.Metadata = json.RawMessage("{}")
	}
	return v
}

// Impact is the answer of GET /api/v1/impact.
type Impact struct {
	From       time.Time            `json:"from"`
	To         time.Time            `json:"to"`
	Goals      []GoalProgress       `json:"goals"`
	ROI        ROI                  `json:"roi"`
	Timeline   []EventView          `json:"timeline"`
	Deployment *DeploymentSplit     `json:"deployment"`
	Savings    ImpactSavings        `json:"savings"`
	Settings   model.ImpactSettings `json:"settings"`
}

// ImpactSavings are the savings the latest cost analysis found.
type ImpactSavings struct {
	TotalUSD float64         `json:"total_usd"`
	RunID    string          `json:"run_id"`
	Findings []model.Finding `json:"findings"`
}

// ImpactRequest selects the window and, optionally, the deployment to split on.
type ImpactRequest struct {
	Request
	DeploymentID string
}

// Impact computes the Impact page: goal progress and ROI over the window, the events
// timeline, before/after figures around the latest deployment (or the one named), and the
// savings of the latest cost analysis.
func (s *Service) Impact(ctx context.Context, ws string, r ImpactRequest) (*Impact, error) {
	from, to, err := s.window(r.Request)
	if err != nil {
		return nil, err
	}
	usage, err := s.st.InsightUsage(ctx, store.InsightQuery{WorkspaceID: ws, From: from, To: to})
	if err != nil {
		return nil, err
	}
	out := &Impact{From: from, To: to, Goals: []GoalProgress{}, Timeline: []EventView{}}
	goals, err := s.st.ListGoals(ctx, ws)
	if err != nil {
		return nil, err
	}
	for _, g := range goals {
		if g.Source == model.GoalSuccessfulTraces {
			g.Achieved = 0
			for _, u := range usage {
				if u.AgentID == g.AgentID {
					g.Achieved += float64(u.Success)
				}
			}
		}
		p := GoalProgress{Goal: g, ValueUSD: round(g.Achieved*g.ValuePerUnitUSD, 6)}
		if g.Target > 0 {
			v := round(g.Achieved/g.Target, 6)
			p.Progress = &v
		}
		out.Goals = append(out.Goals, p)
		out.ROI.ValueUSD += p.ValueUSD
	}
	if out.Settings, err = s.st.GetImpactSettings(ctx, ws); err != nil {
		return nil, err
	}
	if out.Settings.DailySummaryChannels == nil {
		out.Settings.DailySummaryChannels = []string{}
	}
	for _, u := range usage {
		out.ROI.LLMCostUSD += u.CostUSD
	}
	out.ROI = computeROI(out.ROI.ValueUSD, out.ROI.LLMCostUSD, out.Settings.InfraMonthlyUSD, to.Sub(from))

	events, err := s.st.QueryEvents(ctx, store.EventQuery{WorkspaceID: ws, From: from, To: to, Limit: 500})
	if err != nil {
		return nil, err
	}
	var dep *model.Event
	for i, e := range events {
		out.Timeline = append(out.Timeline, ViewEvent(e))
		if e.Type == "deployment" && (r.DeploymentID == "" || r.DeploymentID == e.ID) {
			dep = &events[i]
		}
	}
	if r.DeploymentID != "" && dep == nil {
		return nil, &model.Error{Code: model.EINVALID, Message: "unknown deployment",
			Fields: []model.FieldError{{Path: model.Path{"deployment_id"}, Detail: "no deployment event with this id in the window"}}}
	}
	if dep != nil {
		split := &DeploymentSplit{Event: ViewEvent(*dep)}
		if split.Before, err = s.period(ctx, ws, dep.AgentID, from, dep.Time); err == nil {
			split.After, err = s.period(ctx, ws, dep.AgentID, dep.Time, to)
		}
		if err != nil {
			return nil, err
		}
		out.Deployment = split
	}
	runs, err := s.st.ListInsightRuns(ctx, ws, model.InsightCost, 1)
	if err != nil {
		return nil, err
	}
	out.Savings.Findings = []model.Finding{}
	if len(runs) > 0 {
		out.Savings = ImpactSavings{TotalUSD: runs[0].TotalSavingsUSD, RunID: runs[0].ID, Findings: runs[0].Findings[:min(5, len(runs[0].Findings))]}
	}
	return out, nil
}

// computeROI prorates the monthly infrastructure cost over the window (a month counts 30
// days) and applies ROIFormula.
func computeROI(value, llm, infraMonthly float64, window time.Duration) ROI {
	infra := infraMonthly * window.Hours() / (30 * 24)
	r := ROI{ValueUSD: round(value, 6), LLMCostUSD: round(llm, 6), InfraCostUSD: round(infra, 6), Formula: ROIFormula}
	r.TotalCostUSD = round(llm+infra, 6)
	r.NetUSD = round(value-llm-infra, 6)
	if llm+infra > 0 {
		v := round((value-(llm+infra))/(llm+infra)*100, 4)
		r.ROIPercent = &v
	}
	return r
}

// period sums the traces of agent (all when "") in [from, to).
func (s *Service) period(ctx context.Context, ws, agent string, from, to time.Time) (PeriodFigures, error) {
	p := PeriodFigures{From: from, To: to}
	if !from.Before(to) {
		return p, nil
	}
	q := store.InsightQuery{WorkspaceID: ws, From: from, To: to, AgentID: agent}
	usage, err := s.st.InsightUsage(ctx, q)
	if err != nil {
		return p, err
	}
	var success int64
	for _, u := range usage {
		p.Traces += u.Traces
		success += u.Success
		p.CostUSD += u.CostUSD
	}
	p.CostUSD = round(p.CostUSD, 6)
	if p.Traces > 0 {
		rate, per := round(float64(success)/float64(p.Traces), 6), round(p.CostUSD/float64(p.Traces), 8)
		p.SuccessRate, p.CostPerTrace = &rate, &per
	}
	scored, err := s.st.InsightScored(ctx, q)
	if err != nil {
		return p, err
	}
	var n int64
	var sum float64
	for _, sc := range scored {
		n += sc.Scores
		sum += sc.Mean * float64(sc.Scores)
	}
	if n > 0 {
		m := round(sum/float64(n), 6)
		p.MeanScore = &m
	}
	return p, nil
}

// Goals lists a workspace's goals.
func (s *Service) Goals(ctx context.Context, ws string) ([]model.Goal, error) {
	gs, err := s.st.ListGoals(ctx, ws)
	if gs == nil {
		gs = []model.Goal{}
	}
	return gs, err
}

// CreateGoal validates and stores a new goal.
func (s *Service) CreateGoal(ctx context.Context, ws string, g model.Goal) (*model.Goal, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	g.WorkspaceID, g.ID, g.CreatedAt, g.UpdatedAt = ws, newID(), now, now
	if err := s.st.PutGoal(ctx, g); err != nil {
		return nil, err
	}
	return &g, nil
}

// UpdateGoal replaces a goal's fields, keeping its id and creation time.
func (s *Service) UpdateGoal(ctx context.Context, ws, id string, g model.Goal) (*model.Goal, error) {
	old, err := s.st.GetGoal(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	g.WorkspaceID, g.ID, g.CreatedAt, g.UpdatedAt = ws, id, old.CreatedAt, s.now().UTC().Truncate(time.Microsecond)
	if err := s.st.PutGoal(ctx, g); err != nil {
		return nil, err
	}
	return &g, nil
}

// DeleteGoal removes a goal.
func (s *Service) DeleteGoal(ctx context.Context, ws, id string) error {
	return s.st.DeleteGoal(ctx, ws, id)
}

// PutSettings validates and stores the impact settings.
func (s *Service) PutSettings(ctx context.Context, ws string, st model.ImpactSettings) (*model.ImpactSettings, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	st.WorkspaceID, st.UpdatedAt = ws, s.now().UTC().Truncate(time.Microsecond)
	return &st, s.st.PutImpactSettings(ctx, st)
}

// RecordEvent validates and stores an event; a client-chosen id makes a retry harmless.
func (s *Service) RecordEvent(ctx context.Context, ws string, in model.EventInput) (*EventView, error) {
	if err := in.Validate(s.now().UTC()); err != nil {
		return nil, err
	}
	if in.ID == "" {
		in.ID = newID()
	}
	details := model.EventDetails{Version: in.Version, Description: in.Description, Metadata: in.Metadata, Source: "api"}
	e := model.Event{WorkspaceID: ws, ID: in.ID, Time: in.Time.UTC().Truncate(time.Microsecond), Type: in.Type,
		AgentID: strings.TrimSpace(in.AgentID), Title: in.Title, Severity: in.Severity, Details: json.RawMessage(mustJSON(details))}
	if err := s.st.WriteEvents(ctx, []model.Event{e}); err != nil {
		return nil, err
	}
	v := ViewEvent(e)
	return &v, nil
}

// Events lists events in a window, oldest first, of the given types when any.
func (s *Service) Events(ctx context.Context, ws string, r Request, types []string) ([]EventView, error) {
	from, to, err := s.window(r)
	if err != nil {
		return nil, err
	}
	for i, t := range types {
		if !contains(model.EventTypes, t) && t != "alert" && t != "system" {
			return nil, &model.Error{Code: model.EINVALID, Message: "unknown event type",
				Fields: []model.FieldError{{Path: model.Path{"type", i}, Detail: "unknown event type " + t}}}
		}
	}
	evs, err := s.st.QueryEvents(ctx, store.EventQuery{WorkspaceID: ws, From: from, To: to, Types: types, AgentID: r.AgentID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]EventView, len(evs))
	for i, e := range evs {
		out[i] = ViewEvent(e)
	}
	return out, nil
}

// Settings returns the impact settings, zero when none were stored.
func (s *Service) Settings(ctx context.Context, ws string) (*model.ImpactSettings, error) {
	st, err := s.st.GetImpactSettings(ctx, ws)
	if st.DailySummaryChannels == nil {
		st.DailySummaryChannels = []string{}
	}
	return &st, err
}
