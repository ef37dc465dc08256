package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/synth"
)

// testAnalytics checks every aggregate of store.Analytics against a computation in Go over
// the generated traces themselves, on windows the roll-ups answer (whole 5-minute slots)
// and on windows only the raw tables can, before and after traces are written again.
func testAnalytics(t *testing.T, s store.Store) {
	a, ok := s.(store.Analytics)
	if !ok {
		t.Fatalf("the backend does not implement store.Analytics; opt out by skipping %q", "Analytics")
	}
	end := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	rec := &recorder{w: s}
	if _, err := synth.Generate(ctx(), rec, synth.Config{WorkspaceID: ws1, Traces: 4000, Days: 3, End: end, Seed: 11,
		Events: -1, Violations: -1, BatchSize: 700}, nil); err != nil {
		t.Fatal(err)
	}
	// Another workspace's traces must never count.
	if _, err := synth.Generate(ctx(), &recorder{w: s}, synth.Config{WorkspaceID: ws2, Traces: 300, Days: 3, End: end, Seed: 12,
		Events: -1, Violations: -1}, nil); err != nil {
		t.Fatal(err)
	}
	ref := rec.rolledUp()
	c := &analyticsCase{t: t, a: a, end: end}

	t.Run("TraceStats", func(t *testing.T) { c.t = t; c.checkStats(ref) })
	t.Run("CallStats", func(t *testing.T) { c.t = t; c.checkCalls(ref) })
	t.Run("ListTraces", func(t *testing.T) { c.t = t; c.checkList(ref) })

	// Write a sample of traces again, changed: spans repriced and moved to other models,
	// start times moved, agents and statuses changed. The roll-ups must follow.
	var again []model.Trace
	for i := 0; i < len(ref); i += 37 {
		tr := cloneTrace(ref[i])
		tr.Declared.Status = model.StatusSuccess
		switch i % 4 {
		case 0:
			tr.StartTime = tr.StartTime.Add(61 * time.Minute)
			tr.Declared.EndTime = time.Time{}
			tr.Declared.LatencyMs = model.Int64(1234)
			for j := range tr.Spans {
				tr.Spans[j].StartTime = tr.Spans[j].StartTime.Add(61 * time.Minute)
				tr.Spans[j].EndTime = tr.Spans[j].EndTime.Add(61 * time.Minute)
			}
		case 1:
			tr.AgentID = "rewritten-agent"
		case 2:
			tr.Declared.Status = model.StatusTimeout
		case 3:
			if i%8 == 3 {
				// Into another day: per-day roll-ups lose the trace's extremes.
				tr.StartTime = tr.StartTime.Add(-25 * time.Hour)
				tr.Declared.EndTime = time.Time{}
				for j := range tr.Spans {
					tr.Spans[j].StartTime = tr.Spans[j].StartTime.Add(-25 * time.Hour)
					tr.Spans[j].EndTime = tr.Spans[j].EndTime.Add(-25 * time.Hour)
				}
			}
		}
		for j := range tr.Spans {
			if tr.Spans[j].Kind == model.KindLLM {
				tr.Spans[j].Model = "rewritten-model"
				tr.Spans[j].CostUSD = model.Float64(0.125)
				break
			}
		}
		if len(tr.Spans) == 0 {
			tr.Declared.CostUSD = model.Float64(0.5)
			tr.Model = "rewritten-model"
		}
		again = append(again, tr)
	}
	// And the latest trace of the last whole day into the day before: a per-day roll-up must
	// find that day's latest trace again.
	dayEnd := end.Truncate(24 * time.Hour)
	latest := -1
	for i := range ref {
		st := ref[i].StartTime
		if i%37 != 0 && ref[i].UserID != "" && st.Before(dayEnd) && !st.Before(dayEnd.Add(-24*time.Hour)) &&
			(latest < 0 || st.After(ref[latest].StartTime)) {
			latest = i
		}
	}
	if latest < 0 {
		t.Fatal("the fixture has no trace on the last whole day")
	}
	moved := cloneTrace(ref[latest])
	moved.StartTime = moved.StartTime.Add(-24 * time.Hour)
	moved.Declared.EndTime = time.Time{}
	for j := range moved.Spans {
		moved.Spans[j].StartTime = moved.Spans[j].StartTime.Add(-24 * time.Hour)
		moved.Spans[j].EndTime = moved.Spans[j].EndTime.Add(-24 * time.Hour)
	}
	again = append(again, moved)
	if err := s.WriteTraces(ctx(), again); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	byID := map[string]int{}
	for i := range ref {
		byID[ref[i].TraceID] = i
	}
	for _, tr := range again {
		i := byID[tr.TraceID]
		tr.Spans = store.MergeSpans(ref[i].Spans, tr.Spans)
		model.RollUp(&tr, tr.Spans)
		ref[i] = tr
	}
	t.Run("TraceStatsAfterRewrite", func(t *testing.T) { c.t = t; c.checkStats(ref) })
	t.Run("CallStatsAfterRewrite", func(t *testing.T) { c.t = t; c.checkCalls(ref) })
	t.Run("ListTracesAfterRewrite", func(t *testing.T) { c.t = t; c.checkList(ref) })

	t.Run("Settings", func(t *testing.T) { testAnalyticsSettings(t, a) })
}

// recorder passes writes to the store and keeps deep copies of the traces, because the
// generator reuses its memory.
type recorder struct {
	w      synth.Writer
	traces []model.Trace
}

func (r *recorder) WriteTraces(ctx context.Context, traces []model.Trace) error {
	for _, t := range traces {
		r.traces = append(r.traces, cloneTrace(t))
	}
	return r.w.WriteTraces(ctx, traces)
}

func (r *recorder) WriteEvents(ctx context.Context, e []model.Event) error {
	return r.w.WriteEvents(ctx, e)
}
func (r *recorder) WriteViolations(ctx context.Context, v []model.Violation) error {
	return r.w.WriteViolations(ctx, v)
}

// rolledUp returns the traces as the store holds them: rolled up over their spans.
func (r *recorder) rolledUp() []model.Trace {
	out := make([]model.Trace, len(r.traces))
	for i, t := range r.traces {
		t = cloneTrace(t)
		model.RollUp(&t, t.Spans)
		out[i] = t
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneTrace(t model.Trace) model.Trace {
	c := t
	c.TokensInput, c.TokensOutput, c.TokensCached, c.TokensTotal = clonePtr(t.TokensInput), clonePtr(t.TokensOutput), clonePtr(t.TokensCached), clonePtr(t.TokensTotal)
	c.CostUSD = clonePtr(t.CostUSD)
	c.Tags = slices.Clone(t.Tags)
	c.Metadata = slices.Clone(t.Metadata)
	d := t.Declared
	c.Declared = model.Declared{Status: d.Status, LatencyMs: clonePtr(d.LatencyMs), EndTime: d.EndTime, TokensInput: clonePtr(d.TokensInput),
		TokensOutput: clonePtr(d.TokensOutput), TokensCached: clonePtr(d.TokensCached), TokensTotal: clonePtr(d.TokensTotal), CostUSD: clonePtr(d.CostUSD)}
	c.Spans = make([]model.Span, len(t.Spans))
	for i, s := range t.Spans {
		s.TokensInput, s.TokensOutput, s.TokensCached, s.TokensTotal = clonePtr(s.TokensInput), clonePtr(s.TokensOutput), clonePtr(s.TokensCached), clonePtr(s.TokensTotal)
		s.CostUSD = clonePtr(s.CostUSD)
		s.Attributes = slices.Clone(s.Attributes)
		c.Spans[i] = s
	}
	c.Scores = slices.Clone(t.Scores)
	return c
}

type analyticsCase struct {
	t   *testing.T
	a   store.Analytics
	end time.Time
}

// zone describes a time zone to the store: its offsets over [from, to), found by stepping
// through the window a quarter hour at a time.
func zone(loc *time.Location, from, to time.Time) []store.ZoneOffset {
	offAt := func(t time.Time) int64 { _, o := t.In(loc).Zone(); return int64(o) * 1000 }
	var out []store.ZoneOffset
	cur := offAt(from)
	for t := from.Truncate(15 * time.Minute); t.Before(to); t = t.Add(15 * time.Minute) {
		if o := offAt(t); o != cur {
			out = append(out, store.ZoneOffset{Until: t, OffsetMs: cur})
			cur = o
		}
	}
	return append(out, store.ZoneOffset{OffsetMs: cur})
}

type bucketSpec struct {
	loc   *time.Location
	width time.Duration
	week  bool
}

func (b *bucketSpec) buckets(from, to time.Time) *store.Buckets {
	if b == nil {
		return nil
	}
	out := &store.Buckets{WidthMs: b.width.Milliseconds(), Offsets: zone(b.loc, from.Add(-24*time.Hour), to.Add(24*time.Hour))}
	if b.week {
		out.OriginMs = 4 * 24 * 3600 * 1000
	}
	return out
}

// label is the bucket of t: the floor of its local wall-clock time, read from Go's zone data.
func (b *bucketSpec) label(t time.Time) int64 {
	_, off := t.In(b.loc).Zone()
	local := t.UnixMilli() + int64(off)*1000
	var origin int64
	if b.week {
		origin = 4 * 24 * 3600 * 1000
	}
	w := b.width.Milliseconds()
	return (local-origin)/w*w + origin
}

func refMatch(f store.TraceFilter, t *model.Trace) bool {
	in := func(v string, list []string) bool { return len(list) == 0 || slices.Contains(list, v) }
	switch {
	case t.WorkspaceID != f.WorkspaceID,
		!f.From.IsZero() && t.StartTime.Before(f.From),
		!f.To.IsZero() && !t.StartTime.Before(f.To),
		!in(t.AgentID, f.AgentIDs), !in(t.Model, f.Models), !in(t.Provider, f.Providers),
		!in(t.UserID, f.UserIDs), !in(t.SessionID, f.SessionIDs):
		return false
	}
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, t.Status) {
		return false
	}
	if len(f.ErrorTypes) > 0 && !slices.Contains(f.ErrorTypes, dimOf(t, store.DimErrorType)) {
		return false
	}
	for _, tag := range f.Tags {
		if !slices.Contains(t.Tags, tag) {
			return false
		}
	}
	if (f.MinLatencyMs != nil && t.LatencyMs < *f.MinLatencyMs) || (f.MaxLatencyMs != nil && t.LatencyMs > *f.MaxLatencyMs) {
		return false
	}
	if (f.MinCostUSD != nil || f.MaxCostUSD != nil) && t.CostUSD == nil {
		return false
	}
	if (f.MinCostUSD != nil && *t.CostUSD < *f.MinCostUSD) || (f.MaxCostUSD != nil && *t.CostUSD > *f.MaxCostUSD) {
		return false
	}
	if f.Text != "" {
		needle := strings.ToLower(f.Text)
		if !strings.Contains(strings.ToLower(t.Name), needle) && !strings.Contains(strings.ToLower(t.Input), needle) &&
			!strings.Contains(strings.ToLower(t.Output), needle) {
			return false
		}
	}
	for _, d := range f.NonEmpty {
		if dimOf(t, d) == "" {
			return false
		}
	}
	return true
}

func dimOf(t *model.Trace, d store.Dimension) string {
	switch d {
	case store.DimAgent:
		return t.AgentID
	case store.DimModel:
		return t.Model
	case store.DimProvider:
		return t.Provider
	case store.DimUser:
		return t.UserID
	case store.DimSession:
		return t.SessionID
	case store.DimStatus:
		return string(t.Status)
	case store.DimErrorType:
		if t.ErrorType != "" {
			return t.ErrorType
		}
		return string(t.Status)
	}
	panic("unknown dimension " + string(d))
}

// percentileCont is the interpolated percentile of sorted values.
func percentileCont(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

type statsCase struct {
	name    string
	q       store.StatsQuery
	buckets *bucketSpec
}

// refStats computes q over traces in Go.
func refStats(traces []model.Trace, q store.StatsQuery, b *bucketSpec) store.StatsResult {
	type group struct {
		row   store.StatsRow
		items []*model.Trace
	}
	groups := map[string]*group{}
	for i := range traces {
		t := &traces[i]
		if !refMatch(q.Filter, t) {
			continue
		}
		var r store.StatsRow
		if b != nil {
			r.Bucket = b.label(t.StartTime)
		}
		for _, d := range q.GroupBy {
			r.Keys = append(r.Keys, dimOf(t, d))
		}
		k := fmt.Sprint(r.Bucket, r.Keys)
		g := groups[k]
		if g == nil {
			g = &group{row: r}
			groups[k] = g
		}
		g.items = append(g.items, t)
	}
	grouped := b != nil || len(q.GroupBy) > 0
	if !grouped && len(groups) == 0 {
		groups[""] = &group{}
	}
	var rows []store.StatsRow
	for _, g := range groups {
		r := g.row
		var lat []float64
		distinct := make([]map[string]bool, len(q.CountDistinct))
		for i := range distinct {
			distinct[i] = map[string]bool{}
		}
		lists := make([]map[string]bool, len(q.ListDistinct))
		for i := range lists {
			lists[i] = map[string]bool{}
		}
		var latest, earliest *model.Trace
		for _, t := range g.items {
			r.Count++
			switch t.Status {
			case model.StatusSuccess:
				r.Success++
			case model.StatusError:
				r.Errors++
			case model.StatusTimeout:
				r.Timeouts++
			}
			r.LatencySumMs += t.LatencyMs
			lat = append(lat, float64(t.LatencyMs))
			if t.CostUSD != nil {
				r.PricedCount++
				r.CostUSD += *t.CostUSD
			}
			for _, p := range []struct {
				dst *int64
				v   *int64
			}{{&r.TokensInput, t.TokensInput}, {&r.TokensOutput, t.TokensOutput}, {&r.TokensTotal, t.TokensTotal}} {
				if p.v != nil {
					*p.dst += *p.v
				}
			}
			for i, d := range q.CountDistinct {
				if v := dimOf(t, d); v != "" {
					distinct[i][v] = true
				}
			}
			for i, d := range q.ListDistinct {
				if v := dimOf(t, d); v != "" {
					lists[i][v] = true
				}
			}
			later := func(a, b *model.Trace) bool {
				return a.StartTime.After(b.StartTime) || (a.StartTime.Equal(b.StartTime) && a.TraceID > b.TraceID)
			}
			if latest == nil || later(t, latest) {
				latest = t
			}
			if earliest == nil || later(earliest, t) {
				earliest = t
			}
			if r.FirstStart.IsZero() || t.StartTime.Before(r.FirstStart) {
				r.FirstStart = t.StartTime
			}
			if t.StartTime.After(r.LastStart) {
				r.LastStart = t.StartTime
			}
			if t.EndTime.After(r.LastEnd) {
				r.LastEnd = t.EndTime
			}
		}
		sort.Float64s(lat)
		if len(q.Percentiles) > 0 {
			r.Percentiles = make([]float64, len(q.Percentiles))
			if len(lat) > 0 {
				for i, p := range q.Percentiles {
					r.Percentiles[i] = percentileCont(lat, p)
				}
			}
		}
		r.Distinct = make([]int64, len(q.CountDistinct))
		for i := range distinct {
			r.Distinct[i] = int64(len(distinct[i]))
		}
		for i := range lists {
			l := []string{}
			for v := range lists[i] {
				l = append(l, v)
			}
			sort.Strings(l)
			r.Lists = append(r.Lists, l)
		}
		if q.Latest && latest != nil {
			r.LatestTraceID, r.LatestErrorMessage, r.FirstUserID = latest.TraceID, latest.ErrorMessage, earliest.UserID
		}
		rows = append(rows, r)
	}
	keyLess := func(a, b store.StatsRow) bool {
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		return slices.Compare(a.Keys, b.Keys) < 0
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch q.Order {
		case store.OrderCount:
			if a.Count != b.Count {
				return a.Count > b.Count
			}
		case store.OrderCost:
			if a.CostUSD != b.CostUSD {
				return a.CostUSD > b.CostUSD
			}
		case store.OrderLastStart:
			if !a.LastStart.Equal(b.LastStart) {
				return a.LastStart.After(b.LastStart)
			}
		}
		return keyLess(a, b)
	})
	res := store.StatsResult{TotalGroups: int64(len(rows))}
	if grouped && q.Offset > 0 {
		rows = rows[min(q.Offset, len(rows)):]
	}
	if grouped && q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	res.Rows = rows
	return res
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) < 1e-12
}

func (c *analyticsCase) statsCases(ref []model.Trace) []statsCase {
	aligned := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-48 * time.Hour), To: c.end}
	raw := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-47*time.Hour - 123*time.Millisecond), To: c.end.Add(-time.Hour + 7*time.Second)}
	day := store.TraceFilter{WorkspaceID: ws1, From: c.end.Truncate(24 * time.Hour).Add(-24 * time.Hour), To: c.end.Truncate(24 * time.Hour)}
	with := func(f store.TraceFilter, edit func(*store.TraceFilter)) store.TraceFilter { edit(&f); return f }
	berlin, _ := time.LoadLocation("Europe/Berlin")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	newYork, _ := time.LoadLocation("America/New_York")
	// Pick filter values that occur in the data.
	agents, users, tags, models, sessions := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, t := range ref {
		agents[t.AgentID]++
		users[t.UserID]++
		if t.SessionID != "" {
			sessions[t.SessionID]++
		}
		models[t.Model]++
		for _, tag := range t.Tags {
			tags[tag]++
		}
	}
	top := func(m map[string]int, n int) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || (m[keys[i]] == m[keys[j]] && keys[i] < keys[j]) })
		return keys[:min(n, len(keys))]
	}
	pcts := []float64{0, 0.5, 0.95, 0.99, 1}
	return []statsCase{
		{name: "total/rollup", q: store.StatsQuery{Filter: aligned}},
		{name: "total/raw", q: store.StatsQuery{Filter: raw, Percentiles: pcts, Times: true,
			CountDistinct: []store.Dimension{store.DimUser, store.DimSession, store.DimAgent}}},
		{name: "empty", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) { f.AgentIDs = []string{"nobody"} }), Percentiles: pcts}},
		{name: "hourly/rollup", q: store.StatsQuery{Filter: aligned}, buckets: &bucketSpec{loc: time.UTC, width: time.Hour}},
		{name: "hourly/raw", q: store.StatsQuery{Filter: raw, Percentiles: pcts, Times: true}, buckets: &bucketSpec{loc: time.UTC, width: time.Hour}},
		{name: "daily-newyork-by-agent", q: store.StatsQuery{Filter: aligned, GroupBy: []store.Dimension{store.DimAgent}},
			buckets: &bucketSpec{loc: newYork, width: 24 * time.Hour}},
		{name: "5m-kolkata-by-status", q: store.StatsQuery{Filter: aligned, GroupBy: []store.Dimension{store.DimStatus}},
			buckets: &bucketSpec{loc: kolkata, width: 5 * time.Minute}},
		{name: "weekly-berlin-users", q: store.StatsQuery{Filter: raw, GroupBy: []store.Dimension{store.DimAgent},
			CountDistinct: []store.Dimension{store.DimUser}}, buckets: &bucketSpec{loc: berlin, width: 7 * 24 * time.Hour, week: true}},
		{name: "agent-status-filtered", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) {
			f.AgentIDs = top(agents, 3)
			f.Statuses = []model.Status{model.StatusError, model.StatusTimeout}
		}), GroupBy: []store.Dimension{store.DimAgent, store.DimStatus}, Order: store.OrderCount}},
		{name: "error-types-by-agent/rollup", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) {
			f.Statuses = []model.Status{model.StatusError, model.StatusTimeout}
		}), GroupBy: []store.Dimension{store.DimErrorType, store.DimAgent}, Order: store.OrderCount}},
		{name: "error-types-filtered/raw", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) {
			f.ErrorTypes = []string{"timeout", "rate_limit", "tool_error"}
		}), GroupBy: []store.Dimension{store.DimErrorType}, Percentiles: []float64{0.5}}},
		{name: "errors-page", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) {
			f.Statuses = []model.Status{model.StatusError, model.StatusTimeout}
		}), GroupBy: []store.Dimension{store.DimErrorType}, ListDistinct: []store.Dimension{store.DimAgent}, Latest: true, Times: true,
			Order: store.OrderCount, Limit: 3}},
		{name: "sessions-page", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) {
			f.NonEmpty = []store.Dimension{store.DimSession}
		}), GroupBy: []store.Dimension{store.DimSession}, ListDistinct: []store.Dimension{store.DimAgent}, Latest: true, Times: true,
			Order: store.OrderLastStart, Limit: 20, Offset: 10}},
		{name: "sessions/whole-day", q: store.StatsQuery{Filter: with(day, func(f *store.TraceFilter) {
			f.NonEmpty = []store.Dimension{store.DimSession}
		}), GroupBy: []store.Dimension{store.DimSession}, Times: true, Order: store.OrderLastStart, Limit: 5}},
		{name: "sessions-last-page", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) {
			f.NonEmpty = []store.Dimension{store.DimSession}
			f.AgentIDs = top(agents, 1)
		}), GroupBy: []store.Dimension{store.DimSession}, Times: true, Order: store.OrderLastStart, Limit: 50, Offset: 100}},
		{name: "one-session", q: store.StatsQuery{Filter: store.TraceFilter{WorkspaceID: ws1, SessionIDs: top(sessions, 1)},
			ListDistinct: []store.Dimension{store.DimAgent}, Latest: true, Times: true}},
		{name: "sessions-in-window", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) { f.SessionIDs = top(sessions, 3) }),
			GroupBy: []store.Dimension{store.DimSession}, Times: true}},
		{name: "users-by-cost", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) {
			f.NonEmpty = []store.Dimension{store.DimUser}
		}), GroupBy: []store.Dimension{store.DimUser}, CountDistinct: []store.Dimension{store.DimSession}, Times: true,
			Order: store.OrderCost, Limit: 5, Offset: 2}},
		{name: "users-cost-only", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) {
			f.NonEmpty = []store.Dimension{store.DimUser}
		}), GroupBy: []store.Dimension{store.DimUser}, Measures: store.MeasureCost, Times: true, Order: store.OrderCount, Limit: 7}},
		{name: "users-latest/day-rollup", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) {
			f.NonEmpty = []store.Dimension{store.DimUser}
		}), GroupBy: []store.Dimension{store.DimUser}, Times: true, Order: store.OrderLastStart, Limit: 10, Offset: 3}},
		{name: "users-latest/whole-day", q: store.StatsQuery{Filter: day, GroupBy: []store.Dimension{store.DimUser}, Times: true,
			Order: store.OrderLastStart, Limit: 5}},
		{name: "named-users/day-rollup", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) {
			f.UserIDs = append(top(users, 5), "nobody")
		}), GroupBy: []store.Dimension{store.DimUser}, Measures: store.MeasureCost}},
		{name: "users-by-count/day-rollup", q: store.StatsQuery{Filter: aligned, GroupBy: []store.Dimension{store.DimUser},
			Order: store.OrderCount, Limit: 8}},
		{name: "unique-users/day-rollup", q: store.StatsQuery{Filter: raw, Times: true, CountDistinct: []store.Dimension{store.DimUser}}},
		{name: "distinct-count-only", q: store.StatsQuery{Filter: raw, Measures: store.MeasureCount,
			CountDistinct: []store.Dimension{store.DimUser, store.DimAgent}}},
		{name: "agents-all", q: store.StatsQuery{Filter: aligned, GroupBy: []store.Dimension{store.DimAgent},
			CountDistinct: []store.Dimension{store.DimUser}, Order: store.OrderCount}},
		{name: "models-tags-text", q: store.StatsQuery{Filter: with(aligned, func(f *store.TraceFilter) {
			f.Tags = top(tags, 1)
			f.Text = "THE"
		}), GroupBy: []store.Dimension{store.DimModel, store.DimProvider}, Percentiles: []float64{0.5}}},
		{name: "bounds-users-models", q: store.StatsQuery{Filter: with(raw, func(f *store.TraceFilter) {
			f.MinLatencyMs, f.MaxLatencyMs = model.Int64(500), model.Int64(20000)
			f.MinCostUSD = model.Float64(0.001)
			f.UserIDs = top(users, 20)
			f.Models = top(models, 4)
		}), GroupBy: []store.Dimension{store.DimUser}, Times: true}},
	}
}

func (c *analyticsCase) checkStats(ref []model.Trace) {
	for _, sc := range c.statsCases(ref) {
		c.t.Run(sc.name, func(t *testing.T) {
			q := sc.q
			q.Buckets = sc.buckets.buckets(q.Filter.From, q.Filter.To)
			got, err := c.a.TraceStats(ctx(), q)
			if err != nil {
				t.Fatal(err)
			}
			want := refStats(ref, q, sc.buckets)
			if len(want.Rows) == 0 && len(q.GroupBy) > 0 {
				t.Fatalf("case selects nothing; pick other values")
			}
			compareStats(t, q, got, want)
		})
	}
}

func compareStats(t *testing.T, q store.StatsQuery, got, want store.StatsResult) {
	t.Helper()
	if got.TotalGroups != want.TotalGroups || len(got.Rows) != len(want.Rows) {
		t.Fatalf("groups: got %d rows of %d, want %d rows of %d", len(got.Rows), got.TotalGroups, len(want.Rows), want.TotalGroups)
	}
	for i := range want.Rows {
		g, w := got.Rows[i], want.Rows[i]
		where := fmt.Sprintf("row %d (bucket %d, keys %v)", i, w.Bucket, w.Keys)
		if g.Bucket != w.Bucket || !slices.Equal(g.Keys, w.Keys) {
			t.Fatalf("%s: got bucket %d keys %v", where, g.Bucket, g.Keys)
		}
		ints := [][2]int64{{g.Count, w.Count}}
		if q.Measures.Has(store.MeasureStatus) {
			ints = append(ints, [2]int64{g.Success, w.Success}, [2]int64{g.Errors, w.Errors}, [2]int64{g.Timeouts, w.Timeouts})
		}
		if q.Measures.Has(store.MeasureLatency) {
			ints = append(ints, [2]int64{g.LatencySumMs, w.LatencySumMs})
		}
		if q.Measures.Has(store.MeasureCost) {
			ints = append(ints, [2]int64{g.PricedCount, w.PricedCount})
		}
		if q.Measures.Has(store.MeasureTokens) {
			ints = append(ints, [2]int64{g.TokensInput, w.TokensInput}, [2]int64{g.TokensOutput, w.TokensOutput}, [2]int64{g.TokensTotal, w.TokensTotal})
		}
		for j, p := range ints {
			if p[0] != p[1] {
				t.Errorf("%s: count figure %d = %d, want %d", where, j, p[0], p[1])
			}
		}
		if q.Measures.Has(store.MeasureCost) && !near(g.CostUSD, w.CostUSD) {
			t.Errorf("%s: cost %v, want %v", where, g.CostUSD, w.CostUSD)
		}
		for j := range w.Percentiles {
			if j >= len(g.Percentiles) || !near(g.Percentiles[j], w.Percentiles[j]) {
				t.Errorf("%s: percentiles %v, want %v", where, g.Percentiles, w.Percentiles)
				break
			}
		}
		if !slices.Equal(g.Distinct, w.Distinct) {
			t.Errorf("%s: distinct %v, want %v", where, g.Distinct, w.Distinct)
		}
		for j := range w.Lists {
			if j >= len(g.Lists) || !slices.Equal(g.Lists[j], w.Lists[j]) {
				t.Errorf("%s: lists %v, want %v", where, g.Lists, w.Lists)
				break
			}
		}
		if q.Latest && (g.LatestTraceID != w.LatestTraceID || g.LatestErrorMessage != w.LatestErrorMessage || g.FirstUserID != w.FirstUserID) {
			t.Errorf("%s: latest %q %q %q, want %q %q %q", where, g.LatestTraceID, g.LatestErrorMessage, g.FirstUserID,
				w.LatestTraceID, w.LatestErrorMessage, w.FirstUserID)
		}
		if q.Times && w.Count > 0 && (!g.FirstStart.Equal(w.FirstStart) || !g.LastStart.Equal(w.LastStart) || !g.LastEnd.Equal(w.LastEnd)) {
			t.Errorf("%s: times %v %v %v, want %v %v %v", where, g.FirstStart, g.LastStart, g.LastEnd, w.FirstStart, w.LastStart, w.LastEnd)
		}
	}
}

type callKey struct {
	bucket          int64
	model, provider string
}

func refCalls(traces []model.Trace, q store.CallQuery, b *bucketSpec) map[callKey]store.CallRow {
	out := map[callKey]store.CallRow{}
	add := func(t *model.Trace, mdl, provider string, cost *float64, in, o *int64) {
		k := callKey{}
		if b != nil {
			k.bucket = b.label(t.StartTime)
		}
		if q.ByModel {
			k.model, k.provider = mdl, provider
		}
		r := out[k]
		r.Bucket, r.Model, r.Provider = k.bucket, k.model, k.provider
		r.Calls++
		if cost != nil {
			r.PricedCalls++
			r.CostUSD += *cost
		}
		if in != nil {
			r.TokensInput += *in
		}
		if o != nil {
			r.TokensOutput += *o
		}
		out[k] = r
	}
	for i := range traces {
		t := &traces[i]
		if !refMatch(q.Filter, t) {
			continue
		}
		if len(t.Spans) == 0 {
			add(t, t.Model, t.Provider, t.CostUSD, t.TokensInput, t.TokensOutput)
			continue
		}
		for _, s := range t.Spans {
			if s.Kind == model.KindLLM || s.Kind == model.KindEmbedding {
				add(t, s.Model, s.Provider, s.CostUSD, s.TokensInput, s.TokensOutput)
			}
		}
	}
	return out
}

func (c *analyticsCase) checkCalls(ref []model.Trace) {
	aligned := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-72 * time.Hour), To: c.end.Add(-5 * time.Minute)}
	raw := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-50*time.Hour - time.Second), To: c.end.Add(-3 * time.Minute)}
	agentOnly := aligned
	agentOnly.AgentIDs = []string{ref[0].AgentID, "rewritten-agent"}
	errorsOnly := aligned
	errorsOnly.Statuses = []model.Status{model.StatusError}
	// The llm-usage roll-up has no error type: this filter must read the traces.
	errorTypes := aligned
	errorTypes.ErrorTypes = []string{"timeout", "rate_limit", "tool_error"}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	cases := []struct {
		name string
		q    store.CallQuery
		b    *bucketSpec
	}{
		{"by-model/rollup", store.CallQuery{Filter: aligned, ByModel: true}, nil},
		{"by-model/raw", store.CallQuery{Filter: raw, ByModel: true}, nil},
		{"hourly-by-model/rollup", store.CallQuery{Filter: aligned, ByModel: true}, &bucketSpec{loc: time.UTC, width: time.Hour}},
		{"daily-berlin/raw", store.CallQuery{Filter: raw}, &bucketSpec{loc: berlin, width: 24 * time.Hour}},
		{"agents/rollup", store.CallQuery{Filter: agentOnly, ByModel: true}, &bucketSpec{loc: time.UTC, width: 6 * time.Hour}},
		{"errors/raw", store.CallQuery{Filter: errorsOnly, ByModel: true}, nil},
		{"error-types/raw", store.CallQuery{Filter: errorTypes, ByModel: true}, nil},
	}
	for _, tc := range cases {
		c.t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Buckets = tc.b.buckets(q.Filter.From, q.Filter.To)
			rows, err := c.a.CallStats(ctx(), q)
			if err != nil {
				t.Fatal(err)
			}
			want := refCalls(ref, q, tc.b)
			if len(want) == 0 {
				t.Fatal("case selects nothing")
			}
			seen := map[callKey]bool{}
			for i, r := range rows {
				k := callKey{r.Bucket, r.Model, r.Provider}
				if i > 0 {
					p := rows[i-1]
					if p.Bucket > r.Bucket || (p.Bucket == r.Bucket && (p.Model > r.Model || (p.Model == r.Model && p.Provider >= r.Provider))) {
						t.Errorf("rows out of order at %d", i)
					}
				}
				w, ok := want[k]
				if !ok {
					t.Errorf("unexpected row %+v", r)
					continue
				}
				seen[k] = true
				if r.Calls != w.Calls || r.PricedCalls != w.PricedCalls || r.TokensInput != w.TokensInput || r.TokensOutput != w.TokensOutput || !near(r.CostUSD, w.CostUSD) {
					t.Errorf("row %+v, want %+v", r, w)
				}
			}
			for k, w := range want {
				if !seen[k] {
					t.Errorf("missing row %+v", w)
				}
			}
		})
	}
}

func (c *analyticsCase) checkList(ref []model.Trace) {
	all := store.TraceFilter{WorkspaceID: ws1}
	errs := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-30 * time.Hour), To: c.end, Statuses: []model.Status{model.StatusError, model.StatusTimeout}}
	// A window alone: lists sorted by latency may read only the top of it.
	window := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-40 * time.Hour), To: c.end.Add(-3*time.Hour + 17*time.Second)}
	searched := store.TraceFilter{WorkspaceID: ws1, From: c.end.Add(-50 * time.Hour), To: c.end, Text: "THE"}
	filters := []store.TraceFilter{all, errs, {WorkspaceID: ws1, MinCostUSD: model.Float64(0.01), Text: "a"}, window, searched}
	for fi, f := range filters {
		for _, sortBy := range []store.SortField{store.SortStartTime, store.SortLatency, store.SortCost} {
			for _, asc := range []bool{false, true} {
				c.t.Run(fmt.Sprintf("filter%d/%s/asc=%v", fi, sortBy, asc), func(t *testing.T) {
					var want []*model.Trace
					for i := range ref {
						if refMatch(f, &ref[i]) {
							want = append(want, &ref[i])
						}
					}
					value := func(tr *model.Trace) float64 {
						switch sortBy {
						case store.SortLatency:
							return float64(tr.LatencyMs)
						case store.SortCost:
							if tr.CostUSD == nil {
								return -1
							}
							return *tr.CostUSD
						}
						return float64(tr.StartTime.UnixMicro())
					}
					sort.Slice(want, func(i, j int) bool {
						vi, vj := value(want[i]), value(want[j])
						if vi != vj {
							return (vi < vj) == asc
						}
						return (want[i].TraceID < want[j].TraceID) == asc
					})
					var got []model.TraceSummary
					var after *store.Position
					for page := 0; ; page++ {
						p, err := c.a.ListTraces(ctx(), store.ListQuery{Filter: f, Sort: sortBy, Asc: asc, Limit: 97, After: after, Count: page == 0})
						if err != nil {
							t.Fatal(err)
						}
						if page == 0 && p.Total != int64(len(want)) {
							t.Errorf("total %d, want %d", p.Total, len(want))
						}
						got = append(got, p.Traces...)
						if !p.More {
							break
						}
						last := p.Traces[len(p.Traces)-1]
						v := float64(last.StartTime.UnixMicro())
						switch sortBy {
						case store.SortLatency:
							v = float64(last.LatencyMs)
						case store.SortCost:
							v = -1
							if last.CostUSD != nil {
								v = *last.CostUSD
							}
						}
						after = &store.Position{Value: v, TraceID: last.TraceID}
					}
					if len(got) != len(want) {
						t.Fatalf("walked %d traces, want %d", len(got), len(want))
					}
					for i := range want {
						if got[i].TraceID != want[i].TraceID {
							t.Fatalf("trace %d is %s, want %s", i, got[i].TraceID, want[i].TraceID)
						}
					}
					if len(got) > 0 {
						w, g := want[0], got[0]
						preview := w.Input
						if r := []rune(preview); len(r) > model.PreviewChars {
							preview = string(r[:model.PreviewChars])
						}
						msg := w.ErrorMessage
						if r := []rune(msg); len(r) > model.PreviewChars {
							msg = string(r[:model.PreviewChars])
						}
						if g.AgentID != w.AgentID || g.LatencyMs != w.LatencyMs || g.Status != w.Status || g.SpanCount != w.SpanCount ||
							g.InputPreview != preview || g.ErrorType != w.ErrorType || g.ErrorMessage != msg ||
							!slices.Equal(g.Tags, w.Tags) || !g.StartTime.Equal(w.StartTime) {
							t.Errorf("summary %+v does not match the trace", g)
						}
					}
				})
			}
		}
	}
}

func testAnalyticsSettings(t *testing.T, a store.Analytics) {
	if _, err := a.GetBudget(ctx(), ws1); !isCode(err, model.ENOTFOUND) {
		t.Fatalf("GetBudget before any = %v, want not found", err)
	}
	b := model.Budget{WorkspaceID: ws1, MonthlyLimitUSD: 250.5, ThresholdsPct: []float64{50, 90.5}, Timezone: "Europe/Berlin", UpdatedAt: t0}
	if err := a.PutBudget(ctx(), b); err != nil {
		t.Fatal(err)
	}
	b.MonthlyLimitUSD = 300
	if err := a.PutBudget(ctx(), b); err != nil {
		t.Fatal(err)
	}
	got, err := a.GetBudget(ctx(), ws1)
	if err != nil || got.MonthlyLimitUSD != 300 || !slices.Equal(got.ThresholdsPct, b.ThresholdsPct) || got.Timezone != b.Timezone || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("GetBudget = %+v, %v", got, err)
	}
	if _, err := a.GetBudget(ctx(), ws2); !isCode(err, model.ENOTFOUND) {
		t.Fatalf("budget leaked to another workspace: %v", err)
	}
	if _, err := a.GetHealthThresholds(ctx(), ws1); !isCode(err, model.ENOTFOUND) {
		t.Fatalf("GetHealthThresholds before any = %v", err)
	}
	h := model.HealthThresholds{WorkspaceID: ws1, DegradedP95Ms: 1, CriticalP95Ms: 2, DegradedErrorRatePct: 3, CriticalErrorRatePct: 4, UpdatedAt: t0}
	if err := a.PutHealthThresholds(ctx(), h); err != nil {
		t.Fatal(err)
	}
	gh, err := a.GetHealthThresholds(ctx(), ws1)
	if err != nil || gh.CriticalErrorRatePct != 4 || gh.DegradedP95Ms != 1 {
		t.Fatalf("GetHealthThresholds = %+v, %v", gh, err)
	}
	alerts, err := a.ListAlerts(ctx(), ws1, 10)
	if err != nil || alerts == nil || len(alerts) != 0 {
		t.Fatalf("ListAlerts = %v, %v; want an empty list", alerts, err)
	}
}
