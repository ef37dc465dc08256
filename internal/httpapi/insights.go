package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/insight"
	"github.com/agentobs/agentobs/internal/model"
)

// eventRoutes record events (ingest scope) and list them.
func (a *API) eventRoutes(add addRoute) {
	add("POST /api/v1/events", PermIngest, a.withInsights(a.postEvent))
	add("GET /api/v1/events", PermRead, a.withInsights(a.listEvents))
}

// insightRoutes are the insights role's: analyses with their history, the daily summary,
// and the Impact page with its goals and settings.
func (a *API) insightRoutes(add addRoute) {
	for _, kind := range insight.Kinds {
		add("POST /api/v1/insights/"+kind, PermWrite, a.withInsights(a.runInsight(kind)))
	}
	add("GET /api/v1/insights/daily-summary", PermRead, a.withInsights(a.dailySummary))
	add("GET /api/v1/insights", PermRead, a.withInsights(a.listInsights))
	add("GET /api/v1/insights/{id}", PermRead, a.withInsights(a.getInsight))
	add("GET /api/v1/impact", PermRead, a.withInsights(a.impact))
	add("GET /api/v1/impact/goals", PermRead, a.withInsights(a.listGoals))
	add("POST /api/v1/impact/goals", PermWrite, a.withInsights(a.createGoal))
	add("PUT /api/v1/impact/goals/{id}", PermWrite, a.withInsights(a.updateGoal))
	add("DELETE /api/v1/impact/goals/{id}", PermWrite, a.withInsights(a.deleteGoal))
	add("GET /api/v1/impact/settings", PermRead, a.withInsights(a.getImpactSettings))
	add("PUT /api/v1/impact/settings", PermWrite, a.withInsights(a.putImpactSettings))
}

func (a *API) withInsights(h func(*http.Request, *insight.Service) (any, error)) handlerFunc {
	return func(r *http.Request) (any, error) {
		if a.cfg.Insights == nil {
			return nil, model.Errorf(model.EUNAVAILABLE, "this process does not serve insights")
		}
		return h(r, a.cfg.Insights)
	}
}

// decodeOptional decodes a JSON object into v field by field; an empty body keeps v.
func decodeOptional(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return model.Errorf(model.EINVALID, "cannot read the body")
	}
	if len(body) > 64<<10 {
		return model.Errorf(model.ETOOLARGE, "the body must be at most 64 KiB")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeFields(bytes.NewReader(body), v)
}

// windowQuery reads from, to and agent_id of a query string.
func windowQuery(r *http.Request) (insight.Request, error) {
	q := r.URL.Query()
	var out insight.Request
	var fe model.FieldErrors
	for _, name := range []string{"from", "to"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			fe.Add(model.Path{name}, "must be an RFC 3339 time")
			continue
		}
		if name == "from" {
			out.From = &t
		} else {
			out.To = &t
		}
	}
	out.AgentID = q.Get("agent_id")
	return out, fe.Err("invalid query")
}

func limitQuery(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, &model.Error{Code: model.EINVALID, Message: "invalid query",
			Fields: []model.FieldError{{Path: model.Path{"limit"}, Detail: "must be an integer from 1 to 1000"}}}
	}
	return n, nil
}

func (a *API) postEvent(r *http.Request, s *insight.Service) (any, error) {
	var in model.EventInput
	if err := decodeFields(r.Body, &in); err != nil {
		return nil, err
	}
	ev, err := s.RecordEvent(r.Context(), workspaceID(r.Context()), in)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: ev}, nil
}

func (a *API) listEvents(r *http.Request, s *insight.Service) (any, error) {
	req, err := windowQuery(r)
	if err != nil {
		return nil, err
	}
	var types []string
	if t := r.URL.Query().Get("type"); t != "" {
		types = strings.Split(t, ",")
	}
	evs, err := s.Events(r.Context(), workspaceID(r.Context()), req, types)
	if err != nil {
		return nil, err
	}
	return map[string]any{"events": evs}, nil
}

func (a *API) runInsight(kind string) func(*http.Request, *insight.Service) (any, error) {
	return func(r *http.Request, s *insight.Service) (any, error) {
		var req insight.Request
		if err := decodeOptional(r, &req); err != nil {
			return nil, err
		}
		run, err := s.Run(r.Context(), workspaceID(r.Context()), kind, req)
		if err != nil {
			return nil, err
		}
		return response{status: http.StatusCreated, body: run, headers: map[string]string{"Location": "/api/v1/insights/" + run.ID}}, nil
	}
}

func (a *API) dailySummary(r *http.Request, s *insight.Service) (any, error) {
	day := a.now().Add(-24 * time.Hour)
	if v := r.URL.Query().Get("date"); v != "" {
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return nil, &model.Error{Code: model.EINVALID, Message: "invalid query",
				Fields: []model.FieldError{{Path: model.Path{"date"}, Detail: "must be a date such as 2026-11-24"}}}
		}
		day = d
	}
	return s.DailySummary(r.Context(), workspaceID(r.Context()), day)
}

func (a *API) listInsights(r *http.Request, s *insight.Service) (any, error) {
	limit, err := limitQuery(r, 20)
	if err != nil {
		return nil, err
	}
	ws := workspaceID(r.Context())
	runs, err := s.History(r.Context(), ws, r.URL.Query().Get("kind"), limit)
	if err != nil {
		return nil, err
	}
	spend, err := s.NarrationSpend(r.Context(), ws)
	if err != nil {
		return nil, err
	}
	return map[string]any{"insights": runs, "narration_spend": spend}, nil
}

func (a *API) getInsight(r *http.Request, s *insight.Service) (any, error) {
	return s.Get(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
}

func (a *API) impact(r *http.Request, s *insight.Service) (any, error) {
	req, err := windowQuery(r)
	if err != nil {
		return nil, err
	}
	return s.Impact(r.Context(), workspaceID(r.Context()), insight.ImpactRequest{Request: req, DeploymentID: r.URL.Query().Get("deployment_id")})
}

func (a *API) listGoals(r *http.Request, s *insight.Service) (any, error) {
	gs, err := s.Goals(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"goals": gs}, nil
}

func (a *API) createGoal(r *http.Request, s *insight.Service) (any, error) {
	var g model.Goal
	if err := decodeFields(r.Body, &g); err != nil {
		return nil, err
	}
	out, err := s.CreateGoal(r.Context(), workspaceID(r.Context()), g)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: out, headers: map[string]string{"Location": "/api/v1/impact/goals/" + out.ID}}, nil
}

func (a *API) updateGoal(r *http.Request, s *insight.Service) (any, error) {
	var g model.Goal
	if err := decodeFields(r.Body, &g); err != nil {
		return nil, err
	}
	return s.UpdateGoal(r.Context(), workspaceID(r.Context()), r.PathValue("id"), g)
}

func (a *API) deleteGoal(r *http.Request, s *insight.Service) (any, error) {
	if err := s.DeleteGoal(r.Context(), workspaceID(r.Context()), r.PathValue("id")); err != nil {
		return nil, err
	}
	return response{status: http.StatusNoContent}, nil
}

func (a *API) getImpactSettings(r *http.Request, s *insight.Service) (any, error) {
	return s.Settings(r.Context(), workspaceID(r.Context()))
}

func (a *API) putImpactSettings(r *http.Request, s *insight.Service) (any, error) {
	var st model.ImpactSettings
	if err := decodeFields(r.Body, &st); err != nil {
		return nil, err
	}
	return s.PutSettings(r.Context(), workspaceID(r.Context()), st)
}
