package query

import (
	"context"
	"net/url"
	"sort"
	"time"

	"github.com/agentobs/agentobs/internal/store"
)

// UsageOverview is the answer of GET /api/v1/usage/overview.
type UsageOverview struct {
	Range           RangeJSON `json:"range"`
	TotalCalls      KPI       `json:"total_calls"`
	UniqueUsers     KPI       `json:"unique_users"`
	ActiveAgents    KPI       `json:"active_agents"`
	AvgCallsPerUser KPI       `json:"avg_calls_per_user"`
}

// UsageOverview answers the usage page's cards.
func (s *Service) UsageOverview(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "24h", "")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "usage-overview", req, func() (any, error) {
		// Calls and agents come from a grouping the roll-ups answer; users need the traces.
		var calls, agents, users [2]float64
		var qs []store.StatsQuery
		for _, win := range []Window{w, w.Previous()} {
			qs = append(qs,
				store.StatsQuery{Filter: filterOf(ws, win, req.Agents), GroupBy: []store.Dimension{store.DimAgent}, Measures: store.MeasureCount},
				store.StatsQuery{Filter: filterOf(ws, win, req.Agents), CountDistinct: []store.Dimension{store.DimUser}, Measures: store.MeasureCount})
		}
		res, err := s.stats(ctx, qs...)
		if err != nil {
			return nil, err
		}
		for i := range 2 {
			for _, r := range res[2*i].Rows {
				calls[i] += float64(r.Count)
				agents[i]++
			}
			users[i] = float64(one(res[2*i+1]).Distinct[0])
		}
		perUser := func(i int) *float64 {
			if users[i] == 0 {
				return nil
			}
			return fp(round2(calls[i] / users[i]))
		}
		return UsageOverview{
			Range:           rangeOf(w, true),
			TotalCalls:      kpi(fp(calls[0]), fp(calls[1])),
			UniqueUsers:     kpi(fp(users[0]), fp(users[1])),
			ActiveAgents:    kpi(fp(agents[0]), fp(agents[1])),
			AvgCallsPerUser: kpi(perUser(0), perUser(1)),
		}, nil
	})
}

// CallsBucket is one bucket of the calls-over-time chart.
type CallsBucket struct {
	Timestamp string           `json:"timestamp"`
	Total     int64            `json:"total"`
	ByAgent   map[string]int64 `json:"by_agent"`
	Other     int64            `json:"other"`
}

// CallsOverTime is the answer of GET /api/v1/usage/calls-over-time.
type CallsOverTime struct {
	Range       RangeJSON     `json:"range"`
	Granularity Granularity   `json:"granularity"`
	Timezone    string        `json:"timezone"`
	Agents      []string      `json:"agents"`
	Buckets     []CallsBucket `json:"buckets"`
}

// topKeys returns up to n keys by descending weight, ties by key.
func topKeys(weights map[string]float64, n int) []string {
	keys := make([]string, 0, len(weights))
	for k := range weights {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if weights[keys[i]] != weights[keys[j]] {
			return weights[keys[i]] > weights[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// CallsOverTime answers calls per bucket and agent.
func (s *Service) CallsOverTime(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "7d", "granularity")
	req.Limit = p.intIn("top", 10, 1, 50)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "calls-over-time", req, func() (any, error) {
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: filterOf(ws, w, req.Agents), Buckets: bucketing(w, req.Gran),
			GroupBy: []store.Dimension{store.DimAgent}})
		if err != nil {
			return nil, err
		}
		totals := map[string]float64{}
		for _, r := range res.Rows {
			totals[r.Keys[0]] += float64(r.Count)
		}
		agents := topKeys(totals, req.Limit)
		top := map[string]bool{}
		for _, a := range agents {
			top[a] = true
		}
		cells := map[int64]*CallsBucket{}
		for _, r := range res.Rows {
			b := cells[r.Bucket]
			if b == nil {
				b = &CallsBucket{ByAgent: map[string]int64{}}
				cells[r.Bucket] = b
			}
			b.Total += r.Count
			if top[r.Keys[0]] {
				b.ByAgent[r.Keys[0]] += r.Count
			} else {
				b.Other += r.Count
			}
		}
		out := CallsOverTime{Range: rangeOf(w, false), Granularity: req.Gran, Timezone: req.TZ, Agents: agents, Buckets: []CallsBucket{}}
		for _, b := range buckets(w, req.Gran) {
			cb := CallsBucket{Timestamp: formatIn(b.Start, w.Loc), ByAgent: map[string]int64{}}
			if c := cells[b.Label]; c != nil {
				cb.Total, cb.Other = c.Total, c.Other
				cb.ByAgent = c.ByAgent
			}
			for _, a := range agents {
				cb.ByAgent[a] += 0
			}
			out.Buckets = append(out.Buckets, cb)
		}
		return out, nil
	})
}

// AgentShare is one agent of the distribution.
type AgentShare struct {
	AgentID      string  `json:"agent_id"`
	Calls        int64   `json:"calls"`
	SharePct     float64 `json:"share_pct"`
	Errors       int64   `json:"errors"`
	CostUSD      float64 `json:"cost_usd"`
	AvgLatencyMs float64 `json:"avg_latency_ms"`
}

// AgentDistribution is the answer of GET /api/v1/usage/agent-distribution.
type AgentDistribution struct {
	Range      RangeJSON    `json:"range"`
	TotalCalls int64        `json:"total_calls"`
	Agents     []AgentShare `json:"agents"`
}

// AgentDistribution answers the share of calls per agent.
func (s *Service) AgentDistribution(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "30d", "")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "agent-distribution", req, func() (any, error) {
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: filterOf(ws, w, req.Agents), GroupBy: []store.Dimension{store.DimAgent},
			Order: store.OrderCount})
		if err != nil {
			return nil, err
		}
		out := AgentDistribution{Range: rangeOf(w, false), Agents: []AgentShare{}}
		for _, r := range res.Rows {
			out.TotalCalls += r.Count
		}
		for _, r := range res.Rows {
			a := AgentShare{AgentID: r.Keys[0], Calls: r.Count, SharePct: pct0(float64(r.Count), float64(out.TotalCalls)),
				Errors: r.Errors + r.Timeouts, CostUSD: r.CostUSD}
			if m := avg(float64(r.LatencySumMs), r.Count); m != nil {
				a.AvgLatencyMs = *m
			}
			out.Agents = append(out.Agents, a)
		}
		return out, nil
	})
}

// TopUser is one row of the top-users table.
type TopUser struct {
	UserID        string    `json:"user_id"`
	Calls         int64     `json:"calls"`
	CostUSD       float64   `json:"cost_usd"`
	LastActive    time.Time `json:"last_active"`
	PreviousCalls int64     `json:"previous_calls"`
	TrendPct      *float64  `json:"trend_pct"`
}

// TopUsers is the answer of GET /api/v1/usage/top-users.
type TopUsers struct {
	Range RangeJSON `json:"range"`
	Users []TopUser `json:"users"`
}

// TopUsers answers the most active users with their trend against the previous period.
func (s *Service) TopUsers(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "7d", "")
	req.Limit = p.intIn("limit", 10, 1, 100)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "top-users", req, func() (any, error) {
		f := filterOf(ws, w, req.Agents)
		f.NonEmpty = []store.Dimension{store.DimUser}
		res, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: f, GroupBy: []store.Dimension{store.DimUser},
			Times: true, Measures: store.MeasureCost, Order: store.OrderCount, Limit: req.Limit})
		if err != nil {
			return nil, err
		}
		out := TopUsers{Range: rangeOf(w, true), Users: []TopUser{}}
		if len(res.Rows) == 0 {
			return out, nil
		}
		users := make([]string, len(res.Rows))
		for i, r := range res.Rows {
			users[i] = r.Keys[0]
		}
		pf := filterOf(ws, w.Previous(), req.Agents)
		pf.UserIDs = users
		prev, err := s.st.TraceStats(ctx, store.StatsQuery{Filter: pf, GroupBy: []store.Dimension{store.DimUser}, Measures: store.MeasureCost})
		if err != nil {
			return nil, err
		}
		before := map[string]int64{}
		for _, r := range prev.Rows {
			before[r.Keys[0]] = r.Count
		}
		for _, r := range res.Rows {
			u := TopUser{UserID: r.Keys[0], Calls: r.Count, CostUSD: r.CostUSD, LastActive: r.LastStart,
				PreviousCalls: before[r.Keys[0]]}
			u.TrendPct = kpi(fp(float64(u.Calls)), fp(float64(u.PreviousCalls))).ChangePct
			out.Users = append(out.Users, u)
		}
		return out, nil
	})
}
