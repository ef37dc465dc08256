package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/storetest"
)

// testDSN returns the database the scale-out test script started. Without
// AGENTOBS_SCALEOUT_TESTS the test is skipped; with it, a missing database is a failure.
func testDSN(t testing.TB) string {
	t.Helper()
	if os.Getenv("AGENTOBS_SCALEOUT_TESTS") == "" {
		t.Skip("set AGENTOBS_SCALEOUT_TESTS=1 and AGENTOBS_TEST_POSTGRES_DSN (make test-scaleout does)")
	}
	dsn := os.Getenv("AGENTOBS_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Fatal("AGENTOBS_SCALEOUT_TESTS is set but AGENTOBS_TEST_POSTGRES_DSN is not")
	}
	return dsn
}

// openTestStore opens a migrated store in a schema of its own, dropped after the test.
func openTestStore(t testing.TB) *Store {
	t.Helper()
	dsn := testDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Errorf("cannot drop test schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("cannot drop test schema: %v", err)
		}
	})
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

// skipped names the conformance tests this backend opts out of, until it implements them.
var skipped = []string{}

// TestConformance runs the suite; after each test the roll-ups must equal what the raw
// tables say, however the test wrote.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openTestStore(t)
		t.Cleanup(func() { verifyRollups(t, s.schema) }) // runs after the suite closes s
		return s
	}, skipped...)
}

func verifyRollups(t *testing.T, schema string) {
	t.Helper()
	s, err := Open(context.Background(), testDSN(t), Options{Schema: schema, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad, err := s.VerifyRollups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}
