package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// EvaluatorDefs keeps workspaces' versioned evaluator definitions.
type EvaluatorDefs interface {
	// PutEvaluatorDef stores d as the next version of its id (1 for a new id, or after a
	// delete the next number, so versions never repeat) and returns it as stored.
	PutEvaluatorDef(ctx context.Context, d model.EvaluatorDef) (*model.EvaluatorDef, error)
	// GetEvaluatorDef returns a version (0: the latest) of a live evaluator; model.ENOTFOUND
	// when there is none or it was deleted. A deleted evaluator's versions stay readable by
	// number, because past verdicts name them.
	GetEvaluatorDef(ctx context.Context, workspaceID, id string, version int) (*model.EvaluatorDef, error)
	// ListEvaluatorDefs returns the latest version of every live evaluator, by id.
	ListEvaluatorDefs(ctx context.Context, workspaceID string) ([]model.EvaluatorDef, error)
	// ListEvaluatorVersions returns every version of an evaluator, newest first.
	ListEvaluatorVersions(ctx context.Context, workspaceID, id string) ([]model.EvaluatorDef, error)
	// DeleteEvaluatorDef hides an evaluator; model.ENOTFOUND when there is none.
	DeleteEvaluatorDef(ctx context.Context, workspaceID, id string) error
}

func (e EvalSQL) evaluatorDefs(ctx context.Context, q string, args ...any) ([]model.EvaluatorDef, error) {
	out := []model.EvaluatorDef{}
	err := e.DB.Query(ctx, q, args, func(scan func(...any) error) error {
		var ws, def string
		var version int
		var at time.Time
		if err := scan(&ws, &version, &def, &at); err != nil {
			return err
		}
		var d model.EvaluatorDef
		if err := json.Unmarshal([]byte(def), &d); err != nil {
			return err
		}
		d.WorkspaceID, d.Version, d.CreatedAt = ws, version, at.UTC()
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read evaluators: %w", err)
	}
	return out, nil
}

// PutEvaluatorDef implements EvaluatorDefs.
func (e EvalSQL) PutEvaluatorDef(ctx context.Context, d model.EvaluatorDef) (*model.EvaluatorDef, error) {
	for attempt := 0; ; attempt++ {
		var next int
		err := e.DB.Query(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM evaluator_defs WHERE workspace_id = $1 AND id = $2`,
			[]any{d.WorkspaceID, d.ID}, func(scan func(...any) error) error { return scan(&next) })
		if err != nil {
			return nil, fmt.Errorf("cannot store evaluator: %w", err)
		}
		d.Version = next
		def, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		err = e.DB.Tx(ctx, func(tx SQLRunner) error {
			// A save revives a deleted evaluator: its new version is live, the old stay hidden.
			if _, err := tx.Exec(ctx, `INSERT INTO evaluator_defs (workspace_id, id, version, definition, deleted, created_at)
				VALUES ($1, $2, $3, $4, false, $5)`, d.WorkspaceID, d.ID, d.Version, clean(string(def)), d.CreatedAt); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE evaluator_defs SET deleted = false WHERE workspace_id = $1 AND id = $2`, d.WorkspaceID, d.ID)
			return err
		})
		if err != nil && e.DB.IsUniqueViolation(err) && attempt < 5 {
			continue // another process saved the same version number first
		}
		if err != nil {
			return nil, fmt.Errorf("cannot store evaluator: %w", err)
		}
		return &d, nil
	}
}

const evaluatorDefColumns = `workspace_id, version, definition, created_at`

// GetEvaluatorDef implements EvaluatorDefs.
func (e EvalSQL) GetEvaluatorDef(ctx context.Context, workspaceID, id string, version int) (*model.EvaluatorDef, error) {
	q := `SELECT ` + evaluatorDefColumns + ` FROM evaluator_defs WHERE workspace_id = $1 AND id = $2 AND version = $3`
	args := []any{workspaceID, id, version}
	if version == 0 {
		q = `SELECT ` + evaluatorDefColumns + ` FROM evaluator_defs WHERE workspace_id = $1 AND id = $2 AND NOT deleted
			ORDER BY version DESC LIMIT 1`
		args = args[:2]
	}
	list, err := e.evaluatorDefs(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "no evaluator %q", id)
	}
	return &list[0], nil
}

// ListEvaluatorDefs implements EvaluatorDefs.
func (e EvalSQL) ListEvaluatorDefs(ctx context.Context, workspaceID string) ([]model.EvaluatorDef, error) {
	return e.evaluatorDefs(ctx, `SELECT d.workspace_id, d.version, d.definition, d.created_at FROM evaluator_defs d
		WHERE d.workspace_id = $1 AND NOT d.deleted
		  AND d.version = (SELECT MAX(version) FROM evaluator_defs l WHERE l.workspace_id = d.workspace_id AND l.id = d.id)
		ORDER BY d.id`, workspaceID)
}

// ListEvaluatorVersions implements EvaluatorDefs.
func (e EvalSQL) ListEvaluatorVersions(ctx context.Context, workspaceID, id string) ([]model.EvaluatorDef, error) {
	return e.evaluatorDefs(ctx, `SELECT `+evaluatorDefColumns+` FROM evaluator_defs WHERE workspace_id = $1 AND id = $2
		ORDER BY version DESC`, workspaceID, id)
}

// DeleteEvaluatorDef implements EvaluatorDefs.
func (e EvalSQL) DeleteEvaluatorDef(ctx context.Context, workspaceID, id string) error {
	n, err := e.DB.Exec(ctx, `UPDATE evaluator_defs SET deleted = true WHERE workspace_id = $1 AND id = $2 AND NOT deleted`, workspaceID, id)
	if err != nil {
		return fmt.Errorf("cannot delete evaluator: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "no evaluator %q", id)
	}
	return nil
}
