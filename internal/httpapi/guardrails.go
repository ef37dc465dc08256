package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// GuardrailStore is the part of the store the guardrail routes use.
type GuardrailStore interface {
	store.Guardrails
}

// maxCheckRunes bounds the text of one synchronous check; agents check a prompt or an
// answer, not documents.
const maxCheckRunes = 32 << 10

func (a *API) guardrailRoutes(add addRoute) {
	add("POST /api/v1/guardrails/check", PermCheck, a.checkText(nil))
	add("POST /api/v1/guardrails/pii", PermCheck, a.checkText(map[guardrail.Category]bool{guardrail.CategoryPII: true}))
	add("POST /api/v1/guardrails/toxicity", PermCheck, a.checkText(map[guardrail.Category]bool{guardrail.CategoryToxicity: true}))
	add("POST /api/v1/guardrails/injection", PermCheck, a.checkText(map[guardrail.Category]bool{guardrail.CategoryInjection: true}))
	add("GET /api/v1/guardrails/violations", PermRead, a.listViolations)
	add("GET /api/v1/guardrails/violations/stats", PermRead, a.violationStats)
	add("GET /api/v1/guardrails/rules", PermRead, a.listGuardrailRules)
	add("POST /api/v1/guardrails/rules", PermWrite, a.createGuardrailRule)
	add("PUT /api/v1/guardrails/rules/{id}", PermWrite, a.updateGuardrailRule)
	add("DELETE /api/v1/guardrails/rules/{id}", PermWrite, a.deleteGuardrailRule)
	add("GET /api/v1/guardrails/settings", PermRead, a.getGuardrailSettings)
	add("PUT /api/v1/guardrails/settings", PermWrite, a.putGuardrailSettings)
}

// CheckRequest is the body of the check endpoints.
type CheckRequest struct {
	Text      string `json:"text"`
	Direction string `json:"direction"`
	AgentID   string `json:"agent_id"`
}

// Validate checks a check request; errors name the offending field.
func (c *CheckRequest) Validate() error {
	var fields []model.FieldError
	if !utf8.ValidString(c.Text) {
		fields = append(fields, model.FieldError{Path: model.Path{"text"}, Detail: "must be valid UTF-8"})
	} else if n := utf8.RuneCountInString(c.Text); n > maxCheckRunes {
		fields = append(fields, model.FieldError{Path: model.Path{"text"}, Detail: "must be at most " + strconv.Itoa(maxCheckRunes) + " characters"})
	}
	switch c.Direction {
	case "":
		c.Direction = string(guardrail.DirectionInput)
	case string(guardrail.DirectionInput), string(guardrail.DirectionOutput):
	default:
		fields = append(fields, model.FieldError{Path: model.Path{"direction"}, Detail: "must be input or output"})
	}
	if len(fields) > 0 {
		return &model.Error{Code: model.EINVALID, Message: "invalid check request", Fields: fields}
	}
	return nil
}

func (a *API) checkText(cats map[guardrail.Category]bool) handlerFunc {
	return func(r *http.Request) (any, error) {
		var req CheckRequest
		if err := a.decodeJSON(r, &req, false); err != nil {
			return nil, err
		}
		if err := req.Validate(); err != nil {
			return nil, err
		}
		return a.cfg.Guard.Check(r.Context(), workspaceID(r.Context()), req.Text, guardrail.Direction(req.Direction), req.AgentID, cats)
	}
}

// ViolationPage is a page of violations; NextCursor continues it.
type ViolationPage struct {
	Violations []model.Violation `json:"violations"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// violationTypes are the categories a violation can have.
var violationTypes = func() []string {
	out := make([]string, len(guardrail.Categories))
	for i, c := range guardrail.Categories {
		out[i] = string(c)
	}
	return out
}()

func (a *API) violationFilter(r *http.Request) (store.ViolationFilter, error) {
	q := r.URL.Query()
	f := store.ViolationFilter{WorkspaceID: workspaceID(r.Context()), Limit: 50}
	var fields []model.FieldError
	list := func(name string) []string {
		var out []string
		for _, v := range q[name] {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	f.Types, f.Subtypes, f.Severities, f.Actions, f.AgentIDs = list("type"), list("subtype"), list("severity"), list("action"), list("agent_id")
	// A misspelt value would match nothing and look like "no violations": refuse it.
	for _, e := range []struct {
		name   string
		values []string
		known  []string
	}{
		{"type", f.Types, violationTypes},
		{"severity", f.Severities, guardrail.Severities},
		{"action", f.Actions, guardrail.ViolationActions},
	} {
		for _, v := range e.values {
			if !slices.Contains(e.known, v) {
				fields = append(fields, model.FieldError{Path: model.Path{e.name}, Detail: fmt.Sprintf("%q is not one of %s (comma-separated)", v, strings.Join(e.known, ", "))})
				break
			}
		}
	}
	f.TraceID = q.Get("trace_id")
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(b.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fields = append(fields, model.FieldError{Path: model.Path{b.name}, Detail: "must be an RFC 3339 time such as 2026-12-31T00:00:00Z"})
			}
			*b.dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fields = append(fields, model.FieldError{Path: model.Path{"limit"}, Detail: "must be an integer from 1 to 500"})
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		t, id, err := store.ParseViolationCursor(c)
		if err != nil {
			fields = append(fields, model.FieldError{Path: model.Path{"cursor"}, Detail: "is not a cursor this API returned"})
		}
		f.AfterTime, f.AfterID = t, id
	}
	if len(fields) > 0 {
		return f, &model.Error{Code: model.EINVALID, Message: "invalid query parameters", Fields: fields}
	}
	return f, nil
}

func (a *API) listViolations(r *http.Request) (any, error) {
	f, err := a.violationFilter(r)
	if err != nil {
		return nil, err
	}
	vs, err := a.cfg.Guardrails.QueryViolations(r.Context(), f)
	if err != nil {
		return nil, err
	}
	page := ViolationPage{Violations: vs}
	if len(vs) == f.Limit {
		page.NextCursor = store.ViolationCursor(vs[len(vs)-1])
	}
	return page, nil
}

// ViolationStats is the Safety page's summary of a window.
type ViolationStats struct {
	From    time.Time              `json:"from"`
	To      time.Time              `json:"to"`
	Bucket  string                 `json:"bucket"`
	Total   int64                  `json:"total"`
	ByType  map[string]int64       `json:"by_type"`
	Buckets []store.ViolationCount `json:"buckets"`
}

func (a *API) violationStats(r *http.Request) (any, error) {
	f, err := a.violationFilter(r)
	if err != nil {
		return nil, err
	}
	if f.To.IsZero() {
		f.To = time.Now().UTC()
	}
	if f.From.IsZero() {
		f.From = f.To.Add(-7 * 24 * time.Hour)
	}
	bucket := r.URL.Query().Get("bucket")
	if bucket == "" {
		bucket = "day"
		if f.To.Sub(f.From) <= 48*time.Hour {
			bucket = "hour"
		}
	}
	if bucket != "hour" && bucket != "day" {
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid query parameters",
			Fields: []model.FieldError{{Path: model.Path{"bucket"}, Detail: "must be hour or day"}}}
	}
	counts, err := a.cfg.Guardrails.ViolationCounts(r.Context(), f, bucket)
	if err != nil {
		return nil, err
	}
	st := ViolationStats{From: f.From, To: f.To, Bucket: bucket, ByType: map[string]int64{}, Buckets: counts}
	for _, c := range counts {
		st.Total += c.Count
		st.ByType[c.Type] += c.Count
	}
	return st, nil
}

// ruleBody is a rule as clients send it.
type ruleBody struct {
	model.GuardrailRule
	Enabled *bool `json:"enabled"`
}

func (a *API) decodeRule(r *http.Request) (model.GuardrailRule, error) {
	var b ruleBody
	if err := a.decodeJSON(r, &b, false); err != nil {
		return model.GuardrailRule{}, err
	}
	rule := b.GuardrailRule
	rule.Enabled = b.Enabled == nil || *b.Enabled
	if rule.Directions == nil {
		rule.Directions = []string{}
	}
	if rule.Agents == nil {
		rule.Agents = []string{}
	}
	c := guardrail.Rule{GuardrailRule: rule}
	if field, err := c.Compile(); err != nil {
		return rule, &model.Error{Code: model.EINVALID, Message: "invalid guardrail rule",
			Fields: []model.FieldError{{Path: model.Path{field}, Detail: err.Error()}}}
	}
	return c.GuardrailRule, nil
}

func newRuleID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "gr_" + hex.EncodeToString(b[:])
}

func (a *API) listGuardrailRules(r *http.Request) (any, error) {
	rules, err := a.cfg.Guardrails.GuardrailRules(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"rules": rules}, nil
}

func (a *API) findRule(ctx context.Context, ws, id string) (*model.GuardrailRule, error) {
	rules, err := a.cfg.Guardrails.GuardrailRules(ctx, ws)
	if err != nil {
		return nil, err
	}
	for i := range rules {
		if rules[i].ID == id {
			return &rules[i], nil
		}
	}
	return nil, model.Errorf(model.ENOTFOUND, "guardrail rule %q not found", id)
}

func (a *API) createGuardrailRule(r *http.Request) (any, error) {
	rule, err := a.decodeRule(r)
	if err != nil {
		return nil, err
	}
	ws := workspaceID(r.Context())
	now := time.Now().UTC()
	rule.WorkspaceID, rule.ID, rule.CreatedAt, rule.UpdatedAt = ws, newRuleID(), now, now
	if err := a.cfg.Guardrails.PutGuardrailRule(r.Context(), rule); err != nil {
		return nil, err
	}
	a.cfg.Guard.Invalidate(ws)
	return response{status: http.StatusCreated, body: rule}, nil
}

func (a *API) updateGuardrailRule(r *http.Request) (any, error) {
	ws, id := workspaceID(r.Context()), r.PathValue("id")
	old, err := a.findRule(r.Context(), ws, id)
	if err != nil {
		return nil, err
	}
	rule, err := a.decodeRule(r)
	if err != nil {
		return nil, err
	}
	rule.WorkspaceID, rule.ID, rule.CreatedAt, rule.UpdatedAt = ws, id, old.CreatedAt, time.Now().UTC()
	if err := a.cfg.Guardrails.PutGuardrailRule(r.Context(), rule); err != nil {
		return nil, err
	}
	a.cfg.Guard.Invalidate(ws)
	return rule, nil
}

func (a *API) deleteGuardrailRule(r *http.Request) (any, error) {
	ws := workspaceID(r.Context())
	if err := a.cfg.Guardrails.DeleteGuardrailRule(r.Context(), ws, r.PathValue("id")); err != nil {
		return nil, err
	}
	a.cfg.Guard.Invalidate(ws)
	return response{status: http.StatusNoContent}, nil
}

// GuardrailSettingsBody is the body of the settings routes.
type GuardrailSettingsBody struct {
	Actions   map[string]string `json:"actions"`
	UpdatedAt *time.Time        `json:"updated_at,omitempty"`
}

func (a *API) getGuardrailSettings(r *http.Request) (any, error) {
	gs, err := a.cfg.Guardrails.GuardrailSettings(r.Context(), workspaceID(r.Context()))
	if model.ErrorCode(err) == model.ENOTFOUND {
		return GuardrailSettingsBody{Actions: guardrail.DefaultActions}, nil
	}
	if err != nil {
		return nil, err
	}
	return GuardrailSettingsBody{Actions: gs.Actions, UpdatedAt: &gs.UpdatedAt}, nil
}

func (a *API) putGuardrailSettings(r *http.Request) (any, error) {
	var b GuardrailSettingsBody
	if err := a.decodeJSON(r, &b, false); err != nil {
		return nil, err
	}
	var fields []model.FieldError
	if b.Actions == nil {
		fields = append(fields, model.FieldError{Path: model.Path{"actions"}, Detail: "is required"})
	}
	for c, act := range b.Actions {
		cat := guardrail.Category(c)
		if !cat.Valid() || cat == guardrail.CategoryCustom {
			fields = append(fields, model.FieldError{Path: model.Path{"actions", c}, Detail: "unknown category: use pii, secret, injection or toxicity"})
		} else if act != "off" && guardrail.ActionRank(act) == 0 {
			fields = append(fields, model.FieldError{Path: model.Path{"actions", c}, Detail: "must be off, log, flag, redact or block"})
		}
	}
	if len(fields) > 0 {
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid guardrail settings", Fields: fields}
	}
	ws := workspaceID(r.Context())
	gs := model.GuardrailSettings{WorkspaceID: ws, Actions: b.Actions, UpdatedAt: time.Now().UTC()}
	if err := a.cfg.Guardrails.PutGuardrailSettings(r.Context(), gs); err != nil {
		return nil, err
	}
	a.cfg.Guard.Invalidate(ws)
	return GuardrailSettingsBody{Actions: gs.Actions, UpdatedAt: &gs.UpdatedAt}, nil
}
