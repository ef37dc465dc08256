package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// ProblemTypeBase prefixes every problem type URI.
const ProblemTypeBase = "https://agentobs.dev/problems/"

var codeStatus = map[string]int{
	model.EINVALID:        http.StatusBadRequest,
	model.EUNAUTHORIZED:   http.StatusUnauthorized,
	model.EFORBIDDEN:      http.StatusForbidden,
	model.ENOTFOUND:       http.StatusNotFound,
	model.ECONFLICT:       http.StatusConflict,
	model.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	model.EUNSUPPORTED:    http.StatusUnsupportedMediaType,
	model.ETOOMANYREQUEST: http.StatusTooManyRequests,
	model.EUNAVAILABLE:    http.StatusServiceUnavailable,
	model.EINTERNAL:       http.StatusInternalServerError,
}

var codeTitle = map[string]string{
	model.EINVALID:        "Invalid request",
	model.EUNAUTHORIZED:   "Unauthorized",
	model.EFORBIDDEN:      "Forbidden",
	model.ENOTFOUND:       "Not found",
	model.ECONFLICT:       "Conflict",
	model.ETOOLARGE:       "Payload too large",
	model.EUNSUPPORTED:    "Unsupported media type",
	model.ETOOMANYREQUEST: "Too many requests",
	model.EUNAVAILABLE:    "Service unavailable",
	model.EINTERNAL:       "Internal server error",
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one invalid field, by developer path and by JSON pointer.
type ProblemField struct {
	Field   string `json:"field"`
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

func problemFields(fields []model.FieldError) []ProblemField {
	out := make([]ProblemField, len(fields))
	for i, f := range fields {
		out[i] = ProblemField{Field: f.Path.String(), Pointer: f.Path.Pointer(), Detail: f.Detail}
	}
	return out
}

// statusClientClosed is nginx's status for a client that left before its answer; it keeps
// such requests out of the 5xx counts and error logs.
const statusClientClosed = 499

func problemFor(err error) Problem {
	if errors.Is(err, context.Canceled) {
		return Problem{Type: ProblemTypeBase + "client-closed", Title: "Client closed request", Status: statusClientClosed,
			Detail: "the client closed the connection before the answer"}
	}
	code := model.ErrorCode(err)
	status, ok := codeStatus[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := Problem{
		Type:   ProblemTypeBase + strings.ReplaceAll(code, "_", "-"),
		Title:  codeTitle[code],
		Status: status,
		Detail: model.ErrorMessage(err),
	}
	var me *model.Error
	if errors.As(err, &me) && len(me.Fields) > 0 {
		p.Type = ProblemTypeBase + "validation"
		p.Errors = problemFields(me.Fields)
	}
	return p
}

func (a *API) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	p.RequestID = requestID(r.Context())
	if p.Status >= 500 {
		a.cfg.Log.Error("request failed", "request_id", p.RequestID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var he *headerError
	if errors.As(err, &he) {
		for k, v := range he.headers {
			w.Header().Set(k, v)
		}
	}
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(max(auth.Seconds(te.RetryAfter), 1)))
	}
	switch p.Status {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="agentobs"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = jsonEncode(w, p)
}
