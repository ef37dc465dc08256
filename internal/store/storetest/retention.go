package storetest

import (
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/synth"
)

// testRetention: the setting round-trips, and purging a workspace's old days removes exactly
// its traces before the cutoff while every analytics answer still equals the reference
// computed from the traces that remain (the roll-ups lose exactly what the raw tables lose).
func testRetention(t *testing.T, s store.Store) {
	a, ok := s.(store.Analytics)
	if !ok {
		t.Fatalf("the backend does not implement store.Analytics; opt out by skipping %q", "Retention")
	}
	for _, ws := range []string{ws1, ws2} {
		if err := s.CreateWorkspace(ctx(), model.Workspace{ID: ws, Name: ws, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if days, err := s.RetentionDays(ctx(), ws1); err != nil || days != 0 {
		t.Fatalf("RetentionDays before any setting = %d, %v; want 0", days, err)
	}
	if err := s.SetRetentionDays(ctx(), ws1, 30); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRetentionDays(ctx(), ws2, 7); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRetentionDays(ctx(), ws2, 0); err != nil {
		t.Fatal(err)
	}
	if days, err := s.RetentionDays(ctx(), ws1); err != nil || days != 30 {
		t.Fatalf("RetentionDays = %d, %v; want 30", days, err)
	}
	if p, err := s.RetentionPolicies(ctx()); err != nil || len(p) != 1 || p[ws1] != 30 {
		t.Fatalf("RetentionPolicies = %v, %v; want only %s: 30 (0 keeps everything)", p, err, ws1)
	}
	if err := s.SetRetentionDays(ctx(), "ws-missing", 3); !isCode(err, model.ENOTFOUND) {
		t.Fatalf("SetRetentionDays(unknown workspace) = %v; want not found", err)
	}
	if err := s.SetRetentionDays(ctx(), ws1, -1); !isCode(err, model.EINVALID) {
		t.Fatalf("SetRetentionDays(-1) = %v; want invalid", err)
	}

	end := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	rec := &recorder{w: s}
	if _, err := synth.Generate(ctx(), rec, synth.Config{WorkspaceID: ws1, Traces: 4000, Days: 3, End: end, Seed: 21,
		Events: -1, Violations: -1, BatchSize: 700}, nil); err != nil {
		t.Fatal(err)
	}
	other := &recorder{w: s}
	if _, err := synth.Generate(ctx(), other, synth.Config{WorkspaceID: ws2, Traces: 200, Days: 3, End: end, Seed: 22,
		Events: -1, Violations: -1}, nil); err != nil {
		t.Fatal(err)
	}
	cutoff := store.RetentionCutoff(end, 1) // 2026-11-24T00:00Z: purges a day and a half
	if _, err := s.PurgeTraces(ctx(), ws1, cutoff.Add(time.Hour)); !isCode(err, model.EINVALID) {
		t.Fatalf("PurgeTraces(cutoff not at midnight) = %v; want invalid", err)
	}
	var kept, expired []model.Trace
	for _, tr := range rec.rolledUp() {
		if tr.StartTime.Before(cutoff) {
			expired = append(expired, tr)
		} else {
			kept = append(kept, tr)
		}
	}
	if len(expired) == 0 || len(kept) == 0 {
		t.Fatalf("the fixture must have traces on both sides of the cutoff: %d expired, %d kept", len(expired), len(kept))
	}
	// A score on an expired trace goes with it.
	scored := expired[0]
	scored.Scores = []model.Score{{WorkspaceID: ws1, TraceID: scored.TraceID, ScoreID: "sc-expired", Name: "quality", Value: 1,
		Source: "api", CreatedAt: scored.StartTime}}
	mustWrite(t, s, scored)

	n, err := s.PurgeTraces(ctx(), ws1, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(expired)) {
		t.Errorf("PurgeTraces removed %d traces; want %d", n, len(expired))
	}
	if got, err := s.CountTraces(ctx(), ws1); err != nil || got != int64(len(kept)) {
		t.Errorf("CountTraces(%s) after purge = %d, %v; want %d", ws1, got, err, len(kept))
	}
	if got, err := s.CountTraces(ctx(), ws2); err != nil || got != 200 {
		t.Errorf("CountTraces(%s) after purging another workspace = %d, %v; want 200", ws2, got, err)
	}
	if _, err := s.GetTrace(ctx(), ws1, scored.TraceID); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetTrace(expired trace) = %v; want not found", err)
	}
	mustGet(t, s, ws1, kept[0].TraceID)
	if n, err := s.PurgeTraces(ctx(), ws1, cutoff); err != nil || n != 0 {
		t.Errorf("second PurgeTraces = %d, %v; want 0", n, err)
	}

	c := &analyticsCase{t: t, a: a, end: end}
	t.Run("TraceStatsAfterPurge", func(t *testing.T) { c.t = t; c.checkStats(kept) })
	t.Run("CallStatsAfterPurge", func(t *testing.T) { c.t = t; c.checkCalls(kept) })
	t.Run("ListTracesAfterPurge", func(t *testing.T) { c.t = t; c.checkList(kept) })
}
