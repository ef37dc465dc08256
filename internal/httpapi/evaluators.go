package httpapi

import (
	"net/http"
	"strconv"

	"github.com/agentobs/agentobs/internal/model"
)

// evaluatorRoutes manage the workspace's versioned evaluator definitions (evaluate role).
func (a *API) evaluatorRoutes(add addRoute) {
	add("GET /api/v1/evaluators", PermRead, a.listEvaluators)
	add("POST /api/v1/evaluators", PermWrite, a.createEvaluator)
	add("GET /api/v1/evaluators/{id}", PermRead, a.getEvaluator)
	add("PUT /api/v1/evaluators/{id}", PermWrite, a.updateEvaluator)
	add("DELETE /api/v1/evaluators/{id}", PermWrite, a.deleteEvaluator)
	add("GET /api/v1/evaluators/{id}/versions", PermRead, a.evaluatorVersions)
}

type evaluatorsAnswer struct {
	Evaluators []model.EvaluatorDef `json:"evaluators"`
}

func (a *API) listEvaluators(r *http.Request) (any, error) {
	list, err := a.cfg.Eval.ListEvaluators(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return evaluatorsAnswer{Evaluators: list}, nil
}

// decodeEvaluator reads a definition body; id comes from the path when pathID is set.
func (a *API) decodeEvaluator(r *http.Request, pathID string) (model.EvaluatorDef, error) {
	// The delay is read as text so that a bad one is reported with its field.
	var in struct {
		model.EvaluatorDef
		Delay string `json:"delay"`
	}
	if err := a.decodeJSON(r, &in, false); err != nil {
		return in.EvaluatorDef, err
	}
	d := in.EvaluatorDef
	if in.Delay != "" {
		v, err := model.ParseDuration(in.Delay)
		if err != nil {
			return d, &model.Error{Code: model.EINVALID, Message: "invalid evaluator",
				Fields: []model.FieldError{{Path: model.Path{"delay"}, Detail: "must be a duration such as 30s or 5m"}}}
		}
		d.Delay = v
	}
	if pathID != "" {
		if d.ID != "" && d.ID != pathID {
			return d, &model.Error{Code: model.EINVALID, Message: "invalid evaluator",
				Fields: []model.FieldError{{Path: model.Path{"id"}, Detail: "differs from the id in the path"}}}
		}
		d.ID = pathID
	}
	if d.Scope == "" {
		d.Scope = model.ScopeTrace
	}
	d.WorkspaceID = workspaceID(r.Context())
	if p := principal(r.Context()); p != nil {
		d.CreatedBy = p.Subject()
	}
	return d, nil
}

func (a *API) createEvaluator(r *http.Request) (any, error) {
	d, err := a.decodeEvaluator(r, "")
	if err != nil {
		return nil, err
	}
	if _, err := a.cfg.Eval.GetEvaluator(r.Context(), d.WorkspaceID, d.ID, 0); err == nil {
		return nil, &model.Error{Code: model.ECONFLICT, Message: "evaluator exists",
			Fields: []model.FieldError{{Path: model.Path{"id"}, Detail: "an evaluator " + strconv.Quote(d.ID) + " exists: PUT /api/v1/evaluators/" + d.ID + " saves a new version"}}}
	} else if model.ErrorCode(err) != model.ENOTFOUND {
		return nil, err
	}
	stored, err := a.cfg.Eval.PutEvaluator(r.Context(), d)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: stored}, nil
}

func (a *API) updateEvaluator(r *http.Request) (any, error) {
	d, err := a.decodeEvaluator(r, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if _, err := a.cfg.Eval.GetEvaluator(r.Context(), d.WorkspaceID, d.ID, 0); err != nil {
		return nil, err
	}
	return a.cfg.Eval.PutEvaluator(r.Context(), d)
}

func (a *API) getEvaluator(r *http.Request) (any, error) {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, queryParamError("version", "must be a version number from 1")
		}
		version = n
	}
	return a.cfg.Eval.GetEvaluator(r.Context(), workspaceID(r.Context()), r.PathValue("id"), version)
}

func (a *API) evaluatorVersions(r *http.Request) (any, error) {
	vs, err := a.cfg.Eval.EvaluatorVersions(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return evaluatorsAnswer{Evaluators: vs}, nil
}

func (a *API) deleteEvaluator(r *http.Request) (any, error) {
	if err := a.cfg.Eval.DeleteEvaluator(r.Context(), workspaceID(r.Context()), r.PathValue("id")); err != nil {
		return nil, err
	}
	return response{status: http.StatusNoContent}, nil
}
