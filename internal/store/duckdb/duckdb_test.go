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

// Every connection returns freed memory promptly: the allocator settings Open makes hold.
func TestAllocatorReturnsMemory(t *testing.T) {
	s := openTestStore(t)
	defer s.Close()
	want := map[string]string{"allocator_background_threads": "true", "allocator_flush_threshold": "16.0 MiB"}
	for name, value := range want {
		var got string
		if err := s.db.QueryRowContext(context.Background(), "SELECT value FROM duckdb_settings() WHERE name = ?", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}
