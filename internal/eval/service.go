package eval

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is what the evaluate role needs of the store. It writes the traces of judge calls
// itself, under the workspace's judge companion (model.JudgeWorkspaceID): they are the
// judge's traffic, never the workspace's, so they skip the ingestion pipeline.
type Store interface {
	store.Evaluations
	GetTrace(ctx context.Context, workspaceID, traceID string) (*model.Trace, error)
	WriteTraces(ctx context.Context, traces []model.Trace) error
}

// Evaluator is a versioned judge definition: which criteria, how to ask, which model.
// Jobs are idempotent on (ID@Version, target).
type Evaluator struct {
	ID      string
	Version int
	// Template and System make the prompt; see DefaultTemplate for the variables.
	Template string
	System   string
	// NoExplanation asks for scores only (cheaper); by default each verdict explains itself.
	NoExplanation bool
	MaxTokens     int
	// DailyBudgetUSD stops judge calls for the rest of the UTC day once spent; 0: none.
	DailyBudgetUSD float64
}

// Config is the evaluate role's configuration.
type Config struct {
	Store Store
	// Judge calls the model; nil means no judge is configured, and evaluations answer
	// 503 with that reason.
	Judge *provider.Client
	// NewJudge makes a client of the configured provider for another model, for
	// evaluators that name one; nil: evaluators cannot switch models.
	NewJudge func(model string) (*provider.Client, error)
	Prices   *pricing.Table
	// Evaluator is the workspace-wide default evaluator.
	Evaluator Evaluator
	// Workers bounds concurrent batch jobs (16 when 0).
	Workers int
	Log     *slog.Logger
	Now     func() time.Time
}

// Service runs evaluations.
type Service struct {
	cfg Config

	mu     sync.Mutex
	paused string // why judge calls are paused ("" when they are not)
	// running maps evaluation ids in progress to a channel closed when they finish.
	running map[string]chan struct{}
	jobs    chan job
	judges  map[string]*provider.Client // by model, for evaluators that name one
	wg      sync.WaitGroup              // batch workers
	runs    sync.WaitGroup              // judge runs in flight
	// judgeTraces stores the traces of judge calls in groups.
	judgeTraces traceGroup
}

type job struct {
	ws, evalID string
}

// New builds the service; Start runs its batch workers.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	ev := &cfg.Evaluator
	if ev.ID == "" {
		ev.ID = "default"
	}
	if ev.Version == 0 {
		ev.Version = 1
	}
	if ev.Template == "" {
		ev.Template = DefaultTemplate
	}
	if ev.System == "" {
		ev.System = DefaultSystem
	}
	return &Service{cfg: cfg, running: map[string]chan struct{}{}, jobs: make(chan job, 4096)}
}

// Configured reports whether a judge model is configured.
func (s *Service) Configured() bool { return s.cfg.Judge != nil }

// JudgeInfo describes the configured judge for the dashboards.
type JudgeInfo struct {
	Configured     bool    `json:"configured"`
	Provider       string  `json:"provider,omitempty"`
	Model          string  `json:"model,omitempty"`
	Status         string  `json:"status"` // ready, paused, not_configured
	Reason         string  `json:"reason,omitempty"`
	DailyBudgetUSD float64 `json:"daily_budget_usd,omitempty"`
	EvaluatorID    string  `json:"evaluator_id"`
	Version        int     `json:"evaluator_version"`
}

// Judge describes the judge and whether it is paused.
func (s *Service) Judge() JudgeInfo {
	info := JudgeInfo{Status: "not_configured", EvaluatorID: s.cfg.Evaluator.ID, Version: s.cfg.Evaluator.Version,
		DailyBudgetUSD: s.cfg.Evaluator.DailyBudgetUSD}
	if s.cfg.Judge == nil {
		info.Reason = "no judge model is configured: set GEMINI_API_KEY, or AGENTOBS_JUDGE_PROVIDER with its key"
		return info
	}
	p := s.cfg.Judge.Provider()
	info.Configured, info.Provider, info.Model, info.Status = true, p.Kind(), p.Model(), "ready"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused != "" {
		info.Status, info.Reason = "paused", s.paused
	}
	return info
}

// Resume lifts a pause (after the key, quota or model was fixed).
func (s *Service) Resume() {
	s.mu.Lock()
	s.paused = ""
	s.mu.Unlock()
}

func (s *Service) pause(reason string) {
	s.mu.Lock()
	s.paused = reason
	s.mu.Unlock()
	s.cfg.Log.Warn("judge paused", "reason", reason)
}

// Criteria lists the built-in criteria and the workspace's own.
func (s *Service) Criteria(ctx context.Context, ws string) ([]model.Criterion, error) {
	custom, err := s.cfg.Store.ListCriteria(ctx, ws)
	if err != nil {
		return nil, err
	}
	return append(slices.Clone(BuiltInCriteria), custom...), nil
}

// PutCriterion validates and stores a custom criterion.
func (s *Service) PutCriterion(ctx context.Context, c model.Criterion) (*model.Criterion, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if IsBuiltIn(c.Name) || c.Name == store.OverallCriterion {
		return nil, &model.Error{Code: model.ECONFLICT, Message: "invalid criterion",
			Fields: []model.FieldError{{Path: model.Path{"name"}, Detail: fmt.Sprintf("%q is a built-in criterion", c.Name)}}}
	}
	c.BuiltIn = false
	c.CreatedAt = s.cfg.Now().UTC()
	if err := s.cfg.Store.PutCriterion(ctx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Request is one evaluation to create.
type Request struct {
	WorkspaceID string
	TraceID     string
	// SpanID, when set, judges that span of the trace instead of the trace.
	SpanID string
	// SessionID, when set (and TraceID is not), judges the session's traces together.
	SessionID string
	Criteria  []string
	// Evaluator names a workspace evaluator ("": the server's default) and its version
	// (0: the latest); its criteria apply when Criteria is empty.
	Evaluator        string
	EvaluatorVersion int
	Source           string
	BatchID          string
}

// Submit creates the evaluation job of req (or finds the existing one: jobs are
// idempotent) without running it.
func (s *Service) Submit(ctx context.Context, req Request) (*model.Evaluation, []model.Criterion, bool, error) {
	if s.cfg.Judge == nil {
		return nil, nil, false, model.Errorf(model.EUNAVAILABLE, "%s", s.Judge().Reason)
	}
	run, err := s.evaluatorFor(ctx, req.WorkspaceID, req.Evaluator, req.EvaluatorVersion)
	if err != nil {
		return nil, nil, false, err
	}
	avail, err := s.Criteria(ctx, req.WorkspaceID)
	if err != nil {
		return nil, nil, false, err
	}
	names := req.Criteria
	if len(names) == 0 && run.def != nil {
		names = run.def.Criteria
	}
	cs, err := resolveCriteria(names, avail)
	if err != nil {
		return nil, nil, false, err
	}
	var agentID string
	if req.SessionID != "" {
		trs, _, err := s.cfg.Store.SessionTraces(ctx, req.WorkspaceID, req.SessionID, 1)
		if err != nil {
			return nil, nil, false, err
		}
		agentID = trs[0].AgentID
	} else {
		tr, err := s.cfg.Store.GetTrace(ctx, req.WorkspaceID, req.TraceID)
		if err != nil {
			return nil, nil, false, err
		}
		if req.SpanID != "" {
			if _, ok := spanTarget(tr, req.SpanID); !ok {
				return nil, nil, false, &model.Error{Code: model.ENOTFOUND, Message: "unknown span",
					Fields: []model.FieldError{{Path: model.Path{"span_id"}, Detail: "the trace has no span " + strconv.Quote(req.SpanID)}}}
			}
		}
		agentID = tr.AgentID
	}
	p := run.judge.Provider()
	ev := model.Evaluation{WorkspaceID: req.WorkspaceID, ID: newID(), JobKey: jobKey(run.Evaluator, req, cs),
		TraceID: req.TraceID, SpanID: req.SpanID, SessionID: req.SessionID, AgentID: agentID, EvaluatorID: run.ID, EvaluatorVersion: run.Version,
		Source: req.Source, BatchID: req.BatchID, Status: model.EvalPending, Provider: p.Kind(), Model: p.Model(), CreatedAt: s.cfg.Now().UTC()}
	stored, created, err := s.cfg.Store.CreateEvaluation(ctx, ev)
	if err != nil {
		return nil, nil, false, err
	}
	return stored, cs, created, nil
}

// Evaluate creates (or finds) the job of req and runs it if it is pending, waiting at most
// wait; it returns the evaluation as it stands then (pending when the judge is slower).
func (s *Service) Evaluate(ctx context.Context, req Request, wait time.Duration) (*model.Evaluation, error) {
	ev, _, _, err := s.Submit(ctx, req)
	if err != nil {
		return nil, err
	}
	if ev.Status != model.EvalPending {
		return ev, nil
	}
	done := s.start(ev.WorkspaceID, ev.ID)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	return s.cfg.Store.GetEvaluation(context.WithoutCancel(ctx), ev.WorkspaceID, ev.ID)
}

// start runs the pending evaluation once, in the background, unless it is already running;
// the channel is closed when it is finished.
func (s *Service) start(ws, id string) <-chan struct{} {
	s.mu.Lock()
	if ch, ok := s.running[id]; ok {
		s.mu.Unlock()
		return ch
	}
	ch := make(chan struct{})
	s.running[id] = ch
	s.runs.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.runs.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, id)
			s.mu.Unlock()
			close(ch)
		}()
		if err := s.run(context.Background(), ws, id); err != nil {
			s.cfg.Log.Error("evaluation failed", "id", id, "err", err)
		}
	}()
	return ch
}

// Drain waits until the judge runs in flight have recorded their outcome, or ctx ends;
// runs still pending then are resumed by the next process.
func (s *Service) Drain(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// run performs the judge call of a pending evaluation and records the outcome.
func (s *Service) run(ctx context.Context, ws, id string) error {
	ev, err := s.cfg.Store.GetEvaluation(ctx, ws, id)
	if err != nil {
		return err
	}
	if ev.Status != model.EvalPending {
		return nil
	}
	avail, err := s.Criteria(ctx, ws)
	if err != nil {
		return err
	}
	names := strings.Split(ev.JobKey[strings.LastIndexByte(ev.JobKey, ':')+1:], ",")
	cs, err := resolveCriteria(names, avail)
	if err != nil {
		return s.finish(ctx, ev, model.EvalFailed, "criteria no longer exist: "+err.Error())
	}
	run, err := s.evaluatorFor(ctx, ws, ev.EvaluatorID, ev.EvaluatorVersion)
	if err != nil {
		return s.finish(ctx, ev, model.EvalFailed, "evaluator cannot be read: "+model.ErrorMessage(err))
	}
	e := run.Evaluator
	prompt, reason := s.targetPrompt(ctx, ev, e.Template, cs)
	if reason != "" {
		return s.finish(ctx, ev, model.EvalFailed, reason)
	}
	judge := run.judge
	p := judge.Provider()
	req := provider.Request{System: e.System, Prompt: prompt,
		Schema: verdictSchema(cs, !e.NoExplanation), MaxTokens: e.MaxTokens}
	ev.Prompt = req.Prompt
	ev.CacheKey = cacheKey(e.ID, strconv.Itoa(e.Version), e.System, e.Template, p.Kind(), p.Model(), "temperature=0",
		string(req.Schema), req.Prompt)
	ev.Provider, ev.Model = p.Kind(), p.Model()

	if hit, err := s.cfg.Store.CachedEvaluation(ctx, ws, ev.CacheKey); err != nil {
		return err
	} else if hit != nil {
		ev.Status, ev.Verdicts, ev.Overall, ev.RawAnswer, ev.Cached = hit.Status, hit.Verdicts, hit.Overall, hit.RawAnswer, true
		ev.CostUSD = model.Float64(0)
		now := s.cfg.Now().UTC()
		ev.FinishedAt = &now
		return s.cfg.Store.FinishEvaluation(ctx, *ev)
	}
	if reason := s.Judge().Reason; s.Judge().Status == "paused" {
		return s.finish(ctx, ev, model.EvalSkipped, "judge paused: "+reason)
	}
	if e.DailyBudgetUSD > 0 {
		now := s.cfg.Now().UTC()
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		spent, err := s.cfg.Store.JudgeSpend(ctx, ws, e.ID, day)
		if err != nil {
			return err
		}
		if spent >= e.DailyBudgetUSD {
			return s.finish(ctx, ev, model.EvalSkipped, fmt.Sprintf("daily judge budget of $%.2f is spent ($%.4f today)", e.DailyBudgetUSD, spent))
		}
	}

	start := s.cfg.Now()
	var rec callRecorder
	resp, attempts, err := judge.Complete(provider.WithObserver(ctx, rec.add), req)
	ev.Attempts = attempts
	ev.LatencyMs = s.cfg.Now().Sub(start).Milliseconds()
	// The evaluation's usage and cost are its judge trace's: every call, retries included.
	s.recordJudgeTrace(ctx, ev, p, rec.calls())
	if err != nil {
		if pe := provider.AsError(err); pe != nil && pe.Pauses() {
			s.pause(fmt.Sprintf("%s error from %s: %s", pe.Kind, p.Kind(), pe.Message))
		}
		return s.finish(ctx, ev, model.EvalFailed, err.Error())
	}
	ev.RawAnswer = resp.Text
	if resp.Model != "" {
		ev.Model = resp.Model
	}
	ev.Verdicts = parseAnswer(resp.Text, cs)
	ev.Overall = overall(ev.Verdicts, cs)
	status := model.EvalDone
	if ev.Overall == nil {
		status = model.EvalUnparsable
	}
	return s.finish(ctx, ev, status, "")
}

func (s *Service) finish(ctx context.Context, ev *model.Evaluation, status, reason string) error {
	now := s.cfg.Now().UTC()
	ev.Status, ev.Error, ev.FinishedAt = status, reason, &now
	if ev.Verdicts == nil {
		ev.Verdicts = []model.Verdict{}
	}
	return s.cfg.Store.FinishEvaluation(ctx, *ev)
}
