package app

import (
	"context"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// TestRetentionPolicies: applyRetention purges only workspaces with a setting, at whole UTC
// days, and their judge companions with them; partitions are dropped whole only once every workspace has given their days up.
func TestRetentionPolicies(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "", duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	for _, ws := range []string{"short", "forever"} {
		if err := st.CreateWorkspace(ctx, model.Workspace{ID: ws, Name: ws, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	// The judge companions are not workspaces; their traces are written all the same.
	for _, ws := range []string{"short", "forever", model.JudgeWorkspaceID("short"), model.JudgeWorkspaceID("forever")} {
		var batch []model.Trace
		for age := 0; age < 10; age++ {
			batch = append(batch, model.Trace{WorkspaceID: ws, TraceID: ws + "-" + string(rune('a'+age)), AgentID: "bot", Name: "bot",
				StartTime: now.Add(-time.Duration(age) * 24 * time.Hour), Status: model.StatusSuccess,
				Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(10)}})
		}
		if err := st.WriteTraces(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetRetentionDays(ctx, "short", 3); err != nil {
		t.Fatal(err)
	}
	if d, err := partitionRetention(ctx, st, 0); err != nil || d != 0 {
		t.Errorf("partitionRetention with a workspace keeping everything = %v, %v; want 0", d, err)
	}
	if d, err := partitionRetention(ctx, st, 48*time.Hour); err != nil || d != 48*time.Hour {
		t.Errorf("partitionRetention with --retention = %v, %v; want the flag", d, err)
	}
	n, err := applyRetention(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the days from 2026-12-03T00:00Z on, so ages 0 to 3, of the workspace and its judge.
	if n != 12 {
		t.Errorf("applyRetention purged %d traces; want 12", n)
	}
	for ws, want := range map[string]int64{"short": 4, "forever": 10, model.JudgeWorkspaceID("short"): 4, model.JudgeWorkspaceID("forever"): 10} {
		if got, err := st.CountTraces(ctx, ws); err != nil || got != want {
			t.Errorf("CountTraces(%s) = %d, %v; want %d", ws, got, err, want)
		}
	}
	if err := st.SetRetentionDays(ctx, "forever", 30); err != nil {
		t.Fatal(err)
	}
	if d, err := partitionRetention(ctx, st, 0); err != nil || d != 30*24*time.Hour {
		t.Errorf("partitionRetention with every workspace set = %v, %v; want the longest, 30 days", d, err)
	}
}
