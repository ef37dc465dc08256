package store

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Analytics answers the query role: aggregates over traces and llm calls, the trace explorer,
// and the settings the dashboards keep (budgets, health thresholds). Everything it returns
// is owned by the caller and reflects committed data only.
type Analytics interface {
	// TraceStats aggregates the traces q.Filter selects, grouped by q.Buckets and q.GroupBy.
	TraceStats(ctx context.Context, q StatsQuery) (StatsResult, error)
	// CallStats aggregates llm calls (llm and embedding spans, and flat traces, which are
	// their own llm call), by the model of each call, over calls of traces q.Filter selects.
	CallStats(ctx context.Context, q CallQuery) ([]CallRow, error)
	// ListTraces returns one page of traces in q's order after q.After, and the number of
	// traces matching the filter when q.Count is set.
	ListTraces(ctx context.Context, q ListQuery) (TracePage, error)

	// GetBudget returns the workspace's budget; model.ENOTFOUND when none is set.
	GetBudget(ctx context.Context, workspaceID string) (*model.Budget, error)
	// PutBudget creates or replaces the workspace's budget.
	PutBudget(ctx context.Context, b model.Budget) error
	// GetHealthThresholds returns the workspace's thresholds; model.ENOTFOUND when unset.
	GetHealthThresholds(ctx context.Context, workspaceID string) (*model.HealthThresholds, error)
	// PutHealthThresholds creates or replaces the workspace's thresholds.
	PutHealthThresholds(ctx context.Context, h model.HealthThresholds) error
	// ListAlerts returns the newest alerts first.
	ListAlerts(ctx context.Context, workspaceID string, limit int) ([]model.Alert, error)
}

// TraceFilter selects traces of one workspace. Empty lists and nil bounds do not filter.
type TraceFilter struct {
	WorkspaceID string
	// From and To bound start_time to [From, To); a zero time leaves that side open.
	From, To time.Time
	// Each list keeps traces whose value is any of the given ones.
	AgentIDs, Models, Providers, UserIDs, SessionIDs []string
	Statuses                                         []model.Status
	// ErrorTypes keeps traces whose DimErrorType is any of these.
	ErrorTypes []string
	// Tags keeps traces carrying every given tag.
	Tags                       []string
	MinLatencyMs, MaxLatencyMs *int64
	// Cost bounds never match a trace without a cost.
	MinCostUSD, MaxCostUSD *float64
	// Text keeps traces whose name, input or output contains it, ignoring case.
	Text string
	// NonEmpty keeps traces whose value of each dimension is not empty.
	NonEmpty []Dimension
}

// Dimension is a trace attribute aggregates can group by.
type Dimension string

const (
	DimAgent    Dimension = "agent_id"
	DimModel    Dimension = "model"
	DimProvider Dimension = "provider"
	DimUser     Dimension = "user_id"
	DimSession  Dimension = "session_id"
	DimStatus   Dimension = "status"
	// DimErrorType is the error type, or the status when a trace has none.
	DimErrorType Dimension = "error_type"
)

// ZoneOffset is a time zone's UTC offset, valid until Until (exclusive; zero for the last).
type ZoneOffset struct {
	Until    time.Time
	OffsetMs int64
}

// Buckets groups traces by start time in local wall-clock time: the bucket label of an
// instant t is floor((local(t) - OriginMs) / WidthMs) * WidthMs + OriginMs, where local(t)
// is t plus the offset of Offsets in force at t, in milliseconds since the epoch.
type Buckets struct {
	WidthMs  int64
	OriginMs int64
	// Offsets cover the filter's window in order; the last one has a zero Until.
	Offsets []ZoneOffset
}

// StatsOrder orders grouped rows; every order is descending with ties broken by the keys.
type StatsOrder string

const (
	OrderKeys      StatsOrder = ""           // bucket, then keys ascending
	OrderCount     StatsOrder = "count"      // most traces first
	OrderCost      StatsOrder = "cost"       // highest cost first
	OrderLastStart StatsOrder = "last_start" // latest start first
)

// StatsQuery says which traces to aggregate, how to group them and which figures to compute
// beyond the counts and sums every row carries.
type StatsQuery struct {
	Filter  TraceFilter
	Buckets *Buckets
	GroupBy []Dimension
	// Percentiles of latency_ms, each in [0, 1], interpolated between the nearest ranks
	// (percentile_cont). They are exact, except that a backend may estimate them within 1 %
	// from a latency histogram when the window holds more than a hundred thousand or so
	// traces.
	Percentiles []float64
	// CountDistinct counts the distinct non-empty values of each dimension.
	CountDistinct []Dimension
	// ListDistinct lists the distinct non-empty values of each dimension, sorted.
	ListDistinct []Dimension
	// Latest fills the Latest* fields of each row from its latest trace.
	Latest bool
	// Times fills FirstStart, LastStart and LastEnd; OrderLastStart implies it.
	Times bool
	// Measures selects the figures to compute besides Count (zero: all); the others may be
	// left zero, which spares reading their columns.
	Measures Measures
	Order    StatsOrder
	// Limit (0: no limit) and Offset page through the rows; TotalGroups counts them all.
	Limit, Offset int
}

// Measures is a set of StatsRow figures.
type Measures uint

const (
	MeasureStatus  Measures = 1 << iota // Success, Errors, Timeouts
	MeasureLatency                      // LatencySumMs
	MeasureCost                         // PricedCount, CostUSD
	MeasureTokens                       // TokensInput, TokensOutput, TokensTotal
	MeasureCount                        // Count alone: selects none of the above
)

// Has reports whether m selects x; the zero set selects everything.
func (m Measures) Has(x Measures) bool { return m == 0 || m&x != 0 }

// StatsRow is one group.
type StatsRow struct {
	// Bucket is the bucket label (see Buckets) when the query has buckets.
	Bucket int64
	// Keys are the values of StatsQuery.GroupBy, in its order.
	Keys                      []string
	Count                     int64
	Success, Errors, Timeouts int64
	LatencySumMs              int64
	// PricedCount counts traces with a cost; CostUSD sums their costs.
	PricedCount int64
	CostUSD     float64
	// Token sums skip traces without the figure.
	TokensInput, TokensOutput, TokensTotal int64
	Percentiles                            []float64 // of StatsQuery.Percentiles
	Distinct                               []int64   // of StatsQuery.CountDistinct
	Lists                                  [][]string
	// FirstStart, LastStart and LastEnd are set when StatsQuery.Times is.
	FirstStart, LastStart, LastEnd time.Time
	// The latest trace of the group (by start time, then trace id), when Latest is set.
	LatestTraceID, LatestErrorMessage string
	// FirstUserID is the user of the group's earliest trace, when Latest is set.
	FirstUserID string
}

// StatsResult is the rows of a StatsQuery.
type StatsResult struct {
	Rows []StatsRow
	// TotalGroups counts the groups before Limit and Offset.
	TotalGroups int64
}

// CallQuery aggregates llm calls.
type CallQuery struct {
	Filter  TraceFilter
	Buckets *Buckets
	// ByModel groups calls by their model and provider; otherwise one row per bucket.
	ByModel bool
}

// CallRow is one group of llm calls. Calls are placed in time by their trace's start.
type CallRow struct {
	Bucket          int64
	Model, Provider string
	Calls           int64
	PricedCalls     int64
	CostUSD         float64
	TokensInput     int64
	TokensOutput    int64
}

// SortField orders the trace list.
type SortField string

const (
	SortStartTime SortField = "start_time"
	SortLatency   SortField = "latency_ms"
	// SortCost orders unpriced traces as if they cost less than zero.
	SortCost SortField = "cost_usd"
)

// ListQuery asks for one page of traces.
type ListQuery struct {
	Filter TraceFilter
	Sort   SortField
	Asc    bool
	Limit  int
	// After is the position of the last trace of the previous page; nil for the first page.
	After *Position
	// Count asks for TracePage.Total.
	Count bool
}

// Position is a trace's place in a sort order: its sort value and its id, which together
// are unique, so that pages neither repeat nor skip traces.
type Position struct {
	// Value is the sort value: Unix microseconds of start_time, latency in ms, or cost in
	// USD (-1 for unpriced traces).
	Value   float64
	TraceID string
}

// TracePage is a page of the trace list.
type TracePage struct {
	Traces []model.TraceSummary
	// Total counts every trace matching the filter, when asked for.
	Total int64
	// More says whether traces follow the last one of the page.
	More bool
}

// Holds reports whether every bucket of b is a union of whole UTC slots of widthMs, so
// that rows summed per such slot can be summed per bucket. No buckets (nil) hold anything.
func (b *Buckets) Holds(widthMs int64) bool {
	if b == nil {
		return true
	}
	if b.WidthMs%widthMs != 0 || b.OriginMs%widthMs != 0 {
		return false
	}
	for _, o := range b.Offsets {
		if o.OffsetMs%widthMs != 0 {
			return false
		}
	}
	return true
}

// AddSums adds the counts and sums of o to r (not its percentiles, lists or times).
func (r *StatsRow) AddSums(o *StatsRow) {
	r.Count += o.Count
	r.Success += o.Success
	r.Errors += o.Errors
	r.Timeouts += o.Timeouts
	r.LatencySumMs += o.LatencySumMs
	r.PricedCount += o.PricedCount
	r.CostUSD += o.CostUSD
	r.TokensInput += o.TokensInput
	r.TokensOutput += o.TokensOutput
	r.TokensTotal += o.TokensTotal
}

// RowsInKeyOrder returns the rows of groups of one dimension in the order of keys, leaving
// out keys that have no row.
func RowsInKeyOrder(keys []string, rows []StatsRow) []StatsRow {
	byKey := make(map[string]StatsRow, len(rows))
	for _, r := range rows {
		byKey[r.Keys[0]] = r
	}
	var out []StatsRow
	for _, k := range keys {
		if r, ok := byKey[k]; ok {
			out = append(out, r)
		}
	}
	return out
}

// LatestPage picks the page [offset, need) of groups ordered by their latest start from the
// newest traces only: keys and lasts are the groups seen among the newest limit traces,
// latest first; read is how many traces that was and oldest the start of the oldest. The
// page is certain, and complete true, when every trace was read or when the page's last
// group is newer than the oldest trace read (a group not seen yet is at most that new);
// otherwise more traces must be read.
func LatestPage(keys []string, lasts []time.Time, read, limit int64, oldest time.Time, offset, need int) (page []string, complete bool) {
	if read >= limit && (len(keys) < need || !lasts[need-1].After(oldest)) {
		return nil, false
	}
	if offset >= len(keys) {
		return nil, true
	}
	return keys[offset:min(need, len(keys))], true
}
