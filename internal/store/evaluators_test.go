package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// TestEvaluatorDefsSQL runs the shared evaluator SQL on a real DuckDB file: versions
// number from 1, a lost race for a version number is retried, deletes hide and keep.
func TestEvaluatorDefsSQL(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	d := model.EvaluatorDef{WorkspaceID: "w", ID: "e", Name: "E", Scope: model.ScopeTrace, CreatedAt: time.Now().UTC()}
	// Two saves at once: both land, as versions 1 and 2.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := st.PutEvaluatorDef(ctx, d)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	vs, err := st.ListEvaluatorVersions(ctx, "w", "e")
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	if err := st.DeleteEvaluatorDef(ctx, "w", "missing"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("delete of a missing evaluator: %v", err)
	}
	if _, err := st.GetEvaluatorDef(ctx, "w", "e", 9); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("a missing version: %v", err)
	}
}
