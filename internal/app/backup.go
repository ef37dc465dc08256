package app

import (
	"errors"
	"net/http"
	"time"

	"github.com/agentobs/agentobs/internal/backup"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// serveBackups answers `agentobs backup` on a socket in the data directory of an embedded
// store: only the running process can read its database, and only users who can reach the
// data directory can reach the socket.
func (a *App) serveBackups() {
	st, ok := a.store.(*duckdb.Store)
	if !ok || a.cfg.DataDir == "" {
		return
	}
	ln, err := backup.Listen(a.cfg.DataDir)
	if err != nil {
		a.log.Warn("online backups are off", "err", err)
		return
	}
	a.backups = &http.Server{Handler: backup.Handler(st, a.cfg.DataDir, a.cfg.Version, a.log), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := a.backups.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("backup socket stopped", "err", err)
		}
	}()
}
