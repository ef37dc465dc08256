package httpapi

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/agentobs/agentobs/internal/ingest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

func (a *API) getTrace(r *http.Request) (any, error) {
	return presentTrace(a.cfg.Store.GetTrace(r.Context(), workspaceID(r.Context()), r.PathValue("trace_id")))
}

// presentTrace shapes a stored trace for clients: spans as a tree, empty lists not null.
func presentTrace(t *model.Trace, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	t.Spans = BuildTree(t.Spans)
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if t.Scores == nil {
		t.Scores = []model.Score{}
	}
	return t, nil
}

// BuildTree nests spans under their parents, ordered by start time then id. A span whose
// parent is missing (not sent yet, or never) is shown at the top level rather than lost,
// and a parent cycle is broken the same way.
func BuildTree(flat []model.Span) []model.Span {
	byID := make(map[string]int, len(flat))
	for i := range flat {
		byID[flat[i].SpanID] = i
	}
	children := make(map[string][]int, len(flat))
	var roots []int
	for i := range flat {
		p := flat[i].ParentSpanID
		if _, ok := byID[p]; ok && p != "" && !cyclic(flat, byID, i) {
			children[p] = append(children[p], i)
		} else {
			roots = append(roots, i)
		}
	}
	less := func(list []int) {
		sort.SliceStable(list, func(x, y int) bool {
			a, b := flat[list[x]], flat[list[y]]
			if !a.StartTime.Equal(b.StartTime) {
				return a.StartTime.Before(b.StartTime)
			}
			return a.SpanID < b.SpanID
		})
	}
	var build func(i int) model.Span
	build = func(i int) model.Span {
		s := flat[i]
		kids := children[s.SpanID]
		less(kids)
		s.Children = make([]model.Span, 0, len(kids))
		for _, k := range kids {
			s.Children = append(s.Children, build(k))
		}
		return s
	}
	less(roots)
	out := make([]model.Span, 0, len(roots))
	for _, i := range roots {
		out = append(out, build(i))
	}
	return out
}

// cyclic reports whether following parents from span i comes back to i.
func cyclic(flat []model.Span, byID map[string]int, i int) bool {
	seen := map[int]bool{i: true}
	cur := i
	for {
		p, ok := byID[flat[cur].ParentSpanID]
		if !ok || flat[cur].ParentSpanID == "" {
			return false
		}
		if seen[p] {
			return p == i
		}
		seen[p] = true
		cur = p
	}
}

func (a *API) listAgents(r *http.Request) (any, error) {
	agents, err := a.cfg.Store.ListAgents(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"agents": agents}, nil
}

// DeadLetterView is a dead letter as the admin API shows it.
type DeadLetterView struct {
	model.DeadLetter
	Payload string `json:"payload,omitempty"`
}

func (a *API) listDeadLetters(r *http.Request) (any, error) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, &model.Error{Code: model.EINVALID, Message: "invalid query",
				Fields: []model.FieldError{{Path: model.Path{"limit"}, Detail: "must be an integer from 1 to 1000"}}}
		}
		limit = n
	}
	pending := r.URL.Query().Get("pending") == "true"
	list, err := a.cfg.Store.ListDeadLetters(r.Context(), workspaceID(r.Context()), pending, limit)
	if err != nil {
		return nil, err
	}
	return map[string]any{"dead_letters": list}, nil
}

func (a *API) getDeadLetter(r *http.Request) (any, error) {
	dl, err := a.cfg.Store.GetDeadLetter(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return DeadLetterView{DeadLetter: *dl, Payload: string(dl.Payload)}, nil
}

// replayDeadLetter decodes the stored payload again and sends it through the pipeline.
func (a *API) replayDeadLetter(r *http.Request) (any, error) {
	ctx := r.Context()
	ws := workspaceID(ctx)
	dl, err := a.cfg.Store.GetDeadLetter(ctx, ws, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	in, err := ingest.DecodeTrace(dl.Payload, a.cfg.Limits)
	var item queue.Item
	if err == nil {
		item, err = a.toItem(ctx, in, dl.Payload, ws)
	}
	if err == nil {
		// Waits for the store, so the answer says whether the trace is stored now.
		err = a.publishItems(ctx, []queue.Item{item}, true)
	}
	if err == nil {
		// The processor may have dead-lettered it again; a fresh letter records that.
		now := time.Now().UTC()
		if merr := a.cfg.Store.MarkDeadLetterReplayed(ctx, ws, dl.ID, &now, ""); merr != nil {
			return nil, merr
		}
		return map[string]any{"id": dl.ID, "replayed": true, "trace_id": in.TraceID}, nil
	}
	if merr := a.cfg.Store.MarkDeadLetterReplayed(ctx, ws, dl.ID, nil, "replay failed: "+err.Error()); merr != nil {
		return nil, merr
	}
	return nil, err
}
