package eval

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// DefaultSessionTemplate is the judge prompt of a session. Variables: those of
// DefaultTemplate ({{input}} is the session's first input, {{output}} its last output,
// {{agent_id}}, {{model}} and {{name}} its first trace's) plus {{transcript}},
// {{session_id}}, {{user_id}} and {{trace_count}}.
const DefaultSessionTemplate = `Evaluate the following conversation between a user and an AI agent: session {{session_id}}, {{trace_count}} turns, in time order.

{{transcript}}

Criteria (judge the whole conversation):
{{criteria}}

Answer with one JSON object that has one key per criterion, each holding {"score": ..., "explanation": "..."}.`

// Bounds of a session's transcript: the traces read, the characters of each input and
// output, and of the whole transcript. What is left out is said in a marker.
const (
	maxSessionTraces     = 200
	maxTurnFieldChars    = 4000
	maxTranscriptChars   = 60000
	sessionTruncationTag = "[… cut: %d more traces of this session are not shown]"
)

// targetPrompt renders the prompt of the evaluation's target: a session, a span or a
// trace. A non-empty reason says why the target cannot be judged.
func (s *Service) targetPrompt(ctx context.Context, ev *model.Evaluation, template string, cs []model.Criterion) (string, string) {
	if ev.SessionID != "" {
		trs, total, err := s.cfg.Store.SessionTraces(ctx, ev.WorkspaceID, ev.SessionID, maxSessionTraces)
		if err != nil {
			return "", "session cannot be read: " + model.ErrorMessage(err)
		}
		if template == DefaultTemplate {
			template = DefaultSessionTemplate
		}
		return renderSessionPrompt(template, trs, total, cs), ""
	}
	tr, err := s.cfg.Store.GetTrace(ctx, ev.WorkspaceID, ev.TraceID)
	if err != nil {
		return "", "trace cannot be read: " + model.ErrorMessage(err)
	}
	if ev.SpanID != "" {
		target, ok := spanTarget(tr, ev.SpanID)
		if !ok {
			return "", "the span is no longer in the trace"
		}
		tr = target
	}
	return renderPrompt(template, tr, cs), ""
}

// transcript renders a session's traces in time order, each input and output clipped,
// until the transcript's budget is spent; a marker counts the traces left out.
func transcript(trs []model.Trace, total int64) string {
	var b strings.Builder
	shown := 0
	for i, t := range trs {
		var turn strings.Builder
		fmt.Fprintf(&turn, "[%d] %s · agent %s · %s · %s\nUser input:\n<input>\n%s\n</input>\nAgent output:\n<output>\n%s\n</output>\n\n",
			i+1, t.StartTime.UTC().Format(time.RFC3339), t.AgentID, t.Name, t.Status,
			clipTo(t.Input, maxTurnFieldChars), clipTo(t.Output, maxTurnFieldChars))
		if b.Len()+turn.Len() > maxTranscriptChars && shown > 0 {
			break
		}
		b.WriteString(turn.String())
		shown++
	}
	if left := total - int64(shown); left > 0 {
		fmt.Fprintf(&b, sessionTruncationTag, left)
	}
	return strings.TrimRight(b.String(), "\n")
}

// renderSessionPrompt fills template with the session's fields; trs is non-empty, oldest
// first, and total counts all the session's traces.
func renderSessionPrompt(template string, trs []model.Trace, total int64, cs []model.Criterion) string {
	first, last := trs[0], trs[len(trs)-1]
	user := ""
	for _, t := range trs {
		if t.UserID != "" {
			user = t.UserID
			break
		}
	}
	pairs := append([]string{
		"{{transcript}}", transcript(trs, total),
		"{{session_id}}", first.SessionID,
		"{{user_id}}", user,
		"{{trace_count}}", strconv.FormatInt(total, 10),
	}, traceFields(&first, &last, cs, "")...)
	return strings.NewReplacer(pairs...).Replace(template)
}

// onlineSessionTick submits the sampled sessions of a session-scoped evaluator whose last
// trace ended from `from` until its delay ago, and returns where the next tick starts.
// A session is judged once per evaluator version: a trace that arrives after its verdict
// brings it into a later window, where its job already exists, so it is not judged again
// (a new version, or an on-demand evaluation with other criteria, judges it afresh).
func (s *Service) onlineSessionTick(ctx context.Context, ws string, d model.EvaluatorDef, from time.Time, delay time.Duration) time.Time {
	refs, to := s.due(ctx, ws, from, delay, s.cfg.Store.CompletedSessions)
	for _, r := range refs {
		if !Sampled(d.ID, d.Version, r.SessionID, d.SampleRate) {
			continue
		}
		if len(d.Filter.Agents) > 0 {
			trs, _, err := s.cfg.Store.SessionTraces(ctx, ws, r.SessionID, maxSessionTraces)
			if err != nil || !slices.ContainsFunc(trs, func(t model.Trace) bool { return slices.Contains(d.Filter.Agents, t.AgentID) }) {
				continue
			}
		}
		if !s.submitAuto(ctx, Request{WorkspaceID: ws, SessionID: r.SessionID, Evaluator: d.ID,
			EvaluatorVersion: d.Version, Source: model.EvalSourceAuto}) {
			return from
		}
	}
	return to
}
