package store

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// The analytics roll-ups every backend keeps (see Analytics): calls to models and traces,
// summed per 5-minute slot of the trace's start. These functions say what a trace adds to
// them, so that backends maintain them alike.

// SlotMs is the width of the roll-ups' time slots: every UTC offset in use is a multiple of
// 15 minutes, so 5-minute slots nest in the buckets of any zone and granularity.
const SlotMs = 5 * 60 * 1000

// SlotOf is the slot holding the instant ms (Unix milliseconds).
func SlotOf(ms int64) int64 {
	q := ms / SlotMs
	if ms%SlotMs != 0 && ms < 0 {
		q--
	}
	return q * SlotMs
}

// UsageKey identifies a row of the llm-usage roll-up.
type UsageKey struct {
	WorkspaceID, AgentID, Model, Provider string
	SlotMs                                int64
}

// UsageSum is what calls add to a usage row.
type UsageSum struct {
	Calls, Priced, TokensInput, TokensOutput int64
	CostUSD                                  float64
}

func (u *UsageSum) add(sign int64, cost *float64, in, out *int64) {
	u.Calls += sign
	if cost != nil {
		u.Priced += sign
		u.CostUSD += float64(sign) * *cost
	}
	if in != nil {
		u.TokensInput += sign * *in
	}
	if out != nil {
		u.TokensOutput += sign * *out
	}
}

// IsCallKind reports whether spans of kind k are calls to a model.
func IsCallKind(k model.SpanKind) bool { return k == model.KindLLM || k == model.KindEmbedding }

// AddUsage adds sign (1 or -1) times the calls of rolled-up traces to sums: llm and
// embedding spans, and a trace without spans as its own call.
func AddUsage(sums map[UsageKey]*UsageSum, traces []model.Trace, sign int64) {
	add := func(t *model.Trace, mdl, provider string, cost *float64, in, out *int64) {
		k := UsageKey{WorkspaceID: t.WorkspaceID, AgentID: t.AgentID, Model: mdl, Provider: provider, SlotMs: SlotOf(t.StartTime.UnixMilli())}
		u := sums[k]
		if u == nil {
			u = &UsageSum{}
			sums[k] = u
		}
		u.add(sign, cost, in, out)
	}
	for i := range traces {
		t := &traces[i]
		if len(t.Spans) == 0 {
			add(t, t.Model, t.Provider, t.CostUSD, t.TokensInput, t.TokensOutput)
			continue
		}
		for j := range t.Spans {
			sp := &t.Spans[j]
			if IsCallKind(sp.Kind) {
				add(t, sp.Model, sp.Provider, sp.CostUSD, sp.TokensInput, sp.TokensOutput)
			}
		}
	}
}

// StatsKey identifies a row of the trace-stats roll-up.
type StatsKey struct {
	WorkspaceID, AgentID, Status, ErrorType string
	SlotMs                                  int64
}

// StatsSum is what traces add to a stats row.
type StatsSum struct {
	Traces, LatencyMs, Priced, TokensInput, TokensOutput, TokensTotal int64
	CostUSD                                                           float64
}

// AddStats adds sign (1 or -1) times rolled-up traces to sums.
func AddStats(sums map[StatsKey]*StatsSum, traces []model.Trace, sign int64) {
	for i := range traces {
		t := &traces[i]
		k := StatsKey{WorkspaceID: t.WorkspaceID, AgentID: t.AgentID, Status: string(t.Status), ErrorType: t.ErrorType, SlotMs: SlotOf(t.StartTime.UnixMilli())}
		u := sums[k]
		if u == nil {
			u = &StatsSum{}
			sums[k] = u
		}
		u.add(t, sign)
	}
}

func (u *StatsSum) add(t *model.Trace, sign int64) {
	u.Traces += sign
	u.LatencyMs += sign * t.LatencyMs
	if t.CostUSD != nil {
		u.Priced += sign
		u.CostUSD += float64(sign) * *t.CostUSD
	}
	for _, p := range []struct {
		dst *int64
		v   *int64
	}{{&u.TokensInput, t.TokensInput}, {&u.TokensOutput, t.TokensOutput}, {&u.TokensTotal, t.TokensTotal}} {
		if p.v != nil {
			*p.dst += sign * *p.v
		}
	}
}

// Add adds s to u.
func (u *StatsSum) Add(s *StatsSum) {
	u.Traces += s.Traces
	u.LatencyMs += s.LatencyMs
	u.Priced += s.Priced
	u.CostUSD += s.CostUSD
	u.TokensInput += s.TokensInput
	u.TokensOutput += s.TokensOutput
	u.TokensTotal += s.TokensTotal
}

// Add adds s to u.
func (u *UsageSum) Add(s *UsageSum) {
	u.Calls += s.Calls
	u.Priced += s.Priced
	u.CostUSD += s.CostUSD
	u.TokensInput += s.TokensInput
	u.TokensOutput += s.TokensOutput
}

// DayMs is the width of the per-user roll-up's slots: UTC days.
const DayMs = 24 * 60 * 60 * 1000

// UserKey identifies a row of the per-user roll-up; traces without a user have their row
// too, under the empty UserID, so that the rows of a day sum to all of its traces.
type UserKey struct {
	WorkspaceID, UserID string
	DayMs               int64
}

// UserSum is what traces add to a per-user row. FirstStart, LastStart and LastEnd (Unix
// microseconds) only grow by adding; Shrunk says traces were taken away, after which the
// extremes must be read from the raw traces again.
type UserSum struct {
	StatsSum
	Success, Errors, Timeouts      int64
	FirstStart, LastStart, LastEnd int64
	Shrunk                         bool
}

// DayOf is the UTC day holding the instant ms (Unix milliseconds).
func DayOf(ms int64) int64 {
	q := ms / DayMs
	if ms%DayMs != 0 && ms < 0 {
		q--
	}
	return q * DayMs
}

// AddUserStats adds sign (1 or -1) times rolled-up traces to per-user sums.
func AddUserStats(sums map[UserKey]*UserSum, traces []model.Trace, sign int64) {
	for i := range traces {
		t := &traces[i]
		k := UserKey{WorkspaceID: t.WorkspaceID, UserID: t.UserID, DayMs: DayOf(t.StartTime.UnixMilli())}
		u := sums[k]
		if u == nil {
			u = &UserSum{FirstStart: math.MaxInt64, LastStart: math.MinInt64, LastEnd: math.MinInt64}
			sums[k] = u
		}
		u.StatsSum.add(t, sign)
		switch t.Status {
		case model.StatusSuccess:
			u.Success += sign
		case model.StatusError:
			u.Errors += sign
		case model.StatusTimeout:
			u.Timeouts += sign
		}
		if sign < 0 {
			u.Shrunk = true
			continue
		}
		u.FirstStart = min(u.FirstStart, t.StartTime.UnixMicro())
		u.LastStart = max(u.LastStart, t.StartTime.UnixMicro())
		u.LastEnd = max(u.LastEnd, t.EndTime.UnixMicro())
	}
}

// RollupServes reports whether the roll-ups hold exactly the rows f selects: a window on
// whole slots (or open) filtered at most by agent.
func RollupServes(f TraceFilter) bool {
	onSlot := func(t time.Time) bool { return t.IsZero() || (t.UnixMilli()%SlotMs == 0 && t.Nanosecond()%1e6 == 0) }
	if !onSlot(f.From) || !onSlot(f.To) {
		return false
	}
	return len(f.Models) == 0 && len(f.Providers) == 0 && len(f.UserIDs) == 0 && len(f.SessionIDs) == 0 &&
		len(f.Statuses) == 0 && len(f.ErrorTypes) == 0 && len(f.Tags) == 0 && f.MinLatencyMs == nil && f.MaxLatencyMs == nil &&
		f.MinCostUSD == nil && f.MaxCostUSD == nil && f.Text == "" && len(f.NonEmpty) == 0
}

// StatsRollupServes reports whether the trace-stats roll-up holds exactly what q asks for:
// sums over whole slots, filtered and grouped at most by agent, status and error type.
func StatsRollupServes(q StatsQuery) bool {
	f := q.Filter
	f.AgentIDs, f.Statuses, f.ErrorTypes = nil, nil, nil
	if !RollupServes(f) || len(q.Percentiles) > 0 || len(q.CountDistinct) > 0 || len(q.ListDistinct) > 0 || q.Latest || q.Times ||
		q.Order == OrderLastStart {
		return false
	}
	for _, d := range q.GroupBy {
		if d != DimAgent && d != DimStatus && d != DimErrorType {
			return false
		}
	}
	return true
}

// SlotBounds renders the window of f as conditions on a roll-up's slot_ms column.
func SlotBounds(f TraceFilter) []string {
	var out []string
	if !f.From.IsZero() {
		out = append(out, fmt.Sprintf("slot_ms >= %d", f.From.UnixMilli()))
	}
	if !f.To.IsZero() {
		out = append(out, fmt.Sprintf("slot_ms < %d", f.To.UnixMilli()))
	}
	return out
}

// SessionKey identifies a session.
type SessionKey struct{ WorkspaceID, SessionID string }

// SessionBounds are the first and last start of traces of a session.
type SessionBounds struct{ First, Last time.Time }

// SessionBoundsOf is what traces add to the session bounds: the extremes of their starts
// per session; traces without a session have none.
func SessionBoundsOf(traces []model.Trace) map[SessionKey]SessionBounds {
	out := map[SessionKey]SessionBounds{}
	for i := range traces {
		t := &traces[i]
		if t.SessionID == "" {
			continue
		}
		k := SessionKey{t.WorkspaceID, t.SessionID}
		b, ok := out[k]
		if !ok {
			out[k] = SessionBounds{First: t.StartTime, Last: t.StartTime}
			continue
		}
		if t.StartTime.Before(b.First) {
			b.First = t.StartTime
		}
		if t.StartTime.After(b.Last) {
			b.Last = t.StartTime
		}
		out[k] = b
	}
	return out
}

// VerifyRollupSQL counts the keys on which a roll-up (actual: a table or a parenthesised
// query) differs from what expected recomputes from the raw tables, comparing the named
// columns and, when expected has one, cost_usd to a millionth.
func VerifyRollupSQL(expected, actual, keys string, compare []string) string {
	var differ []string
	for _, col := range compare {
		differ = append(differ, fmt.Sprintf("e.%s IS DISTINCT FROM a.%s", col, col))
	}
	if strings.Contains(expected, "AS cost_usd") {
		differ = append(differ, "abs(coalesce(e.cost_usd, 0) - coalesce(a.cost_usd, 0)) > 1e-6")
	}
	return fmt.Sprintf(`SELECT count(*) FROM (%s) e FULL JOIN %s a USING (%s) WHERE %s`, expected, actual, keys, strings.Join(differ, " OR "))
}
