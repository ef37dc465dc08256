package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/backup"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// TestBackupWhileServingThenRestore: `agentobs backup` taken from a running server during
// ingestion, restored with `agentobs restore` into another data directory, holds exactly
// the rows and checksums its manifest records; a server started on it answers the same API
// key (the salt came along) and reads the traces back.
func TestBackupWhileServingThenRestore(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	settled := ingestBurst(s, "before", 200, 10)
	s.awaitCommitted()
	during := make(chan []string)
	go func() { during <- ingestBurst(s, "during", 400, 20) }()
	file := filepath.Join(t.TempDir(), "agentobs.backup")
	out, err := exec.Command(binPath, "backup", file, "--data-dir", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "from the running server") {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}
	<-during
	if out, err := exec.Command(binPath, "backup", file, "--data-dir", dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "exists") {
		t.Errorf("backup over an existing file: %v %s", err, out)
	}
	if out, err := exec.Command(binPath, "restore", file, "--data-dir", dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "stop it first") {
		t.Errorf("restore under a running server: %v %s", err, out)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := backup.ReadManifest(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["traces"].Rows < int64(len(settled)) {
		t.Errorf("the backup holds %d traces; %d were committed before it began", m.Tables["traces"].Rows, len(settled))
	}

	target := t.TempDir()
	out, err = exec.Command(binPath, "restore", file, "--data-dir", target).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "checksums match") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	sums, err := duckdb.FileSums(t.Context(), filepath.Join(target, duckdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m.Tables, sums); diff != "" {
		t.Errorf("restored tables differ from the manifest (-manifest +restored):\n%s", diff)
	}
	restoredCounts := storedCounts(t, target)
	for _, id := range settled {
		if restoredCounts[id] != 1 {
			t.Fatalf("trace %s committed before the backup is stored %d times after restore", id, restoredCounts[id])
		}
	}

	s2 := startServer(t, target)
	for _, id := range []string{settled[0], settled[len(settled)-1]} {
		if code, body, _ := s2.do("GET", "/api/v1/traces/"+id, testKey, "", nil); code != 200 {
			t.Errorf("GET restored trace %s with the original key = %d %s", id, code, body)
		}
	}
}

func TestBackupOfStoppedDataDirectory(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command(binPath, "seed", "--data-dir", dir, "--traces", "300", "--days", "2", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("seed: %v %s", err, out)
	}
	file := filepath.Join(t.TempDir(), "b.tar")
	out, err := exec.Command(binPath, "backup", "--data-dir", dir, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "from the stopped data directory") {
		t.Fatalf("offline backup: %v %s", err, out)
	}
	source, err := duckdb.FileSums(t.Context(), filepath.Join(dir, duckdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(binPath, "restore", "--data-dir", dir, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "what it replaced is in") {
		t.Fatalf("restore over the source: %v %s", err, out)
	}
	restored, err := duckdb.FileSums(t.Context(), filepath.Join(dir, duckdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(source, restored); diff != "" {
		t.Errorf("restored differs from the source (-source +restored):\n%s", diff)
	}
	if out, err := exec.Command(binPath, "backup", file+"2", "--store", "postgres").CombinedOutput(); err == nil || !strings.Contains(string(out), "pg_dump") {
		t.Errorf("backup of a PostgreSQL deployment: %v %s", err, out)
	}
}
