package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// TestSendResult is the answer of POST /api/v1/integrations/{type}/test: what the channel
// answered when a test notification was sent through it.
type TestSendResult struct {
	Type       string    `json:"type"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	SentAt     time.Time `json:"sent_at"`
	DurationMs int64     `json:"duration_ms"`
}

// testIntegration sends a test notification through a configured channel. A channel that
// refuses it is an answer (ok false, with what it said), not an error of this API.
func (a *API) testIntegration(r *http.Request, st alert.Store) (any, error) {
	typ, err := integrationType(r)
	if err != nil {
		return nil, err
	}
	ws := workspaceID(r.Context())
	sealed, _, err := st.GetIntegration(r.Context(), ws, typ)
	if model.ErrorCode(err) == model.ENOTFOUND {
		return nil, model.Errorf(model.ECONFLICT, "%s is not configured: save its settings first", typ)
	}
	if err != nil {
		return nil, err
	}
	c, err := a.cfg.Sealer.Open(ws, typ, sealed)
	if err != nil {
		return nil, err
	}
	now := a.now()
	id := "test-" + auth.NewUUID()
	m := &alert.Message{Status: model.StateFiring, RuleID: "test", RuleName: "Test notification", Severity: "info",
		Firing: []model.Alert{{ID: id, Title: "Test notification from agentobs", Severity: "info", TriggeredAt: now,
			Description: "Sent from Settings, Integrations to check this channel. No action is needed."}},
		Resolved: []model.Alert{}, SentAt: now}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	if typ == "pagerduty" {
		// A trigger opens an incident: resolve it at once, so the test pages nobody for long.
		m.EventAction, m.DedupKey = "trigger", id
	}
	start := time.Now()
	err = a.cfg.Senders.Send(ctx, typ, c, id, m)
	if err == nil && typ == "pagerduty" {
		m.EventAction, m.Resolved, m.Firing = "resolve", m.Firing, nil
		err = a.cfg.Senders.Send(ctx, typ, c, id+"-resolve", m)
	}
	res := TestSendResult{Type: typ, OK: err == nil, SentAt: now, DurationMs: time.Since(start).Milliseconds()}
	if err != nil {
		res.Error = err.Error()
	}
	a.audit(r, "integration.test", typ, map[string]any{"ok": res.OK})
	return res, nil
}
