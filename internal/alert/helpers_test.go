package alert

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const ws = "11111111-1111-4111-8111-111111111111"

// t0 is a Tuesday.
var t0 = time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)

// clock is the injected time: tests move it, nothing sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t testing.TB) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var traceSeq int

// trace is one finished trace of agent, starting at start.
func trace(agent string, start time.Time, status model.Status, latencyMs int64, cost float64) model.Trace {
	traceSeq++
	tr := model.Trace{WorkspaceID: ws, TraceID: fmt.Sprintf("tr-%d", traceSeq), AgentID: agent, Name: "run", StartTime: start,
		EndTime: start.Add(time.Duration(latencyMs) * time.Millisecond), LatencyMs: latencyMs, Status: status,
		Model: "gpt-4o", Provider: "openai", CostUSD: model.Float64(cost), TokensTotal: model.Int64(100)}
	tr.Declared = model.Declared{Status: status, LatencyMs: model.Int64(latencyMs), EndTime: tr.EndTime,
		CostUSD: model.Float64(cost), TokensTotal: model.Int64(100)}
	return tr
}

// load writes n traces of agent spread over [from, from+span), errors of them failing.
func load(t testing.TB, s *duckdb.Store, agent string, from time.Time, span time.Duration, n, errors int, latencyMs int64) {
	t.Helper()
	var batch []model.Trace
	for i := 0; i < n; i++ {
		st := model.StatusSuccess
		if i < errors {
			st = model.StatusError
		}
		batch = append(batch, trace(agent, from.Add(span*time.Duration(i)/time.Duration(n)), st, latencyMs, 0.01))
	}
	if err := s.WriteTraces(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func putRule(t testing.TB, s *duckdb.Store, r model.AlertRule) model.AlertRule {
	t.Helper()
	r.WorkspaceID = ws
	if r.ID == "" {
		r.ID = "r1"
	}
	r.Enabled = true
	r.ApplyDefaults()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAlertRule(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func instance(t testing.TB, s *duckdb.Store, rule, key string) model.AlertInstance {
	t.Helper()
	in, err := s.ListAlertInstances(context.Background(), ws, rule)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range in {
		if i.GroupKey == key {
			return i
		}
	}
	t.Fatalf("no instance %q of rule %s in %+v", key, rule, in)
	return model.AlertInstance{}
}
