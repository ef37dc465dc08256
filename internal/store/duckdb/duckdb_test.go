package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/storetest"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
}
