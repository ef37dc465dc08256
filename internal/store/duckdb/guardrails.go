package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// WriteViolations implements store.Guardrails; violations are idempotent on (workspace, id).
func (s *Store) WriteViolations(ctx context.Context, violations []model.Violation) error {
	if len(violations) == 0 {
		return nil
	}
	batch := store.DedupeViolations(violations)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// Staged with the appender and merged in one statement: an upsert per row cost a
	// statement's planning each and held the writer from trace commits meanwhile.
	return s.wconn.Raw(func(dc any) error {
		conn := dc.(*duckdb.Conn)
		exec := func(q string) error {
			_, err := conn.ExecContext(ctx, q, nil)
			return err
		}
		if !s.violationsStaged {
			// A temporary table lives as long as the writer connection: created once.
			if err := exec(`CREATE TEMP TABLE IF NOT EXISTS stage_violations AS SELECT ` + store.ViolationColumns + ` FROM violations LIMIT 0`); err != nil {
				return fmt.Errorf("cannot stage violations: %w", err)
			}
			s.violationsStaged = true
		}
		if err := exec("BEGIN TRANSACTION"); err != nil {
			return err
		}
		committed := false
		defer func() {
			if !committed {
				_ = exec("ROLLBACK")
			}
		}()
		app, err := duckdb.NewAppender(conn, "temp", "main", "stage_violations")
		if err != nil {
			return fmt.Errorf("cannot stage violations: %w", err)
		}
		for i := range batch {
			args := store.ViolationArgs(&batch[i])
			vals := make([]driver.Value, len(args))
			for j, a := range args {
				vals[j] = a
			}
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return fmt.Errorf("cannot write violation %q: %w", batch[i].ID, err)
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("cannot stage violations: %w", err)
		}
		if err := exec(store.MergeViolationsSQL("stage_violations")); err != nil {
			return fmt.Errorf("cannot write violations: %w", err)
		}
		if err := exec(`DELETE FROM stage_violations`); err != nil {
			return err
		}
		if err := exec("COMMIT"); err != nil {
			return fmt.Errorf("cannot commit violations: %w", err)
		}
		committed = true
		return nil
	})
}

// ListViolations implements store.Activity, newest first.
func (s *Store) ListViolations(ctx context.Context, workspaceID string, limit int) ([]model.Violation, error) {
	return s.QueryViolations(ctx, store.ViolationFilter{WorkspaceID: workspaceID, Limit: limit})
}

// QueryViolations implements store.Guardrails.
func (s *Store) QueryViolations(ctx context.Context, f store.ViolationFilter) ([]model.Violation, error) {
	q, args := dialect.ViolationsQuery(f)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list violations: %w", err)
	}
	defer rows.Close()
	out := []model.Violation{}
	for rows.Next() {
		var v model.Violation
		if err := rows.Scan(store.ViolationDest(&v)...); err != nil {
			return nil, fmt.Errorf("cannot list violations: %w", err)
		}
		v.Time = v.Time.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// ViolationCounts implements store.Guardrails.
func (s *Store) ViolationCounts(ctx context.Context, f store.ViolationFilter, bucket string) ([]store.ViolationCount, error) {
	q, args, err := dialect.ViolationCountsQuery(f, bucket)
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "%v", err)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot count violations: %w", err)
	}
	defer rows.Close()
	out := []store.ViolationCount{}
	for rows.Next() {
		var c store.ViolationCount
		if err := rows.Scan(&c.Bucket, &c.Type, &c.Count); err != nil {
			return nil, fmt.Errorf("cannot count violations: %w", err)
		}
		c.Bucket = c.Bucket.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutGuardrailRule implements store.Guardrails.
func (s *Store) PutGuardrailRule(ctx context.Context, r model.GuardrailRule) error {
	args, err := store.GuardrailRuleArgs(r)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.wconn.ExecContext(ctx, store.UpsertGuardrailRuleSQL, args...); err != nil {
		return fmt.Errorf("cannot store guardrail rule: %w", err)
	}
	return nil
}

// GuardrailRules implements store.Guardrails.
func (s *Store) GuardrailRules(ctx context.Context, workspaceID string) ([]model.GuardrailRule, error) {
	rows, err := s.db.QueryContext(ctx, store.SelectGuardrailRulesSQL, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list guardrail rules: %w", err)
	}
	defer rows.Close()
	out := []model.GuardrailRule{}
	for rows.Next() {
		var def string
		var r model.GuardrailRule
		if err := rows.Scan(&def, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		if r, err = store.DecodeGuardrailRule(workspaceID, def, r.CreatedAt, r.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteGuardrailRule implements store.Guardrails.
func (s *Store) DeleteGuardrailRule(ctx context.Context, workspaceID, id string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.wconn.ExecContext(ctx, store.DeleteGuardrailRuleSQL, workspaceID, id)
	if err != nil {
		return fmt.Errorf("cannot delete guardrail rule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return model.Errorf(model.ENOTFOUND, "guardrail rule %q not found", id)
	}
	return nil
}

// GuardrailSettings implements store.Guardrails.
func (s *Store) GuardrailSettings(ctx context.Context, workspaceID string) (*model.GuardrailSettings, error) {
	var actions string
	gs := model.GuardrailSettings{WorkspaceID: workspaceID}
	err := s.db.QueryRowContext(ctx, store.SelectGuardrailSettingsSQL, workspaceID).Scan(&actions, &gs.UpdatedAt)
	if err != nil {
		return nil, store.SettingsError(err)
	}
	return store.DecodeGuardrailSettings(gs, actions)
}

// PutGuardrailSettings implements store.Guardrails.
func (s *Store) PutGuardrailSettings(ctx context.Context, gs model.GuardrailSettings) error {
	args, err := store.GuardrailSettingsArgs(gs)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.wconn.ExecContext(ctx, store.UpsertGuardrailSettingsSQL, args...); err != nil {
		return fmt.Errorf("cannot store guardrail settings: %w", err)
	}
	return nil
}
