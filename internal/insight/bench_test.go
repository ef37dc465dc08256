package insight

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// BenchmarkAnalysers runs every analyser over the last 30 days of a seeded data directory:
//
//	agentobs seed --data-dir DIR --traces 1000000 --days 30
//	AGENTOBS_BENCH_DATA=DIR go test -run x -bench Analysers -benchtime 3x ./internal/insight/
//
// bench/insights.sh times the same through the API.
func BenchmarkAnalysers(b *testing.B) {
	dir := os.Getenv("AGENTOBS_BENCH_DATA")
	if dir == "" {
		b.Skip("set AGENTOBS_BENCH_DATA to a directory seeded by agentobs seed")
	}
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(dir, duckdb.FileName), duckdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	wss, err := st.ListWorkspaces(ctx)
	if err != nil || len(wss) == 0 {
		b.Fatalf("no workspace: %v", err)
	}
	ws := wss[0].ID
	svc := New(Config{Store: st})
	to := time.Now().UTC()
	from := to.Add(-30 * 24 * time.Hour)
	q := store.InsightQuery{WorkspaceID: ws, From: from, To: to, PrefixChars: prefixChars, MinRepeats: 3, MinContextTokens: 4000}
	steps := []struct {
		name string
		run  func() error
	}{
		{"usage", func() error { _, err := st.InsightUsage(ctx, q); return err }},
		{"scored", func() error { _, err := st.InsightScored(ctx, q); return err }},
		{"duplicates", func() error { _, err := st.InsightDuplicates(ctx, q); return err }},
		{"prefixes", func() error { _, err := st.InsightPrefixes(ctx, q); return err }},
		{"loops", func() error { _, err := st.InsightLoops(ctx, q); return err }},
		{"long_contexts", func() error { _, err := st.InsightLongContexts(ctx, q); return err }},
		{"errors", func() error { _, err := st.InsightErrors(ctx, q); return err }},
		{"feedback", func() error { _, err := st.InsightFeedback(ctx, q); return err }},
	}
	for _, s := range steps {
		b.Run("store/"+s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := s.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("all", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, kind := range Kinds {
				if _, err := svc.Analyse(ctx, ws, kind, from, to, ""); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := svc.dailyFindings(ctx, ws, to.Truncate(24*time.Hour).Add(-24*time.Hour), to.Truncate(24*time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/all-analyses")
	})
	_ = model.InsightCost
}
