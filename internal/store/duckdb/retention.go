package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// PurgeTraces implements store.Retention. Each transaction removes one hour of the
// workspace's traces together with the roll-up rows of that hour (every roll-up slot nests
// in an hour), so the roll-ups stay equal to the raw tables after each commit, and the
// writer lock is released between hours so the log consumer's commits interleave.
func (s *Store) PurgeTraces(ctx context.Context, workspaceID string, cutoff time.Time) (int64, error) {
	if !cutoff.Equal(cutoff.UTC().Truncate(24 * time.Hour)) {
		return 0, model.Errorf(model.EINVALID, "retention cutoff %s is not a UTC midnight", cutoff)
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var oldest sql.NullTime
		err := s.db.QueryRowContext(ctx, `SELECT min(start_time) FROM traces WHERE workspace_id = ? AND start_time < ?`,
			workspaceID, cutoff).Scan(&oldest)
		if err != nil {
			return total, fmt.Errorf("cannot find expired traces: %w", err)
		}
		if !oldest.Valid {
			return total, nil
		}
		from := oldest.Time.UTC().Truncate(time.Hour)
		to := from.Add(time.Hour)
		n, err := s.purgeHour(ctx, workspaceID, from, to)
		if err != nil {
			return total, err
		}
		total += n
	}
}

// purgeHour deletes the workspace's traces starting in [from, to), an hour.
func (s *Store) purgeHour(ctx context.Context, ws string, from, to time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		inHour := `SELECT trace_id FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3`
		// The users' days and sessions of these traces are rebuilt from what remains, as
		// for a rewrite: a session's bounds cannot be shrunk by a delta.
		for _, q := range []string{
			`INSERT INTO touched_users SELECT workspace_id, epoch_ms(start_time) // 86400000 * 86400000, user_id
				FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3`,
			`INSERT INTO touched_sessions SELECT workspace_id, session_id
				FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3 AND session_id <> ''`,
		} {
			if _, err := tx.ExecContext(ctx, q, ws, from, to); err != nil {
				return fmt.Errorf("cannot note purged users and sessions: %w", err)
			}
		}
		for _, q := range []string{
			`DELETE FROM spans WHERE workspace_id = $1 AND trace_id IN (` + inHour + `)`,
			`DELETE FROM scores WHERE workspace_id = $1 AND trace_id IN (` + inHour + `)`,
		} {
			if _, err := tx.ExecContext(ctx, q, ws, from, to); err != nil {
				return fmt.Errorf("cannot purge expired traces: %w", err)
			}
		}
		for _, table := range []string{"llm_usage_5m", "trace_stats_5m"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE workspace_id = $1 AND slot_ms >= $2 AND slot_ms < $3`,
				ws, from.UnixMilli(), to.UnixMilli()); err != nil {
				return fmt.Errorf("cannot purge roll-up %s: %w", table, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM latency_hist_1h WHERE workspace_id = $1 AND hour_ms = $2`, ws, from.UnixMilli()); err != nil {
			return fmt.Errorf("cannot purge roll-up latency_hist_1h: %w", err)
		}
		if err := s.forgetTextHour(ctx, tx, ws, from.UnixMilli()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3`, ws, from, to)
		if err != nil {
			return fmt.Errorf("cannot purge expired traces: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		for _, q := range rebuildTouchedSQL {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("cannot rebuild user and session roll-ups: %w", err)
			}
		}
		return nil
	})
	return n, err
}
