package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxRequestInfo
)

// requestInfo is filled by inner handlers for the request log (authorize sets the workspace).
type requestInfo struct {
	workspace string
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(ctxRequestInfo).(*requestInfo)
	return info
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestLog assigns a request id (keeping a sane incoming X-Request-Id) and logs each
// request: failures at info or above, successes at debug so a busy ingest stays quiet.
func (a *API) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsAny(id, " \t\r\n\"") {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		info := &requestInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRequestID, id), ctxRequestInfo, info)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		r2 := r.WithContext(ctx)
		next.ServeHTTP(sw, r2)
		level := slog.LevelDebug
		switch {
		case sw.status >= 500:
			level = slog.LevelError
		case sw.status >= 400:
			level = slog.LevelInfo
		}
		if a.cfg.Log.Enabled(ctx, level) {
			// The route pattern, not the path, and never query strings, bodies or credentials.
			a.cfg.Log.Log(ctx, level, "http request", "request_id", id, "method", r.Method, "route", r2.Pattern,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000,
				"workspace", info.workspace, "remote", r.RemoteAddr)
		}
	})
}

func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.cfg.Log.Error("panic in handler", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v))
				a.writeProblem(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (a *API) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		next.ServeHTTP(sw, r)
		a.metrics.observeRequest(route, sw.status, time.Since(start))
	})
}
