// Package errorreport sends the process's error logs to Sentry when SENTRY_DSN is set.
// It wraps the slog handler: every record at error level also becomes a Sentry event with
// the record's attributes, so there is one place that decides what is an error.
package errorreport

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/getsentry/sentry-go"
)

// Config says where and as what to report.
type Config struct {
	DSN, Environment, Release string
}

// Reporter is a Sentry client; its zero value (no DSN) reports nothing.
type Reporter struct {
	client *sentry.Client
	hub    *sentry.Hub
}

// New returns a Reporter for cfg; with an empty DSN it is off.
func New(cfg Config) (*Reporter, error) {
	if cfg.DSN == "" {
		return &Reporter{}, nil
	}
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: cfg.DSN, Environment: cfg.Environment, Release: cfg.Release,
		// Request bodies and addresses stay out of reports: only what the log line says.
		SendDefaultPII: false,
		// Flush at shutdown must deliver what was captured. The classic transport's Flush
		// waits for every queued event; with the telemetry buffer in front of it, an event
		// captured just before Flush was now and then not yet sent when Flush returned.
		DisableTelemetryBuffer: true})
	if err != nil {
		return nil, fmt.Errorf("cannot set up error reporting (SENTRY_DSN): %w", err)
	}
	return &Reporter{client: client, hub: sentry.NewHub(client, sentry.NewScope())}, nil
}

// Enabled reports whether events are sent.
func (r *Reporter) Enabled() bool { return r.client != nil }

// Flush waits up to timeout for queued events to be sent.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if r.client == nil {
		return true
	}
	return r.client.Flush(timeout)
}

// Handler wraps next so that error records are also reported.
func (r *Reporter) Handler(next slog.Handler) slog.Handler {
	if r.client == nil {
		return next
	}
	return &handler{next: next, r: r}
}

type handler struct {
	next  slog.Handler
	r     *Reporter
	attrs []slog.Attr
	group string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelError {
		ev := sentry.NewEvent()
		ev.Level = sentry.LevelError
		ev.Logger = "agentobs"
		ev.Message = rec.Message
		ev.Timestamp = rec.Time
		attrs := sentry.Context{}
		add := func(a slog.Attr) bool {
			key := a.Key
			if h.group != "" {
				key = h.group + "." + key
			}
			v := a.Value.Resolve()
			if err, ok := v.Any().(error); ok {
				ev.Exception = append(ev.Exception, sentry.Exception{Type: fmt.Sprintf("%T", err), Value: err.Error()})
			}
			attrs[key] = v.String()
			return true
		}
		for _, a := range h.attrs {
			add(a)
		}
		rec.Attrs(add)
		ev.Contexts = map[string]sentry.Context{"log": attrs}
		h.r.hub.CaptureEvent(ev)
	}
	if h.next.Enabled(ctx, rec.Level) {
		return h.next.Handle(ctx, rec)
	}
	return nil
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
