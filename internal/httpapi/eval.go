package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/abtest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// evalRoutes are the evaluate role's: LLM-as-judge, batches, history, criteria, the
// Quality page's overview, and human feedback.
func (a *API) evalRoutes(add addRoute) {
	add("POST /api/v1/evaluate/trace/{trace_id}", PermWrite, a.evaluateTrace)
	add("POST /api/v1/evaluate/session/{session_id}", PermWrite, a.evaluateSession)
	add("GET /api/v1/evaluate/judge-traces/{trace_id}", PermRead, a.getJudgeTrace)
	add("GET /api/v1/evaluate/evaluations/{id}", PermRead, a.getEvaluation)
	add("POST /api/v1/evaluate/batch", PermWrite, a.evaluateBatch)
	add("GET /api/v1/evaluate/batch/{id}", PermRead, a.getEvalBatch)
	add("GET /api/v1/evaluate/history", PermRead, a.evaluationHistory)
	add("GET /api/v1/evaluate/criteria", PermRead, a.listCriteria)
	add("POST /api/v1/evaluate/custom-criteria", PermWrite, a.putCriterion)
	add("GET /api/v1/evaluate/judge", PermRead, a.judgeStatus)
	add("POST /api/v1/evaluate/judge/resume", PermWrite, a.resumeJudge)
	add("GET /api/v1/quality/overview", PermRead, a.qualityOverview)
	a.evaluatorRoutes(add)
}

// syncEvalWait is how long POST /evaluate/trace waits for the judge before answering 202.
const syncEvalWait = 25 * time.Second

type evaluateBody struct {
	Criteria []string `json:"criteria"`
	// Evaluator names a workspace evaluator (its latest version); "" is the server's default.
	Evaluator string `json:"evaluator"`
	// SpanID judges one span of the trace instead of the whole trace.
	SpanID string `json:"span_id"`
}

func (a *API) evaluateTrace(r *http.Request) (any, error) {
	var body evaluateBody
	if err := a.decodeJSON(r, &body, true); err != nil {
		return nil, err
	}
	return a.evaluateNow(r, eval.Request{TraceID: r.PathValue("trace_id"), Criteria: body.Criteria,
		Evaluator: body.Evaluator, SpanID: body.SpanID})
}

// sessionEvaluateBody is the optional body of POST /evaluate/session/{id}.
type sessionEvaluateBody struct {
	Criteria []string `json:"criteria"`
	// Evaluator names a workspace evaluator (its latest version); "" is the server's default.
	Evaluator string `json:"evaluator"`
}

// decodeSessionEvaluate reads the optional body of a session evaluation.
func (a *API) decodeSessionEvaluate(r *http.Request) (sessionEvaluateBody, error) {
	var body sessionEvaluateBody
	if err := a.decodeJSON(r, &body, true); err != nil {
		return body, err
	}
	var fe model.FieldErrors
	if len(body.Criteria) > 20 {
		fe.Add(model.Path{"criteria"}, "must list at most 20 criteria")
	}
	if len(body.Evaluator) > 64 {
		fe.Add(model.Path{"evaluator"}, "must be at most 64 characters")
	}
	return body, fe.Err("invalid request body")
}

func (a *API) evaluateSession(r *http.Request) (any, error) {
	body, err := a.decodeSessionEvaluate(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("session_id")
	if id == "" || len(id) > 256 {
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid session id",
			Fields: []model.FieldError{{Path: model.Path{"session_id"}, Detail: "must be 1 to 256 characters"}}}
	}
	return a.evaluateNow(r, eval.Request{SessionID: id, Criteria: body.Criteria, Evaluator: body.Evaluator})
}

// evaluateNow runs req as a manual evaluation, waiting for the judge as long as the wait
// parameter says: 200 with the verdicts, or 202 with the pending evaluation to poll.
func (a *API) evaluateNow(r *http.Request, req eval.Request) (any, error) {
	wait := syncEvalWait
	if v := r.URL.Query().Get("wait"); v != "" {
		s, err := strconv.Atoi(v)
		if err != nil || s < 0 || s > 60 {
			return nil, queryParamError("wait", "must be a number of seconds from 0 to 60")
		}
		wait = time.Duration(s) * time.Second
	}
	ctx := r.Context()
	req.WorkspaceID, req.Source = workspaceID(ctx), model.EvalSourceManual
	ev, err := a.cfg.Eval.Evaluate(ctx, req, wait)
	if err != nil {
		return nil, err
	}
	if ev.Status == model.EvalPending {
		loc := "/api/v1/evaluate/evaluations/" + ev.ID
		return response{status: http.StatusAccepted, body: ev, headers: map[string]string{"Location": loc, "Retry-After": "2"}}, nil
	}
	return ev, nil
}

// getJudgeTrace reads a trace of the workspace's judge calls: only the owning workspace's
// credentials reach its companion.
func (a *API) getJudgeTrace(r *http.Request) (any, error) {
	return presentTrace(a.cfg.Eval.JudgeTrace(r.Context(), workspaceID(r.Context()), r.PathValue("trace_id")))
}

func queryParamError(name, detail string) error {
	return &model.Error{Code: model.EINVALID, Message: "invalid query parameter",
		Fields: []model.FieldError{{Path: model.Path{name}, Detail: detail}}}
}

func (a *API) getEvaluation(r *http.Request) (any, error) {
	return a.cfg.Eval.Get(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
}

type batchBody struct {
	TraceIDs []string `json:"trace_ids"`
	Criteria []string `json:"criteria"`
}

func (a *API) evaluateBatch(r *http.Request) (any, error) {
	var body batchBody
	if err := a.decodeJSON(r, &body, false); err != nil {
		return nil, err
	}
	ctx := r.Context()
	b, err := a.cfg.Eval.Batch(ctx, eval.BatchRequest{WorkspaceID: workspaceID(ctx), TraceIDs: body.TraceIDs, Criteria: body.Criteria})
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusAccepted, body: b, headers: map[string]string{"Location": "/api/v1/evaluate/batch/" + b.ID}}, nil
}

func (a *API) getEvalBatch(r *http.Request) (any, error) {
	return a.cfg.Eval.GetBatch(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
}

type historyPage struct {
	Evaluations []model.Evaluation `json:"evaluations"`
	Total       int64              `json:"total"`
	Page        int                `json:"page"`
	PageSize    int                `json:"page_size"`
}

func (a *API) evaluationHistory(r *http.Request) (any, error) {
	q := r.URL.Query()
	page, size := 1, 20
	var fe model.FieldErrors
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			fe.Add(model.Path{"page"}, "must be a page number from 1")
		}
		page = n
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			fe.Add(model.Path{"page_size"}, "must be from 1 to 200")
		}
		size = n
	}
	source := q.Get("source")
	switch source {
	case "", model.EvalSourceManual, model.EvalSourceBatch, model.EvalSourceAuto:
	default:
		fe.Add(model.Path{"source"}, "must be manual, batch or auto")
	}
	if err := fe.Err("invalid query parameters"); err != nil {
		return nil, err
	}
	ctx := r.Context()
	evs, total, err := a.cfg.Eval.History(ctx, store.EvaluationQuery{WorkspaceID: workspaceID(ctx), Source: source,
		TraceID: q.Get("trace_id"), SessionID: q.Get("session_id"), BatchID: q.Get("batch_id"), Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return nil, err
	}
	return historyPage{Evaluations: evs, Total: total, Page: page, PageSize: size}, nil
}

func (a *API) listCriteria(r *http.Request) (any, error) {
	cs, err := a.cfg.Eval.Criteria(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"criteria": cs, "default": eval.DefaultCriteria}, nil
}

func (a *API) putCriterion(r *http.Request) (any, error) {
	var c model.Criterion
	if err := a.decodeJSON(r, &c, false); err != nil {
		return nil, err
	}
	c.WorkspaceID = workspaceID(r.Context())
	stored, err := a.cfg.Eval.PutCriterion(r.Context(), c)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: stored}, nil
}

func (a *API) judgeStatus(r *http.Request) (any, error) { return a.cfg.Eval.Judge(), nil }

func (a *API) resumeJudge(r *http.Request) (any, error) {
	a.cfg.Eval.Resume()
	return a.cfg.Eval.Judge(), nil
}

var qualityRanges = map[string]struct{ window, bucket time.Duration }{
	"1h":  {time.Hour, 5 * time.Minute},
	"24h": {24 * time.Hour, time.Hour},
	"7d":  {7 * 24 * time.Hour, 24 * time.Hour},
	"30d": {30 * 24 * time.Hour, 24 * time.Hour},
}

func (a *API) qualityOverview(r *http.Request) (any, error) {
	name := r.URL.Query().Get("range")
	if name == "" {
		name = "7d"
	}
	rg, ok := qualityRanges[name]
	if !ok {
		return nil, queryParamError("range", "must be 1h, 24h, 7d or 30d")
	}
	// Buckets are aligned to the bucket width, so "to" is the end of the current bucket.
	to := time.Now().UTC().Truncate(rg.bucket).Add(rg.bucket)
	from := to.Add(-rg.window)
	return a.cfg.Eval.Overview(r.Context(), workspaceID(r.Context()), from, to, rg.bucket)
}

// FeedbackWriter stores human feedback on a trace; eval.Service is one.
type FeedbackWriter interface {
	AddFeedback(ctx context.Context, ws, traceID string, f eval.Feedback) ([]model.Score, error)
}

func (a *API) traceFeedback(r *http.Request) (any, error) {
	var f eval.Feedback
	if err := a.decodeJSON(r, &f, false); err != nil {
		return nil, err
	}
	scores, err := a.cfg.Feedback.AddFeedback(r.Context(), workspaceID(r.Context()), r.PathValue("trace_id"), f)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: map[string]any{"trace_id": r.PathValue("trace_id"), "scores": scores}}, nil
}

// abTestRoutes are the A/B tests' routes, served by the evaluate role.
func (a *API) abTestRoutes(add addRoute) {
	add("GET /api/v1/ab-tests", PermRead, a.listABTests)
	add("POST /api/v1/ab-tests", PermWrite, a.createABTest)
	add("GET /api/v1/ab-tests/sample-size", PermRead, a.abSampleSize)
	add("GET /api/v1/ab-tests/{id}", PermRead, a.getABTest)
	add("GET /api/v1/ab-tests/{id}/results", PermRead, a.abTestResults)
	add("GET /api/v1/ab-tests/{id}/assign", PermRead, a.abAssign)
}

func (a *API) listABTests(r *http.Request) (any, error) {
	ts, err := a.cfg.ABTests.List(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"ab_tests": ts}, nil
}

func (a *API) createABTest(r *http.Request) (any, error) {
	var t abtest.Test
	if err := a.decodeJSON(r, &t, false); err != nil {
		return nil, err
	}
	created, err := a.cfg.ABTests.Create(r.Context(), workspaceID(r.Context()), t)
	if err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: created, headers: map[string]string{"Location": "/api/v1/ab-tests/" + created.ID}}, nil
}

func (a *API) getABTest(r *http.Request) (any, error) {
	return a.cfg.ABTests.Get(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
}

func (a *API) abTestResults(r *http.Request) (any, error) {
	return a.cfg.ABTests.Results(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
}

// abAssign tells an application which variant a user or session gets; the same hash
// decides which variant a trace counts for in the results.
func (a *API) abAssign(r *http.Request) (any, error) {
	unit := r.URL.Query().Get("unit_id")
	if unit == "" || len(unit) > 256 {
		return nil, queryParamError("unit_id", "must be the user or session id, 1 to 256 characters")
	}
	t, err := a.cfg.ABTests.Get(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	weights := make([]float64, len(t.Variants))
	for i, v := range t.Variants {
		weights[i] = v.Weight
	}
	return map[string]string{"test_id": t.ID, "unit_id": unit, "variant": t.Variants[abtest.Assign(t.ID, unit, weights)].Name}, nil
}

// abSampleSize sizes a test: units per arm for a two-sided test of a mean (sd) or a rate
// (baseline) to detect mde (absolute) at alpha with power.
func (a *API) abSampleSize(r *http.Request) (any, error) {
	q := r.URL.Query()
	var fe model.FieldErrors
	num := func(name string, def, lo, hi float64) float64 {
		v := q.Get(name)
		if v == "" {
			return def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > lo && f < hi) {
			fe.Add(model.Path{name}, "must be a number between %g and %g", lo, hi)
		}
		return f
	}
	baseline := num("baseline", 0, 0, 1)
	sd := num("sd", 0, 0, 1e12)
	mde := num("mde", 0, 0, 1e12)
	alpha := num("alpha", 0.05, 0, 0.5)
	power := num("power", 0.8, 0, 1)
	if (baseline == 0) == (sd == 0) {
		fe.Add(model.Path{"baseline"}, "give either baseline (a rate between 0 and 1) or sd (the metric's standard deviation per unit)")
	}
	if mde == 0 {
		fe.Add(model.Path{"mde"}, "the smallest absolute difference worth detecting is required")
	}
	if err := fe.Err("invalid query parameters"); err != nil {
		return nil, err
	}
	if baseline > 0 {
		sd = math.Sqrt(baseline * (1 - baseline))
	}
	return map[string]any{"per_arm": abtest.SampleSize(sd, mde, alpha, power), "sd": sd, "mde": mde, "alpha": alpha, "power": power}, nil
}
