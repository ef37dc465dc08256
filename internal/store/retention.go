package store

import (
	"context"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Retention keeps per-workspace retention settings and deletes what they expire.
type Retention interface {
	// RetentionDays returns how many days of traces the workspace keeps; 0 (also for a
	// workspace that never set it) keeps everything.
	RetentionDays(ctx context.Context, workspaceID string) (int, error)
	// SetRetentionDays stores the setting (0 keeps everything); model.ENOTFOUND for an
	// unknown workspace.
	SetRetentionDays(ctx context.Context, workspaceID string, days int) error
	// RetentionPolicies returns the workspaces whose setting is positive, with their days.
	RetentionPolicies(ctx context.Context) (map[string]int, error)
	// PurgeTraces deletes the workspace's traces that start before cutoff, which must be a
	// UTC midnight, with their spans, scores and roll-up rows, and returns how many traces
	// went. It works in small transactions, oldest first, each leaving the roll-ups equal
	// to the raw tables, so writers are never held up for long; an interrupted purge is
	// completed by the next call.
	PurgeTraces(ctx context.Context, workspaceID string, cutoff time.Time) (int64, error)
}

// MaxRetentionDays bounds the setting (about 100 years), so a cutoff stays a valid time.
const MaxRetentionDays = 36500

// RetentionCutoff is the first UTC midnight whose traces a workspace keeping days days
// keeps at now: whole days are purged, so every roll-up slot goes with all its traces.
func RetentionCutoff(now time.Time, days int) time.Time {
	u := now.UTC().AddDate(0, 0, -days)
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// RetentionSettings implements the setting half of Retention once for both SQL backends,
// which embed it and add PurgeTraces.
type RetentionSettings struct {
	DB  SQLConn
	Now func() time.Time
}

// RetentionDays implements Retention.
func (s RetentionSettings) RetentionDays(ctx context.Context, workspaceID string) (int, error) {
	rows, err := s.DB.Query(ctx, `SELECT days FROM workspace_retention WHERE workspace_id = $1`, workspaceID)
	if err != nil {
		return 0, fmt.Errorf("cannot read retention: %w", err)
	}
	defer rows.Close()
	days := 0
	if rows.Next() {
		if err := rows.Scan(&days); err != nil {
			return 0, fmt.Errorf("cannot read retention: %w", err)
		}
	}
	return days, rows.Err()
}

// SetRetentionDays implements Retention.
func (s RetentionSettings) SetRetentionDays(ctx context.Context, workspaceID string, days int) error {
	if days < 0 || days > MaxRetentionDays {
		return model.Errorf(model.EINVALID, "retention must be between 0 and %d days", MaxRetentionDays)
	}
	rows, err := s.DB.Query(ctx, `SELECT count(*) FROM workspaces WHERE id = $1`, workspaceID)
	if err != nil {
		return fmt.Errorf("cannot read workspace: %w", err)
	}
	var n int64
	if rows.Next() {
		err = rows.Scan(&n)
	}
	rows.Close()
	if err != nil {
		return fmt.Errorf("cannot read workspace: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "workspace %q not found", workspaceID)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	_, err = s.DB.Exec(ctx, `INSERT INTO workspace_retention (workspace_id, days, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at`, workspaceID, days, now().UTC())
	if err != nil {
		return fmt.Errorf("cannot store retention: %w", err)
	}
	return nil
}

// RetentionPolicies implements Retention.
func (s RetentionSettings) RetentionPolicies(ctx context.Context) (map[string]int, error) {
	rows, err := s.DB.Query(ctx, `SELECT r.workspace_id, r.days FROM workspace_retention r
		JOIN workspaces w ON w.id = r.workspace_id WHERE r.days > 0`)
	if err != nil {
		return nil, fmt.Errorf("cannot list retention policies: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ws string
		var days int
		if err := rows.Scan(&ws, &days); err != nil {
			return nil, fmt.Errorf("cannot list retention policies: %w", err)
		}
		out[ws] = days
	}
	return out, rows.Err()
}
