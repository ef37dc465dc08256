package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
	"github.com/agentobs/agentobs/internal/synth"
)

func ctx() context.Context { return context.Background() }

// openSeeded opens a store in a new data directory with synthetic traces and a secret file.
func openSeeded(t *testing.T, traces int) (*duckdb.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := duckdb.Open(ctx(), filepath.Join(dir, duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx()); err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Generate(ctx(), st, synth.Config{WorkspaceID: "ws", Traces: traces, Days: 2, Seed: 5,
		End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "api_key_salt"), []byte("salt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "wal"), 0o700); err != nil {
		t.Fatal(err)
	}
	return st, dir
}

// TestBackupRestoreRoundTrip: a restored data directory holds exactly the rows of the
// source (counts and checksums of every table), its secret files, and no ingestion log;
// what it replaced is kept aside.
func TestBackupRestoreRoundTrip(t *testing.T) {
	st, dir := openSeeded(t, 1500)
	var buf bytes.Buffer
	m, err := Write(ctx(), &buf, st, dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["traces"].Rows != 1500 || m.Tables["spans"].Rows == 0 || m.SchemaVersion != duckdb.LatestSchemaVersion() {
		t.Fatalf("manifest = %+v", m)
	}
	if diff := cmp.Diff([]string{"api_key_salt"}, m.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	source, err := duckdb.FileSums(ctx(), filepath.Join(dir, duckdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(source, m.Tables); diff != "" {
		t.Errorf("backup differs from its source (-source +backup):\n%s", diff)
	}

	target := t.TempDir()
	os.WriteFile(filepath.Join(target, duckdb.FileName), []byte("an older database"), 0o600)
	os.WriteFile(filepath.Join(target, "api_key_salt"), []byte("older salt"), 0o600)
	os.MkdirAll(filepath.Join(target, "wal"), 0o700)
	os.WriteFile(filepath.Join(target, "unrelated"), []byte("kept"), 0o600)
	r, err := Restore(ctx(), bytes.NewReader(buf.Bytes()), target, filepath.Join(target, "wal"), duckdb.LatestSchemaVersion())
	if err != nil {
		t.Fatal(err)
	}
	restored, err := duckdb.FileSums(ctx(), filepath.Join(target, duckdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(source, restored); diff != "" {
		t.Errorf("restored database differs from the source (-source +restored):\n%s", diff)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "api_key_salt")); string(b) != "salt\n" {
		t.Errorf("restored salt = %q", b)
	}
	if _, err := os.Stat(filepath.Join(target, "wal")); !os.IsNotExist(err) {
		t.Errorf("the old ingestion log is still in place: %v", err)
	}
	for _, name := range []string{duckdb.FileName, "api_key_salt", "wal"} {
		if _, err := os.Stat(filepath.Join(r.Aside, name)); err != nil {
			t.Errorf("replaced %s not kept aside: %v", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(target, "unrelated")); string(b) != "kept" {
		t.Errorf("a file the archive does not hold was touched")
	}
	// The restored directory opens and reads as a store.
	st2, err := duckdb.Open(ctx(), filepath.Join(target, duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n, err := st2.CountTraces(ctx(), "ws"); err != nil || n != 1500 {
		t.Errorf("restored CountTraces = %d, %v", n, err)
	}
}

// TestSnapshotWhileWriting: a snapshot taken while the writer commits is one consistent
// state: the roll-ups count exactly the traces it holds, every span has its trace.
func TestSnapshotWhileWriting(t *testing.T) {
	st, dir := openSeeded(t, 200)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var batch []model.Trace
			for j := 0; j < 50; j++ {
				id := fmt.Sprintf("live-%d-%d", i, j)
				start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*50+j) * time.Second)
				batch = append(batch, model.Trace{WorkspaceID: "ws", TraceID: id, AgentID: "bot", Name: "bot", StartTime: start,
					Status: model.StatusSuccess, Model: "gpt-4o", Provider: "openai",
					Spans: []model.Span{{WorkspaceID: "ws", TraceID: id, SpanID: "s1", Kind: model.KindLLM, Name: "call", StartTime: start,
						EndTime: start.Add(time.Second), Status: model.StatusSuccess, Model: "gpt-4o", Provider: "openai", TokensInput: model.Int64(10)}},
					Declared: model.Declared{Status: model.StatusSuccess}})
			}
			if err := st.WriteTraces(ctx(), batch); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var snaps []string
	for i := 0; i < 3; i++ {
		time.Sleep(50 * time.Millisecond)
		path := filepath.Join(dir, fmt.Sprintf("snap-%d.duckdb", i))
		if _, err := st.Snapshot(ctx(), path); err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, path)
	}
	close(stop)
	wg.Wait()
	for _, path := range snaps {
		db, err := sql.Open("duckdb", path+"?access_mode=read_only")
		if err != nil {
			t.Fatal(err)
		}
		var traces, rolled, calls, llmSpans, orphans int64
		for q, dst := range map[string]*int64{
			`SELECT count(*) FROM traces`:                         &traces,
			`SELECT coalesce(sum(traces), 0) FROM trace_stats_5m`: &rolled,
			`SELECT coalesce(sum(calls), 0) FROM llm_usage_5m`:    &calls,
			`SELECT count(*) FROM spans s JOIN traces t USING (workspace_id, trace_id) WHERE s.kind IN ('llm', 'embedding')
				AND t.span_count > 0`: &llmSpans,
			`SELECT count(*) FROM spans s ANTI JOIN traces t USING (workspace_id, trace_id)`: &orphans,
		} {
			if err := db.QueryRow(q).Scan(dst); err != nil {
				t.Fatal(q, err)
			}
		}
		var flat int64
		db.QueryRow(`SELECT count(*) FROM traces WHERE span_count = 0`).Scan(&flat)
		db.Close()
		if traces != rolled || calls != llmSpans+flat || orphans != 0 {
			t.Errorf("%s is torn: %d traces, roll-up counts %d; %d calls rolled up, %d stored; %d orphan spans",
				filepath.Base(path), traces, rolled, calls, llmSpans+flat, orphans)
		}
		if traces <= 200 {
			t.Errorf("%s holds %d traces: no write happened before it", filepath.Base(path), traces)
		}
	}
}

func archive(t *testing.T, entries ...[2]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e[0], Mode: 0o600, Size: int64(len(e[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e[1]))
	}
	tw.Close()
	return buf.Bytes()
}

// TestRestoreRefusesBadArchives: a damaged, tampered or hostile archive changes nothing.
func TestRestoreRefusesBadArchives(t *testing.T) {
	st, dir := openSeeded(t, 100)
	var good bytes.Buffer
	m, err := Write(ctx(), &good, st, dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	tampered := *m
	tampered.Tables = map[string]duckdb.TableSum{}
	for k, v := range m.Tables {
		tampered.Tables[k] = v
	}
	tr := tampered.Tables["traces"]
	tr.Rows++
	tampered.Tables["traces"] = tr
	manifest := func(m Manifest) string { b, _ := json.Marshal(m); return string(b) }
	// The database entry of the good archive, re-packed behind other manifests.
	var db string
	r := tar.NewReader(bytes.NewReader(good.Bytes()))
	for {
		hdr, err := r.Next()
		if err != nil {
			break
		}
		if hdr.Name == duckdb.FileName {
			b := new(bytes.Buffer)
			b.ReadFrom(r)
			db = b.String()
		}
	}
	salt := [2]string{"api_key_salt", "salt\n"}
	escaping := *m
	escaping.Files = []string{"../outside"}
	newer := *m
	newer.SchemaVersion = 9999
	cases := map[string][]byte{
		"truncated":        good.Bytes()[:good.Len()/2],
		"not a tar":        []byte("hello"),
		"tampered sums":    archive(t, [2]string{ManifestName, manifest(tampered)}, [2]string{duckdb.FileName, db}, salt),
		"path traversal":   archive(t, [2]string{ManifestName, manifest(escaping)}, [2]string{duckdb.FileName, db}, [2]string{"../outside", "x"}),
		"unlisted entry":   archive(t, [2]string{ManifestName, manifest(*m)}, [2]string{duckdb.FileName, db}, salt, [2]string{"extra", "x"}),
		"newer schema":     archive(t, [2]string{ManifestName, manifest(newer)}, [2]string{duckdb.FileName, db}, salt),
		"no database":      archive(t, [2]string{ManifestName, manifest(*m)}, salt),
		"manifest missing": archive(t, [2]string{duckdb.FileName, db}),
	}
	for name, data := range cases {
		t.Run(strings.ReplaceAll(name, " ", "-"), func(t *testing.T) {
			target := t.TempDir()
			os.WriteFile(filepath.Join(target, duckdb.FileName), []byte("current"), 0o600)
			_, err := Restore(ctx(), bytes.NewReader(data), target, filepath.Join(target, "wal"), duckdb.LatestSchemaVersion())
			if err == nil {
				t.Fatal("restored a bad archive")
			}
			t.Log(err)
			entries, _ := os.ReadDir(target)
			if b, _ := os.ReadFile(filepath.Join(target, duckdb.FileName)); string(b) != "current" || len(entries) != 1 {
				t.Errorf("a refused restore changed the data directory: %v", entries)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(target), "outside")); err == nil {
				t.Errorf("a file escaped the data directory")
			}
		})
	}
}
