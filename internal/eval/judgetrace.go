package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
)

// callRecorder collects the provider calls of one evaluation job.
type callRecorder struct {
	mu   sync.Mutex
	list []provider.Call
}

func (r *callRecorder) add(c provider.Call) {
	r.mu.Lock()
	r.list = append(r.list, c)
	r.mu.Unlock()
}

func (r *callRecorder) calls() []provider.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.list
}

// judgeAgent is the agent id of judge traces in a judge companion.
const judgeAgent = "judge"

// judgeTrace is the trace of an evaluation job's judge calls: one llm span per provider
// call (retries included), priced from the price table, with the prompt as input and the
// raw answer (or the error) as output. Its id is the evaluation's.
func (s *Service) judgeTrace(ev *model.Evaluation, p provider.Provider, calls []provider.Call) model.Trace {
	meta, _ := json.Marshal(map[string]any{"evaluation_id": ev.ID, "evaluator_id": ev.EvaluatorID,
		"evaluator_version": ev.EvaluatorVersion, "target_trace_id": ev.TraceID, "target_span_id": ev.SpanID,
		"target_session_id": ev.SessionID, "source": ev.Source})
	tr := model.Trace{WorkspaceID: model.JudgeWorkspaceID(ev.WorkspaceID), TraceID: ev.ID, AgentID: judgeAgent,
		Name: ev.EvaluatorID + "@" + fmt.Sprint(ev.EvaluatorVersion), StartTime: calls[0].Start.UTC(),
		Input: ev.Prompt, Model: p.Model(), Provider: p.Kind(), Tags: []string{"judge"}, Metadata: meta}
	status := model.StatusSuccess
	for i, c := range calls {
		sp := model.Span{SpanID: fmt.Sprintf("call-%d", i+1), Kind: model.KindLLM, Name: "judge call",
			StartTime: c.Start.UTC(), EndTime: c.End.UTC(), LatencyMs: c.End.Sub(c.Start).Milliseconds(),
			Status: model.StatusSuccess, Model: p.Model(), Provider: p.Kind(), Input: c.Request.Prompt}
		attrs := map[string]any{"attempt": c.Attempt, "system": c.Request.System}
		if c.Err != nil {
			// A provider's error may quote its raw body: keep it storable on every backend.
			msg := strings.ToValidUTF8(c.Err.Error(), "\uFFFD")
			sp.Status, sp.StatusMessage, sp.Output = model.StatusError, msg, msg
			if pe := provider.AsError(c.Err); pe != nil {
				attrs["error_kind"] = pe.Kind
			}
		} else if r := c.Response; r != nil {
			sp.Output = r.Text
			if r.Model != "" {
				sp.Model = r.Model
			}
			attrs["mode"] = r.Mode
			if r.Usage != nil {
				sp.TokensInput, sp.TokensOutput = model.Int64(r.Usage.InputTokens), model.Int64(r.Usage.OutputTokens)
				sp.TokensTotal = model.Int64(r.Usage.InputTokens + r.Usage.OutputTokens)
				if usd, ok := s.cfg.Prices.Cost(sp.Model, r.Usage.InputTokens, r.Usage.OutputTokens, 0); ok {
					sp.CostUSD = model.Float64(usd)
				}
			}
			tr.Output = r.Text
		}
		sp.Attributes, _ = json.Marshal(attrs)
		status = sp.Status
		tr.Spans = append(tr.Spans, sp)
	}
	last := calls[len(calls)-1]
	tr.Declared = model.Declared{Status: status, EndTime: last.End.UTC()}
	return tr
}

// recordJudgeTrace stores the trace of the calls and takes the evaluation's usage and cost
// from it, so that judge spend is the sum of the judge traces' cost. A trace that cannot be
// stored is logged and the evaluation still records its outcome (the judge was paid).
func (s *Service) recordJudgeTrace(ctx context.Context, ev *model.Evaluation, p provider.Provider, calls []provider.Call) {
	if len(calls) == 0 {
		return
	}
	tr := s.judgeTrace(ev, p, calls)
	ev.TokensInput, ev.TokensOutput, ev.CostUSD = 0, 0, nil
	for _, sp := range tr.Spans {
		if sp.TokensInput != nil {
			ev.TokensInput += *sp.TokensInput
			ev.TokensOutput += *sp.TokensOutput
		}
		if sp.CostUSD != nil {
			sum := *sp.CostUSD
			if ev.CostUSD != nil {
				sum += *ev.CostUSD
			}
			ev.CostUSD = model.Float64(sum)
		}
	}
	if err := s.judgeTraces.write(context.WithoutCancel(ctx), s.cfg.Store, tr); err != nil {
		s.cfg.Log.Error("cannot store judge trace", "evaluation", ev.ID, "err", err)
		return
	}
	ev.JudgeTraceID = tr.TraceID
}

// JudgeTrace returns a trace of the workspace's judge calls (its id is the evaluation's).
func (s *Service) JudgeTrace(ctx context.Context, ws, traceID string) (*model.Trace, error) {
	return s.cfg.Store.GetTrace(ctx, model.JudgeWorkspaceID(ws), traceID)
}

// traceGroup commits judge traces in groups: while one write is in flight, the traces of
// the evaluations finishing meanwhile gather for the next, so concurrent evaluations share
// a transaction instead of queueing for one each. A caller returns once its trace is
// stored (or the write failed).
type traceGroup struct {
	mu       sync.Mutex
	pending  []pendingTrace
	flushing bool
}

type pendingTrace struct {
	trace model.Trace
	done  chan error
}

// maxTraceGroup bounds one write, so a burst never makes a huge transaction.
const maxTraceGroup = 256

func (g *traceGroup) write(ctx context.Context, st Store, tr model.Trace) error {
	done := make(chan error, 1)
	g.mu.Lock()
	g.pending = append(g.pending, pendingTrace{trace: tr, done: done})
	if !g.flushing {
		g.flushing = true
		go g.flush(ctx, st)
	}
	g.mu.Unlock()
	return <-done
}

func (g *traceGroup) flush(ctx context.Context, st Store) {
	for {
		g.mu.Lock()
		n := min(len(g.pending), maxTraceGroup)
		if n == 0 {
			g.flushing = false
			g.mu.Unlock()
			return
		}
		group := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		traces := make([]model.Trace, n)
		for i, p := range group {
			traces[i] = p.trace
		}
		err := st.WriteTraces(ctx, traces)
		for _, p := range group {
			p.done <- err
		}
	}
}
