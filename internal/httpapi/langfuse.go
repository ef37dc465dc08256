package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/ingest/langfuse"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/queue"
)

// Langfuse's public API paths (docs/migrate.md), so that Langfuse SDKs work when pointed
// at agentobs: its OpenTelemetry endpoint, the batch ingestion of its older SDKs, scores
// and the health check. Langfuse SDKs authenticate with Basic (public key, API key).
func (a *API) langfuseRoutes(add addRoute) []Route {
	add("GET /api/public/health", PermPublic, a.langfuseHealth)
	add("POST /api/public/ingestion", PermIngest, a.langfuseIngestion)
	add("POST /api/public/scores", PermIngest, a.langfuseScores)
	return []Route{{Pattern: "POST /api/public/otel/v1/traces", Permission: PermIngest, Raw: http.HandlerFunc(a.otlpTraces)}}
}

func (a *API) langfuseHealth(r *http.Request) (any, error) {
	return map[string]string{"status": "OK", "version": a.cfg.Version}, nil
}

func (a *API) langfuseLimits() langfuse.Limits {
	return langfuse.Limits{MaxTextBytes: a.cfg.Limits.MaxTextBytes, MaxAttrBytes: a.cfg.Limits.MaxObjectBytes}
}

// langfuseIngestion answers as Langfuse does: 207 with a success or an error per event.
// Only a body that is not an ingestion request at all is refused as a whole.
func (a *API) langfuseIngestion(r *http.Request) (any, error) {
	ws := workspaceID(r.Context())
	body, err := a.readJSONBody(nil, r)
	if err != nil {
		return nil, err
	}
	events, err := langfuse.DecodeRequest(body, a.langfuseLimits())
	if err != nil {
		a.metrics.rejected.WithLabelValues("malformed").Inc()
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid ingestion request",
			Fields: []model.FieldError{{Path: model.Path{"batch"}, Detail: err.Error()}}}
	}
	b := langfuse.NewBuilder(ws, a.langfuseLimits(), time.Now(), newScoreID)
	for _, ev := range events {
		b.Add(ev)
	}
	if len(b.Errors) > 0 {
		a.metrics.rejected.WithLabelValues("validation").Add(float64(len(b.Errors)))
	}
	if b.HasTraces() {
		// Events update what is stored: read the touched traces that exist first.
		existing, err := a.cfg.Store.StoredTraceIDs(r.Context(), ws, b.TraceIDs())
		if err != nil {
			return nil, a.storeUnavailable(r, err)
		}
		stored := map[string]*model.Trace{}
		for _, id := range existing {
			t, err := a.cfg.Store.GetTrace(r.Context(), ws, id)
			switch {
			case err == nil:
				stored[id] = t
			case model.ErrorCode(err) != model.ENOTFOUND:
				return nil, a.storeUnavailable(r, err)
			}
		}
		// Answered after the store commit: the SDK's next request builds on this one.
		if err := a.publishTraces(r, b.Build(stored), true); err != nil {
			return nil, err
		}
	}
	successes, errs := b.Successes, b.Errors
	if successes == nil {
		successes = []langfuse.ItemSuccess{}
	}
	if errs == nil {
		errs = []langfuse.ItemError{}
	}
	return response{status: http.StatusMultiStatus, body: map[string]any{"successes": successes, "errors": errs}}, nil
}

// langfuseScores takes one score (answered with its id) or a list (answered 202, or 207
// with counts and errors when some are invalid, as Langfuse's SDK 5 expects).
func (a *API) langfuseScores(r *http.Request) (any, error) {
	ws := workspaceID(r.Context())
	body, err := a.readJSONBody(nil, r)
	if err != nil {
		return nil, err
	}
	req, err := langfuse.DecodeScores(body, ws, max(a.cfg.Limits.MaxBatch, 1000), time.Now(), newScoreID)
	if err != nil {
		a.metrics.rejected.WithLabelValues("validation").Inc()
		// The decoder words errors "body.<field>: detail"; the body is the score here.
		field, detail, _ := strings.Cut(err.Error(), ": ")
		path := model.Path{}
		if f := strings.TrimPrefix(strings.TrimPrefix(field, "body"), "."); f != "" {
			path = model.Path{f}
		}
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid score",
			Fields: []model.FieldError{{Path: path, Detail: detail}}}
	}
	if len(req.Errors) > 0 {
		a.metrics.rejected.WithLabelValues("validation").Add(float64(len(req.Errors)))
	}
	if len(req.Scores) > 0 {
		wait, err := waitForCommit(r)
		if err != nil {
			return nil, err
		}
		if err := a.publishTraces(r, langfuse.ScoreTraces(req.Scores), wait); err != nil {
			return nil, err
		}
	}
	switch {
	case req.Single:
		return map[string]string{"id": req.Scores[0].ScoreID}, nil
	case len(req.Errors) > 0:
		msgs := make([]map[string]string, len(req.Errors))
		for i, e := range req.Errors {
			msgs[i] = map[string]string{"message": e.Message}
		}
		return response{status: http.StatusMultiStatus, body: map[string]any{
			"accepted": len(req.Scores), "rejected": len(req.Errors), "errors": msgs}}, nil
	}
	return response{status: http.StatusAccepted, body: map[string]string{"message": "Accepted"}}, nil
}

// storeUnavailable logs a failed read and answers a retryable 503: the events were not
// stored, and the SDKs send them again.
func (a *API) storeUnavailable(r *http.Request, err error) error {
	a.cfg.Log.Error("cannot read stored traces", "request_id", requestID(r.Context()), "err", err)
	return model.Errorf(model.EUNAVAILABLE, "cannot read stored traces right now; retry later")
}

func (a *API) publishTraces(r *http.Request, traces []model.Trace, waitCommit bool) error {
	items := make([]queue.Item, len(traces))
	spans := 0
	for i := range traces {
		pipeline.Enrich(&traces[i], a.cfg.Prices)
		items[i] = queue.Item{Trace: traces[i]}
		spans += len(traces[i].Spans)
	}
	if err := a.publishItems(r.Context(), items, waitCommit); err != nil {
		a.countPublishFailure(err, len(items))
		return err
	}
	a.metrics.acknowledged(items)
	return nil
}

func newScoreID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
