package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Guardrails stores guardrail violations for querying, workspace rules and settings.
type Guardrails interface {
	// WriteViolations upserts violations; idempotent on (workspace, id). Durable on return.
	WriteViolations(ctx context.Context, violations []model.Violation) error
	// QueryViolations returns a page of violations matching f, newest first (time, then id
	// descending); the caller owns the result.
	QueryViolations(ctx context.Context, f ViolationFilter) ([]model.Violation, error)
	// ViolationCounts counts violations matching f per time bucket and type.
	ViolationCounts(ctx context.Context, f ViolationFilter, bucket string) ([]ViolationCount, error)

	// PutGuardrailRule inserts or replaces a rule (by workspace and id).
	PutGuardrailRule(ctx context.Context, r model.GuardrailRule) error
	// GuardrailRules lists a workspace's rules by creation time.
	GuardrailRules(ctx context.Context, workspaceID string) ([]model.GuardrailRule, error)
	// DeleteGuardrailRule removes a rule; an unknown id returns model.ENOTFOUND.
	DeleteGuardrailRule(ctx context.Context, workspaceID, id string) error

	// GuardrailSettings returns the workspace's settings; a workspace that never saved any
	// gets model.ENOTFOUND.
	GuardrailSettings(ctx context.Context, workspaceID string) (*model.GuardrailSettings, error)
	PutGuardrailSettings(ctx context.Context, s model.GuardrailSettings) error
}

// ViolationFilter selects violations. Zero fields do not filter.
type ViolationFilter struct {
	WorkspaceID string
	From, To    time.Time
	Types       []string
	Subtypes    []string
	Severities  []string
	Actions     []string
	AgentIDs    []string
	TraceID     string
	// After continues a listing after the violation with this time and id (keyset page).
	AfterTime time.Time
	AfterID   string
	Limit     int
}

// ViolationCount is the number of violations of one type in one time bucket.
type ViolationCount struct {
	Bucket time.Time `json:"bucket"`
	Type   string    `json:"type"`
	Count  int64     `json:"count"`
}

// ViolationColumns are the columns of a violation row, in the order ScanViolation reads.
const ViolationColumns = `workspace_id, id, time, trace_id, span_id, agent_id, type, subtype, severity, action, detail, direction, score, detector, rule_id`

// ViolationArgs are a violation's values in ViolationColumns order.
func ViolationArgs(v *model.Violation) []any {
	return []any{v.WorkspaceID, v.ID, v.Time, v.TraceID, v.SpanID, v.AgentID, v.Type, v.Subtype, v.Severity, v.Action,
		v.Detail, v.Direction, v.Score, v.Detector, v.RuleID}
}

// ViolationDest are the scan targets of a row in ViolationColumns order.
func ViolationDest(v *model.Violation) []any {
	return []any{&v.WorkspaceID, &v.ID, &v.Time, &v.TraceID, &v.SpanID, &v.AgentID, &v.Type, &v.Subtype, &v.Severity,
		&v.Action, &v.Detail, &v.Direction, &v.Score, &v.Detector, &v.RuleID}
}

// violationConflict makes writing a violation again replace it: ids derive from what was
// found where, so a rescanned trace rewrites the same rows.
const violationConflict = `ON CONFLICT (workspace_id, id) DO UPDATE SET time = excluded.time, trace_id = excluded.trace_id,
	span_id = excluded.span_id, agent_id = excluded.agent_id, type = excluded.type, subtype = excluded.subtype,
	severity = excluded.severity, action = excluded.action, detail = excluded.detail, direction = excluded.direction,
	score = excluded.score, detector = excluded.detector, rule_id = excluded.rule_id`

// UpsertViolationSQL writes one violation ($1.. in ViolationColumns order).
const UpsertViolationSQL = `INSERT INTO violations (` + ViolationColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
	` + violationConflict

// MergeViolationsSQL writes every row of table (ViolationColumns, no identity twice) in one
// statement.
func MergeViolationsSQL(table string) string {
	return `INSERT INTO violations (` + ViolationColumns + `) SELECT ` + ViolationColumns + ` FROM ` + table + `
	` + violationConflict
}

// DedupeViolations keeps the last of violations sharing an identity, in first-seen order:
// one statement cannot write a row twice.
func DedupeViolations(in []model.Violation) []model.Violation {
	index := make(map[[2]string]int, len(in))
	out := make([]model.Violation, 0, len(in))
	for _, v := range in {
		k := [2]string{v.WorkspaceID, v.ID}
		if i, ok := index[k]; ok {
			out[i] = v
			continue
		}
		index[k] = len(out)
		out = append(out, v)
	}
	return out
}

func (d Dialect) whereViolations(f ViolationFilter, args *SQLArgs) string {
	c := []string{"workspace_id = " + args.Add(f.WorkspaceID)}
	if !f.From.IsZero() {
		c = append(c, "time >= "+args.Add(f.From))
	}
	if !f.To.IsZero() {
		c = append(c, "time < "+args.Add(f.To))
	}
	in := func(col string, vals []string) { c = d.appendIn(c, col, vals, args) }
	in("type", f.Types)
	in("subtype", f.Subtypes)
	in("severity", f.Severities)
	in("action", f.Actions)
	in("agent_id", f.AgentIDs)
	if f.TraceID != "" {
		c = append(c, "trace_id = "+args.Add(f.TraceID))
	}
	return strings.Join(c, " AND ")
}

// ViolationsQuery renders the page query of f.
func (d Dialect) ViolationsQuery(f ViolationFilter) (string, SQLArgs) {
	var args SQLArgs
	where := d.whereViolations(f, &args)
	if !f.AfterTime.IsZero() {
		t, id := args.Add(f.AfterTime), args.Add(f.AfterID)
		where += " AND (time < " + t + " OR (time = " + t + " AND id < " + id + "))"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	return `SELECT ` + ViolationColumns + ` FROM violations WHERE ` + where +
		` ORDER BY time DESC, id DESC LIMIT ` + args.Add(limit), args
}

// ViolationCountsQuery renders the per-bucket, per-type counts of f; bucket is hour or day.
func (d Dialect) ViolationCountsQuery(f ViolationFilter, bucket string) (string, SQLArgs, error) {
	if bucket != "hour" && bucket != "day" {
		return "", nil, fmt.Errorf("bucket %q: use hour or day", bucket)
	}
	var args SQLArgs
	where := d.whereViolations(f, &args)
	return `SELECT date_trunc('` + bucket + `', time) AS b, type, count(*) FROM violations WHERE ` + where +
		` GROUP BY b, type ORDER BY b, type`, args, nil
}

// Guardrail rule and settings statements, the same for both SQL backends.
const (
	UpsertGuardrailRuleSQL = `INSERT INTO guardrail_rules (workspace_id, id, definition, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, id) DO UPDATE SET definition = excluded.definition,
		updated_at = excluded.updated_at`
	SelectGuardrailRulesSQL = `SELECT definition, created_at, updated_at FROM guardrail_rules
		WHERE workspace_id = $1 ORDER BY created_at, id`
	DeleteGuardrailRuleSQL     = `DELETE FROM guardrail_rules WHERE workspace_id = $1 AND id = $2`
	UpsertGuardrailSettingsSQL = `INSERT INTO guardrail_settings (workspace_id, actions, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id) DO UPDATE SET actions = excluded.actions, updated_at = excluded.updated_at`
	SelectGuardrailSettingsSQL = `SELECT actions, updated_at FROM guardrail_settings WHERE workspace_id = $1`
)

// ViolationCursor encodes the keyset position after v for the next page.
func ViolationCursor(v model.Violation) string {
	return base64.RawURLEncoding.EncodeToString([]byte(v.Time.UTC().Format(time.RFC3339Nano) + "|" + v.ID))
}

// ParseViolationCursor decodes a cursor made by ViolationCursor.
func ParseViolationCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("cannot decode cursor: %w", err)
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return time.Time{}, "", fmt.Errorf("cannot decode cursor: no id")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("cannot decode cursor: %w", err)
	}
	return t, id, nil
}

// DecodeGuardrailRule reads a stored rule definition.
func DecodeGuardrailRule(workspaceID, def string, created, updated time.Time) (model.GuardrailRule, error) {
	var r model.GuardrailRule
	if err := json.Unmarshal([]byte(def), &r); err != nil {
		return r, fmt.Errorf("cannot decode guardrail rule: %w", err)
	}
	r.WorkspaceID, r.CreatedAt, r.UpdatedAt = workspaceID, created.UTC(), updated.UTC()
	return r, nil
}

// DecodeGuardrailSettings completes gs with its stored actions.
func DecodeGuardrailSettings(gs model.GuardrailSettings, actions string) (*model.GuardrailSettings, error) {
	if err := json.Unmarshal([]byte(actions), &gs.Actions); err != nil {
		return nil, fmt.Errorf("cannot decode guardrail settings: %w", err)
	}
	gs.UpdatedAt = gs.UpdatedAt.UTC()
	return &gs, nil
}

// SettingsError turns "no row" into model.ENOTFOUND.
func SettingsError(err error) error {
	// database/sql and pgx each have their own "no rows" error; both say so in their text.
	if errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no rows in result set") {
		return model.Errorf(model.ENOTFOUND, "no guardrail settings saved")
	}
	return fmt.Errorf("cannot read guardrail settings: %w", err)
}

// GuardrailRuleArgs are the arguments of UpsertGuardrailRuleSQL for r.
func GuardrailRuleArgs(r model.GuardrailRule) ([]any, error) {
	def, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("cannot encode guardrail rule: %w", err)
	}
	return []any{r.WorkspaceID, r.ID, string(def), r.CreatedAt, r.UpdatedAt}, nil
}

// GuardrailSettingsArgs are the arguments of UpsertGuardrailSettingsSQL for gs.
func GuardrailSettingsArgs(gs model.GuardrailSettings) ([]any, error) {
	actions, err := json.Marshal(gs.Actions)
	if err != nil {
		return nil, fmt.Errorf("cannot encode guardrail settings: %w", err)
	}
	return []any{gs.WorkspaceID, string(actions), gs.UpdatedAt}, nil
}
