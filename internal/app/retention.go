package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// enforceRetention purges every workspace's expired days at start and then every interval.
// Only the process role runs it: on DuckDB it shares the writer with the log consumer and
// releases it between hours of data, so ingestion keeps committing while it works.
func enforceRetention(ctx context.Context, st store.Store, every time.Duration, log *slog.Logger) {
	for {
		purged, err := applyRetention(ctx, st, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("retention failed; retrying next round", "err", err)
		case purged > 0:
			log.Info("retention purged expired traces", "traces", purged)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// applyRetention purges, for every workspace with a retention setting, the whole UTC days
// older than it, from the workspace and from its judge companion (the traces of its judge
// calls, model.JudgeWorkspaceID), and returns how many traces went.
func applyRetention(ctx context.Context, st store.Retention, now time.Time) (int64, error) {
	policies, err := st.RetentionPolicies(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for ws, days := range policies {
		for _, id := range []string{ws, model.JudgeWorkspaceID(ws)} {
			n, err := st.PurgeTraces(ctx, id, store.RetentionCutoff(now, days))
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// partitionRetention is how old a PostgreSQL day partition must be to be dropped whole: the
// configured --retention, or else, when every workspace has a retention setting, the longest
// of them (a workspace without one keeps everything, so nothing is dropped).
func partitionRetention(ctx context.Context, st store.Store, configured time.Duration) (time.Duration, error) {
	if configured > 0 {
		return configured, nil
	}
	policies, err := st.RetentionPolicies(ctx)
	if err != nil || len(policies) == 0 {
		return 0, err
	}
	workspaces, err := st.ListWorkspaces(ctx)
	if err != nil {
		return 0, err
	}
	longest := 0
	for _, ws := range workspaces {
		days, ok := policies[ws.ID]
		if !ok {
			return 0, nil
		}
		longest = max(longest, days)
	}
	return time.Duration(longest) * 24 * time.Hour, nil
}
