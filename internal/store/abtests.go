package store

import (
	"context"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// ABTests keeps A/B test definitions and reads the per-unit figures their results need.
type ABTests interface {
	// CreateABTest stores a test (its definition as JSON); an existing id is ECONFLICT.
	CreateABTest(ctx context.Context, workspaceID, id string, definition []byte, createdAt time.Time) error
	// ListABTests returns definitions, newest first; GetABTest returns ENOTFOUND when unknown.
	ListABTests(ctx context.Context, workspaceID string) ([][]byte, error)
	GetABTest(ctx context.Context, workspaceID, id string) ([]byte, error)
	// UnitStats aggregates traces per unit (user or session) started in [from, to).
	UnitStats(ctx context.Context, q UnitQuery) ([]UnitStats, error)
}

// UnitQuery selects the traces of an A/B test.
type UnitQuery struct {
	WorkspaceID string
	Unit        string // "user" or "session"
	AgentID     string // "" any
	From, To    time.Time
}

// UnitStats are one unit's traces: counts and sums from which each metric is a ratio.
type UnitStats struct {
	Unit         string
	Traces       int64
	Successes    int64
	LatencyMsSum float64
	CostSum      float64
	EvalSum      float64 // overall judge scores of its judged traces
	EvalCount    int64
	ThumbsSum    float64 // human thumbs (1 up, 0 down)
	ThumbsCount  int64
}

// CreateABTest implements ABTests.
func (e EvalSQL) CreateABTest(ctx context.Context, workspaceID, id string, definition []byte, createdAt time.Time) error {
	_, err := e.DB.Exec(ctx, `INSERT INTO ab_tests (workspace_id, id, definition, created_at) VALUES ($1, $2, $3, $4)`,
		workspaceID, id, clean(string(definition)), createdAt)
	if err != nil && e.DB.IsUniqueViolation(err) {
		return model.Errorf(model.ECONFLICT, "A/B test %q already exists", id)
	}
	if err != nil {
		return fmt.Errorf("cannot create A/B test: %w", err)
	}
	return nil
}

// ListABTests implements ABTests.
func (e EvalSQL) ListABTests(ctx context.Context, workspaceID string) ([][]byte, error) {
	out := [][]byte{}
	err := e.DB.Query(ctx, `SELECT definition FROM ab_tests WHERE workspace_id = $1 ORDER BY created_at DESC, id`,
		[]any{workspaceID}, func(scan func(...any) error) error {
			var d string
			if err := scan(&d); err != nil {
				return err
			}
			out = append(out, []byte(d))
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cannot list A/B tests: %w", err)
	}
	return out, nil
}

// GetABTest implements ABTests.
func (e EvalSQL) GetABTest(ctx context.Context, workspaceID, id string) ([]byte, error) {
	var out []byte
	err := e.DB.Query(ctx, `SELECT definition FROM ab_tests WHERE workspace_id = $1 AND id = $2`,
		[]any{workspaceID, id}, func(scan func(...any) error) error {
			var d string
			err := scan(&d)
			out = []byte(d)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("cannot read A/B test: %w", err)
	}
	if out == nil {
		return nil, model.Errorf(model.ENOTFOUND, "A/B test %q not found", id)
	}
	return out, nil
}

// UnitStats implements ABTests.
func (e EvalSQL) UnitStats(ctx context.Context, q UnitQuery) ([]UnitStats, error) {
	col := "user_id"
	if q.Unit == "session" {
		col = "session_id"
	}
	var args SQLArgs
	ws := args.Add(q.WorkspaceID)
	where := "workspace_id = " + ws + " AND " + col + " <> '' AND start_time >= " + args.Add(q.From) + " AND start_time < " + args.Add(q.To)
	if q.AgentID != "" {
		where += " AND agent_id = " + args.Add(q.AgentID)
	}
	query := `WITH t AS (SELECT trace_id, ` + col + ` AS unit, status, latency_ms, coalesce(cost_usd, 0) AS cost FROM traces WHERE ` + where + `),
		e AS (SELECT trace_id, avg(score) AS s FROM evaluation_scores WHERE workspace_id = ` + ws + ` AND criterion = 'overall'
			AND trace_id IN (SELECT trace_id FROM t) GROUP BY trace_id),
		f AS (SELECT trace_id, avg(value) AS v FROM scores WHERE workspace_id = ` + ws + ` AND name = 'thumbs'
			AND trace_id IN (SELECT trace_id FROM t) GROUP BY trace_id)
		SELECT t.unit, count(*), CAST(sum(CASE WHEN t.status = 'success' THEN 1 ELSE 0 END) AS BIGINT),
			CAST(sum(t.latency_ms) AS DOUBLE PRECISION), CAST(sum(t.cost) AS DOUBLE PRECISION),
			CAST(coalesce(sum(e.s), 0) AS DOUBLE PRECISION), count(e.s), CAST(coalesce(sum(f.v), 0) AS DOUBLE PRECISION), count(f.v)
		FROM t LEFT JOIN e ON e.trace_id = t.trace_id LEFT JOIN f ON f.trace_id = t.trace_id
		GROUP BY t.unit ORDER BY t.unit`
	out := []UnitStats{}
	err := e.DB.Query(ctx, query, args, func(scan func(...any) error) error {
		var u UnitStats
		var lat, cost, ev, th float64
		if err := scan(&u.Unit, &u.Traces, &u.Successes, &lat, &cost, &ev, &u.EvalCount, &th, &u.ThumbsCount); err != nil {
			return err
		}
		u.LatencyMsSum, u.CostSum, u.EvalSum, u.ThumbsSum = lat, cost, ev, th
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot aggregate A/B units: %w", err)
	}
	return out, nil
}
