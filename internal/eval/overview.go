package eval

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/store"
)

// KPI is a mean score over the window and over the window before it.
type KPI struct {
	Mean     *float64 `json:"mean"`
	Count    int64    `json:"count"`
	Previous *float64 `json:"previous"`
}

// TrendPoint is the mean overall score of one agent in one bucket.
type TrendPoint struct {
	BucketMs int64   `json:"t"`
	AgentID  string  `json:"agent_id"`
	Mean     float64 `json:"mean"`
	Count    int64   `json:"count"`
}

// Overview is the Quality page's summary.
type Overview struct {
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	BucketMs int64          `json:"bucket_ms"`
	KPIs     map[string]KPI `json:"kpis"`
	// Criteria has the mean of every criterion judged in the window, and of every score
	// name sent through the API (source "api").
	Criteria []store.QualityRow `json:"criteria"`
	Trend    []TrendPoint       `json:"trend"`
	Judge    JudgeInfo          `json:"judge"`
	// JudgeSpend is what the judge calls cost, apart from the workspace's own traffic.
	JudgeSpend struct {
		TodayUSD float64 `json:"today_usd"`
		RangeUSD float64 `json:"range_usd"`
	} `json:"judge_spend"`
}

// KPICriteria are the plan's score cards.
var KPICriteria = []string{store.OverallCriterion, "accuracy", "helpfulness", "tone"}

// Overview aggregates the quality scores from from to to, in buckets of bucket.
func (s *Service) Overview(ctx context.Context, ws string, from, to time.Time, bucket time.Duration) (*Overview, error) {
	o := &Overview{From: from, To: to, BucketMs: bucket.Milliseconds(), KPIs: map[string]KPI{}, Judge: s.Judge()}
	cur, err := s.cfg.Store.QualityScores(ctx, store.QualityQuery{WorkspaceID: ws, From: from, To: to})
	if err != nil {
		return nil, err
	}
	prev, err := s.cfg.Store.QualityScores(ctx, store.QualityQuery{WorkspaceID: ws, From: from.Add(-to.Sub(from)), To: from})
	if err != nil {
		return nil, err
	}
	for _, c := range KPICriteria {
		k := KPI{}
		for _, r := range cur {
			if r.Criterion == c && r.Source == store.QualityJudge {
				k.Mean, k.Count = &r.Mean, r.Count
			}
		}
		for _, r := range prev {
			if r.Criterion == c && r.Source == store.QualityJudge {
				k.Previous = &r.Mean
			}
		}
		o.KPIs[c] = k
	}
	o.Criteria = cur
	trend, err := s.cfg.Store.QualityScores(ctx, store.QualityQuery{WorkspaceID: ws, From: from, To: to, BucketMs: o.BucketMs, ByAgent: true})
	if err != nil {
		return nil, err
	}
	o.Trend = []TrendPoint{}
	for _, r := range trend {
		if r.Criterion == store.OverallCriterion && r.Source == store.QualityJudge {
			o.Trend = append(o.Trend, TrendPoint{BucketMs: r.BucketMs, AgentID: r.AgentID, Mean: r.Mean, Count: r.Count})
		}
	}
	now := s.cfg.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if o.JudgeSpend.TodayUSD, err = s.cfg.Store.JudgeSpend(ctx, ws, "", day); err != nil {
		return nil, err
	}
	all, err := s.cfg.Store.JudgeSpend(ctx, ws, "", from)
	if err != nil {
		return nil, err
	}
	after, err := s.cfg.Store.JudgeSpend(ctx, ws, "", to)
	if err != nil {
		return nil, err
	}
	o.JudgeSpend.RangeUSD = all - after
	return o, nil
}
