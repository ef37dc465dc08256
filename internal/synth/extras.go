package synth

import (
	"math"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

const evalShare = 0.06 // traces sampled for the offline helpfulness eval

// addScores gives some traces user feedback (thumbs, source human) and an eval score
// (helpfulness, source eval). Failed runs score worse.
func (g *gen) addScores(t *model.Trace, a *agentRT) {
	r := g.r
	thumbs := r.Float64() < a.thumbs
	eval := r.Float64() < evalShare
	if !thumbs && !eval {
		return
	}
	failed := t.Status.Failed()
	k := 0
	if thumbs {
		k++
	}
	if eval {
		k++
	}
	scores := g.scores.take(k)
	i := 0
	if thumbs {
		up := r.Float64() < 0.84
		if failed {
			up = r.Float64() < 0.15
		}
		sc := model.Score{WorkspaceID: g.ws, TraceID: t.TraceID, ScoreID: "thumbs", Name: "thumbs", Source: model.ScoreSourceHuman,
			CreatedAt: g.clampEnd(t.EndTime.Add(time.Duration(2000+r.Int64N(180000)) * time.Millisecond))}
		if up {
			sc.Value = 1
			sc.Comment = thumbsUpComments[r.IntN(len(thumbsUpComments))]
		} else {
			sc.Comment = thumbsDownComments[r.IntN(len(thumbsDownComments))]
		}
		scores[i] = sc
		i++
	}
	if eval {
		mean := 0.8
		if failed {
			mean = 0.2
		}
		v := math.Round(min(max(mean+0.12*r.NormFloat64(), 0), 1)*100) / 100
		scores[i] = model.Score{WorkspaceID: g.ws, TraceID: t.TraceID, ScoreID: "helpfulness", Name: "helpfulness", Value: v,
			Comment: "llm-judge rubric v4", Source: model.ScoreSourceEval,
			CreatedAt: g.clampEnd(t.EndTime.Add(time.Duration(5+r.Int64N(85)) * time.Minute))}
	}
	t.Scores = scores
	g.scoreCount += k
}

// clampEnd keeps scores out of the future: the period ends at End.
func (g *gen) clampEnd(t time.Time) time.Time {
	if t.After(g.end) {
		return g.end
	}
	return t
}

// violationDue reports whether trace n carries the next violation. Violations are due at
// random trace numbers; one falls on the first trace at or after its number whose agent
// talks to people, unless there are no more traces to spare than violations due.
func (g *gen) violationDue(a *agentRT, n int) bool {
	if g.vioNext >= len(g.vioAt) || g.vioAt[g.vioNext] > n {
		return false
	}
	return a.talks || g.cfg.Traces-n <= len(g.vioAt)-g.vioNext
}

// violationKind draws a kind of finding that can happen on agent a.
func (g *gen) violationKind(a *agentRT) *violationKind {
	for range 64 {
		k := &violationKinds[pick(g.vioR, g.vioKinds)]
		if k.fits(a.spec.id) {
			return k
		}
	}
	return &violationKinds[0]
}

// addViolation records the guardrail finding on t, at the end of its input check.
func (g *gen) addViolation(t *model.Trace, a *agentRT, vk *violationKind) {
	at := t.StartTime
	for i := range t.Spans {
		if t.Spans[i].Kind == model.KindGuardrail {
			at = t.Spans[i].EndTime
			break
		}
	}
	k := len(g.violations)
	var b [16]byte
	hex16(b[:], mix64(uint64(k)^g.keyB^0x9b05688c2b3e6c1f))
	g.violations = append(g.violations, model.Violation{
		WorkspaceID: g.ws,
		ID:          "vio_" + string(b[:]),
		Time:        at,
		TraceID:     t.TraceID,
		AgentID:     a.spec.id,
		Type:        vk.typ,
		Subtype:     vk.subtype,
		Severity:    vk.severity,
		Action:      vk.action,
		Detail:      vk.detail,
	})
	g.vioNext++
}
