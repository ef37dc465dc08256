package duckdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// TestSessionLookups checks the session counts and spans read from session_bounds by id
// hash against the traces, while the sessions' rows are unfolded and once folded.
func TestSessionLookups(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	defer s.Close()
	const ws, other = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	trace := func(ws, id, session string, at time.Duration) model.Trace {
		return model.Trace{WorkspaceID: ws, TraceID: id, AgentID: "a", Name: "n", SessionID: session,
			StartTime: t0.Add(at), EndTime: t0.Add(at), Status: model.StatusSuccess}
	}
	// A window of [1h, 3h): "spans" has traces before and after it only, "inside" one in it,
	// "outside" none near it, "edges" one at each edge, "wide" one in it and one on either
	// side; another workspace reuses the ids.
	write := func(traces ...model.Trace) {
		if err := s.WriteTraces(ctx, traces); err != nil {
			t.Fatal(err)
		}
	}
	write(trace(ws, "t1", "spans", 0), trace(ws, "t3", "inside", 2*time.Hour), trace(ws, "t5", "outside", 5*time.Hour),
		trace(ws, "t6", "edges", time.Hour), trace(other, "o1", "inside", 5*time.Hour), trace(other, "o2", "spans", 2*time.Hour))
	write(trace(ws, "t2", "spans", 4*time.Hour), trace(ws, "t4", "inside", 6*time.Hour), trace(ws, "t7", "edges", 3*time.Hour-time.Microsecond))
	// One batch, one row whose bounds span the window around a trace inside it.
	write(trace(ws, "w1", "wide", 30*time.Minute), trace(ws, "w2", "wide", 2*time.Hour), trace(ws, "w3", "wide", 210*time.Minute))
	check := func(step string) {
		t.Helper()
		for _, w := range [][2]time.Duration{{time.Hour, 3 * time.Hour}, {0, time.Hour}, {3 * time.Hour, 7 * time.Hour}, {90 * time.Minute, 100 * time.Minute}} {
			f := store.TraceFilter{WorkspaceID: ws, From: t0.Add(w[0]), To: t0.Add(w[1])}
			var want int64
			if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT session_id) FROM traces WHERE workspace_id = ? AND session_id <> ''
				AND start_time >= ? AND start_time < ?`, ws, f.From, f.To).Scan(&want); err != nil {
				t.Fatal(err)
			}
			got, err := s.countSessions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: %d sessions in %v, want %d", step, got, w, want)
			}
		}
		from, to, err := s.sessionsSpan(ctx, ws, []string{"spans", "edges", "missing"})
		if err != nil {
			t.Fatal(err)
		}
		if !from.Equal(t0) || !to.Equal(t0.Add(4*time.Hour+time.Microsecond)) {
			t.Errorf("%s: span %v – %v", step, from, to)
		}
		if from, _, err := s.sessionsSpan(ctx, ws, []string{"missing"}); err != nil || !from.IsZero() {
			t.Errorf("%s: a missing session spans from %v (%v)", step, from, err)
		}
	}
	check("unfolded")
	if err := s.wconn.Raw(func(dc any) error { return compactRollups(ctx, dc.(*duckdb.Conn), 0) }); err != nil {
		t.Fatal(err)
	}
	var unfolded int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM session_bounds WHERE NOT folded`).Scan(&unfolded); err != nil || unfolded != 0 {
		t.Fatalf("%d unfolded rows after compaction (%v)", unfolded, err)
	}
	check("folded")
	// A new trace after compaction: the session has a folded row and an unfolded one.
	write(trace(ws, "t8", "outside", 2*time.Hour))
	check("folded and unfolded")
	if bad, err := s.VerifyRollups(ctx); err != nil || len(bad) > 0 {
		t.Fatal(fmt.Sprint(bad), err)
	}
}
