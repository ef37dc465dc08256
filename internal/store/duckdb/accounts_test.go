package duckdb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TestAccountsMigrationKeepsKeys applies 0001 alone, stores a key the way the core issue
// did (plain SHA-256), then migrates: the key keeps working with both scopes and can be
// found as a legacy key and upgraded to the keyed hash.
func TestAccountsMigrationKeepsKeys(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	core, err := migrationFiles.ReadFile("migrations/0001_core.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
		string(core),
		`INSERT INTO schema_migrations VALUES (1, '0001_core', now())`,
		`INSERT INTO api_keys VALUES ('k1', 'w1', 'bootstrap', 'ao_abcdefg', 'sha-of-key', now(), NULL)`,
	} {
		if _, err := s.wconn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Every file after the core one runs; numbers may have gaps.
	if n, err := s.Migrate(ctx); err != nil || n != len(all)-1 {
		t.Fatalf("Migrate = %d, %v", n, err)
	}
	k, err := s.APIKeyByHash(ctx, "sha-of-key")
	if err != nil || !k.HasScope(model.ScopeIngest) || !k.HasScope(model.ScopeRead) || len(k.Scopes) != 2 || k.CreatedBy != "" {
		t.Fatalf("migrated key = %+v, %v", k, err)
	}
	if n, _ := s.CountLegacyAPIKeys(ctx); n != 1 {
		t.Errorf("legacy keys = %d", n)
	}
	if k, err := s.LegacyAPIKeyByHash(ctx, "sha-of-key"); err != nil || k.ID != "k1" {
		t.Fatalf("LegacyAPIKeyByHash = %+v, %v", k, err)
	}
	if err := s.UpgradeAPIKeyHash(ctx, "k1", "hmac-of-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyByHash(ctx, "hmac-of-key"); err != nil {
		t.Errorf("upgraded key: %v", err)
	}
	if n, _ := s.CountLegacyAPIKeys(ctx); n != 0 {
		t.Errorf("legacy keys after upgrade = %d", n)
	}
	// Rotation under concurrency: exactly one of many rotations of one token wins.
	if err := s.CreateRefreshToken(ctx, model.RefreshToken{ID: "r", FamilyID: "f", UserID: "u", Hash: "h", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			errs <- s.RotateRefreshToken(ctx, "r", time.Now(), model.RefreshToken{ID: "n" + string(rune('0'+i)), FamilyID: "f", UserID: "u",
				Hash: "h" + string(rune('0'+i)), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
		}(i)
	}
	wins := 0
	for i := 0; i < 8; i++ {
		if err := <-errs; err == nil {
			wins++
		} else if model.ErrorCode(err) != model.ECONFLICT {
			t.Errorf("rotation error: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent rotations won, want 1", wins)
	}
}
