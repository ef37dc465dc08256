package backup

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// TestFetchFromServingSocket: the socket answers only its owner, streams a complete archive,
// and Fetch tells a missing server from a failed backup.
func TestFetchFromServingSocket(t *testing.T) {
	st, dir := openSeeded(t, 300)
	if err := Fetch(ctx(), dir, io.Discard); !errors.Is(err, ErrNoServer) {
		t.Fatalf("Fetch without a server = %v; want ErrNoServer", err)
	}
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, SocketName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode = %v, %v; want 0600", info.Mode(), err)
	}
	if _, err := Listen(dir); err == nil {
		t.Error("a second server could listen on the same data directory")
	}
	srv := &http.Server{Handler: Handler(st, dir, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))}
	go srv.Serve(ln)
	defer srv.Close()

	var buf bytes.Buffer
	if err := Fetch(ctx(), dir, &buf); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["traces"].Rows != 300 || m.AgentobsVersion != "test" {
		t.Errorf("manifest = %+v", m)
	}
	target := t.TempDir()
	r, err := Restore(ctx(), bytes.NewReader(buf.Bytes()), target, filepath.Join(target, "wal"), duckdb.LatestSchemaVersion())
	if err != nil {
		t.Fatal(err)
	}
	if r.Aside != "" {
		t.Errorf("restoring into an empty directory moved %s aside", r.Aside)
	}
	sums, err := duckdb.FileSums(ctx(), filepath.Join(target, duckdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m.Tables, sums); diff != "" {
		t.Errorf("restored (-manifest +restored):\n%s", diff)
	}

	// A failed snapshot (the store is closed) is an error, not a short archive.
	st.Close()
	if err := Fetch(ctx(), dir, io.Discard); err == nil || errors.Is(err, ErrNoServer) {
		t.Errorf("Fetch from a failing server = %v", err)
	}
	if _, err := ReadManifest(bytes.NewReader([]byte("junk"))); err == nil {
		t.Error("ReadManifest accepted junk")
	}
}
