package query

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"net/url"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// TraceList is the answer of GET /api/v1/traces.
type TraceList struct {
	Traces     []model.TraceSummary `json:"traces"`
	Total      int64                `json:"total"`
	NextCursor *string              `json:"next_cursor"`
}

// listRequest is a parsed trace-list request and its cache key.
type listRequest struct {
	Filter store.TraceFilter
	Sort   store.SortField
	Asc    bool
	Limit  int
	After  *store.Position
}

// cursor is what next_cursor encodes: the last position and a hash of the filters and sort,
// so that a cursor is not silently applied to a different list.
type cursor struct {
	Value   float64 `json:"v"`
	TraceID string  `json:"id"`
	Hash    uint64  `json:"h"`
}

func listHash(r listRequest) uint64 {
	key := r
	key.After, key.Limit = nil, 0
	b, _ := json.Marshal(key)
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 2048 || json.Unmarshal(b, &c) != nil || c.TraceID == "" {
		return c, false
	}
	return c, true
}

// traceFilter reads the explorer's filters.
func (s *Service) traceFilter(p *params, ws string) store.TraceFilter {
	w := p.window(s.now(), "", false)
	f := store.TraceFilter{WorkspaceID: ws, From: w.From, To: w.To,
		AgentIDs: p.list("agent_id", 256), Models: p.list("model", 256), Providers: p.list("provider", 64),
		UserIDs: p.list("user_id", 256), SessionIDs: p.list("session_id", 256), Tags: p.list("tag", 128),
		MinLatencyMs: p.optInt("min_latency_ms"), MaxLatencyMs: p.optInt("max_latency_ms"),
		MinCostUSD: p.optFloat("min_cost_usd"), MaxCostUSD: p.optFloat("max_cost_usd")}
	for _, st := range p.list("status", 16) {
		if !model.Status(st).Valid() {
			p.fail("status", "must be one of success, error, timeout")
			continue
		}
		f.Statuses = append(f.Statuses, model.Status(st))
	}
	if f.MinLatencyMs != nil && f.MaxLatencyMs != nil && *f.MinLatencyMs > *f.MaxLatencyMs {
		p.fail("min_latency_ms", "must not be greater than max_latency_ms")
	}
	if f.MinCostUSD != nil && f.MaxCostUSD != nil && *f.MinCostUSD > *f.MaxCostUSD {
		p.fail("min_cost_usd", "must not be greater than max_cost_usd")
	}
	if q := p.str("q"); q != "" {
		if len([]rune(q)) > 256 {
			p.fail("q", "must be at most 256 characters")
		}
		f.Text = q
	} else if _, given := p.v["q"]; given {
		p.fail("q", "must not be empty")
	}
	return f
}

// ListTraces answers the trace explorer.
func (s *Service) ListTraces(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req := listRequest{Filter: s.traceFilter(p, ws)}
	req.Sort = store.SortField(p.enum("sort", string(store.SortStartTime), string(store.SortStartTime), string(store.SortLatency), string(store.SortCost)))
	req.Asc = p.enum("order", "desc", "desc", "asc") == "asc"
	req.Limit = p.intIn("limit", 50, 1, 500)
	if cs := p.str("cursor"); cs != "" {
		c, ok := decodeCursor(cs)
		switch {
		case !ok:
			p.fail("cursor", "is not a cursor this API issued")
		case c.Hash != listHash(req):
			p.fail("cursor", "belongs to other filters or another sort order")
		default:
			req.After = &store.Position{Value: c.Value, TraceID: c.TraceID}
		}
	}
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "traces", req, func() (any, error) {
		page, err := s.st.ListTraces(ctx, store.ListQuery{Filter: req.Filter, Sort: req.Sort, Asc: req.Asc, Limit: req.Limit, After: req.After, Count: true})
		if err != nil {
			return nil, err
		}
		out := TraceList{Traces: page.Traces, Total: page.Total}
		if page.More && len(page.Traces) > 0 {
			last := page.Traces[len(page.Traces)-1]
			c := encodeCursor(cursor{Value: positionValue(last, req.Sort), TraceID: last.TraceID, Hash: listHash(req)})
			out.NextCursor = &c
		}
		for i := range out.Traces {
			if out.Traces[i].Tags == nil {
				out.Traces[i].Tags = []string{}
			}
		}
		return out, nil
	})
}

// positionValue is t's sort value as store.Position defines it.
func positionValue(t model.TraceSummary, f store.SortField) float64 {
	switch f {
	case store.SortLatency:
		return float64(t.LatencyMs)
	case store.SortCost:
		if t.CostUSD == nil {
			return -1
		}
		return *t.CostUSD
	}
	return float64(t.StartTime.UnixMicro())
}

// Session is a conversation's totals.
type Session struct {
	SessionID      string    `json:"session_id"`
	UserID         string    `json:"user_id"`
	AgentIDs       []string  `json:"agent_ids"`
	TraceCount     int64     `json:"trace_count"`
	ErrorCount     int64     `json:"error_count"`
	FirstTraceAt   time.Time `json:"first_trace_at"`
	LastTraceAt    time.Time `json:"last_trace_at"`
	DurationMs     int64     `json:"duration_ms"`
	TokensTotal    int64     `json:"tokens_total"`
	CostUSD        float64   `json:"cost_usd"`
	TotalLatencyMs int64     `json:"total_latency_ms"`
}

func sessionOf(id string, r store.StatsRow) Session {
	agents := []string{}
	if len(r.Lists) > 0 {
		agents = r.Lists[0]
	}
	return Session{SessionID: id, UserID: r.FirstUserID, AgentIDs: agents, TraceCount: r.Count, ErrorCount: r.Errors + r.Timeouts,
		FirstTraceAt: r.FirstStart, LastTraceAt: r.LastStart, DurationMs: r.LastEnd.Sub(r.FirstStart).Milliseconds(),
		TokensTotal: r.TokensTotal, CostUSD: r.CostUSD, TotalLatencyMs: r.LatencySumMs}
}

// SessionList is the answer of GET /api/v1/sessions.
type SessionList struct {
	Range    RangeJSON `json:"range"`
	Sessions []Session `json:"sessions"`
	Total    int64     `json:"total"`
}

type pageRequest struct {
	request
	Users  []string `json:",omitempty"`
	Offset int      `json:",omitempty"`
	Sort   string   `json:",omitempty"`
}

// Sessions lists conversations with activity in the window, latest activity first.
func (s *Service) Sessions(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	var req pageRequest
	var w Window
	req.request, w = s.parseCommon(p, "7d", "")
	req.Users = p.list("user_id", 256)
	req.Limit = p.intIn("limit", 50, 1, 500)
	req.Offset = p.intIn("offset", 0, 0, 1_000_000)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "sessions", req, func() (any, error) {
		f := filterOf(ws, w, req.Agents)
		f.UserIDs = req.Users
		f.NonEmpty = []store.Dimension{store.DimSession}
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: f, GroupBy: []store.Dimension{store.DimSession},
			ListDistinct: []store.Dimension{store.DimAgent}, Latest: true, Times: true, Order: store.OrderLastStart, Limit: req.Limit, Offset: req.Offset})
		if err != nil {
			return nil, err
		}
		out := SessionList{Range: rangeOf(w, false), Sessions: []Session{}, Total: res.TotalGroups}
		for _, r := range res.Rows {
			out.Sessions = append(out.Sessions, sessionOf(r.Keys[0], r))
		}
		if len(res.Rows) == 0 && req.Offset > 0 {
			if out.Total, err = s.countDistinct(ctx, f, store.DimSession); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

func (s *Service) countDistinct(ctx context.Context, f store.TraceFilter, d store.Dimension) (int64, error) {
	res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: f, CountDistinct: []store.Dimension{d}})
	if err != nil {
		return 0, err
	}
	return one(res).Distinct[0], nil
}

// SessionDetail is the answer of GET /api/v1/sessions/{id}.
type SessionDetail struct {
	Session
	TokensInput  int64                `json:"tokens_input"`
	TokensOutput int64                `json:"tokens_output"`
	Truncated    bool                 `json:"truncated"`
	Traces       []model.TraceSummary `json:"traces"`
}

// Session returns a conversation's traces in order with its totals.
func (s *Service) Session(ctx context.Context, ws, id string, v url.Values) (Result, error) {
	p := newParams(v)
	limit := p.intIn("limit", 1000, 1, 1000)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "session", request{Limit: limit, Extra: id}, func() (any, error) {
		f := store.TraceFilter{WorkspaceID: ws, SessionIDs: []string{id}}
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: f, ListDistinct: []store.Dimension{store.DimAgent}, Latest: true, Times: true})
		if err != nil {
			return nil, err
		}
		r := one(res)
		if r.Count == 0 || id == "" {
			return nil, model.Errorf(model.ENOTFOUND, "session %q not found", id)
		}
		page, err := s.st.ListTraces(ctx, store.ListQuery{Filter: f, Sort: store.SortStartTime, Asc: true, Limit: limit})
		if err != nil {
			return nil, err
		}
		for i := range page.Traces {
			if page.Traces[i].Tags == nil {
				page.Traces[i].Tags = []string{}
			}
		}
		return SessionDetail{Session: sessionOf(id, r), TokensInput: r.TokensInput, TokensOutput: r.TokensOutput,
			Truncated: page.More, Traces: page.Traces}, nil
	})
}

// UserTotals is one user of GET /api/v1/users.
type UserTotals struct {
	UserID       string    `json:"user_id"`
	TraceCount   int64     `json:"trace_count"`
	ErrorCount   int64     `json:"error_count"`
	TokensTotal  int64     `json:"tokens_total"`
	CostUSD      float64   `json:"cost_usd"`
	AvgLatencyMs float64   `json:"avg_latency_ms"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
}

// UserList is the answer of GET /api/v1/users.
type UserList struct {
	Range RangeJSON    `json:"range"`
	Users []UserTotals `json:"users"`
	Total int64        `json:"total"`
}

// Users lists per-user totals over the window.
func (s *Service) Users(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	var req pageRequest
	var w Window
	req.request, w = s.parseCommon(p, "30d", "")
	req.Sort = p.enum("sort", "traces", "traces", "cost_usd", "last_seen")
	req.Limit = p.intIn("limit", 50, 1, 500)
	req.Offset = p.intIn("offset", 0, 0, 1_000_000)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	order := map[string]store.StatsOrder{"traces": store.OrderCount, "cost_usd": store.OrderCost, "last_seen": store.OrderLastStart}[req.Sort]
	return s.cached(ctx, ws, "users", req, func() (any, error) {
		f := filterOf(ws, w, req.Agents)
		f.NonEmpty = []store.Dimension{store.DimUser}
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: f, GroupBy: []store.Dimension{store.DimUser},
			Times: true, Order: order, Limit: req.Limit, Offset: req.Offset})
		if err != nil {
			return nil, err
		}
		out := UserList{Range: rangeOf(w, false), Users: []UserTotals{}, Total: res.TotalGroups}
		for _, r := range res.Rows {
			u := UserTotals{UserID: r.Keys[0], TraceCount: r.Count, ErrorCount: r.Errors + r.Timeouts,
				TokensTotal: r.TokensTotal, CostUSD: r.CostUSD, FirstSeen: r.FirstStart, LastSeen: r.LastStart}
			if a := avg(float64(r.LatencySumMs), r.Count); a != nil {
				u.AvgLatencyMs = *a
			}
			out.Users = append(out.Users, u)
		}
		if len(res.Rows) == 0 && req.Offset > 0 {
			if out.Total, err = s.countDistinct(ctx, f, store.DimUser); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}
