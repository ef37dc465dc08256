package backup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadArchive: whatever the bytes, unpacking never panics and never writes outside
// the staging directory or anything but plain files.
func FuzzReadArchive(f *testing.F) {
	t := &testing.T{}
	f.Add(archive(t, [2]string{ManifestName, `{"format":1,"files":["a"]}`}, [2]string{"agentobs.duckdb", "db"}, [2]string{"a", "x"}))
	f.Add(archive(t, [2]string{ManifestName, `{"format":1,"files":["../a"]}`}, [2]string{"../a", "x"}))
	f.Add(archive(t, [2]string{ManifestName, `{"format":1}`}, [2]string{"agentobs.duckdb", "db"}, [2]string{"agentobs.duckdb", "db"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "stage")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		m, err := readArchive(bytes.NewReader(data), dir)
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Fatalf("wrote beside the staging directory: %v", entries)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !e.Type().IsRegular() || !validName(e.Name()) || strings.Contains(e.Name(), "/") {
				t.Fatalf("unpacked %q (%v)", e.Name(), e.Type())
			}
		}
		if err == nil && m.Format != Format {
			t.Fatalf("accepted format %d", m.Format)
		}
	})
}
