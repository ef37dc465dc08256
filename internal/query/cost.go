package query

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// RunRateDays is the trailing period whose spend projects the month.
const RunRateDays = 7

// Month is the current calendar month's spend against the budget.
type Month struct {
	Start               time.Time `json:"start"`
	End                 time.Time `json:"end"`
	ToDateUSD           float64   `json:"to_date_usd"`
	RemainingUSD        *float64  `json:"remaining_usd"`
	UsedPct             *float64  `json:"used_pct"`
	CrossedThresholdPct *float64  `json:"crossed_threshold_pct"`
	Status              string    `json:"status"` // none | ok | warning | exceeded
	RunRateUSDPerDay    float64   `json:"run_rate_usd_per_day"`
	ProjectedUSD        float64   `json:"projected_usd"`
}

// endOfNow is the instant month-to-date figures end at: now rounded up like relative windows.
func (s *Service) endOfNow() time.Time {
	now := s.now().UTC()
	end := now.Truncate(Step)
	if !end.Equal(now) {
		end = end.Add(Step)
	}
	return end
}

// month computes the workspace-wide month-to-date figures in loc, judged against b (nil: no
// budget).
func (s *Service) month(ctx context.Context, ws string, loc *time.Location, b *model.Budget) (Month, error) {
	end := s.endOfNow()
	local := end.Add(-time.Nanosecond).In(loc)
	start := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	next := start.AddDate(0, 1, 0)
	res, err := s.stats(ctx,
		store.StatsQuery{Filter: store.TraceFilter{WorkspaceID: ws, From: start.UTC(), To: end}},
		store.StatsQuery{Filter: store.TraceFilter{WorkspaceID: ws, From: end.Add(-RunRateDays * 24 * time.Hour), To: end}})
	if err != nil {
		return Month{}, err
	}
	m := Month{Start: start.UTC(), End: next.UTC(), ToDateUSD: one(res[0]).CostUSD, Status: "none"}
	m.RunRateUSDPerDay = one(res[1]).CostUSD / RunRateDays
	daysLeft := next.Sub(end).Hours() / 24
	if daysLeft < 0 {
		daysLeft = 0
	}
	m.ProjectedUSD = m.ToDateUSD + m.RunRateUSDPerDay*daysLeft
	if b != nil {
		m.RemainingUSD = fp(b.MonthlyLimitUSD - m.ToDateUSD)
		used := m.ToDateUSD / b.MonthlyLimitUSD * 100
		m.UsedPct = fp(round2(used))
		m.Status = "ok"
		for _, t := range b.ThresholdsPct {
			if used >= t {
				m.CrossedThresholdPct = fp(t)
				m.Status = "warning"
			}
		}
		if used >= 100 {
			m.Status = "exceeded"
		}
	}
	return m, nil
}

// budget returns the workspace's budget, nil when none is set.
func (s *Service) budget(ctx context.Context, ws string) (*model.Budget, error) {
	b, err := s.st.GetBudget(ctx, ws)
	if isNotFound(err) {
		return nil, nil
	}
	return b, err
}

// BudgetSummary is the budget part of the cost overview.
type BudgetSummary struct {
	MonthlyLimitUSD float64  `json:"monthly_limit_usd"`
	RemainingUSD    *float64 `json:"remaining_usd"`
	UsedPct         *float64 `json:"used_pct"`
	Status          string   `json:"status"`
}

// CostOverview is the answer of GET /api/v1/cost/overview.
type CostOverview struct {
	Range             RangeJSON      `json:"range"`
	TotalSpendUSD     KPI            `json:"total_spend_usd"`
	AvgCostPerCallUSD KPI            `json:"avg_cost_per_call_usd"`
	Calls             int64          `json:"calls"`
	PricedCalls       int64          `json:"priced_calls"`
	UnpricedCalls     int64          `json:"unpriced_calls"`
	Budget            *BudgetSummary `json:"budget"`
	Month             Month          `json:"month"`
}

// CostOverview answers the cost page's cards.
func (s *Service) CostOverview(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "30d", "")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	req.Extra = s.endOfNow().Format(time.RFC3339)
	return s.cached(ctx, ws, "cost-overview", req, func() (any, error) {
		res, err := s.stats(ctx,
			store.StatsQuery{Filter: filterOf(ws, w, req.Agents)},
			store.StatsQuery{Filter: filterOf(ws, w.Previous(), req.Agents)})
		if err != nil {
			return nil, err
		}
		c, pr := one(res[0]), one(res[1])
		b, err := s.budget(ctx, ws)
		if err != nil {
			return nil, err
		}
		loc := w.Loc
		if b != nil {
			loc, _ = time.LoadLocation(b.Timezone)
		}
		m, err := s.month(ctx, ws, loc, b)
		if err != nil {
			return nil, err
		}
		out := CostOverview{
			Range:             rangeOf(w, true),
			TotalSpendUSD:     kpi(fp(c.CostUSD), fp(pr.CostUSD)),
			AvgCostPerCallUSD: kpi(avg(c.CostUSD, c.PricedCount), avg(pr.CostUSD, pr.PricedCount)),
			Calls:             c.Count, PricedCalls: c.PricedCount, UnpricedCalls: c.Count - c.PricedCount,
			Month: m,
		}
		if b != nil {
			out.Budget = &BudgetSummary{MonthlyLimitUSD: b.MonthlyLimitUSD, RemainingUSD: m.RemainingUSD, UsedPct: m.UsedPct, Status: m.Status}
		}
		return out, nil
	})
}

// TrendBucket is one bucket of the cost trend.
type TrendBucket struct {
	Timestamp          string             `json:"timestamp"`
	TotalUSD           float64            `json:"total_usd"`
	ByModel            map[string]float64 `json:"by_model"`
	OtherUSD           float64            `json:"other_usd"`
	CumulativeUSD      float64            `json:"cumulative_usd"`
	CumulativeByModel  map[string]float64 `json:"cumulative_by_model"`
	CumulativeOtherUSD float64            `json:"cumulative_other_usd"`
}

// CostTrend is the answer of GET /api/v1/cost/trend.
type CostTrend struct {
	Range       RangeJSON     `json:"range"`
	Granularity Granularity   `json:"granularity"`
	Timezone    string        `json:"timezone"`
	Models      []string      `json:"models"`
	Buckets     []TrendBucket `json:"buckets"`
}

// CostTrend answers spend per bucket and model.
func (s *Service) CostTrend(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "30d", "granularity")
	req.Limit = p.intIn("top", 10, 1, 50)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "cost-trend", req, func() (any, error) {
		rows, err := s.st.CallStats(ctx, store.CallQuery{Filter: filterOf(ws, w, req.Agents), Buckets: bucketing(w, req.Gran), ByModel: true})
		if err != nil {
			return nil, err
		}
		totals := map[string]float64{}
		for _, r := range rows {
			totals[r.Model] += r.CostUSD
		}
		models := topKeys(totals, req.Limit)
		top := map[string]bool{}
		for _, m := range models {
			top[m] = true
		}
		type cell struct {
			byModel map[string]float64
			other   float64
		}
		cells := map[int64]*cell{}
		for _, r := range rows {
			c := cells[r.Bucket]
			if c == nil {
				c = &cell{byModel: map[string]float64{}}
				cells[r.Bucket] = c
			}
			if top[r.Model] {
				c.byModel[r.Model] += r.CostUSD
			} else {
				c.other += r.CostUSD
			}
		}
		out := CostTrend{Range: rangeOf(w, false), Granularity: req.Gran, Timezone: req.TZ, Models: models, Buckets: []TrendBucket{}}
		cum := map[string]float64{}
		var cumTotal, cumOther float64
		for _, b := range buckets(w, req.Gran) {
			tb := TrendBucket{Timestamp: formatIn(b.Start, w.Loc), ByModel: map[string]float64{}, CumulativeByModel: map[string]float64{}}
			c := cells[b.Label]
			for _, m := range models {
				var v float64
				if c != nil {
					v = c.byModel[m]
				}
				tb.ByModel[m] = v
				tb.TotalUSD += v
				cum[m] += v
				tb.CumulativeByModel[m] = cum[m]
			}
			if c != nil {
				tb.OtherUSD = c.other
				tb.TotalUSD += c.other
			}
			cumOther += tb.OtherUSD
			cumTotal += tb.TotalUSD
			tb.CumulativeOtherUSD, tb.CumulativeUSD = cumOther, cumTotal
			out.Buckets = append(out.Buckets, tb)
		}
		return out, nil
	})
}

// ModelCost is one model of the cost-by-model chart.
type ModelCost struct {
	Model             string   `json:"model"`
	Provider          string   `json:"provider"`
	CostUSD           *float64 `json:"cost_usd"`
	SharePct          float64  `json:"share_pct"`
	Calls             int64    `json:"calls"`
	PricedCalls       int64    `json:"priced_calls"`
	TokensInput       int64    `json:"tokens_input"`
	TokensOutput      int64    `json:"tokens_output"`
	AvgCostPerCallUSD *float64 `json:"avg_cost_per_call_usd"`
}

// CostByModel is the answer of GET /api/v1/cost/by-model.
type CostByModel struct {
	Range    RangeJSON   `json:"range"`
	TotalUSD float64     `json:"total_usd"`
	Models   []ModelCost `json:"models"`
}

// CostByModel answers spend per model.
func (s *Service) CostByModel(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	req, w := s.parseCommon(p, "30d", "")
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "cost-by-model", req, func() (any, error) {
		rows, err := s.st.CallStats(ctx, store.CallQuery{Filter: filterOf(ws, w, req.Agents), ByModel: true})
		if err != nil {
			return nil, err
		}
		out := CostByModel{Range: rangeOf(w, false), Models: []ModelCost{}}
		for _, r := range rows {
			out.TotalUSD += r.CostUSD
		}
		for _, r := range rows {
			m := ModelCost{Model: r.Model, Provider: r.Provider, Calls: r.Calls, PricedCalls: r.PricedCalls,
				TokensInput: r.TokensInput, TokensOutput: r.TokensOutput}
			if r.PricedCalls > 0 {
				m.CostUSD = fp(r.CostUSD)
				m.SharePct = pct0(r.CostUSD, out.TotalUSD)
				m.AvgCostPerCallUSD = fp(r.CostUSD / float64(r.PricedCalls))
			}
			out.Models = append(out.Models, m)
		}
		sort.SliceStable(out.Models, func(i, j int) bool {
			a, b := out.Models[i], out.Models[j]
			if (a.CostUSD == nil) != (b.CostUSD == nil) {
				return a.CostUSD != nil
			}
			if a.CostUSD != nil && *a.CostUSD != *b.CostUSD {
				return *a.CostUSD > *b.CostUSD
			}
			if a.Calls != b.Calls {
				return a.Calls > b.Calls
			}
			if a.Model != b.Model {
				return a.Model < b.Model
			}
			return a.Provider < b.Provider
		})
		return out, nil
	})
}

// BudgetAnswer is the answer of GET and PUT /api/v1/cost/budget.
type BudgetAnswer struct {
	Budget *model.Budget `json:"budget"`
	Month  Month         `json:"month"`
}

// GetBudget answers the budget with the month's spend against it.
func (s *Service) GetBudget(ctx context.Context, ws string, v url.Values) (Result, error) {
	p := newParams(v)
	if err := p.done(); err != nil {
		return Result{}, err
	}
	return s.cached(ctx, ws, "budget", request{Extra: s.endOfNow().Format(time.RFC3339)}, func() (any, error) {
		return s.budgetAnswer(ctx, ws)
	})
}

func (s *Service) budgetAnswer(ctx context.Context, ws string) (BudgetAnswer, error) {
	b, err := s.budget(ctx, ws)
	if err != nil {
		return BudgetAnswer{}, err
	}
	loc := time.UTC
	if b != nil {
		loc, _ = time.LoadLocation(b.Timezone)
	}
	m, err := s.month(ctx, ws, loc, b)
	if err != nil {
		return BudgetAnswer{}, err
	}
	return BudgetAnswer{Budget: b, Month: m}, nil
}

// budgetInput is the body of PUT /api/v1/cost/budget.
type budgetInput struct {
	MonthlyLimitUSD *float64  `json:"monthly_limit_usd"`
	ThresholdsPct   []float64 `json:"thresholds_pct"`
	Timezone        string    `json:"timezone"`
}

// PutBudget stores the budget sent in body and answers like GetBudget.
func (s *Service) PutBudget(ctx context.Context, ws string, body io.Reader) (Result, error) {
	var in budgetInput
	if err := decodeBody(body, &in); err != nil {
		return Result{}, err
	}
	if in.MonthlyLimitUSD == nil {
		var fe model.FieldErrors
		fe.Add(model.Path{"monthly_limit_usd"}, "is required")
		return Result{}, fe.Err("invalid budget")
	}
	b := model.Budget{WorkspaceID: ws, MonthlyLimitUSD: *in.MonthlyLimitUSD, ThresholdsPct: in.ThresholdsPct, Timezone: in.Timezone,
		UpdatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if b.ThresholdsPct == nil {
		b.ThresholdsPct = append([]float64(nil), model.DefaultBudgetThresholds...)
	}
	if b.Timezone == "" {
		b.Timezone = "UTC"
	}
	if err := b.Validate(); err != nil {
		return Result{}, err
	}
	if err := s.st.PutBudget(ctx, b); err != nil {
		return Result{}, err
	}
	if err := s.versions.Bump(ctx, ws); err != nil {
		return Result{}, err
	}
	ans, err := s.budgetAnswer(ctx, ws)
	if err != nil {
		return Result{}, err
	}
	raw, err := json.Marshal(ans)
	return Result{Body: raw}, err
}

// decodeBody reads a small JSON object, refusing unknown fields and trailing data; mistakes
// are reported per field.
func decodeBody(body io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return model.Errorf(model.EINVALID, "body must hold one JSON object")
	}
	if err == nil {
		return nil
	}
	var fe model.FieldErrors
	var te *json.UnmarshalTypeError
	msg := err.Error()
	switch {
	case errors.As(err, &te) && te.Field != "":
		kind := "value of another type"
		switch te.Type.Kind() {
		case reflect.Float64, reflect.Int, reflect.Int64:
			kind = "number"
		case reflect.Slice:
			kind = "array"
		case reflect.String:
			kind = "string"
		case reflect.Pointer:
			kind = "number"
		}
		fe.Add(model.Path{te.Field}, "must be a %s", kind)
	case strings.HasPrefix(msg, "json: unknown field "):
		fe.Add(model.Path{strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)}, "unknown field")
	default:
		return model.Errorf(model.EINVALID, "body must be a JSON object: %s", strings.TrimPrefix(msg, "json: "))
	}
	return fe.Err("invalid body")
}
