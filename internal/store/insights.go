package store

import (
	"context"
	"fmt"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Insights keeps what the insights role computes and the Impact page's settings: stored
// analyses with their history, goals and impact settings, and the aggregates the analysers
// read. Every write is durable when it returns; the caller owns returned data.
type Insights interface {
	// PutInsightRun creates or replaces a run, keyed by (workspace, id).
	PutInsightRun(ctx context.Context, r model.InsightRun) error
	// GetInsightRun returns model.ENOTFOUND for an unknown run.
	GetInsightRun(ctx context.Context, workspaceID, id string) (*model.InsightRun, error)
	// ListInsightRuns lists runs newest first; kind "" takes every kind.
	ListInsightRuns(ctx context.Context, workspaceID, kind string, limit int) ([]model.InsightRun, error)
	// NarrationSpend sums what narrations cost since a time.
	NarrationSpend(ctx context.Context, workspaceID string, since time.Time) (float64, error)

	// PutGoal creates or replaces a goal.
	PutGoal(ctx context.Context, g model.Goal) error
	// GetGoal returns model.ENOTFOUND for an unknown goal.
	GetGoal(ctx context.Context, workspaceID, id string) (*model.Goal, error)
	// ListGoals lists goals by creation.
	ListGoals(ctx context.Context, workspaceID string) ([]model.Goal, error)
	// DeleteGoal returns model.ENOTFOUND for an unknown goal.
	DeleteGoal(ctx context.Context, workspaceID, id string) error
	// GetImpactSettings returns zero settings when none were stored.
	GetImpactSettings(ctx context.Context, workspaceID string) (model.ImpactSettings, error)
	PutImpactSettings(ctx context.Context, s model.ImpactSettings) error

	// QueryEvents lists events in [From, To) oldest first, of Types when given.
	QueryEvents(ctx context.Context, q EventQuery) ([]model.Event, error)

	// InsightUsage groups the window's traces by agent, task (trace name) and model.
	InsightUsage(ctx context.Context, q InsightQuery) ([]UsageRow, error)
	// InsightScored counts quality scores (human feedback, judge overall scores) of the
	// window's traces by agent, task and model, normalised to [0, 1].
	InsightScored(ctx context.Context, q InsightQuery) ([]ScoredRow, error)
	// InsightDuplicates lists groups of traces of one agent and model with identical
	// non-empty input, the costliest first.
	InsightDuplicates(ctx context.Context, q InsightQuery) ([]RepeatRow, error)
	// InsightPrefixes lists groups of distinct inputs of one agent and model that share
	// their first PrefixChars characters, with no cached tokens reported.
	InsightPrefixes(ctx context.Context, q InsightQuery) ([]RepeatRow, error)
	// InsightLoops lists, per agent, span names called MinRepeats times or more within one
	// trace (retries, tool loops).
	InsightLoops(ctx context.Context, q InsightQuery) ([]LoopRow, error)
	// InsightLongContexts lists, per agent and model, traces whose input tokens exceed
	// three times the agent's mean and MinContextTokens.
	InsightLongContexts(ctx context.Context, q InsightQuery) ([]LongContextRow, error)
	// InsightErrors counts failed traces by error message, agent, model and hour.
	InsightErrors(ctx context.Context, q InsightQuery) ([]ErrorRow, error)
	// InsightFeedback lists human feedback of the window: comments (one per trace and
	// text) and normalised values, newest first, at most Limit.
	InsightFeedback(ctx context.Context, q InsightQuery) ([]FeedbackRow, error)
}

// InsightQuery is the window and thresholds of an analysis.
type InsightQuery struct {
	WorkspaceID string
	From, To    time.Time
	// AgentID restricts to one agent when set.
	AgentID string
	// PrefixChars is the shared prefix length of InsightPrefixes.
	PrefixChars int
	// MinRepeats is the repeat count of InsightLoops.
	MinRepeats int
	// MinContextTokens is the floor of InsightLongContexts.
	MinContextTokens int64
	Limit            int
}

// EventQuery selects events.
type EventQuery struct {
	WorkspaceID string
	From, To    time.Time
	Types       []string
	AgentID     string
	Limit       int
}

// UsageRow is one (agent, task, model) group of traces.
type UsageRow struct {
	AgentID, Task, Model, Provider          string
	Traces, Success                         int64
	TokensInput, TokensOutput, TokensCached int64
	CostUSD                                 float64
}

// ScoredRow counts the quality scores of one (agent, task, model).
type ScoredRow struct {
	AgentID, Task, Model string
	Scores               int64
	Mean                 float64
}

// RepeatRow is a group of repeated inputs: identical ones or ones sharing a prefix.
type RepeatRow struct {
	AgentID, Model string
	Sample         string
	Count          int64
	TokensInput    int64
	CostUSD        float64
	// MinCostUSD is the cheapest trace of the group.
	MinCostUSD            float64
	FirstTrace, LastTrace string
}

// LoopRow is one agent's repeated calls of a span name within traces.
type LoopRow struct {
	AgentID, SpanName, Kind string
	Traces                  int64
	Calls                   int64
	TokensTotal             int64
	CostUSD                 float64
	// ExtraCostUSD is the cost of the calls beyond the first of each trace, pro rata.
	ExtraCostUSD          float64
	FirstTrace, LastTrace string
}

// LongContextRow is one (agent, model) group of over-long inputs.
type LongContextRow struct {
	AgentID, Model        string
	Traces                int64
	ExcessTokens          int64
	MeanTokens            float64
	FirstTrace, LastTrace string
}

// ErrorRow is one (message, agent, model, hour) count of failed traces.
type ErrorRow struct {
	Message, AgentID, Model string
	Hour                    int64 // Unix hours
	Count                   int64
	First                   time.Time
	TraceID                 string
}

// FeedbackRow is one piece of human feedback.
type FeedbackRow struct {
	TraceID, AgentID string
	Name             string
	Value            float64 // normalised to [0, 1]; -1 for a comment alone
	Comment          string
	CreatedAt        time.Time
}

// InsightSQL implements Insights once for both SQL backends, which embed it.
type InsightSQL struct {
	DB      SQLConn
	Dialect Dialect
}

func (s InsightSQL) exec(ctx context.Context, what, q string, args ...any) (int64, error) {
	n, err := s.DB.Exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("cannot %s: %w", what, err)
	}
	return n, nil
}

// scanRows runs q and calls scan for each row.
func (s InsightSQL) scanRows(ctx context.Context, what, q string, args []any, scan func(Rows) error) error {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("cannot read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot read %s: %w", what, err)
	}
	return nil
}

// storedRun carries the workspace, which model.InsightRun keeps out of its JSON.
type storedRun struct {
	model.InsightRun
	WS string `json:"workspace_id"`
}

func (s InsightSQL) PutInsightRun(ctx context.Context, r model.InsightRun) error {
	_, err := s.exec(ctx, "store insight", `INSERT INTO insights (workspace_id, id, kind, created_at, window_from, window_to,
		narration_cost_usd, spec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (workspace_id, id) DO UPDATE SET spec = excluded.spec, narration_cost_usd = excluded.narration_cost_usd`,
		r.WorkspaceID, r.ID, r.Kind, r.CreatedAt, r.From, r.To, r.NarrationCost, mustJSON(storedRun{r, r.WorkspaceID}))
	return err
}

func (s InsightSQL) runs(ctx context.Context, q string, args ...any) ([]model.InsightRun, error) {
	rs, err := queryJSON[storedRun](ctx, s.DB, "insights", q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]model.InsightRun, len(rs))
	for i, r := range rs {
		out[i] = r.InsightRun
		out[i].WorkspaceID = r.WS
	}
	return out, nil
}

func (s InsightSQL) GetInsightRun(ctx context.Context, ws, id string) (*model.InsightRun, error) {
	rs, err := s.runs(ctx, `SELECT spec FROM insights WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "insight %q not found", id)
	}
	return &rs[0], nil
}

func (s InsightSQL) ListInsightRuns(ctx context.Context, ws, kind string, limit int) ([]model.InsightRun, error) {
	if limit <= 0 {
		limit = 50
	}
	return s.runs(ctx, `SELECT spec FROM insights WHERE workspace_id = $1 AND ($2 = '' OR kind = $2)
		ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(limit), ws, kind)
}

func (s InsightSQL) NarrationSpend(ctx context.Context, ws string, since time.Time) (float64, error) {
	var spend float64
	err := s.scanRows(ctx, "narration spend", `SELECT COALESCE(SUM(narration_cost_usd), 0) FROM insights
		WHERE workspace_id = $1 AND created_at >= $2`, []any{ws, since}, func(r Rows) error { return r.Scan(&spend) })
	return spend, err
}

type storedGoal struct {
	model.Goal
	WS string `json:"workspace_id"`
}

func (s InsightSQL) PutGoal(ctx context.Context, g model.Goal) error {
	_, err := s.exec(ctx, "store goal", `INSERT INTO goals (workspace_id, id, spec, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, id) DO UPDATE SET spec = excluded.spec`, g.WorkspaceID, g.ID, mustJSON(storedGoal{g, g.WorkspaceID}), g.CreatedAt)
	return err
}

func (s InsightSQL) goals(ctx context.Context, q string, args ...any) ([]model.Goal, error) {
	gs, err := queryJSON[storedGoal](ctx, s.DB, "goals", q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]model.Goal, len(gs))
	for i, g := range gs {
		out[i] = g.Goal
		out[i].WorkspaceID = g.WS
	}
	return out, nil
}

func (s InsightSQL) GetGoal(ctx context.Context, ws, id string) (*model.Goal, error) {
	gs, err := s.goals(ctx, `SELECT spec FROM goals WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "goal %q not found", id)
	}
	return &gs[0], nil
}

func (s InsightSQL) ListGoals(ctx context.Context, ws string) ([]model.Goal, error) {
	return s.goals(ctx, `SELECT spec FROM goals WHERE workspace_id = $1 ORDER BY created_at, id`, ws)
}

func (s InsightSQL) DeleteGoal(ctx context.Context, ws, id string) error {
	n, err := s.exec(ctx, "delete goal", `DELETE FROM goals WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err == nil && n == 0 {
		return model.Errorf(model.ENOTFOUND, "goal %q not found", id)
	}
	return err
}

func (s InsightSQL) GetImpactSettings(ctx context.Context, ws string) (model.ImpactSettings, error) {
	st, err := queryJSON[model.ImpactSettings](ctx, s.DB, "impact settings", `SELECT spec FROM impact_settings WHERE workspace_id = $1`, ws)
	if err != nil || len(st) == 0 {
		return model.ImpactSettings{WorkspaceID: ws}, err
	}
	st[0].WorkspaceID = ws
	return st[0], nil
}

func (s InsightSQL) PutImpactSettings(ctx context.Context, st model.ImpactSettings) error {
	_, err := s.exec(ctx, "store impact settings", `INSERT INTO impact_settings (workspace_id, spec) VALUES ($1, $2)
		ON CONFLICT (workspace_id) DO UPDATE SET spec = excluded.spec`, st.WorkspaceID, mustJSON(st))
	return err
}

func (s InsightSQL) QueryEvents(ctx context.Context, q EventQuery) ([]model.Event, error) {
	var args SQLArgs
	where := "workspace_id = " + args.Add(q.WorkspaceID)
	if !q.From.IsZero() {
		where += " AND time >= " + args.Add(q.From)
	}
	if !q.To.IsZero() {
		where += " AND time < " + args.Add(q.To)
	}
	if q.AgentID != "" {
		where += " AND agent_id = " + args.Add(q.AgentID)
	}
	if len(q.Types) > 0 {
		where += " AND " + s.Dialect.AnyOf("type", args.Add(q.Types))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 500
	}
	out := []model.Event{}
	err := s.scanRows(ctx, "events", `SELECT id, time, type, agent_id, title, severity, details FROM events WHERE `+where+
		` ORDER BY time, id LIMIT `+fmt.Sprint(limit), args, func(r Rows) error {
		e := model.Event{WorkspaceID: q.WorkspaceID}
		var details string
		if err := r.Scan(&e.ID, &e.Time, &e.Type, &e.AgentID, &e.Title, &e.Severity, &details); err != nil {
			return err
		}
		e.Time = e.Time.UTC()
		e.Details = []byte(details)
		out = append(out, e)
		return nil
	})
	return out, err
}

// whereWindow renders the workspace, window and agent conditions on the traces table.
func whereWindow(q InsightQuery, prefix string, args *SQLArgs) string {
	w := prefix + "workspace_id = " + args.Add(q.WorkspaceID) + " AND " + prefix + "start_time >= " + args.Add(q.From) +
		" AND " + prefix + "start_time < " + args.Add(q.To)
	if q.AgentID != "" {
		w += " AND " + prefix + "agent_id = " + args.Add(q.AgentID)
	}
	return w
}

func limitOf(q InsightQuery, def int) string {
	if q.Limit > 0 {
		return fmt.Sprint(q.Limit)
	}
	return fmt.Sprint(def)
}

func (s InsightSQL) InsightUsage(ctx context.Context, q InsightQuery) ([]UsageRow, error) {
	var args SQLArgs
	var out []UsageRow
	err := s.scanRows(ctx, "model usage", `SELECT agent_id, name, model, provider, COUNT(*),
		SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END), COALESCE(SUM(tokens_input), 0), COALESCE(SUM(tokens_output), 0),
		COALESCE(SUM(tokens_cached), 0), COALESCE(SUM(cost_usd), 0)
		FROM traces WHERE `+whereWindow(q, "", &args)+`
		GROUP BY agent_id, name, model, provider ORDER BY 10 DESC, 1, 2, 3`, args, func(r Rows) error {
		var u UsageRow
		if err := r.Scan(&u.AgentID, &u.Task, &u.Model, &u.Provider, &u.Traces, &u.Success, &u.TokensInput, &u.TokensOutput, &u.TokensCached, &u.CostUSD); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	return out, err
}

func (s InsightSQL) InsightScored(ctx context.Context, q InsightQuery) ([]ScoredRow, error) {
	var args SQLArgs
	where := whereWindow(q, "t.", &args)
	// Human thumbs are 0 or 1, user scores 0 to 100, judges' overall scores 0 to 1.
	sq := `SELECT s.workspace_id, s.trace_id, CASE WHEN s.name = 'user_score' THEN s.value / 100 ELSE s.value END AS v
		FROM scores s WHERE s.workspace_id = $1 AND s.name IN ('thumbs', 'user_score')
		UNION ALL SELECT e.workspace_id, e.trace_id, e.score FROM evaluation_scores e WHERE e.workspace_id = $1 AND e.criterion = 'overall'`
	var out []ScoredRow
	err := s.scanRows(ctx, "quality scores", `SELECT t.agent_id, t.name, t.model, COUNT(*), AVG(x.v)
		FROM (`+sq+`) x JOIN traces t ON t.workspace_id = x.workspace_id AND t.trace_id = x.trace_id
		WHERE `+where+` GROUP BY t.agent_id, t.name, t.model ORDER BY 1, 2, 3`, args, func(r Rows) error {
		var sr ScoredRow
		if err := r.Scan(&sr.AgentID, &sr.Task, &sr.Model, &sr.Scores, &sr.Mean); err != nil {
			return err
		}
		out = append(out, sr)
		return nil
	})
	return out, err
}

func (s InsightSQL) scanRepeats(ctx context.Context, what, q string, args []any) ([]RepeatRow, error) {
	var out []RepeatRow
	err := s.scanRows(ctx, what, q, args, func(r Rows) error {
		var x RepeatRow
		if err := r.Scan(&x.AgentID, &x.Model, &x.Sample, &x.Count, &x.TokensInput, &x.CostUSD, &x.MinCostUSD, &x.FirstTrace, &x.LastTrace); err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

func (s InsightSQL) InsightDuplicates(ctx context.Context, q InsightQuery) ([]RepeatRow, error) {
	var args SQLArgs
	return s.scanRepeats(ctx, "duplicate requests", `SELECT agent_id, model, MIN(LEFT(input, 200)), COUNT(*),
		COALESCE(SUM(tokens_input), 0), COALESCE(SUM(cost_usd), 0), COALESCE(MIN(cost_usd), 0), MIN(trace_id), MAX(trace_id)
		FROM traces WHERE `+whereWindow(q, "", &args)+` AND input <> ''
		GROUP BY agent_id, model, input HAVING COUNT(*) > 1
		ORDER BY 6 - 7 DESC, 1, 2, 8 LIMIT `+limitOf(q, 50), args)
}

func (s InsightSQL) InsightPrefixes(ctx context.Context, q InsightQuery) ([]RepeatRow, error) {
	n := q.PrefixChars
	if n <= 0 {
		n = 1000
	}
	var args SQLArgs
	where := whereWindow(q, "", &args)
	return s.scanRepeats(ctx, "shared prompt prefixes", `SELECT agent_id, model, LEFT(input, `+fmt.Sprint(n)+`), COUNT(*),
		COALESCE(SUM(tokens_input), 0), COALESCE(SUM(cost_usd), 0), COALESCE(MIN(cost_usd), 0), MIN(trace_id), MAX(trace_id)
		FROM traces WHERE `+where+` AND LENGTH(input) >= `+fmt.Sprint(n)+`
		GROUP BY agent_id, model, LEFT(input, `+fmt.Sprint(n)+`)
		HAVING COUNT(DISTINCT input) > 1 AND COALESCE(SUM(tokens_cached), 0) = 0
		ORDER BY 4 DESC, 1, 2, 8 LIMIT `+limitOf(q, 50), args)
}

func (s InsightSQL) InsightLoops(ctx context.Context, q InsightQuery) ([]LoopRow, error) {
	rep := q.MinRepeats
	if rep < 2 {
		rep = 3
	}
	var args SQLArgs
	tw := whereWindow(q, "t.", &args)
	sw := "s.workspace_id = $1 AND s.start_time >= $2 AND s.start_time < $3"
	// Spans start after their trace; a span of a trace started in the window starts before
	// the window's end plus a day in practice, which keeps the scan on the spans' time.
	args = append(args, q.To.Add(24*time.Hour))
	sw = "s.workspace_id = $1 AND s.start_time >= $2 AND s.start_time < $" + fmt.Sprint(len(args))
	var out []LoopRow
	err := s.scanRows(ctx, "repeated calls", `SELECT t.agent_id, g.name, g.kind, COUNT(*), SUM(g.n), SUM(g.tok), SUM(g.cost),
		SUM(g.cost * (g.n - 1) / g.n), MIN(t.trace_id), MAX(t.trace_id)
		FROM (SELECT s.trace_id, s.name, s.kind, COUNT(*) AS n, COALESCE(SUM(s.tokens_total), 0) AS tok, COALESCE(SUM(s.cost_usd), 0) AS cost
		      FROM spans s WHERE `+sw+` AND s.kind IN ('llm', 'tool')
		      GROUP BY s.trace_id, s.name, s.kind HAVING COUNT(*) >= `+fmt.Sprint(rep)+`) g
		JOIN traces t ON t.workspace_id = $1 AND t.trace_id = g.trace_id
		WHERE `+tw+` GROUP BY t.agent_id, g.name, g.kind ORDER BY 8 DESC, 1, 2 LIMIT `+limitOf(q, 50), args, func(r Rows) error {
		var l LoopRow
		if err := r.Scan(&l.AgentID, &l.SpanName, &l.Kind, &l.Traces, &l.Calls, &l.TokensTotal, &l.CostUSD, &l.ExtraCostUSD, &l.FirstTrace, &l.LastTrace); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

func (s InsightSQL) InsightLongContexts(ctx context.Context, q InsightQuery) ([]LongContextRow, error) {
	floor := q.MinContextTokens
	if floor <= 0 {
		floor = 4000
	}
	var args SQLArgs
	w := whereWindow(q, "", &args)
	tw := whereWindow(q, "t.", &args)
	var out []LongContextRow
	err := s.scanRows(ctx, "long contexts", `WITH a AS (SELECT agent_id, AVG(tokens_input) AS av FROM traces WHERE `+w+`
		AND tokens_input IS NOT NULL GROUP BY agent_id)
		SELECT t.agent_id, t.model, COUNT(*), CAST(SUM(t.tokens_input - a.av) AS BIGINT), MIN(a.av), MIN(t.trace_id), MAX(t.trace_id)
		FROM traces t JOIN a ON a.agent_id = t.agent_id
		WHERE `+tw+` AND t.tokens_input > 3 * a.av AND t.tokens_input >= `+fmt.Sprint(floor)+`
		GROUP BY t.agent_id, t.model ORDER BY 4 DESC, 1, 2 LIMIT `+limitOf(q, 50), args, func(r Rows) error {
		var l LongContextRow
		if err := r.Scan(&l.AgentID, &l.Model, &l.Traces, &l.ExcessTokens, &l.MeanTokens, &l.FirstTrace, &l.LastTrace); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

func (s InsightSQL) InsightErrors(ctx context.Context, q InsightQuery) ([]ErrorRow, error) {
	var args SQLArgs
	var out []ErrorRow
	err := s.scanRows(ctx, "errors", `SELECT CASE WHEN error_message <> '' THEN error_message ELSE CASE WHEN error_type <> '' THEN error_type ELSE status END END,
		agent_id, model, CAST(floor(extract(epoch FROM start_time) / 3600) AS BIGINT) AS h, COUNT(*), MIN(start_time), MIN(trace_id)
		FROM traces WHERE `+whereWindow(q, "", &args)+` AND status <> 'success'
		GROUP BY 1, 2, 3, 4 ORDER BY 4, 1, 2, 3 LIMIT `+limitOf(q, 200000), args, func(r Rows) error {
		var e ErrorRow
		if err := r.Scan(&e.Message, &e.AgentID, &e.Model, &e.Hour, &e.Count, &e.First, &e.TraceID); err != nil {
			return err
		}
		e.First = e.First.UTC()
		out = append(out, e)
		return nil
	})
	return out, err
}

func (s InsightSQL) InsightFeedback(ctx context.Context, q InsightQuery) ([]FeedbackRow, error) {
	var args SQLArgs
	tw := whereWindow(q, "t.", &args)
	var out []FeedbackRow
	err := s.scanRows(ctx, "feedback", `SELECT s.trace_id, t.agent_id, s.name,
		CASE WHEN s.name = 'thumbs' THEN s.value WHEN s.name = 'user_score' THEN s.value / 100 ELSE -1 END, s.comment, s.created_at
		FROM scores s JOIN traces t ON t.workspace_id = s.workspace_id AND t.trace_id = s.trace_id
		WHERE `+tw+` AND s.source = 'human' AND (s.name IN ('thumbs', 'user_score') OR s.comment <> '')
		ORDER BY s.created_at DESC, s.trace_id, s.score_id LIMIT `+limitOf(q, 50000), args, func(r Rows) error {
		var f FeedbackRow
		if err := r.Scan(&f.TraceID, &f.AgentID, &f.Name, &f.Value, &f.Comment, &f.CreatedAt); err != nil {
			return err
		}
		f.CreatedAt = f.CreatedAt.UTC()
		out = append(out, f)
		return nil
	})
	return out, err
}
