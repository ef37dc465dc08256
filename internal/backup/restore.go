package backup

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const (
	// restoredAside prefixes the directory a restore moves the data it replaces into.
	restoredAside = "before-restore-"
	// staging prefixes the directory an archive is unpacked and checked in.
	staging = "restore-staging-"
	// maxManifest bounds the manifest a restore decodes.
	maxManifest = 1 << 20
)

// Restored says what a restore did.
type Restored struct {
	Manifest *Manifest
	// Aside is the directory holding the database, log and files the restore replaced;
	// empty when the data directory held none.
	Aside string
}

// Restore unpacks the archive read from r into dataDir, whose server must be stopped. The
// archive is unpacked beside the data and its database checked against the manifest first;
// only then is what it replaces (database, ingestion log walDir, same-named files) moved into
// a before-restore directory and the archive's files moved in. maxSchema is the newest
// schema this binary knows: an archive of a newer one is refused.
func Restore(ctx context.Context, r io.Reader, dataDir, walDir string, maxSchema int) (*Restored, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	live := filepath.Join(dataDir, duckdb.FileName)
	if _, err := os.Stat(live); err == nil {
		if _, err := duckdb.SchemaVersionOf(ctx, live); err != nil && strings.Contains(strings.ToLower(err.Error()), "lock") {
			return nil, fmt.Errorf("%s is in use: stop the server first", live)
		}
	}
	stage, err := os.MkdirTemp(dataDir, staging)
	if err != nil {
		return nil, fmt.Errorf("cannot unpack the archive: %w", err)
	}
	defer os.RemoveAll(stage)
	m, err := readArchive(r, stage)
	if err != nil {
		return nil, err
	}
	if m.SchemaVersion > maxSchema {
		return nil, fmt.Errorf("the archive's schema version %d is newer than this binary's %d: restore it with a newer agentobs", m.SchemaVersion, maxSchema)
	}
	sums, err := duckdb.FileSums(ctx, filepath.Join(stage, duckdb.FileName))
	if err != nil {
		return nil, fmt.Errorf("the archive's database cannot be read: %w", err)
	}
	if diff := cmp.Diff(m.Tables, sums); diff != "" {
		return nil, fmt.Errorf("the archive's database does not match its manifest (-manifest +database):\n%s", diff)
	}

	aside := filepath.Join(dataDir, restoredAside+time.Now().UTC().Format("20060102T150405Z"))
	moved := false
	moveAside := func(path string) error {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if !moved {
			if err := os.Mkdir(aside, 0o700); err != nil {
				return err
			}
			moved = true
		}
		return os.Rename(path, filepath.Join(aside, filepath.Base(path)))
	}
	replaced := []string{live, live + ".wal", walDir}
	for _, name := range m.Files {
		replaced = append(replaced, filepath.Join(dataDir, name))
	}
	for _, path := range replaced {
		if err := moveAside(path); err != nil {
			return nil, fmt.Errorf("cannot move %s aside: %w", path, err)
		}
	}
	for _, name := range append([]string{duckdb.FileName}, m.Files...) {
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(dataDir, name)); err != nil {
			return nil, fmt.Errorf("cannot move %s into place: %w", name, err)
		}
	}
	out := &Restored{Manifest: m}
	if moved {
		out.Aside = aside
	}
	return out, nil
}

// validName accepts the plain file names an archive may hold.
func validName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// readArchive unpacks an archive into dir, refusing anything but plain files with plain
// names, and returns its manifest once every file it lists, and no other, was found.
func readArchive(r io.Reader, dir string) (*Manifest, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("cannot read the archive: %w", err)
	}
	if hdr.Name != ManifestName || hdr.Typeflag != tar.TypeReg || hdr.Size > maxManifest {
		return nil, fmt.Errorf("not an agentobs backup: its first entry is %q, not %s", hdr.Name, ManifestName)
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, maxManifest)).Decode(&m); err != nil {
		return nil, fmt.Errorf("cannot decode the manifest: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("unknown backup format %d (this binary reads format %d)", m.Format, Format)
	}
	want := map[string]bool{duckdb.FileName: true}
	for _, name := range m.Files {
		if !validName(name) || skipped(name) || want[name] {
			return nil, fmt.Errorf("the manifest lists a file %q that a backup cannot hold", name)
		}
		want[name] = true
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the archive: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg || !want[hdr.Name] || seen[hdr.Name] {
			return nil, fmt.Errorf("the archive holds an unexpected entry %q", hdr.Name)
		}
		seen[hdr.Name] = true
		if err := writeFile(filepath.Join(dir, hdr.Name), tr); err != nil {
			return nil, err
		}
	}
	for name := range want {
		if !seen[name] {
			return nil, fmt.Errorf("the archive lacks %s: it is truncated or damaged", name)
		}
	}
	return &m, nil
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot unpack %s: %w", filepath.Base(path), err)
	}
	return nil
}
