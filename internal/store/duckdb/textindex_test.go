package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/synth"
)

// TestTextIndexOfStoredTraces covers a database whose traces were stored before the text
// index: searches read the unindexed hours in full, the hours indexed after start-up
// through the index, with the same answers at every step.
func TestTextIndexOfStoredTraces(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(ctx, path, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const ws = "11111111-1111-4111-8111-111111111111"
	end := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if _, err := synth.Generate(ctx, s, synth.Config{WorkspaceID: ws, Traces: 1500, Days: 2, End: end, Seed: 3, Events: -1, Violations: -1}, nil); err != nil {
		t.Fatal(err)
	}
	rare := model.Trace{WorkspaceID: ws, TraceID: "rare-1", AgentID: "a", Name: "n", StartTime: end.Add(-30 * time.Hour),
		EndTime: end.Add(-30 * time.Hour), Status: model.StatusSuccess, Input: "Order ZX-4711 never arrived", Output: "Sorry"}
	if err := s.WriteTraces(ctx, []model.Trace{rare}); err != nil {
		t.Fatal(err)
	}
	needles := []string{"refund", "zx-4711", "ZX-47", "never arr", "no such text", "a"}
	want := map[string][]string{}
	for _, n := range needles {
		rows, err := s.db.QueryContext(ctx, `SELECT trace_id FROM traces WHERE workspace_id = ? AND (contains(lower(name), ?)
			OR contains(lower(input), ?) OR contains(lower(output), ?)) ORDER BY start_time DESC, trace_id DESC`, ws, strings.ToLower(n), strings.ToLower(n), strings.ToLower(n))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want[n] = append(want[n], id)
		}
		rows.Close()
	}
	if len(want["zx-4711"]) != 1 || len(want["refund"]) == 0 {
		t.Fatalf("fixture: %d rare, %d common matches", len(want["zx-4711"]), len(want["refund"]))
	}
	check := func(step string) {
		t.Helper()
		for _, n := range needles {
			f := store.TraceFilter{WorkspaceID: ws, Text: n}
			p, err := s.ListTraces(ctx, store.ListQuery{Filter: f, Sort: store.SortStartTime, Limit: 5000, Count: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tr := range p.Traces {
				got = append(got, tr.TraceID)
			}
			if !slices.Equal(got, want[n]) || p.Total != int64(len(want[n])) {
				t.Errorf("%s: %q lists %d traces (total %d), want %d", step, n, len(got), p.Total, len(want[n]))
			}
		}
	}
	check("indexed on write")
	var args store.SQLArgs
	if cond, err := s.textCondition(ctx, store.TraceFilter{WorkspaceID: ws, Text: "ZX-4711"}, &args); err != nil || cond == "" {
		t.Fatalf("a rare needle is not narrowed: %q %v", cond, err)
	}
	if cond, err := s.textCondition(ctx, store.TraceFilter{WorkspaceID: ws, Text: "no such text"}, &args); err != nil || cond != "false" {
		t.Fatalf("an absent needle reads %q (%v), want nothing", cond, err)
	}

	// As if stored before the index: no trigrams, everything unindexed.
	for _, q := range []string{`DELETE FROM text_grams`,
		fmt.Sprintf(`UPDATE text_index_state SET unindexed_before_ms = %d`, end.Add(time.Hour).UnixMilli())} {
		if _, err := s.wconn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.text.known = nil
	if err := s.loadTextIndexState(ctx); err != nil {
		t.Fatal(err)
	}
	check("unindexed")
	for i := 0; i < 20; i++ {
		if _, err := s.indexStoredHour(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check("partly indexed")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart indexes the rest in the background.
	s, err = Open(ctx, path, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); s.text.unindexedBefore.Load() != indexAll; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("stored traces are still not indexed")
		}
	}
	check("indexed after start-up")
	if cond, err := s.textCondition(ctx, store.TraceFilter{WorkspaceID: ws, Text: "ZX-4711"}, &args); err != nil || cond == "" {
		t.Fatalf("a rare needle is not narrowed after indexing: %q %v", cond, err)
	}
}
