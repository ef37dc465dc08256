package realtime

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// violations returns n violations of ws.
func violations(ws string, n int) []model.Violation {
	out := make([]model.Violation, n)
	for i := range out {
		out[i] = model.Violation{WorkspaceID: ws, ID: fmt.Sprintf("vio_%d", i), Time: time.Unix(1_700_000_000, 0).UTC(),
			TraceID: fmt.Sprintf("t%d", i), AgentID: "bot", Type: "pii", Subtype: "EMAIL", Severity: "high", Action: "redacted",
			Detail: "mail [EMAIL] now"}
	}
	return out
}

// TestEventFeed: alert states and violations reach the right channel of their own
// workspace only, summaries are bounded and never carry the text that was found.
func TestEventFeed(t *testing.T) {
	h := NewLocal()
	a := h.Subscribe("ws-a", 10)
	b := h.Subscribe("ws-b", 10)
	f := NewFeed(h, quietLog())
	f.now = func() time.Time { return time.UnixMicro(1_700_000_000_000_001) }

	f.ViolationsStored(append(violations("ws-a", MaxSummaries+5), violations("ws-b", 1)...))
	d := <-a.C
	var nv NewViolations
	if err := json.Unmarshal(d.Event.Data, &nv); err != nil {
		t.Fatal(err)
	}
	if d.Event.Channel != ChannelViolations || d.Event.Type != "violation" || d.Event.SentAt != 1_700_000_000_000_001 ||
		nv.Count != MaxSummaries+5 || len(nv.Violations) != MaxSummaries || nv.Violations[0].TraceID != "t0" || nv.Violations[0].Subtype != "EMAIL" {
		t.Errorf("violation event %+v: %s", d.Event, d.Event.Data)
	}
	if contains(d.Event.Data, "[EMAIL] now") {
		t.Errorf("the hint carries the violation's text: %s", d.Event.Data)
	}
	if d := <-b.C; d.Event.Workspace != "ws-b" || !contains(d.Event.Data, `"count":1`) {
		t.Errorf("ws-b got %+v", d.Event)
	}

	since := time.Unix(1_700_000_100, 0).UTC()
	f.AlertStatesChanged(map[string][]AlertStateChange{
		"ws-a": {{RuleID: "r1", GroupKey: "agent=bot", State: model.StateFiring, Previous: model.StatePending, Since: since, AlertID: "al1", Severity: "critical"}},
		"ws-b": nil, // nothing changed there: no event
	})
	d = <-a.C
	var as AlertStates
	if err := json.Unmarshal(d.Event.Data, &as); err != nil {
		t.Fatal(err)
	}
	if d.Event.Channel != ChannelAlerts || d.Event.Type != "alert_state" || as.Count != 1 ||
		as.Changes[0] != (AlertStateChange{RuleID: "r1", GroupKey: "agent=bot", State: "firing", Previous: "pending", Since: since, AlertID: "al1", Severity: "critical"}) {
		t.Errorf("alert_state event %+v: %s", d.Event, d.Event.Data)
	}
	select {
	case d := <-b.C:
		t.Errorf("ws-b got %+v", d.Event)
	default:
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestEventFeedOverRedis: the alert role's and the guard role's hints, published in one
// process, reach the clients of another through a real Redis.
func TestEventFeedOverRedis(t *testing.T) {
	alertProc, apiProc := redisProcesses(t)
	ws := fmt.Sprintf("ws-events-%d", time.Now().UnixNano())
	client := apiProc.Subscribe(ws, 100)
	defer client.Close()
	f := NewFeed(alertProc, quietLog())
	// PSUBSCRIBE is confirmed asynchronously: publish until the api process hears.
	deadline := time.After(10 * time.Second)
	seen := map[string]bool{}
	for !seen["alert_state"] || !seen["violation"] {
		f.AlertStatesChanged(map[string][]AlertStateChange{ws: {{RuleID: "r1", State: model.StateFiring, Previous: model.StatePending}}})
		f.ViolationsStored(violations(ws, 2))
		for drained := false; !drained; {
			select {
			case d := <-client.C:
				if d.Event.Workspace != ws {
					t.Fatalf("heard another workspace: %+v", d.Event)
				}
				seen[d.Event.Type] = true
			case <-time.After(100 * time.Millisecond):
				drained = true
			case <-deadline:
				t.Fatalf("the api process heard only %v", seen)
			}
		}
	}
}
