package eval

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// MaxBatch caps the traces of one batch request.
const MaxBatch = 10000

// Start runs the batch workers until ctx ends, first re-queueing evaluations left pending
// by a previous process: jobs are idempotent, so a restart mid-batch finishes the batch
// without asking the judge again for what it already answered.
func (s *Service) Start(ctx context.Context, workspaces []string) {
	for range s.cfg.Workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.jobs:
					select {
					case <-s.start(j.ws, j.evalID):
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	if s.cfg.Judge == nil {
		return
	}
	go func() {
		for _, ws := range workspaces {
			if err := s.requeuePending(ctx, ws); err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("cannot resume pending evaluations", "workspace", ws, "err", err)
			}
		}
	}()
}

// Wait waits for the workers after Start's context ended.
func (s *Service) Wait() { s.wg.Wait() }

func (s *Service) requeuePending(ctx context.Context, ws string) error {
	for {
		// Each pass takes the oldest page still pending; finished ones drop out of it.
		page, _, err := s.cfg.Store.ListEvaluations(ctx, store.EvaluationQuery{WorkspaceID: ws, Status: model.EvalPending, Limit: 500})
		if err != nil || len(page) == 0 {
			return err
		}
		for _, ev := range page {
			select {
			case s.jobs <- job{ws: ws, evalID: ev.ID}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Wait for this page to leave the pending state before listing again.
		for _, ev := range page {
			s.mu.Lock()
			ch := s.running[ev.ID]
			s.mu.Unlock()
			if ch != nil {
				select {
				case <-ch:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		if len(page) < 500 {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BatchRequest evaluates many traces.
type BatchRequest struct {
	WorkspaceID string
	TraceIDs    []string
	Criteria    []string
}

// Batch creates a batch and its jobs and queues them; progress is read with GetBatch.
func (s *Service) Batch(ctx context.Context, req BatchRequest) (*model.EvalBatch, error) {
	if s.cfg.Judge == nil {
		return nil, model.Errorf(model.EUNAVAILABLE, "%s", s.Judge().Reason)
	}
	var fe model.FieldErrors
	if len(req.TraceIDs) == 0 || len(req.TraceIDs) > MaxBatch {
		fe.Add(model.Path{"trace_ids"}, "must list 1 to %d trace ids", MaxBatch)
	}
	seen := map[string]bool{}
	for i, id := range req.TraceIDs {
		if id == "" || len(id) > 256 {
			fe.Add(model.Path{"trace_ids", i}, "must be a trace id of 1 to 256 characters")
		} else if seen[id] {
			fe.Add(model.Path{"trace_ids", i}, "trace %q is listed twice", id)
		}
		seen[id] = true
	}
	if err := fe.Err("invalid batch"); err != nil {
		return nil, err
	}
	avail, err := s.Criteria(ctx, req.WorkspaceID)
	if err != nil {
		return nil, err
	}
	cs, err := resolveCriteria(req.Criteria, avail)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	b := model.EvalBatch{WorkspaceID: req.WorkspaceID, ID: newID(), Criteria: names, CreatedAt: s.cfg.Now().UTC()}
	var queue []string
	var existing, missing int
	for _, id := range req.TraceIDs {
		ev, _, created, err := s.Submit(ctx, Request{WorkspaceID: req.WorkspaceID, TraceID: id, Criteria: names,
			Source: model.EvalSourceBatch, BatchID: b.ID})
		switch {
		case model.ErrorCode(err) == model.ENOTFOUND:
			missing++
			continue
		case err != nil:
			return nil, err
		case !created:
			// The same evaluator version already judged (or is judging) this trace.
			existing++
			continue
		}
		b.Total++
		queue = append(queue, ev.ID)
	}
	if err := s.cfg.Store.CreateEvalBatch(ctx, b); err != nil {
		return nil, err
	}
	go func() {
		for _, id := range queue {
			s.jobs <- job{ws: req.WorkspaceID, evalID: id}
		}
	}()
	out, err := s.GetBatch(ctx, req.WorkspaceID, b.ID)
	if err != nil {
		return nil, err
	}
	out.AlreadyEvaluated, out.MissingTraces = existing, missing
	return out, nil
}

// GetBatch reads a batch with its progress.
func (s *Service) GetBatch(ctx context.Context, ws, id string) (*model.EvalBatch, error) {
	return s.cfg.Store.GetEvalBatch(ctx, ws, id)
}
