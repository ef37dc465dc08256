package backup

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// ErrNoServer: no server answers on the data directory's backup socket.
var ErrNoServer = errors.New("no agentobs server is running on this data directory")

// completeTrailer is set once the whole archive was written: a body cut short by an error
// after the first bytes lacks it.
const completeTrailer = "X-Backup-Complete"

// Listen makes the backup socket in dataDir, readable and writable by its owner only. A
// socket left by a server that is gone is replaced.
func Listen(dataDir string) (net.Listener, error) {
	path := filepath.Join(dataDir, SocketName)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server answers on %s", path)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on the backup socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Handler answers GET /backup with an archive of st.
func Handler(st *duckdb.Store, dataDir, version string, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", completeTrailer)
		w.Header().Set("Content-Type", "application/x-tar")
		start := time.Now()
		m, err := Write(r.Context(), w, st, dataDir, version)
		if err != nil {
			log.Error("backup failed", "err", err)
			// Before the first byte this is the status; after it the missing trailer tells.
			http.Error(w, "backup failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set(completeTrailer, "yes")
		log.Info("backup written", "rows", m.Rows(), "tables", len(m.Tables), "duration", time.Since(start))
	})
	return mux
}

// Fetch asks the server running on dataDir for an archive and copies it to w; ErrNoServer
// when none answers.
func Fetch(ctx context.Context, dataDir string, w io.Writer) error {
	path := filepath.Join(dataDir, SocketName)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://agentobs/backup", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return ErrNoServer
		}
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the server answered %s: %s", resp.Status, msg)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("cannot receive the backup: %w", err)
	}
	if resp.Trailer.Get(completeTrailer) != "yes" {
		return errors.New("the server stopped before the backup was complete; see its log")
	}
	return nil
}

// ReadManifest returns the manifest at the start of an archive.
func ReadManifest(r io.Reader) (*Manifest, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("cannot read the archive: %w", err)
	}
	if hdr.Name != ManifestName || hdr.Size > maxManifest {
		return nil, fmt.Errorf("not an agentobs backup: its first entry is %q", hdr.Name)
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, maxManifest)).Decode(&m); err != nil {
		return nil, fmt.Errorf("cannot decode the manifest: %w", err)
	}
	return &m, nil
}
