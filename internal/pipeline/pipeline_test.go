package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestEnrich(t *testing.T) {
	prices := pricing.Default()
	tr := model.Trace{
		Model: "gpt-4o-mini", StartTime: t0,
		Declared: model.Declared{TokensInput: model.Int64(1_000_000), TokensOutput: model.Int64(1_000_000)},
		Spans: []model.Span{
			{SpanID: "a", Model: "claude-haiku-4-5", StartTime: t0, EndTime: t0.Add(1500 * time.Millisecond), LatencyMs: -1,
				TokensInput: model.Int64(1000), TokensOutput: model.Int64(10)},
			{SpanID: "b", Model: "my-private-model", StartTime: t0, LatencyMs: 250, TokensInput: model.Int64(10)},
			{SpanID: "c", StartTime: t0, LatencyMs: -1},
			{SpanID: "d", Model: "gpt-4o-mini", StartTime: t0, LatencyMs: 5, TokensInput: model.Int64(10), CostUSD: model.Float64(42)},
		},
	}
	Enrich(&tr, prices)
	want, _ := prices.Cost("gpt-4o-mini", 1_000_000, 1_000_000, 0)
	if *tr.Declared.TokensTotal != 2_000_000 || tr.Declared.CostUSD == nil || *tr.Declared.CostUSD != want || tr.Provider != "openai" {
		t.Errorf("declared = %+v provider=%q", tr.Declared, tr.Provider)
	}
	a := tr.Spans[0]
	wantA, _ := prices.Cost("claude-haiku-4-5", 1000, 10, 0)
	if a.LatencyMs != 1500 || *a.TokensTotal != 1010 || a.CostUSD == nil || *a.CostUSD != wantA || a.Provider != "anthropic" {
		t.Errorf("span a = %+v", a)
	}
	if b := tr.Spans[1]; b.CostUSD != nil || !b.EndTime.Equal(t0.Add(250*time.Millisecond)) || b.Provider != "" {
		t.Errorf("unknown model must stay unpriced: %+v", b)
	}
	if c := tr.Spans[2]; c.LatencyMs != 0 || !c.EndTime.Equal(t0) || c.TokensTotal != nil || c.CostUSD != nil {
		t.Errorf("span without figures = %+v", c)
	}
	if d := tr.Spans[3]; *d.CostUSD != 42 {
		t.Errorf("client cost overwritten: %v", *d.CostUSD)
	}
}

// faultyStore fails writes of chosen trace ids, the way a store rejects a row it cannot
// hold, while passing everything else to a real DuckDB store.
type faultyStore struct {
	*duckdb.Store
	poison string
	down   bool
}

func (f *faultyStore) WriteTraces(ctx context.Context, traces []model.Trace) error {
	for _, t := range traces {
		if strings.HasPrefix(t.TraceID, f.poison) {
			return errors.New("row rejected by the store")
		}
	}
	return f.Store.WriteTraces(ctx, traces)
}

func (f *faultyStore) Ping(ctx context.Context) error {
	if f.down {
		return errors.New("connection refused")
	}
	return f.Store.Ping(ctx)
}

func openStore(t *testing.T) *duckdb.Store {
	s, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func item(id string) queue.Item {
	return queue.Item{Raw: []byte(`{"trace_id":"` + id + `"}`), Trace: model.Trace{
		WorkspaceID: "ws", TraceID: id, AgentID: "a", Name: "a", StartTime: t0,
		Declared: model.Declared{Status: model.StatusSuccess}, Metadata: []byte("{}"),
	}}
}

func TestProcessorIsolatesPoison(t *testing.T) {
	ctx := context.Background()
	fs := &faultyStore{Store: openStore(t), poison: "poison"}
	var reasons []string
	p := NewProcessor(fs, slog.New(slog.NewTextHandler(io.Discard, nil)), func(r string) { reasons = append(reasons, r) })
	if err := p.Handle(ctx, []queue.Item{item("ok-1"), item("poison-1"), item("ok-2")}); err != nil {
		t.Fatalf("Handle = %v", err)
	}
	if n, _ := fs.CountTraces(ctx, "ws"); n != 2 {
		t.Errorf("stored %d traces, want the 2 good ones", n)
	}
	dls, err := fs.ListDeadLetters(ctx, "ws", true, 10)
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %+v, %v", dls, err)
	}
	if string(dls[0].Payload) != `{"trace_id":"poison-1"}` || !strings.Contains(dls[0].Reason, "row rejected") || len(reasons) != 1 {
		t.Errorf("dead letter = %+v", dls[0])
	}
}

func TestProcessorStoreDown(t *testing.T) {
	fs := &faultyStore{Store: openStore(t), poison: "x", down: true}
	p := NewProcessor(fs, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	err := p.Handle(context.Background(), []queue.Item{item("x-1")})
	if model.ErrorCode(err) != model.EUNAVAILABLE {
		t.Fatalf("Handle = %v, want unavailable (nothing acknowledged)", err)
	}
	if dls, _ := fs.ListDeadLetters(context.Background(), "ws", false, 10); len(dls) != 0 {
		t.Errorf("dead-lettered while the store was down: %+v", dls)
	}
}
