package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// WriteViolations implements store.Guardrails; violations are idempotent on (workspace, id).
func (s *Store) WriteViolations(ctx context.Context, violations []model.Violation) error {
	b := &pgx.Batch{}
	for i := range violations {
		v := &violations[i]
		args := store.ViolationArgs(v)
		for j, a := range args {
			if str, ok := a.(string); ok {
				args[j] = txt(str)
			}
		}
		b.Queue(store.UpsertViolationSQL, args...)
	}
	return s.sendBatchTx(ctx, b, "violations")
}

// ListViolations implements store.Activity, newest first.
func (s *Store) ListViolations(ctx context.Context, workspaceID string, limit int) ([]model.Violation, error) {
	return s.QueryViolations(ctx, store.ViolationFilter{WorkspaceID: workspaceID, Limit: limit})
}

// QueryViolations implements store.Guardrails.
func (s *Store) QueryViolations(ctx context.Context, f store.ViolationFilter) ([]model.Violation, error) {
	q, args := dialect.ViolationsQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list violations: %w", err)
	}
	out := []model.Violation{}
	var v model.Violation
	_, err = pgx.ForEachRow(rows, store.ViolationDest(&v), func() error {
		c := v
		c.Time = c.Time.UTC()
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list violations: %w", err)
	}
	return out, nil
}

// ViolationCounts implements store.Guardrails.
func (s *Store) ViolationCounts(ctx context.Context, f store.ViolationFilter, bucket string) ([]store.ViolationCount, error) {
	q, args, err := dialect.ViolationCountsQuery(f, bucket)
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "%v", err)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot count violations: %w", err)
	}
	out := []store.ViolationCount{}
	var c store.ViolationCount
	_, err = pgx.ForEachRow(rows, []any{&c.Bucket, &c.Type, &c.Count}, func() error {
		x := c
		x.Bucket = x.Bucket.UTC()
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot count violations: %w", err)
	}
	return out, nil
}

// PutGuardrailRule implements store.Guardrails.
func (s *Store) PutGuardrailRule(ctx context.Context, r model.GuardrailRule) error {
	args, err := store.GuardrailRuleArgs(r)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, store.UpsertGuardrailRuleSQL, args...); err != nil {
		return fmt.Errorf("cannot store guardrail rule: %w", err)
	}
	return nil
}

// GuardrailRules implements store.Guardrails.
func (s *Store) GuardrailRules(ctx context.Context, workspaceID string) ([]model.GuardrailRule, error) {
	rows, err := s.pool.Query(ctx, store.SelectGuardrailRulesSQL, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list guardrail rules: %w", err)
	}
	out := []model.GuardrailRule{}
	var def string
	var r model.GuardrailRule
	_, err = pgx.ForEachRow(rows, []any{&def, &r.CreatedAt, &r.UpdatedAt}, func() error {
		d, err := store.DecodeGuardrailRule(workspaceID, def, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list guardrail rules: %w", err)
	}
	return out, nil
}

// DeleteGuardrailRule implements store.Guardrails.
func (s *Store) DeleteGuardrailRule(ctx context.Context, workspaceID, id string) error {
	tag, err := s.pool.Exec(ctx, store.DeleteGuardrailRuleSQL, workspaceID, id)
	if err != nil {
		return fmt.Errorf("cannot delete guardrail rule: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return model.Errorf(model.ENOTFOUND, "guardrail rule %q not found", id)
	}
	return nil
}

// GuardrailSettings implements store.Guardrails.
func (s *Store) GuardrailSettings(ctx context.Context, workspaceID string) (*model.GuardrailSettings, error) {
	var actions string
	gs := model.GuardrailSettings{WorkspaceID: workspaceID}
	if err := s.pool.QueryRow(ctx, store.SelectGuardrailSettingsSQL, workspaceID).Scan(&actions, &gs.UpdatedAt); err != nil {
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
	if _, err := s.pool.Exec(ctx, store.UpsertGuardrailSettingsSQL, args...); err != nil {
		return fmt.Errorf("cannot store guardrail settings: %w", err)
	}
	return nil
}
