// Package backup writes and restores archives of an embedded deployment's data directory:
// a consistent snapshot of the DuckDB database, the secrets kept beside it (API key salt,
// token and encryption keys) and a manifest with every table's rows and checksum.
//
// An archive is a tar file: MANIFEST.json first, then agentobs.duckdb, then the other files.
// A running server takes the snapshot itself and streams it over a Unix socket in the data
// directory (SocketName), so only users who can reach that directory can back it up.
package backup

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// SocketName is the running server's backup socket inside the data directory.
const SocketName = "agentobs.sock"

// ManifestName is the archive's first entry.
const ManifestName = "MANIFEST.json"

// Format is the archive layout this package writes and reads.
const Format = 1

// Manifest describes an archive.
type Manifest struct {
	Format          int                        `json:"format"`
	AgentobsVersion string                     `json:"agentobs_version"`
	CreatedAt       time.Time                  `json:"created_at"`
	SchemaVersion   int                        `json:"schema_version"`
	Tables          map[string]duckdb.TableSum `json:"tables"`
	// Files are the other files of the data directory, by name.
	Files []string `json:"files"`
}

// Rows is the number of rows in all tables.
func (m Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// skipped reports whether a top-level entry of the data directory stays out of archives:
// the live database (the snapshot replaces it), the ingestion log (a restored database
// starts a new one), the socket, and what earlier backups and restores left behind.
func skipped(name string) bool {
	return name == duckdb.FileName || strings.HasPrefix(name, duckdb.FileName+".") || name == SocketName ||
		strings.HasPrefix(name, ".") || strings.HasPrefix(name, restoredAside) || strings.HasPrefix(name, staging)
}

// Write snapshots st, whose data directory is dataDir, into w as an archive.
func Write(ctx context.Context, w io.Writer, st *duckdb.Store, dataDir, version string) (*Manifest, error) {
	tmp, err := os.MkdirTemp(dataDir, ".snapshot-")
	if err != nil {
		return nil, fmt.Errorf("cannot make room for the snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, duckdb.FileName)
	sums, err := st.Snapshot(ctx, snap)
	if err != nil {
		return nil, err
	}
	schema, err := duckdb.SchemaVersionOf(ctx, snap)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, AgentobsVersion: version, CreatedAt: time.Now().UTC(), SchemaVersion: schema, Tables: sums}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && !skipped(e.Name()) {
			m.Files = append(m.Files, e.Name())
		}
	}
	sort.Strings(m.Files)
	tw := tar.NewWriter(w)
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(manifest)), ModTime: m.CreatedAt}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(manifest); err != nil {
		return nil, err
	}
	if err := addFile(tw, snap, duckdb.FileName); err != nil {
		return nil, err
	}
	for _, name := range m.Files {
		if err := addFile(tw, filepath.Join(dataDir, name), name); err != nil {
			return nil, err
		}
	}
	return m, tw.Close()
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("cannot archive %s: %w", name, err)
	}
	return nil
}
