package httpapi

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/queue"
)

// readJSONBody enforces the content type, undoes gzip and caps the size (before and after
// decompression, so a small gzip bomb is refused too).
func (a *API) readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		a.metrics.rejected.WithLabelValues("unsupported_media_type").Inc()
		if ct == "" {
			ct = "none"
		}
		return nil, model.Errorf(model.EUNSUPPORTED, "Content-Type must be application/json, got %s", ct)
	}
	limit := a.cfg.Limits.MaxBodyBytes
	body := http.MaxBytesReader(w, r.Body, limit)
	var reader io.Reader = body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(body)
		if err != nil {
			return nil, a.bodyError(err, limit)
		}
		defer gz.Close()
		reader = io.LimitReader(gz, limit+1)
	default:
		a.metrics.rejected.WithLabelValues("unsupported_media_type").Inc()
		return nil, model.Errorf(model.EUNSUPPORTED, "Content-Encoding %q is not supported; use gzip or none", enc)
	}
	data, err := io.ReadAll(reader)
	if err != nil {
		return nil, a.bodyError(err, limit)
	}
	if int64(len(data)) > limit {
		return nil, a.bodyError(&http.MaxBytesError{Limit: limit}, limit)
	}
	return data, nil
}

func (a *API) bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		a.metrics.rejected.WithLabelValues("too_large").Inc()
		return model.Errorf(model.ETOOLARGE, "request body is larger than %d bytes", limit)
	}
	a.metrics.rejected.WithLabelValues("malformed").Inc()
	return &model.Error{Code: model.EINVALID, Message: "cannot read request body",
		Fields: []model.FieldError{{Path: model.Path{}, Detail: err.Error()}}}
}

// checkWorkspace refuses a trace that names a workspace other than the caller's.
func checkWorkspace(in *ingest.TraceInput, workspace string, prefix model.Path) *model.Error {
	if in.WorkspaceID == "" || strings.EqualFold(in.WorkspaceID, workspace) {
		return nil
	}
	return &model.Error{Code: model.EINVALID, Message: "invalid trace", Fields: []model.FieldError{{
		Path: prefix.Append("workspace_id"), Detail: "does not match the caller's workspace",
	}}}
}

func (a *API) toItem(ctx context.Context, in *ingest.TraceInput, raw []byte, workspaceID string) (queue.Item, error) {
	t := in.ToModel(workspaceID)
	pipeline.Enrich(&t, a.cfg.Prices)
	it := queue.Item{Raw: raw, Trace: t}
	return it, a.redact(ctx, &it)
}

// redact applies the workspace's redaction before the item reaches any queue, log or store.
// A redacted item loses its raw payload, so a dead letter can only hold the redacted form.
// When the settings cannot be read the request fails (retryable) rather than risk storing
// what should have been redacted.
func (a *API) redact(ctx context.Context, it *queue.Item) error {
	if a.cfg.Guard == nil {
		return nil
	}
	changed, err := a.cfg.Guard.RedactTrace(ctx, &it.Trace)
	if err != nil {
		a.cfg.Log.Warn("cannot read guardrail settings for redaction", "workspace", it.Trace.WorkspaceID, "err", err)
		return model.Errorf(model.EUNAVAILABLE, "guardrail settings are unavailable; retry later")
	}
	if changed {
		it.Raw = nil
		a.metrics.redactedTraces.Inc()
	}
	return nil
}

func (a *API) ingestTrace(r *http.Request) (any, error) {
	ws := workspaceID(r.Context())
	body, err := a.readJSONBody(nil, r)
	if err != nil {
		return nil, err
	}
	in, err := ingest.DecodeTrace(body, a.cfg.Limits)
	if err != nil {
		a.metrics.rejected.WithLabelValues("validation").Inc()
		return nil, err
	}
	if werr := checkWorkspace(in, ws, nil); werr != nil {
		a.metrics.rejected.WithLabelValues("validation").Inc()
		return nil, werr
	}
	item, err := a.toItem(r.Context(), in, body, ws)
	if err != nil {
		return nil, err
	}
	if err := a.publish(r, []queue.Item{item}); err != nil {
		a.countPublishFailure(err, 1)
		return nil, err
	}
	a.metrics.acknowledged([]queue.Item{item})
	return response{status: http.StatusAccepted, body: map[string]any{"trace_id": in.TraceID, "spans": len(in.Spans)}}, nil
}

// publish hands items to the queue. With ?wait=commit it returns only once they are
// committed to the store, for callers that read their write at once; by default it returns
// once they are durable in the queue (docs/ingestion.md).
func (a *API) publish(r *http.Request, items []queue.Item) error {
	wait, err := waitForCommit(r)
	if err != nil {
		return err
	}
	return a.publishItems(r.Context(), items, wait)
}

func (a *API) publishItems(ctx context.Context, items []queue.Item, waitCommit bool) error {
	if a.cfg.Publisher == nil {
		// A query process whose Redis would not keep acknowledgements (see app.scaleOut).
		return model.Errorf(model.EUNAVAILABLE, "this process does not take traces: send them to an ingest process")
	}
	if w, ok := a.cfg.Publisher.(queue.CommitWaiter); ok && waitCommit {
		return w.PublishAndWait(ctx, items)
	}
	return a.cfg.Publisher.Publish(ctx, items)
}

// WaitHeader asks for the store commit like ?wait=commit does, for clients (OpenTelemetry
// exporters, gRPC metadata) that can add headers but not query parameters.
const WaitHeader = "Agentobs-Wait"

func waitForCommit(r *http.Request) (bool, error) {
	v, field := r.URL.Query().Get("wait"), "wait"
	if v == "" {
		v, field = r.Header.Get(WaitHeader), WaitHeader
	}
	switch v {
	case "":
		return false, nil
	case "commit":
		return true, nil
	default:
		return false, &model.Error{Code: model.EINVALID, Message: "invalid wait", Fields: []model.FieldError{{
			Path: model.Path{field}, Detail: fmt.Sprintf("must be commit, got %q", v)}}}
	}
}

// WithWaitCommit marks ctx so that ExportOTLP returns only after the store commit.
func WithWaitCommit(ctx context.Context) context.Context {
	return context.WithValue(ctx, waitCommitKey{}, true)
}

func (a *API) countPublishFailure(err error, n int) {
	reason := "store_unavailable"
	switch {
	case model.ErrorCode(err) == model.ETOOMANYREQUEST:
		reason = "queue_full"
	case model.ErrorCode(err) == model.EINVALID:
		reason = "validation"
	case errors.Is(err, context.Canceled):
		// The client went away before its answer: not the store's fault.
		reason = "client_canceled"
	}
	a.metrics.rejected.WithLabelValues(reason).Add(float64(n))
}

// BatchItemResult is one entry of a batch answer.
type BatchItemResult struct {
	Index   int            `json:"index"`
	TraceID string         `json:"trace_id"`
	Status  int            `json:"status"`
	Errors  []ProblemField `json:"errors,omitempty"`
}

// BatchResult is the body of a 202 or 207 batch answer.
type BatchResult struct {
	Accepted int               `json:"accepted"`
	Rejected int               `json:"rejected"`
	Items    []BatchItemResult `json:"items"`
}

func (a *API) ingestBatch(r *http.Request) (any, error) {
	ws := workspaceID(r.Context())
	body, err := a.readJSONBody(nil, r)
	if err != nil {
		return nil, err
	}
	decoded, err := ingest.DecodeBatch(body, a.cfg.Limits)
	if err != nil {
		reason := "validation"
		if model.ErrorCode(err) == model.ETOOLARGE {
			reason = "too_large"
		}
		a.metrics.rejected.WithLabelValues(reason).Inc()
		return nil, err
	}
	result := BatchResult{Items: make([]BatchItemResult, len(decoded))}
	items := make([]queue.Item, 0, len(decoded))
	var allFields []model.FieldError
	spans := 0
	for i, d := range decoded {
		res := BatchItemResult{Index: d.Index, TraceID: d.TraceID, Status: http.StatusAccepted}
		itemErr := d.Err
		if itemErr == nil {
			itemErr = checkWorkspace(d.Trace, ws, batchPrefix(body).Append(i))
		}
		if itemErr != nil {
			res.Status = http.StatusBadRequest
			res.Errors = problemFields(itemErr.Fields)
			allFields = append(allFields, itemErr.Fields...)
			result.Rejected++
		} else {
			it, err := a.toItem(r.Context(), d.Trace, d.Raw, ws)
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			spans += len(d.Trace.Spans)
			result.Accepted++
		}
		result.Items[i] = res
	}
	if result.Rejected > 0 {
		a.metrics.rejected.WithLabelValues("validation").Add(float64(result.Rejected))
	}
	if len(items) == 0 {
		return nil, &model.Error{Code: model.EINVALID, Message: "no trace in the batch is valid", Fields: allFields}
	}
	if err := a.publish(r, items); err != nil {
		a.countPublishFailure(err, len(items))
		return nil, err
	}
	a.metrics.acknowledged(items)
	status := http.StatusAccepted
	if result.Rejected > 0 {
		status = http.StatusMultiStatus
	}
	return response{status: status, body: result}, nil
}

func batchPrefix(body []byte) model.Path {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return model.Path{}
		}
		break
	}
	return model.Path{"traces"}
}
