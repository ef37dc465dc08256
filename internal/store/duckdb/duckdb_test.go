package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// The file's tables are written in row groups of the configured size, the data stays
// readable when the file is reopened with another size, and a size DuckDB would refuse is
// refused before anything is opened.
func TestRowGroupSize(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	rowGroups := func(s *Store) int {
		t.Helper()
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('traces')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	write := func(rowGroup, from int) int {
		t.Helper()
		s, err := Open(ctx, path, Options{Threads: 2, RowGroupSize: rowGroup})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteTraces(ctx, benchTraces(10000, from)); err != nil {
			t.Fatal(err)
		}
		var current string
		if err := s.db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&current); err != nil {
			t.Fatal(err)
		}
		if current != "agentobs" {
			t.Errorf("readers use database %q, want agentobs", current)
		}
		var spill string
		if err := s.db.QueryRowContext(ctx, `SELECT current_setting('temp_directory')`).Scan(&spill); err != nil {
			t.Fatal(err)
		}
		if spill != path+".tmp" {
			t.Errorf("spills go to %q, want %q beside the file", spill, path+".tmp")
		}
		if _, err := s.wconn.ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
		return rowGroups(s)
	}
	// 10,000 rows in groups of 2,048: five groups.
	if got := write(2048, 0); got != 5 {
		t.Errorf("10,000 traces in row groups of 2,048: %d row groups, want 5", got)
	}
	// Reopened with the default size: the next 10,000 rows fill groups of up to 20,480.
	if got := write(0, 10000); got > 6 {
		t.Errorf("after 10,000 more traces in row groups of %d: %d row groups, want at most 6", DefaultRowGroupSize, got)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CountTraces(ctx, benchTraces(1, 0)[0].WorkspaceID)
	s.Close()
	if err != nil || n != 20000 {
		t.Fatalf("CountTraces = %d, %v; want 20000", n, err)
	}
	for _, bad := range []int{1000, -2048, 3000} {
		if _, err := Open(ctx, path, Options{RowGroupSize: bad}); err == nil || !strings.Contains(err.Error(), "multiple of 2048") {
			t.Errorf("RowGroupSize %d: err = %v, want a refusal", bad, err)
		}
	}
}

// A query that spills writes beside the database file, and connections opened after a
// spill still work (DuckDB refuses to move the spill directory once it is used, so it must
// not be set per connection).
func TestSpillsBesideTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(ctx, path, Options{Threads: 1, MemoryLimit: "32MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i) ORDER BY h)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Held open, conn makes the pool open new connections below.
	defer conn.Close()
	if _, err := os.Stat(path + ".tmp"); err != nil {
		t.Fatalf("nothing spilled beside the file: %v", err)
	}
	for i := range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatalf("connection %d after a spill: %v", i, err)
		}
		defer c.Close()
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM range(10)`).Scan(&n); err != nil {
			t.Fatalf("query on connection %d after a spill: %v", i, err)
		}
	}
}

// A file open in this process is refused a second time until it is closed: DuckDB's lock
// only keeps other processes out.
func TestOpenTwiceInOneProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	a, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "already open in this process") {
		if b != nil {
			b.Close()
		}
		t.Fatalf("second Open: %v, want a refusal", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b.Close()
}
