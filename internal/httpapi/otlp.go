package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/agentobs/agentobs/internal/ingest/otlp"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/queue"
)

// OTLP/HTTP (docs/otlp.md): the standard path, so that an exporter configured with a base
// URL only works, and the plan's path. Both take binary protobuf and OTLP/JSON.
func (a *API) otlpRoutes() []Route {
	h := http.HandlerFunc(a.otlpTraces)
	return []Route{
		{Pattern: "POST /v1/traces", Permission: PermIngest, Raw: h},
		{Pattern: "POST /api/v1/traces/otlp", Permission: PermIngest, Raw: h},
	}
}

// waitCommitKey marks a context whose export must wait for the store commit (?wait=commit).
type waitCommitKey struct{}

type otlpEncoding int

const (
	otlpProto otlpEncoding = iota
	otlpJSON
)

func (e otlpEncoding) contentType() string {
	if e == otlpJSON {
		return "application/json"
	}
	return "application/x-protobuf"
}

// OTLPLimits are the mapping limits derived from the ingestion limits.
func (a *API) OTLPLimits() otlp.Limits {
	return otlp.Limits{MaxTextBytes: a.cfg.Limits.MaxTextBytes, MaxAttributesBytes: a.cfg.Limits.MaxObjectBytes}
}

// ExportOTLP stores the spans of an OTLP request as traces of the workspace and returns
// once they are durable (the same pipeline and group commit as REST ingestion). HTTP and
// gRPC share it. Spans it cannot use are reported in the answer's partial_success.
func (a *API) ExportOTLP(ctx context.Context, workspaceID string, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	res := otlp.Convert(req, workspaceID, a.OTLPLimits())
	resp := &coltracepb.ExportTraceServiceResponse{}
	if res.Rejected > 0 {
		a.metrics.rejected.WithLabelValues("otlp_invalid_span").Add(float64(res.Rejected))
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: res.Rejected, ErrorMessage: res.Message}
	}
	if len(res.Traces) == 0 {
		return resp, nil
	}
	items := make([]queue.Item, len(res.Traces))
	for i := range res.Traces {
		pipeline.Enrich(&res.Traces[i], a.cfg.Prices)
		items[i] = queue.Item{Trace: res.Traces[i]}
		if err := a.redact(ctx, &items[i]); err != nil {
			return nil, err
		}
	}
	wait, _ := ctx.Value(waitCommitKey{}).(bool)
	if err := a.publishItems(ctx, items, wait); err != nil {
		a.countPublishFailure(err, len(items))
		return nil, err
	}
	a.metrics.acknowledged(items)
	return resp, nil
}

// otlpTraces answers as the OTLP specification says: the response message in the request's
// encoding, a google.rpc.Status in it for errors, Retry-After on 429 and 503.
func (a *API) otlpTraces(w http.ResponseWriter, r *http.Request) {
	enc, ok := otlpContentType(r.Header.Get("Content-Type"))
	if !ok {
		a.metrics.rejected.WithLabelValues("unsupported_media_type").Inc()
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "none"
		}
		a.writeOTLPStatus(w, r, otlpJSON, http.StatusUnsupportedMediaType,
			"Content-Type must be application/x-protobuf or application/json, got "+ct)
		return
	}
	body, err := a.readOTLPBody(w, r)
	if err != nil {
		a.writeOTLPError(w, r, enc, err)
		return
	}
	var req *coltracepb.ExportTraceServiceRequest
	if enc == otlpJSON {
		req, err = otlp.DecodeJSON(body)
	} else {
		req, err = otlp.DecodeProto(body)
	}
	if err != nil {
		a.metrics.rejected.WithLabelValues("malformed").Inc()
		a.writeOTLPStatus(w, r, enc, http.StatusBadRequest, err.Error())
		return
	}
	wait, err := waitForCommit(r)
	if err != nil {
		a.writeOTLPStatus(w, r, enc, http.StatusBadRequest, model.ErrorMessage(err)+": wait must be commit")
		return
	}
	ctx := r.Context()
	if wait {
		ctx = WithWaitCommit(ctx)
	}
	resp, err := a.ExportOTLP(ctx, workspaceID(ctx), req)
	if err != nil {
		a.writeOTLPError(w, r, enc, err)
		return
	}
	var out []byte
	if enc == otlpJSON {
		out, err = protojson.Marshal(resp)
	} else {
		out, err = proto.Marshal(resp)
	}
	if err != nil {
		a.writeOTLPError(w, r, enc, err)
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

func otlpContentType(ct string) (otlpEncoding, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, false
	}
	switch mt {
	case "application/x-protobuf", "application/protobuf":
		return otlpProto, true
	case "application/json":
		return otlpJSON, true
	}
	return 0, false
}

// readOTLPBody undoes gzip and caps the body before and after decompression.
func (a *API) readOTLPBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := a.cfg.Limits.MaxBodyBytes
	var reader io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(reader)
		if err != nil {
			return nil, a.bodyError(err, limit)
		}
		defer gz.Close()
		reader = io.LimitReader(gz, limit+1)
	default:
		a.metrics.rejected.WithLabelValues("unsupported_media_type").Inc()
		return nil, model.Errorf(model.EUNSUPPORTED, "Content-Encoding %q is not supported; use gzip or none", enc)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(reader); err != nil {
		return nil, a.bodyError(err, limit)
	}
	if int64(buf.Len()) > limit {
		return nil, a.bodyError(&http.MaxBytesError{Limit: limit}, limit)
	}
	return buf.Bytes(), nil
}

// writeOTLPError answers err with its status; failures downstream of decoding default to a
// retryable 503, as the OTLP receivers of the Collector do.
func (a *API) writeOTLPError(w http.ResponseWriter, r *http.Request, enc otlpEncoding, err error) {
	status := http.StatusServiceUnavailable
	switch model.ErrorCode(err) {
	case model.EINVALID:
		status = http.StatusBadRequest
	case model.ETOOLARGE:
		status = http.StatusRequestEntityTooLarge
	case model.EUNSUPPORTED:
		status = http.StatusUnsupportedMediaType
	case model.ETOOMANYREQUEST:
		status = http.StatusTooManyRequests
	case model.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case model.EFORBIDDEN:
		status = http.StatusForbidden
	}
	msg := model.ErrorMessage(err)
	if status == http.StatusServiceUnavailable {
		if errors.Is(err, context.Canceled) {
			msg = "request cancelled"
		} else {
			a.cfg.Log.Error("OTLP export failed", "request_id", requestID(r.Context()), "err", err)
			if model.ErrorCode(err) == model.EINTERNAL {
				msg = "cannot store the spans right now; retry later"
			}
		}
	}
	a.writeOTLPStatus(w, r, enc, status, msg)
}

func (a *API) writeOTLPStatus(w http.ResponseWriter, r *http.Request, enc otlpEncoding, status int, msg string) {
	st := &spb.Status{Code: int32(grpcCodeFor(status)), Message: msg}
	var out []byte
	var err error
	if enc == otlpJSON {
		out, err = protojson.Marshal(st)
	} else {
		out, err = proto.Marshal(st)
	}
	if err != nil {
		out, _ = json.Marshal(map[string]string{"message": msg})
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// grpcCodeFor is the google.rpc.Code matching an HTTP status, for Status.code.
func grpcCodeFor(status int) int {
	switch status {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusUnauthorized:
		return 16 // UNAUTHENTICATED
	case http.StatusForbidden:
		return 7 // PERMISSION_DENIED
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusUnsupportedMediaType:
		return 3
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	}
	return 2 // UNKNOWN
}

// AuthorizeOTLP runs the HTTP authorization of the ingest permission on credentials that
// arrived another way (gRPC metadata), so that gRPC callers pass exactly the checks HTTP
// callers do: API keys or tokens, roles, rate limits. It returns the caller's workspace.
func (a *API) AuthorizeOTLP(ctx context.Context, authorization, xAPIKey string) (string, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/v1/traces", http.NoBody)
	if err != nil {
		return "", err
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	if xAPIKey != "" {
		r.Header.Set("X-API-Key", xAPIKey)
	}
	rec := &authRecorder{header: http.Header{}}
	var ws string
	var passed bool
	a.authorize(PermIngest, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ws, passed = workspaceID(r.Context()), true
	})).ServeHTTP(rec, r)
	if passed {
		return ws, nil
	}
	var p Problem
	_ = json.Unmarshal(rec.body.Bytes(), &p)
	if p.Detail == "" {
		p.Detail = http.StatusText(rec.status)
	}
	code := model.EINTERNAL
	for c, st := range codeStatus {
		if st == rec.status {
			code = c
			break
		}
	}
	return "", &model.Error{Code: code, Message: p.Detail}
}

// authRecorder captures what the authorization middleware answers.
type authRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *authRecorder) Header() http.Header { return r.header }
func (r *authRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *authRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
