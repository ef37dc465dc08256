package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/httpapi"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/query"
	"github.com/agentobs/agentobs/internal/queue"
	"github.com/agentobs/agentobs/internal/queue/wal"
	"github.com/agentobs/agentobs/internal/realtime"
	"github.com/agentobs/agentobs/internal/store"
)

// WALConfig configures the local write-ahead log between ingestion and the store, used
// whenever ingest and process run in one process (no Redis queue).
type WALConfig struct {
	// Dir holds the segments; empty: <data dir>/wal.
	Dir          string
	MaxBytes     int64
	SegmentBytes int64
	MemoryBytes  int64
}

// visibleOnWait answers a write that waits for its commit only once the commit is visible
// to the reads that follow it: the query cache's versions and live updates are told first.
type visibleOnWait struct {
	*wal.Log
	flush func()
}

func (v visibleOnWait) PublishAndWait(ctx context.Context, items []queue.Item) error {
	if err := v.Log.PublishAndWait(ctx, items); err != nil {
		return err
	}
	v.flush()
	return nil
}

// openWAL opens the log, reads how far the store has committed it, and starts committing
// the rest in the background: start-up does not wait for a backlog to be replayed.
func openWAL(ctx context.Context, cfg Config, st store.Store, api *httpapi.API, reg *prometheus.Registry,
	analytics *query.Service, live *realtime.Feed, log *slog.Logger) (*wal.Log, error) {
	dir := cfg.WAL.Dir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "wal")
	}
	m := api.Metrics()
	proc := pipeline.NewProcessor(st, log, m.DeadLettered)
	flush := watchCommits(proc, analytics, live, cfg.CommitVisibility, log)
	watchGuardrails(proc, cfg.ScaleOut.guard, cfg.ScaleOut.runGuard)
	l, err := wal.Open(dir, wal.Options{
		SegmentBytes:  cfg.WAL.SegmentBytes,
		MaxBytes:      cfg.WAL.MaxBytes,
		MemoryBytes:   cfg.WAL.MemoryBytes,
		MaxBatch:      cfg.CommitMaxBatch,
		CommitTimeout: cfg.CommitTimeout,
		MaxCommitLag:  cfg.MaxCommitLag,
		Log:           log,
		Observe:       m.ObserveCommit,
		DeadLetter: func(ctx context.Context, ws string, payload []byte, reason string) error {
			if ws == "" {
				// Bytes that name no workspace go to the first one, whose admins see
				// the server's own problems.
				if wss, err := st.ListWorkspaces(ctx); err == nil && len(wss) > 0 {
					ws = wss[0].ID
				}
			}
			m.DeadLettered(reason)
			return st.AddDeadLetter(ctx, model.DeadLetter{ID: pipeline.NewID(), WorkspaceID: ws, Source: "wal",
				Reason: reason, Payload: payload, CreatedAt: time.Now().UTC()})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot open the ingestion log in %s: %w", dir, err)
	}
	pos, err := st.LogPosition(ctx, l.ID())
	if err != nil {
		return nil, err
	}
	l.Start(pos, proc.HandleAt)
	reg.MustRegister(l.NewCollector())
	api.SetPublisher(visibleOnWait{l, flush})
	api.SetIngestStatus(func() map[string]any {
		lag := l.Lag()
		out := map[string]any{"commit_lag_records": lag.Records, "commit_lag_seconds": lag.Seconds, "log_bytes": lag.LogBytes}
		if lag.Replaying {
			out["replaying"] = true
		}
		if lag.LastError != nil {
			out["log_error"] = lag.LastError.Error()
		}
		return out
	})
	if lag := l.Lag(); lag.Replaying {
		log.Info("ingestion log has a backlog from before the restart; committing it in the background", "records", lag.Records)
	}
	return l, nil
}
