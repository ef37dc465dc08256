package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentobs/agentobs/internal/backup"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const postgresBackupHelp = "a PostgreSQL deployment is backed up with pg_dump and restored with pg_restore (docs/production/BACKUP.md)"

// fileOperand parses args of "command FILE [flags]" or "command [flags] FILE".
func fileOperand(s *settings, args []string) (string, error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append(append([]string{}, args[1:]...), args[0])
	}
	s.operands = 1
	if err := s.parse(args); err != nil {
		return "", err
	}
	if s.fs.NArg() != 1 {
		return "", usageError{errors.New("name the archive file")}
	}
	return s.fs.Arg(0), nil
}

func cmdBackup(args []string, stdout, stderr io.Writer) error {
	s := newSettings("backup FILE", "Write an archive of the embedded data directory to FILE: a consistent snapshot of\n"+
		"the database, taken by the running server when there is one (it keeps serving), and the\n"+
		"secrets beside it. Restore it with \"agentobs restore FILE\".", stderr)
	var sf storeFlags
	sf.bind(s)
	var force bool
	s.boolean(&force, "force", "AGENTOBS_BACKUP_FORCE", false, "overwrite FILE if it exists")
	file, err := fileOperand(s, args)
	if err != nil {
		return err
	}
	if sf.store == "postgres" {
		return errors.New(postgresBackupHelp)
	}
	if _, err := os.Stat(file); err == nil && !force {
		return fmt.Errorf("%s exists; choose another name or pass --force", file)
	}
	ctx, stop := signalContext()
	defer stop()
	partial := file + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(partial)
	online := true
	err = backup.Fetch(ctx, sf.dataDir, f)
	if errors.Is(err, backup.ErrNoServer) {
		online = false
		err = offlineBackup(ctx, sf, f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(partial, file); err != nil {
		return err
	}
	m, size, err := describe(file)
	if err != nil {
		return err
	}
	how := "from the stopped data directory"
	if online {
		how = "from the running server"
	}
	fmt.Fprintf(stdout, "backed up %d rows in %d tables and %d files (schema version %d) %s to %s (%s)\n",
		m.Rows(), len(m.Tables), len(m.Files), m.SchemaVersion, how, file, humanBytes(size))
	return nil
}

// offlineBackup snapshots the database directly when no server runs on it.
func offlineBackup(ctx context.Context, sf storeFlags, w io.Writer) error {
	path := filepath.Join(sf.dataDir, duckdb.FileName)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database in %s: %w", sf.dataDir, err)
	}
	st, err := duckdb.Open(ctx, path, sf.config().DuckDB)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = backup.Write(ctx, w, st, sf.dataDir, buildVersion())
	return err
}

func cmdRestore(args []string, stdout, stderr io.Writer) error {
	s := newSettings("restore FILE", "Replace the embedded data directory's database and secrets with the archive FILE\n"+
		"written by \"agentobs backup\". Stop the server first. The archive is checked against its\n"+
		"manifest before anything changes; what it replaces is moved into a before-restore directory.", stderr)
	var sf storeFlags
	sf.bind(s)
	var walDir string
	s.str(&walDir, "wal-dir", "AGENTOBS_WAL_DIR", "", "directory of the ingestion write-ahead log (default: <data-dir>/wal); the restored database starts a new one")
	file, err := fileOperand(s, args)
	if err != nil {
		return err
	}
	if sf.store == "postgres" {
		return errors.New(postgresBackupHelp)
	}
	if walDir == "" {
		walDir = filepath.Join(sf.dataDir, "wal")
	}
	ctx, stop := signalContext()
	defer stop()
	if err := backup.Fetch(ctx, sf.dataDir, io.Discard); !errors.Is(err, backup.ErrNoServer) {
		return fmt.Errorf("a server is running on %s: stop it first", sf.dataDir)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := backup.Restore(ctx, f, sf.dataDir, walDir, duckdb.LatestSchemaVersion())
	if err != nil {
		return err
	}
	m := r.Manifest
	fmt.Fprintf(stdout, "restored %d rows in %d tables and %d files (schema version %d, backed up %s) into %s; checksums match\n",
		m.Rows(), len(m.Tables), len(m.Files), m.SchemaVersion, m.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), sf.dataDir)
	if r.Aside != "" {
		fmt.Fprintf(stdout, "what it replaced is in %s\n", r.Aside)
	}
	return nil
}

func describe(file string) (*backup.Manifest, int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	m, err := backup.ReadManifest(f)
	return m, info.Size(), err
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
