package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
)

// PurgeTraces implements store.Retention for one workspace: whole partitions are shared by
// every workspace, so a workspace keeping less than the others loses its rows day by day,
// each day in one transaction with the roll-up rows of that day (every roll-up nests in a
// UTC day). Partitions every workspace has given up are dropped by MaintainPartitions.
func (s *Store) PurgeTraces(ctx context.Context, workspaceID string, cutoff time.Time) (int64, error) {
	if !cutoff.Equal(dayOf(cutoff)) {
		return 0, model.Errorf(model.EINVALID, "retention cutoff %s is not a UTC midnight", cutoff)
	}
	var total int64
	for {
		var oldest *time.Time
		err := s.pool.QueryRow(ctx, `SELECT min(start_time) FROM trace_keys WHERE workspace_id = $1 AND start_time < $2`,
			workspaceID, cutoff).Scan(&oldest)
		if err != nil {
			return total, fmt.Errorf("cannot find expired traces: %w", err)
		}
		if oldest == nil {
			return total, nil
		}
		n, err := s.purgeDay(ctx, workspaceID, dayOf(*oldest))
		if err != nil {
			return total, err
		}
		total += n
	}
}

func (s *Store) purgeDay(ctx context.Context, ws string, day time.Time) (int64, error) {
	next := day.AddDate(0, 0, 1)
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM scores sc USING trace_keys k WHERE k.workspace_id = $1 AND k.start_time >= $2
			AND k.start_time < $3 AND sc.workspace_id = k.workspace_id AND sc.trace_id = k.trace_id`, ws, day, next); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM spans WHERE workspace_id = $1 AND trace_start >= $2 AND trace_start < $3`, ws, day, next); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM traces WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3`, ws, day, next)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM trace_keys WHERE workspace_id = $1 AND start_time >= $2 AND start_time < $3`, ws, day, next); err != nil {
			return err
		}
		for _, table := range []string{"llm_usage_5m", "trace_stats_5m", "llm_usage_1h", "trace_stats_1h"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE workspace_id = $1 AND slot_ms >= $2 AND slot_ms < $3`,
				ws, day.UnixMilli(), next.UnixMilli()); err != nil {
				return err
			}
		}
		for _, table := range []string{"user_stats_1d", "latency_hist_1d"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE workspace_id = $1 AND day_ms = $2`, ws, day.UnixMilli()); err != nil {
				return err
			}
		}
		// Days go oldest first, so a session that began before the day's end either ended in
		// it (gone) or goes on later and begins afresh at its first remaining trace.
		if _, err := tx.Exec(ctx, `DELETE FROM session_bounds WHERE workspace_id = $1 AND last_start < $2`, ws, next); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE session_bounds b SET first_start = (SELECT min(t.start_time) FROM traces t
			WHERE t.workspace_id = b.workspace_id AND t.session_id = b.session_id AND t.start_time >= $2)
			WHERE b.workspace_id = $1 AND b.first_start < $2`, ws, next)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cannot purge the traces of %s: %w", day.Format(time.DateOnly), err)
	}
	return n, nil
}
