package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Evaluations keeps what the evaluate role produces and reads: custom criteria, judge runs
// with their prompts, answers, verdicts and costs, batches, and human feedback scores.
type Evaluations interface {
	// PutCriterion stores or replaces the workspace's criterion of that name.
	PutCriterion(ctx context.Context, c model.Criterion) error
	// ListCriteria returns the workspace's custom criteria by name.
	ListCriteria(ctx context.Context, workspaceID string) ([]model.Criterion, error)

	// CreateEvaluation inserts e (normally pending) unless an evaluation with the same
	// (workspace, JobKey) exists: jobs are idempotent. It returns the stored evaluation
	// and whether it was created by this call.
	CreateEvaluation(ctx context.Context, e model.Evaluation) (*model.Evaluation, bool, error)
	// FinishEvaluation records the outcome of the evaluation e.ID (status, verdicts, answer,
	// usage, cost) and its per-criterion scores, in one transaction.
	FinishEvaluation(ctx context.Context, e model.Evaluation) error
	// GetEvaluation returns model.ENOTFOUND for an unknown id.
	GetEvaluation(ctx context.Context, workspaceID, id string) (*model.Evaluation, error)
	// ListEvaluations returns a page, newest first, and the number of matches.
	ListEvaluations(ctx context.Context, q EvaluationQuery) ([]model.Evaluation, int64, error)
	// CachedEvaluation returns the newest done or unparsable evaluation with that cache
	// key, or nil.
	CachedEvaluation(ctx context.Context, workspaceID, cacheKey string) (*model.Evaluation, error)
	// JudgeSpend sums the cost of the judge calls of an evaluator (all when "") since a time.
	JudgeSpend(ctx context.Context, workspaceID, evaluatorID string, since time.Time) (float64, error)
	// QualityScores aggregates per-criterion scores of finished evaluations.
	QualityScores(ctx context.Context, q QualityQuery) ([]QualityRow, error)

	// CreateEvalBatch stores a batch; GetEvalBatch fills its counts by status.
	CreateEvalBatch(ctx context.Context, b model.EvalBatch) error
	GetEvalBatch(ctx context.Context, workspaceID, id string) (*model.EvalBatch, error)

	// PutScore stores or replaces a score of a stored trace (human feedback); the trace
	// must exist (model.ENOTFOUND otherwise).
	PutScore(ctx context.Context, s model.Score) error
	// CompletedTraces lists traces that ended in [from, to), oldest first.
	CompletedTraces(ctx context.Context, workspaceID string, from, to time.Time, limit int) ([]TraceRef, error)
	// CompletedSessions lists the sessions whose last trace ended in [from, to), by that end
	// (oldest first), each as a TraceRef with SessionID and EndTime set: a session with a
	// trace ending at or after `to` is not complete yet.
	CompletedSessions(ctx context.Context, workspaceID string, from, to time.Time, limit int) ([]TraceRef, error)
	// SessionTraces returns the first limit traces of a session by start time (without
	// spans or scores) and how many it has in all; no traces: model.ENOTFOUND.
	SessionTraces(ctx context.Context, workspaceID, sessionID string, limit int) ([]model.Trace, int64, error)

	EvaluatorDefs
}

// EvaluationQuery selects evaluations.
type EvaluationQuery struct {
	WorkspaceID string
	TraceID     string
	SessionID   string
	Source      string // manual, batch, auto; "" any
	BatchID     string
	Status      string
	From, To    time.Time
	Limit       int
	Offset      int
}

// QualityQuery aggregates scores from From to To, by Bucket (ms, 0: one bucket) and
// optionally by agent.
type QualityQuery struct {
	WorkspaceID string
	From, To    time.Time
	BucketMs    int64
	ByAgent     bool
}

// QualityRow is the mean score of one criterion ("overall" for the overall score).
type QualityRow struct {
	BucketMs  int64  `json:"bucket_ms"`
	AgentID   string `json:"agent_id,omitempty"`
	Criterion string `json:"criterion"`
	// Source is QualityJudge for the judge's criteria and QualityAPI for scores sent
	// through the API under that name (their scale is the sender's, not 0-100).
	Source string  `json:"source"`
	Mean   float64 `json:"mean"`
	Count  int64   `json:"count"`
}

// Where a QualityRow's scores come from.
const (
	QualityJudge = "judge"
	QualityAPI   = "api"
)

// SQLRunner is what EvalSQL needs of a backend: statements with $N placeholders, run in
// one transaction by Tx.
type SQLRunner interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	Query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error
	Tx(ctx context.Context, fn func(tx SQLRunner) error) error
	// IsUniqueViolation reports a unique-key conflict.
	IsUniqueViolation(err error) bool
}

// EvalSQL implements Evaluations once for both SQL backends.
type EvalSQL struct{ DB SQLRunner }

func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// PutCriterion implements Evaluations.
func (e EvalSQL) PutCriterion(ctx context.Context, c model.Criterion) error {
	def, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = e.DB.Exec(ctx, `INSERT INTO eval_criteria (workspace_id, name, definition, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, name) DO UPDATE SET definition = excluded.definition`,
		c.WorkspaceID, c.Name, clean(string(def)), c.CreatedAt)
	if err != nil {
		return fmt.Errorf("cannot store criterion: %w", err)
	}
	return nil
}

// ListCriteria implements Evaluations.
func (e EvalSQL) ListCriteria(ctx context.Context, workspaceID string) ([]model.Criterion, error) {
	out := []model.Criterion{}
	err := e.DB.Query(ctx, `SELECT definition, created_at FROM eval_criteria WHERE workspace_id = $1 ORDER BY name`,
		[]any{workspaceID}, func(scan func(...any) error) error {
			var def string
			var at time.Time
			if err := scan(&def, &at); err != nil {
				return err
			}
			var c model.Criterion
			if err := json.Unmarshal([]byte(def), &c); err != nil {
				return err
			}
			c.WorkspaceID, c.CreatedAt = workspaceID, at.UTC()
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cannot list criteria: %w", err)
	}
	return out, nil
}

const evaluationColumns = `id, job_key, trace_id, agent_id, evaluator_id, evaluator_version, source, batch_id, status,
	overall, verdicts, prompt, raw_answer, error, provider, model, cache_key, cached, tokens_input, tokens_output,
	cost_usd, latency_ms, attempts, created_at, finished_at, span_id, session_id, judge_trace_id`

func scanEvaluation(workspaceID string, scan func(...any) error) (model.Evaluation, error) {
	ev := model.Evaluation{WorkspaceID: workspaceID}
	var verdicts string
	err := scan(&ev.ID, &ev.JobKey, &ev.TraceID, &ev.AgentID, &ev.EvaluatorID, &ev.EvaluatorVersion, &ev.Source, &ev.BatchID,
		&ev.Status, &ev.Overall, &verdicts, &ev.Prompt, &ev.RawAnswer, &ev.Error, &ev.Provider, &ev.Model, &ev.CacheKey,
		&ev.Cached, &ev.TokensInput, &ev.TokensOutput, &ev.CostUSD, &ev.LatencyMs, &ev.Attempts, &ev.CreatedAt, &ev.FinishedAt, &ev.SpanID,
		&ev.SessionID, &ev.JudgeTraceID)
	if err != nil {
		return ev, err
	}
	ev.Verdicts = []model.Verdict{}
	if verdicts != "" {
		if err := json.Unmarshal([]byte(verdicts), &ev.Verdicts); err != nil {
			return ev, err
		}
	}
	ev.CreatedAt = ev.CreatedAt.UTC()
	if ev.FinishedAt != nil {
		t := ev.FinishedAt.UTC()
		ev.FinishedAt = &t
	}
	return ev, nil
}

func evaluationArgs(ev model.Evaluation) ([]any, error) {
	verdicts := ev.Verdicts
	if verdicts == nil {
		verdicts = []model.Verdict{}
	}
	v, err := json.Marshal(verdicts)
	if err != nil {
		return nil, err
	}
	return []any{ev.WorkspaceID, ev.ID, ev.JobKey, ev.TraceID, ev.AgentID, ev.EvaluatorID, ev.EvaluatorVersion, ev.Source,
		ev.BatchID, ev.Status, ev.Overall, clean(string(v)), clean(ev.Prompt), clean(ev.RawAnswer), clean(ev.Error),
		ev.Provider, ev.Model, ev.CacheKey, ev.Cached, ev.TokensInput, ev.TokensOutput, ev.CostUSD, ev.LatencyMs,
		ev.Attempts, ev.CreatedAt, ev.FinishedAt, ev.SpanID, ev.SessionID, ev.JudgeTraceID}, nil
}

func (e EvalSQL) getBy(ctx context.Context, db SQLRunner, workspaceID, col, val string) (*model.Evaluation, error) {
	var out *model.Evaluation
	err := db.Query(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE workspace_id = $1 AND `+col+` = $2`,
		[]any{workspaceID, val}, func(scan func(...any) error) error {
			ev, err := scanEvaluation(workspaceID, scan)
			out = &ev
			return err
		})
	return out, err
}

// CreateEvaluation implements Evaluations.
func (e EvalSQL) CreateEvaluation(ctx context.Context, ev model.Evaluation) (*model.Evaluation, bool, error) {
	args, err := evaluationArgs(ev)
	if err != nil {
		return nil, false, err
	}
	n, err := e.DB.Exec(ctx, `INSERT INTO evaluations (workspace_id, `+evaluationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
		ON CONFLICT (workspace_id, job_key) DO NOTHING`, args...)
	if err != nil && !e.DB.IsUniqueViolation(err) {
		return nil, false, fmt.Errorf("cannot create evaluation: %w", err)
	}
	if err == nil && n == 1 {
		return &ev, true, nil
	}
	got, err := e.getBy(ctx, e.DB, ev.WorkspaceID, "job_key", ev.JobKey)
	if err != nil || got == nil {
		return nil, false, fmt.Errorf("cannot read existing evaluation: %v", err)
	}
	return got, false, nil
}

// FinishEvaluation implements Evaluations.
func (e EvalSQL) FinishEvaluation(ctx context.Context, ev model.Evaluation) error {
	verdicts := ev.Verdicts
	if verdicts == nil {
		verdicts = []model.Verdict{}
	}
	v, err := json.Marshal(verdicts)
	if err != nil {
		return err
	}
	return e.DB.Tx(ctx, func(tx SQLRunner) error {
		n, err := tx.Exec(ctx, `UPDATE evaluations SET status = $3, overall = $4, verdicts = $5, prompt = $6,
			raw_answer = $7, error = $8, provider = $9, model = $10, cache_key = $11, cached = $12, tokens_input = $13,
			tokens_output = $14, cost_usd = $15, latency_ms = $16, attempts = $17, finished_at = $18, judge_trace_id = $19
			WHERE workspace_id = $1 AND id = $2`,
			ev.WorkspaceID, ev.ID, ev.Status, ev.Overall, clean(string(v)), clean(ev.Prompt), clean(ev.RawAnswer),
			clean(ev.Error), ev.Provider, ev.Model, ev.CacheKey, ev.Cached, ev.TokensInput, ev.TokensOutput, ev.CostUSD,
			ev.LatencyMs, ev.Attempts, ev.FinishedAt, ev.JudgeTraceID)
		if err != nil {
			return fmt.Errorf("cannot finish evaluation: %w", err)
		}
		if n == 0 {
			return model.Errorf(model.ENOTFOUND, "evaluation %q not found", ev.ID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM evaluation_scores WHERE workspace_id = $1 AND evaluation_id = $2`, ev.WorkspaceID, ev.ID); err != nil {
			return err
		}
		at := ev.CreatedAt
		if ev.FinishedAt != nil {
			at = *ev.FinishedAt
		}
		put := func(criterion string, score float64) error {
			_, err := tx.Exec(ctx, `INSERT INTO evaluation_scores (workspace_id, evaluation_id, trace_id, agent_id, source,
				criterion, score, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				ev.WorkspaceID, ev.ID, ev.TraceID, ev.AgentID, ev.Source, criterion, score, at)
			return err
		}
		for _, v := range ev.Verdicts {
			if v.Score != nil {
				if err := put(v.Criterion, *v.Score); err != nil {
					return fmt.Errorf("cannot store score: %w", err)
				}
			}
		}
		if ev.Overall != nil {
			if err := put(OverallCriterion, *ev.Overall); err != nil {
				return fmt.Errorf("cannot store score: %w", err)
			}
		}
		return nil
	})
}

// OverallCriterion names the overall score among per-criterion scores.
const OverallCriterion = "overall"

// GetEvaluation implements Evaluations.
func (e EvalSQL) GetEvaluation(ctx context.Context, workspaceID, id string) (*model.Evaluation, error) {
	ev, err := e.getBy(ctx, e.DB, workspaceID, "id", id)
	if err != nil {
		return nil, fmt.Errorf("cannot read evaluation: %w", err)
	}
	if ev == nil {
		return nil, model.Errorf(model.ENOTFOUND, "evaluation %q not found", id)
	}
	return ev, nil
}

// ListEvaluations implements Evaluations.
func (e EvalSQL) ListEvaluations(ctx context.Context, q EvaluationQuery) ([]model.Evaluation, int64, error) {
	var args SQLArgs
	c := []string{"workspace_id = " + args.Add(q.WorkspaceID)}
	eq := func(col, v string) {
		if v != "" {
			c = append(c, col+" = "+args.Add(v))
		}
	}
	eq("trace_id", q.TraceID)
	eq("session_id", q.SessionID)
	eq("source", q.Source)
	eq("batch_id", q.BatchID)
	eq("status", q.Status)
	if !q.From.IsZero() {
		c = append(c, "created_at >= "+args.Add(q.From))
	}
	if !q.To.IsZero() {
		c = append(c, "created_at < "+args.Add(q.To))
	}
	where := strings.Join(c, " AND ")
	var total int64
	if err := e.DB.Query(ctx, `SELECT count(*) FROM evaluations WHERE `+where, args, func(scan func(...any) error) error {
		return scan(&total)
	}); err != nil {
		return nil, 0, fmt.Errorf("cannot count evaluations: %w", err)
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	out := []model.Evaluation{}
	err := e.DB.Query(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE `+where+
		fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d OFFSET %d`, limit, max(q.Offset, 0)), args,
		func(scan func(...any) error) error {
			ev, err := scanEvaluation(q.WorkspaceID, scan)
			out = append(out, ev)
			return err
		})
	if err != nil {
		return nil, 0, fmt.Errorf("cannot list evaluations: %w", err)
	}
	return out, total, nil
}

// CachedEvaluation implements Evaluations.
func (e EvalSQL) CachedEvaluation(ctx context.Context, workspaceID, cacheKey string) (*model.Evaluation, error) {
	var out *model.Evaluation
	err := e.DB.Query(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE workspace_id = $1 AND cache_key = $2
		AND status IN ('done', 'unparsable') AND cached = false ORDER BY created_at DESC LIMIT 1`,
		[]any{workspaceID, cacheKey}, func(scan func(...any) error) error {
			ev, err := scanEvaluation(workspaceID, scan)
			out = &ev
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("cannot read cached verdict: %w", err)
	}
	return out, nil
}

// JudgeSpend implements Evaluations.
func (e EvalSQL) JudgeSpend(ctx context.Context, workspaceID, evaluatorID string, since time.Time) (float64, error) {
	var args SQLArgs
	q := `SELECT coalesce(sum(cost_usd), 0) FROM evaluations WHERE workspace_id = ` + args.Add(workspaceID) +
		` AND created_at >= ` + args.Add(since)
	if evaluatorID != "" {
		q += ` AND evaluator_id = ` + args.Add(evaluatorID)
	}
	var spend float64
	if err := e.DB.Query(ctx, q, args, func(scan func(...any) error) error { return scan(&spend) }); err != nil {
		return 0, fmt.Errorf("cannot sum judge spend: %w", err)
	}
	return spend, nil
}

// QualityScores implements Evaluations. Scores sent through the API (SDKs' create_score,
// Langfuse's score endpoints) count as criteria named after the score, next to the judge's.
func (e EvalSQL) QualityScores(ctx context.Context, q QualityQuery) ([]QualityRow, error) {
	var args SQLArgs
	ms := "CAST(floor(extract(epoch FROM created_at) * 1000) AS BIGINT)"
	bucket := "0"
	if q.BucketMs > 0 {
		w := args.Add(q.BucketMs)
		bucket = fmt.Sprintf("(%s - ((%s %% %s) + %s) %% %s)", ms, ms, w, w, w)
	}
	judgeAgent, apiAgent := "''", "''"
	if q.ByAgent {
		// A score may arrive before its trace: it counts under no agent until then.
		judgeAgent = "agent_id"
		apiAgent = `coalesce((SELECT max(t.agent_id) FROM traces t WHERE t.workspace_id = s.workspace_id AND t.trace_id = s.trace_id), '')`
	}
	where := "workspace_id = " + args.Add(q.WorkspaceID)
	if !q.From.IsZero() {
		where += " AND created_at >= " + args.Add(q.From)
	}
	if !q.To.IsZero() {
		where += " AND created_at < " + args.Add(q.To)
	}
	src := args.Add(string(model.ScoreSourceAPI))
	out := []QualityRow{}
	err := e.DB.Query(ctx, `SELECT `+bucket+` AS b, a, criterion, src, avg(score), count(*) FROM (
		SELECT created_at, `+judgeAgent+` AS a, criterion, '`+QualityJudge+`' AS src, score FROM evaluation_scores WHERE `+where+`
		UNION ALL
		SELECT created_at, `+apiAgent+` AS a, name, '`+QualityAPI+`', value FROM scores s WHERE `+where+` AND source = `+src+`
	) q GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, CASE src WHEN '`+QualityJudge+`' THEN 0 ELSE 1 END, 3`, args, func(scan func(...any) error) error {
		var r QualityRow
		if err := scan(&r.BucketMs, &r.AgentID, &r.Criterion, &r.Source, &r.Mean, &r.Count); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot aggregate quality scores: %w", err)
	}
	return out, nil
}

// CreateEvalBatch implements Evaluations.
func (e EvalSQL) CreateEvalBatch(ctx context.Context, b model.EvalBatch) error {
	crit, _ := json.Marshal(b.Criteria)
	if _, err := e.DB.Exec(ctx, `INSERT INTO eval_batches (workspace_id, id, total, criteria, created_at) VALUES ($1, $2, $3, $4, $5)`,
		b.WorkspaceID, b.ID, b.Total, string(crit), b.CreatedAt); err != nil {
		if e.DB.IsUniqueViolation(err) {
			return model.Errorf(model.ECONFLICT, "batch %q already exists", b.ID)
		}
		return fmt.Errorf("cannot create batch: %w", err)
	}
	return nil
}

// GetEvalBatch implements Evaluations.
func (e EvalSQL) GetEvalBatch(ctx context.Context, workspaceID, id string) (*model.EvalBatch, error) {
	var b *model.EvalBatch
	err := e.DB.Query(ctx, `SELECT total, criteria, created_at FROM eval_batches WHERE workspace_id = $1 AND id = $2`,
		[]any{workspaceID, id}, func(scan func(...any) error) error {
			var crit string
			b = &model.EvalBatch{WorkspaceID: workspaceID, ID: id, Counts: map[string]int{}}
			if err := scan(&b.Total, &crit, &b.CreatedAt); err != nil {
				return err
			}
			b.CreatedAt = b.CreatedAt.UTC()
			return json.Unmarshal([]byte(crit), &b.Criteria)
		})
	if err != nil {
		return nil, fmt.Errorf("cannot read batch: %w", err)
	}
	if b == nil {
		return nil, model.Errorf(model.ENOTFOUND, "batch %q not found", id)
	}
	err = e.DB.Query(ctx, `SELECT status, count(*) FROM evaluations WHERE workspace_id = $1 AND batch_id = $2 GROUP BY status`,
		[]any{workspaceID, id}, func(scan func(...any) error) error {
			var status string
			var n int64
			if err := scan(&status, &n); err != nil {
				return err
			}
			b.Counts[status] = int(n)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cannot count batch progress: %w", err)
	}
	return b, nil
}

// PutScore implements Evaluations.
func (e EvalSQL) PutScore(ctx context.Context, s model.Score) error {
	return e.DB.Tx(ctx, func(tx SQLRunner) error {
		found := false
		if err := tx.Query(ctx, `SELECT 1 FROM traces WHERE workspace_id = $1 AND trace_id = $2 LIMIT 1`,
			[]any{s.WorkspaceID, s.TraceID}, func(scan func(...any) error) error {
				found = true
				var one int
				return scan(&one)
			}); err != nil {
			return fmt.Errorf("cannot find trace: %w", err)
		}
		if !found {
			return model.Errorf(model.ENOTFOUND, "trace %q not found", s.TraceID)
		}
		_, err := tx.Exec(ctx, `INSERT INTO scores (workspace_id, trace_id, score_id, span_id, name, value, comment, source, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (workspace_id, trace_id, score_id) DO UPDATE SET span_id = excluded.span_id, name = excluded.name,
			value = excluded.value, comment = excluded.comment, source = excluded.source, created_at = excluded.created_at`,
			s.WorkspaceID, s.TraceID, s.ScoreID, s.SpanID, clean(s.Name), s.Value, clean(s.Comment), string(s.Source), s.CreatedAt)
		if err != nil {
			return fmt.Errorf("cannot store score: %w", err)
		}
		return nil
	})
}

// RowScanner is what database/sql's and pgx's result sets have in common for reading.
type RowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// EachRow calls row for every row of rows; the caller closes rows.
func EachRow(rows RowScanner, row func(scan func(...any) error) error) error {
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CompletedTraces lists the ids and agents of traces of the workspace that ended in
// [from, to), oldest first, at most limit; the online evaluators pick from them.
func (e EvalSQL) CompletedTraces(ctx context.Context, workspaceID string, from, to time.Time, limit int) ([]TraceRef, error) {
	out := []TraceRef{}
	// Bounding start_time too lets PostgreSQL skip old partitions; runs longer than a day
	// are not judged online.
	err := e.DB.Query(ctx, fmt.Sprintf(`SELECT trace_id, agent_id, end_time FROM traces WHERE workspace_id = $1 AND end_time >= $2 AND end_time < $3
		AND start_time >= $4 AND start_time < $3 ORDER BY end_time, trace_id LIMIT %d`, max(limit, 1)),
		[]any{workspaceID, from, to, from.Add(-24 * time.Hour)}, func(scan func(...any) error) error {
			var r TraceRef
			if err := scan(&r.TraceID, &r.AgentID, &r.EndTime); err != nil {
				return err
			}
			r.EndTime = r.EndTime.UTC()
			out = append(out, r)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cannot list completed traces: %w", err)
	}
	return out, nil
}

// TraceRef names a trace, or a session by the end of its last trace.
type TraceRef struct {
	TraceID   string
	AgentID   string
	SessionID string
	EndTime   time.Time
}

// CompletedSessions implements Evaluations.
func (e EvalSQL) CompletedSessions(ctx context.Context, workspaceID string, from, to time.Time, limit int) ([]TraceRef, error) {
	out := []TraceRef{}
	// A session's last trace started less than a day before it ended (runs longer than a day
	// are not judged online), so older starts need not be read.
	err := e.DB.Query(ctx, fmt.Sprintf(`SELECT session_id, max(end_time) FROM traces WHERE workspace_id = $1 AND session_id <> ''
		AND start_time >= $4 GROUP BY session_id HAVING max(end_time) >= $2 AND max(end_time) < $3
		ORDER BY 2, 1 LIMIT %d`, max(limit, 1)),
		[]any{workspaceID, from, to, from.Add(-24 * time.Hour)}, func(scan func(...any) error) error {
			var r TraceRef
			if err := scan(&r.SessionID, &r.EndTime); err != nil {
				return err
			}
			r.EndTime = r.EndTime.UTC()
			out = append(out, r)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cannot list completed sessions: %w", err)
	}
	return out, nil
}

// SessionTraces implements Evaluations.
func (e EvalSQL) SessionTraces(ctx context.Context, workspaceID, sessionID string, limit int) ([]model.Trace, int64, error) {
	var total int64
	if err := e.DB.Query(ctx, `SELECT count(*) FROM traces WHERE workspace_id = $1 AND session_id = $2`,
		[]any{workspaceID, sessionID}, func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, fmt.Errorf("cannot count session traces: %w", err)
	}
	if total == 0 || sessionID == "" {
		return nil, 0, model.Errorf(model.ENOTFOUND, "session %q not found", sessionID)
	}
	out := []model.Trace{}
	err := e.DB.Query(ctx, fmt.Sprintf(`SELECT trace_id, agent_id, name, user_id, start_time, end_time, status, input, output, model
		FROM traces WHERE workspace_id = $1 AND session_id = $2 ORDER BY start_time, trace_id LIMIT %d`, max(limit, 1)),
		[]any{workspaceID, sessionID}, func(scan func(...any) error) error {
			t := model.Trace{WorkspaceID: workspaceID, SessionID: sessionID}
			var status string
			if err := scan(&t.TraceID, &t.AgentID, &t.Name, &t.UserID, &t.StartTime, &t.EndTime, &status, &t.Input, &t.Output, &t.Model); err != nil {
				return err
			}
			t.Status, t.StartTime, t.EndTime = model.Status(status), t.StartTime.UTC(), t.EndTime.UTC()
			out = append(out, t)
			return nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read session traces: %w", err)
	}
	return out, total, nil
}
