package eval

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Online configures the online evaluator: it judges a sample of the traces that completed,
// a while after they completed (late spans have arrived by then).
type Online struct {
	// SampleRate is the share of traces judged, 0 (off) to 1.
	SampleRate float64
	// Delay is how long after a trace ended it is judged (30 s when 0).
	Delay time.Duration
	// Interval is how often new traces are looked for (10 s when 0).
	Interval time.Duration
	// AgentIDs restricts the evaluator to these agents; empty: all.
	AgentIDs []string
	// Criteria judged; empty: DefaultCriteria.
	Criteria []string
}

// Sampled decides, the same way in every process and on every restart, whether the
// evaluator version judges the trace: a hash of both below the rate.
func Sampled(evaluatorID string, version int, traceID string, rate float64) bool {
	h := sha256.Sum256([]byte(evaluatorID + "@" + strconv.Itoa(version) + "\x00" + traceID))
	return float64(binary.BigEndian.Uint64(h[:8])>>11)/float64(1<<53) < rate
}

// onlineBatch caps the traces looked at per workspace and tick.
const onlineBatch = 5000

// RunOnline judges sampled completed traces of the workspaces that list returns, every
// Interval, until ctx ends. The window restarts a little in the past after a restart;
// jobs are idempotent, so traces seen twice are judged once.
func (s *Service) RunOnline(ctx context.Context, o Online, list func(context.Context) ([]string, error)) {
	if s.cfg.Judge == nil {
		return
	}
	if o.Delay <= 0 {
		o.Delay = 30 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	cursor := map[string]time.Time{}
	start := s.cfg.Now().Add(-o.Delay - 2*o.Interval)
	for {
		wss, err := list(ctx)
		if err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("online evaluation: cannot list workspaces", "err", err)
		}
		for _, ws := range wss {
			if o.SampleRate > 0 {
				from, ok := cursor[ws]
				if !ok {
					from = start
				}
				cursor[ws] = s.OnlineTick(ctx, ws, o, from)
			}
			defs, err := s.cfg.Store.ListEvaluatorDefs(ctx, ws)
			if err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("online evaluation: cannot list evaluators", "workspace", ws, "err", err)
			}
			for _, d := range defs {
				if !d.Enabled || d.SampleRate <= 0 {
					continue
				}
				// A new version starts where the last one stopped; a new evaluator at start.
				key := ws + "/" + d.ID
				from, ok := cursor[key]
				if !ok {
					from = start
					if created := d.CreatedAt.Add(-d.Delay.D() - 2*o.Interval); created.After(from) {
						from = created
					}
				}
				cursor[key] = s.onlineDefTick(ctx, ws, d, from)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.Interval):
		}
	}
}

// OnlineTick submits and queues the sampled traces of ws that ended from `from` until
// Delay ago, and returns where the next tick starts.
func (s *Service) OnlineTick(ctx context.Context, ws string, o Online, from time.Time) time.Time {
	refs, to := s.dueTraces(ctx, ws, from, o.Delay)
	agents := map[string]bool{}
	for _, a := range o.AgentIDs {
		agents[a] = true
	}
	for _, r := range refs {
		if len(agents) > 0 && !agents[r.AgentID] {
			continue
		}
		if !Sampled(s.cfg.Evaluator.ID, s.cfg.Evaluator.Version, r.TraceID, o.SampleRate) {
			continue
		}
		if !s.submitAuto(ctx, Request{WorkspaceID: ws, TraceID: r.TraceID, Criteria: o.Criteria, Source: model.EvalSourceAuto}) {
			return from
		}
	}
	return to
}

// dueTraces lists the traces of ws that ended from `from` until delay ago, at most a batch,
// and where the next window starts (`from` again when listing failed).
func (s *Service) dueTraces(ctx context.Context, ws string, from time.Time, delay time.Duration) ([]store.TraceRef, time.Time) {
	return s.due(ctx, ws, from, delay, s.cfg.Store.CompletedTraces)
}

// due lists with list the targets (traces or sessions) of ws that ended from `from` until
// delay ago, at most a batch, and where the next window starts.
func (s *Service) due(ctx context.Context, ws string, from time.Time, delay time.Duration,
	list func(ctx context.Context, ws string, from, to time.Time, limit int) ([]store.TraceRef, error)) ([]store.TraceRef, time.Time) {
	to := s.cfg.Now().Add(-delay)
	if !to.After(from) {
		return nil, from
	}
	refs, err := list(ctx, ws, from, to, onlineBatch)
	if err != nil {
		s.cfg.Log.Error("online evaluation: cannot list completed traces or sessions", "workspace", ws, "err", err)
		return nil, from
	}
	if len(refs) == onlineBatch {
		// More than a batch ended: continue with the last end time next time, leaving out
		// the traces that end then (the next window holds them all).
		to = refs[len(refs)-1].EndTime
		for len(refs) > 0 && refs[len(refs)-1].EndTime.Equal(to) {
			refs = refs[:len(refs)-1]
		}
	}
	return refs, to
}

// submitAuto creates the job of an automatic evaluation and queues it unless it was done
// before; it returns false only when ctx ended.
func (s *Service) submitAuto(ctx context.Context, req Request) bool {
	ev, _, created, err := s.Submit(ctx, req)
	if err != nil {
		s.cfg.Log.Warn("online evaluation: cannot submit", "trace_id", req.TraceID, "session_id", req.SessionID, "evaluator", req.Evaluator, "err", err)
		return true
	}
	if created || ev.Status == model.EvalPending {
		select {
		case s.jobs <- job{ws: req.WorkspaceID, evalID: ev.ID}:
		case <-ctx.Done():
			return false
		}
	}
	return true
}
