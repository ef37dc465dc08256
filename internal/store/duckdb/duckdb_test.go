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

// TestConformance runs the suite; after each test the roll-ups must equal what the raw
// tables say, however the test wrote.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return verifyingStore{openTestStore(t), t} })
}

// verifyingStore checks the roll-ups when the suite closes it.
type verifyingStore struct {
	*Store
	t *testing.T
}

func (v verifyingStore) Close() error {
	verifyRollups(v.t, v.Store)
	return v.Store.Close()
}

func verifyRollups(t *testing.T, s *Store) {
	t.Helper()
	bad, err := s.VerifyRollups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}
