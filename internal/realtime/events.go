package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// AlertStateChange is one alert group that moved to another state.
type AlertStateChange struct {
	RuleID   string    `json:"rule_id"`
	GroupKey string    `json:"group_key"`
	State    string    `json:"state"`
	Previous string    `json:"previous"` // "" for a group seen for the first time
	Since    time.Time `json:"since"`
	AlertID  string    `json:"alert_id,omitempty"` // the open episode, while firing
	Severity string    `json:"severity,omitempty"`
}

// AlertStates is the data of an alert_state event: the changes of one evaluation round.
type AlertStates struct {
	Count   int                `json:"count"`
	Changes []AlertStateChange `json:"changes"`
}

// ViolationSummary is one newly stored guardrail violation as the violations channel
// announces it (without the snippet of text: hints carry no content).
type ViolationSummary struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	TraceID  string    `json:"trace_id"`
	AgentID  string    `json:"agent_id"`
	Type     string    `json:"type"`
	Subtype  string    `json:"subtype"`
	Severity string    `json:"severity"`
	Action   string    `json:"action"`
}

// NewViolations is the data of a violation event. Violations holds at most MaxSummaries of
// Count.
type NewViolations struct {
	Count      int                `json:"count"`
	Violations []ViolationSummary `json:"violations"`
}

// AlertStatesChanged publishes one alert_state event per workspace of changes.
func (f *Feed) AlertStatesChanged(workspaceChanges map[string][]AlertStateChange) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for ws, changes := range workspaceChanges {
		if len(changes) == 0 {
			continue
		}
		publish(ctx, f.hub, f.log, ws, ChannelAlerts, "alert_state", AlertStates{Count: len(changes), Changes: changes}, f.now())
	}
}

// ViolationsStored publishes one violation event per workspace of violations.
func (f *Feed) ViolationsStored(violations []model.Violation) {
	byWS := map[string]*NewViolations{}
	var order []string
	for _, v := range violations {
		nv := byWS[v.WorkspaceID]
		if nv == nil {
			nv = &NewViolations{Violations: []ViolationSummary{}}
			byWS[v.WorkspaceID] = nv
			order = append(order, v.WorkspaceID)
		}
		nv.Count++
		if len(nv.Violations) < MaxSummaries {
			nv.Violations = append(nv.Violations, ViolationSummary{ID: v.ID, Time: v.Time, TraceID: v.TraceID, AgentID: v.AgentID,
				Type: v.Type, Subtype: v.Subtype, Severity: v.Severity, Action: v.Action})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, ws := range order {
		publish(ctx, f.hub, f.log, ws, ChannelViolations, "violation", byWS[ws], f.now())
	}
}

// publish sends one hint; a hint that cannot be sent is only logged, since clients catch up
// on their next refetch.
func publish(ctx context.Context, hub Hub, log *slog.Logger, ws, channel, typ string, data any, at time.Time) {
	b, err := json.Marshal(data)
	if err == nil {
		err = hub.Publish(ctx, Event{Workspace: ws, Channel: channel, Type: typ, Data: b, SentAt: at.UnixMicro()})
	}
	if err != nil {
		log.Warn("live updates: cannot publish", "workspace", ws, "type", typ, "err", err)
	}
}
