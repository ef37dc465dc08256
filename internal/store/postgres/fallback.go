package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Ingest authenticates every request (API key, workspace limits) through caches that ask
// the store when an entry expires. While PostgreSQL is down those lookups would fail and
// ingest would stop acknowledging although Redis could keep the traces. The store therefore
// remembers the last answer of these small read-mostly lookups and serves it, for a bounded
// time, only when the database cannot be reached.

const (
	fallbackMaxAge     = 15 * time.Minute
	fallbackMaxEntries = 10_000
)

type fallbackEntry struct {
	value any
	at    time.Time
}

type fallback struct {
	mu      sync.Mutex
	entries map[string]fallbackEntry
}

func (f *fallback) remember(key string, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.entries == nil || len(f.entries) >= fallbackMaxEntries {
		f.entries = map[string]fallbackEntry{}
	}
	f.entries[key] = fallbackEntry{value: v, at: time.Now()}
}

func (f *fallback) recall(key string) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[key]
	if !ok || time.Since(e.at) > fallbackMaxAge {
		return nil, false
	}
	return e.value, true
}

// unreachable reports whether err means the database could not be asked at all, as
// opposed to a query error or an answer such as "not found".
func unreachable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57: operator intervention (shutting down, cannot connect now).
		return len(pe.Code) == 5 && (pe.Code[:2] == "08" || pe.Code[:2] == "57")
	}
	return true
}
