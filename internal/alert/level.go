package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Levels (latency quantiles, cost, tokens, average scores) have no sampling law to test
// against, unlike counts and rates. A level is compared with the same windows of the past
// 14 days by its distance from their median in spreads (1.4826 × MAD of the day-to-day
// variation, as for counts), read as a normal tail probability. The spread is at least
// minRelSpread of the expected value: a perfectly flat history does not make every wiggle
// an anomaly.
const minRelSpread = 0.1

// JudgeLevel tests a level measured from samples against its history; minSamples gates it.
func JudgeLevel(value *float64, samples int64, kind int, history []Day, upper bool, minSamples int64) Judgement {
	b := DayBaseline(kind, history)
	b.Spread = math.Max(b.Spread, minRelSpread*math.Abs(b.Expected))
	j := Judgement{Baseline: b, PValue: 1}
	if value == nil {
		return j
	}
	j.Value = *value
	if samples < max(minSamples, 1) || b.Days < MinHistory || b.Spread <= 0 {
		return j
	}
	z := (j.Value - b.Expected) / b.Spread
	if !upper {
		z = -z
	}
	j.Judged, j.PValue = true, 0.5*math.Erfc(z/math.Sqrt2)
	return j
}

// levelHistory keeps, per rule definition, the measurements of past windows: they do not
// change, and the windows move only every five minutes.
type levelHistory map[string]map[int64]map[string]Sample

// ruleFingerprint names what a rule measures, so an edited rule measures afresh.
func ruleFingerprint(r *model.AlertRule) string {
	b, _ := json.Marshal([]any{r.WorkspaceID, r.ID, r.Metric, r.Criterion, r.Filters, r.GroupBy, r.Window})
	return string(b)
}

// levelOutcomes judges each group of an anomaly rule on a level metric at now.
func (e *Evaluator) levelOutcomes(ctx context.Context, r *model.AlertRule, now time.Time) (map[string]outcome, error) {
	end := now.Truncate(slotWidth)
	wins := AnomalyWindows(end, r.Window.D().Truncate(slotWidth))
	src := e.source()
	cur, err := Measure(ctx, src, r, wins[0].From, wins[0].To)
	if err != nil {
		return nil, err
	}
	def := ruleFingerprint(r)
	if e.levels == nil {
		e.levels = levelHistory{}
	}
	cached := e.levels[def]
	kept := make(map[int64]map[string]Sample, len(wins)-1)
	past := make([]map[string]Sample, len(wins)-1)
	for i, w := range wins[1:] {
		m, ok := cached[w.From.UnixMilli()]
		if !ok {
			if m, err = Measure(ctx, src, r, w.From, w.To); err != nil {
				return nil, err
			}
		}
		past[i], kept[w.From.UnixMilli()] = m, m
	}
	e.levels[def] = kept // only the windows still compared stay
	upper := r.Operator == ">" || r.Operator == ">="
	count := r.Metric == "guardrail_violations"
	out := map[string]outcome{}
	for key, s := range cur {
		var hist []Day
		oldest := -1 // days back of the oldest window with data
		for i, m := range past {
			h, ok := m[key]
			if !ok || h.N == 0 || h.Value == nil {
				continue
			}
			hist = append(hist, Day{*h.Value, wins[i+1].Kind})
			oldest = i + 1
		}
		var j Judgement
		if count {
			j = JudgeCount(s.N, wins[0].Kind, hist, upper)
		} else {
			j = JudgeLevel(s.Value, s.N, wins[0].Kind, hist, upper, int64(r.MinSamples))
		}
		o := outcome{sample: s, baseline: fp(j.Baseline.Expected)}
		switch {
		case oldest < LearningDays:
			o.state = model.StateLearning
			o.message = fmt.Sprintf("learning: %d of %d days of history", max(oldest, 0), LearningDays)
		case !j.Judged:
			o.state = model.StateInsufficientData
			o.message = fmt.Sprintf("%d samples or %d comparable days: too few for a test", s.N, j.Baseline.Days)
		}
		if j.Judged {
			o.pValue = fp(j.PValue)
			o.breach = j.PValue < r.Threshold
			o.severity = r.Severity
		}
		out[key] = o
	}
	return out, nil
}
