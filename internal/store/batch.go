package store

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// This file holds the write-side rules every backend shares, so that a trace sent in parts
// or retried rolls up the same way whatever stores it.

type traceKey struct{ ws, id string }

// DedupeTraces folds repeated identities in one batch: a later trace's fields win, spans and
// scores are merged by id with later versions winning. A retry may put the same trace twice
// in one batch, and no backend can write one row twice in a statement.
func DedupeTraces(in []model.Trace) []model.Trace {
	index := make(map[traceKey]int, len(in))
	out := make([]model.Trace, 0, len(in))
	for _, t := range in {
		k := traceKey{t.WorkspaceID, t.TraceID}
		if i, ok := index[k]; ok {
			prev := out[i]
			model.MergeTraceFields(&prev, &t, model.HasRootSpan(prev.Spans)) // OTLP: the root's fields win
			t.Spans = MergeSpans(prev.Spans, t.Spans)
			t.Scores = MergeScores(prev.Scores, t.Scores)
			out[i] = t
			continue
		}
		index[k] = len(out)
		if hasDuplicateSpans(t.Spans) {
			t.Spans = MergeSpans(nil, t.Spans)
		}
		if hasDuplicateScores(t.Scores) {
			t.Scores = MergeScores(nil, t.Scores)
		}
		out = append(out, t)
	}
	return out
}

func hasDuplicateSpans(spans []model.Span) bool {
	if len(spans) < 2 {
		return false
	}
	seen := make(map[string]struct{}, len(spans))
	for _, s := range spans {
		if _, ok := seen[s.SpanID]; ok {
			return true
		}
		seen[s.SpanID] = struct{}{}
	}
	return false
}

func hasDuplicateScores(scores []model.Score) bool {
	seen := make(map[string]struct{}, len(scores))
	for _, s := range scores {
		if _, ok := seen[s.ScoreID]; ok {
			return true
		}
		seen[s.ScoreID] = struct{}{}
	}
	return false
}

// MergeSpans returns old overlaid with newer; spans keep their first position.
func MergeSpans(old, newer []model.Span) []model.Span {
	out := make([]model.Span, 0, len(old)+len(newer))
	pos := make(map[string]int, len(old)+len(newer))
	for _, list := range [][]model.Span{old, newer} {
		for _, sp := range list {
			if i, ok := pos[sp.SpanID]; ok {
				out[i] = sp
				continue
			}
			pos[sp.SpanID] = len(out)
			out = append(out, sp)
		}
	}
	return out
}

// MergeScores returns old overlaid with newer, by score id.
func MergeScores(old, newer []model.Score) []model.Score {
	out := make([]model.Score, 0, len(old)+len(newer))
	pos := make(map[string]int, len(old)+len(newer))
	for _, list := range [][]model.Score{old, newer} {
		for _, sc := range list {
			if i, ok := pos[sc.ScoreID]; ok {
				out[i] = sc
				continue
			}
			pos[sc.ScoreID] = len(out)
			out = append(out, sc)
		}
	}
	return out
}

// AgentLastSeenStep is how far last_seen may lag in the registry: updating it on every
// commit would cost an upsert per commit for no reader's benefit.
const AgentLastSeenStep = time.Minute

// AgentRegistry remembers which agents registry rows a writer knows to be stored, so that
// batches skip upserts that would change nothing. What it knows is a lower bound of the
// table (other processes may have written more), so skipping is always safe.
type AgentRegistry struct {
	mu    sync.Mutex
	known map[traceKey]model.Agent
}

// NewAgentRegistry returns an empty registry.
func NewAgentRegistry() *AgentRegistry {
	return &AgentRegistry{known: map[traceKey]model.Agent{}}
}

// Changes returns the registry rows the traces change, compared with what is known stored,
// in the order agents first appear.
func (r *AgentRegistry) Changes(lists ...[]model.Trace) []model.Agent {
	seen := map[traceKey]*model.Agent{}
	var order []traceKey
	for _, list := range lists {
		for i := range list {
			t := &list[i]
			k := traceKey{t.WorkspaceID, t.AgentID}
			a := seen[k]
			if a == nil {
				a = &model.Agent{WorkspaceID: t.WorkspaceID, AgentID: t.AgentID, FirstSeen: t.StartTime, LastSeen: t.StartTime, Models: []string{}}
				seen[k] = a
				order = append(order, k)
			}
			if t.StartTime.Before(a.FirstSeen) {
				a.FirstSeen = t.StartTime
			}
			if t.StartTime.After(a.LastSeen) {
				a.LastSeen = t.StartTime
			}
			a.Models = addModel(a.Models, t.Model)
			for j := range t.Spans {
				a.Models = addModel(a.Models, t.Spans[j].Model)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []model.Agent
	for _, k := range order {
		a := seen[k]
		known, ok := r.known[k]
		if ok && !a.FirstSeen.Before(known.FirstSeen) && !a.LastSeen.After(known.LastSeen.Add(AgentLastSeenStep)) && subset(a.Models, known.Models) {
			continue
		}
		out = append(out, *a)
	}
	return out
}

// Remember records rows a committed transaction wrote.
func (r *AgentRegistry) Remember(written []model.Agent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range written {
		k := traceKey{a.WorkspaceID, a.AgentID}
		known, ok := r.known[k]
		if !ok {
			a.Models = slices.Clone(a.Models)
			r.known[k] = a
			continue
		}
		if a.FirstSeen.Before(known.FirstSeen) {
			known.FirstSeen = a.FirstSeen
		}
		if a.LastSeen.After(known.LastSeen) {
			known.LastSeen = a.LastSeen
		}
		for _, m := range a.Models {
			known.Models = addModel(known.Models, m)
		}
		r.known[k] = known
	}
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func addModel(models []string, m string) []string {
	if m == "" || slices.Contains(models, m) {
		return models
	}
	if models == nil {
		models = []string{}
	}
	return append(models, m)
}

// FlatRootSpan presents a trace stored without spans as its single llm call, which is how
// every backend reads a flat trace back.
func FlatRootSpan(t *model.Trace) model.Span {
	msg := t.ErrorMessage
	if msg == "" {
		msg = t.ErrorType
	}
	return model.Span{
		WorkspaceID: t.WorkspaceID, TraceID: t.TraceID, SpanID: model.RootSpanID, Kind: model.KindLLM,
		Name: t.Name, StartTime: t.StartTime, EndTime: t.EndTime, LatencyMs: t.LatencyMs, Status: t.Status,
		StatusMessage: msg, Model: t.Model, Provider: t.Provider,
		TokensInput: t.TokensInput, TokensOutput: t.TokensOutput, TokensCached: t.TokensCached,
		TokensTotal: t.TokensTotal, CostUSD: t.CostUSD, Input: t.Input, Output: t.Output,
		Attributes: json.RawMessage("{}"),
	}
}
