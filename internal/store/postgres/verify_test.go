package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/synth"
)

// TestVerifyRollupsFindsDrift: a roll-up row that no longer matches the traces is reported,
// by table.
func TestVerifyRollupsFindsDrift(t *testing.T) {
	s := generatedStore(t, synth.Config{Traces: 300, Days: 2, End: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Seed: 3})
	defer s.Close()
	ctx := context.Background()
	if bad, err := s.VerifyRollups(ctx); err != nil || len(bad) > 0 {
		t.Fatalf("fresh roll-ups: %v %v", bad, err)
	}
	for _, drift := range []string{
		`UPDATE trace_stats_1h SET traces = traces + 1 WHERE slot_ms = (SELECT min(slot_ms) FROM trace_stats_1h)`,
		`UPDATE session_bounds SET last_start = last_start + interval '1 ms' WHERE session_id = (SELECT min(session_id) FROM session_bounds)`,
		`DELETE FROM latency_hist_1d WHERE bucket = (SELECT max(bucket) FROM latency_hist_1d)`,
	} {
		if _, err := s.pool.Exec(ctx, drift); err != nil {
			t.Fatal(err)
		}
	}
	bad, err := s.VerifyRollups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(bad, "; ")
	for _, table := range []string{"trace_stats_1h", "session_bounds", "latency_hist_1d"} {
		if !strings.Contains(got, table+":") {
			t.Errorf("drift in %s not reported: %s", table, got)
		}
	}
	if len(bad) != 3 {
		t.Errorf("reported %v, want the three drifted tables only", bad)
	}
}
