package eval

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
)

// PutEvaluator checks d against the workspace's criteria and this server's judge and
// stores it as the evaluator's next version.
func (s *Service) PutEvaluator(ctx context.Context, d model.EvaluatorDef) (*model.EvaluatorDef, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	avail, err := s.Criteria(ctx, d.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if len(d.Criteria) > 0 {
		if _, err := resolveCriteria(d.Criteria, avail); err != nil {
			return nil, err
		}
	}
	if d.Model != "" && s.cfg.NewJudge == nil {
		return nil, &model.Error{Code: model.EINVALID, Message: "invalid evaluator",
			Fields: []model.FieldError{{Path: model.Path{"model"}, Detail: "this server has no judge whose model could be switched: leave it empty"}}}
	}
	d.CreatedAt = s.cfg.Now().UTC()
	return s.cfg.Store.PutEvaluatorDef(ctx, d)
}

// ListEvaluators returns the workspace's live evaluators, latest versions.
func (s *Service) ListEvaluators(ctx context.Context, ws string) ([]model.EvaluatorDef, error) {
	return s.cfg.Store.ListEvaluatorDefs(ctx, ws)
}

// GetEvaluator returns a version (0: the latest) of an evaluator.
func (s *Service) GetEvaluator(ctx context.Context, ws, id string, version int) (*model.EvaluatorDef, error) {
	return s.cfg.Store.GetEvaluatorDef(ctx, ws, id, version)
}

// EvaluatorVersions lists an evaluator's versions, newest first; ENOTFOUND when it has none.
func (s *Service) EvaluatorVersions(ctx context.Context, ws, id string) ([]model.EvaluatorDef, error) {
	vs, err := s.cfg.Store.ListEvaluatorVersions(ctx, ws, id)
	if err == nil && len(vs) == 0 {
		err = model.Errorf(model.ENOTFOUND, "no evaluator %q", id)
	}
	return vs, err
}

// DeleteEvaluator hides an evaluator; its past verdicts stay.
func (s *Service) DeleteEvaluator(ctx context.Context, ws, id string) error {
	return s.cfg.Store.DeleteEvaluatorDef(ctx, ws, id)
}

// evaluatorRun is what one evaluation needs of its evaluator.
type evaluatorRun struct {
	Evaluator
	judge *provider.Client
	// def is the workspace's definition; nil for the server's default evaluator.
	def *model.EvaluatorDef
}

// evaluatorFor resolves an evaluator id ("" or the default's id: the server's default) and
// version (0: the latest).
func (s *Service) evaluatorFor(ctx context.Context, ws, id string, version int) (*evaluatorRun, error) {
	if id == "" || id == s.cfg.Evaluator.ID {
		return &evaluatorRun{Evaluator: s.cfg.Evaluator, judge: s.cfg.Judge}, nil
	}
	d, err := s.cfg.Store.GetEvaluatorDef(ctx, ws, id, version)
	if err != nil {
		if model.ErrorCode(err) == model.ENOTFOUND {
			return nil, &model.Error{Code: model.ENOTFOUND, Message: "unknown evaluator",
				Fields: []model.FieldError{{Path: model.Path{"evaluator"}, Detail: "no evaluator " + strconv.Quote(id) + " in this workspace"}}}
		}
		return nil, err
	}
	run := &evaluatorRun{def: d, judge: s.cfg.Judge, Evaluator: Evaluator{ID: d.ID, Version: d.Version, Template: d.Template,
		System: d.System, NoExplanation: !d.WantsExplanation(), MaxTokens: d.MaxTokens, DailyBudgetUSD: d.DailyBudgetUSD}}
	if run.Template == "" {
		run.Template = DefaultTemplate
	}
	if run.System == "" {
		run.System = DefaultSystem
	}
	if d.Model != "" && s.cfg.NewJudge != nil && (s.cfg.Judge == nil || d.Model != s.cfg.Judge.Provider().Model()) {
		if run.judge, err = s.judgeFor(d.Model); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// judgeFor returns the client of the configured provider with another model, made once.
func (s *Service) judgeFor(modelName string) (*provider.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.judges[modelName]; ok {
		return c, nil
	}
	c, err := s.cfg.NewJudge(modelName)
	if err != nil {
		return nil, err
	}
	if s.judges == nil {
		s.judges = map[string]*provider.Client{}
	}
	s.judges[modelName] = c
	return c, nil
}

// jobKey identifies the job of an evaluator version on a target (a trace, a span of it,
// or a session) with a set of criteria.
func jobKey(e Evaluator, req Request, cs []model.Criterion) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	slices.Sort(names)
	target := "trace:" + req.TraceID
	switch {
	case req.SessionID != "":
		target = "session:" + req.SessionID
	case req.SpanID != "":
		target = "span:" + req.TraceID + "/" + req.SpanID
	}
	return e.ID + "@" + strconv.Itoa(e.Version) + ":" + target + ":" + strings.Join(names, ",")
}

// spanTarget is the trace as the judge sees one of its spans: the span's input, output,
// model and name.
func spanTarget(t *model.Trace, spanID string) (*model.Trace, bool) {
	for i := range t.Spans {
		sp := &t.Spans[i]
		if sp.SpanID == spanID {
			out := *t
			out.Input, out.Output, out.Name, out.Spans = sp.Input, sp.Output, sp.Name, nil
			if sp.Model != "" {
				out.Model = sp.Model
			}
			if len(sp.Attributes) > 0 {
				out.Metadata = sp.Attributes
			}
			return &out, true
		}
	}
	return nil, false
}

// matches reports whether a trace passes the evaluator's agent and tag filter.
func matches(f model.EvaluatorFilter, t *model.Trace) bool {
	if len(f.Agents) > 0 && !slices.Contains(f.Agents, t.AgentID) {
		return false
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(f.Tags, func(tag string) bool { return slices.Contains(t.Tags, tag) }) {
		return false
	}
	return true
}

// matchingSpans lists the spans of t a span-scoped evaluator judges.
func matchingSpans(f model.EvaluatorFilter, t *model.Trace) []string {
	var out []string
	for _, sp := range t.Spans {
		if len(f.SpanKinds) > 0 && !slices.Contains(f.SpanKinds, string(sp.Kind)) {
			continue
		}
		if len(f.SpanNames) > 0 && !slices.Contains(f.SpanNames, sp.Name) {
			continue
		}
		if sp.Input == "" && sp.Output == "" {
			continue // nothing to judge
		}
		out = append(out, sp.SpanID)
	}
	return out
}

// onlineDefTick submits the sampled, matching targets of one workspace evaluator among the
// traces that ended from `from` until its delay ago, and returns where the next tick starts.
func (s *Service) onlineDefTick(ctx context.Context, ws string, d model.EvaluatorDef, from time.Time) time.Time {
	delay := d.Delay.D()
	if delay <= 0 {
		delay = 30 * time.Second
	}
	if d.Scope == model.ScopeSession {
		return s.onlineSessionTick(ctx, ws, d, from, delay)
	}
	refs, to := s.dueTraces(ctx, ws, from, delay)
	for _, r := range refs {
		if len(d.Filter.Agents) > 0 && !slices.Contains(d.Filter.Agents, r.AgentID) {
			continue
		}
		if !Sampled(d.ID, d.Version, r.TraceID, d.SampleRate) {
			continue
		}
		spans := []string{""}
		if len(d.Filter.Tags) > 0 || d.Scope == model.ScopeSpan {
			tr, err := s.cfg.Store.GetTrace(ctx, ws, r.TraceID)
			if err != nil {
				continue
			}
			if !matches(d.Filter, tr) {
				continue
			}
			if d.Scope == model.ScopeSpan {
				spans = matchingSpans(d.Filter, tr)
			}
		}
		for _, span := range spans {
			if !s.submitAuto(ctx, Request{WorkspaceID: ws, TraceID: r.TraceID, SpanID: span, Evaluator: d.ID,
				EvaluatorVersion: d.Version, Source: model.EvalSourceAuto}) {
				return from
			}
		}
	}
	return to
}
