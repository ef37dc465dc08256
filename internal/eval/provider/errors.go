package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorKind classifies a failed call by what the caller should do about it.
type ErrorKind string

const (
	ErrRateLimited ErrorKind = "rate_limited" // retry after a while
	ErrServer      ErrorKind = "server"       // 5xx: retry
	ErrTimeout     ErrorKind = "timeout"      // retry
	ErrAuth        ErrorKind = "auth"         // pause: the key is wrong or lacks rights
	ErrQuota       ErrorKind = "quota"        // pause: credit or quota exhausted
	ErrNotFound    ErrorKind = "not_found"    // pause: the model or endpoint does not exist
	ErrBadRequest  ErrorKind = "bad_request"  // the request itself is wrong: do not retry
	ErrBadResponse ErrorKind = "bad_response" // the answer could not be read: retry
)

// Error is a failed provider call.
type Error struct {
	Kind   ErrorKind
	Status int // HTTP status, 0 when none came back
	// RetryAfter is the provider's advice (Retry-After, RetryInfo, rate-limit reset).
	RetryAfter time.Duration
	Message    string
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d): %s", e.Kind, e.Status, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// Retryable reports whether trying again later may succeed.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case ErrRateLimited, ErrServer, ErrTimeout, ErrBadResponse:
		return true
	}
	return false
}

// Pauses reports whether the evaluator should stop until someone fixes its configuration.
func (e *Error) Pauses() bool {
	return e.Kind == ErrAuth || e.Kind == ErrQuota || e.Kind == ErrNotFound
}

// AsError returns err's *Error, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// maxResponseBytes caps what is read of an answer; judges answer in a few kilobytes.
const maxResponseBytes = 4 << 20

// postJSON sends body to url with headers and decodes a 2xx answer into out. Other
// statuses become an *Error classified by status and by the provider's error message
// (classify adds what only the provider's error body tells).
func postJSON(ctx context.Context, client *http.Client, timeout time.Duration, url string, headers map[string]string,
	body any, out any, classify func(status int, msg string, raw []byte) ErrorKind) (http.Header, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("cannot encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) || isTimeout(err) {
			return nil, &Error{Kind: ErrTimeout, Message: "no answer within " + timeout.String()}
		}
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, &Error{Kind: ErrServer, Message: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Kind: ErrTimeout, Status: resp.StatusCode, Message: "answer cut off after " + timeout.String()}
		}
		return nil, &Error{Kind: ErrServer, Status: resp.StatusCode, Message: "cannot read answer: " + err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		msg := errorMessage(raw)
		e := &Error{Status: resp.StatusCode, Message: msg, RetryAfter: retryAfter(resp.Header, time.Now())}
		e.Kind = classify(resp.StatusCode, msg, raw)
		if e.RetryAfter == 0 {
			e.RetryAfter = rpcRetryDelay(raw)
		}
		return resp.Header, e
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, &Error{Kind: ErrBadResponse, Status: resp.StatusCode, Message: "cannot decode answer: " + err.Error()}
	}
	return resp.Header, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// statusKind is the classification every provider shares.
func statusKind(status int) ErrorKind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAuth
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusPaymentRequired:
		return ErrQuota
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return ErrTimeout
	case status >= 500:
		return ErrServer
	}
	return ErrBadRequest
}

// errorMessage digs the message out of the error bodies of all three providers
// ({"error": {"message": ...}} for Gemini, OpenAI and Anthropic alike).
func errorMessage(raw []byte) string {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && len(body.Error) > 0 {
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body.Error, &obj) == nil && obj.Message != "" {
			return obj.Message
		}
		var s string
		if json.Unmarshal(body.Error, &s) == nil && s != "" {
			return s
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "empty error body"
	}
	return s
}

// retryAfter reads the standard Retry-After (seconds or an HTTP date) and the rate-limit
// headers OpenAI (x-ratelimit-reset-requests: "1s", "6m0s") and Anthropic
// (anthropic-ratelimit-requests-reset: RFC 3339) send; 0 when none says anything.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	return rateLimitReset(h, now)
}

// rateLimitReset is how long until the provider's request or token window reopens when
// its headers say that nothing remains of it.
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	var wait time.Duration
	for _, p := range []struct{ remaining, reset string }{
		{"X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests"},
		{"X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens"},
		{"Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset"},
		{"Anthropic-Ratelimit-Tokens-Remaining", "Anthropic-Ratelimit-Tokens-Reset"},
	} {
		if h.Get(p.remaining) != "0" {
			continue
		}
		v := h.Get(p.reset)
		if d, err := time.ParseDuration(v); err == nil {
			wait = max(wait, d)
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			wait = max(wait, t.Sub(now))
		}
	}
	return wait
}

// rpcRetryDelay reads google.rpc.RetryInfo ("retryDelay": "30s") from a Google API error's
// details, Gemini's way of saying when to come back.
func rpcRetryDelay(raw []byte) time.Duration {
	var body struct {
		Error struct {
			Details []struct {
				Type       string `json:"@type"`
				RetryDelay string `json:"retryDelay"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return 0
	}
	for _, d := range body.Error.Details {
		if strings.HasSuffix(d.Type, "google.rpc.RetryInfo") {
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}
