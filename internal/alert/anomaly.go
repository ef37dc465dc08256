package alert

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Anomaly detection compares a window with the same window of the previous 14 days of the
// same day type (weekday or weekend): the expected value is their median and the spread
// 1.4826 × their median absolute deviation, robust to the odd incident in the history.
// Counts are judged with an exact Poisson test and rates with an exact binomial test against
// the expected value moved by three spreads towards the observation, so that ordinary
// day-to-day variation is never called an anomaly. Below a minimum volume, or with fewer
// than three comparable days, nothing is judged.

const (
	// HistoryDays is how far back the baseline looks.
	HistoryDays = 14
	// LearningDays of history are needed before a rule judges anything.
	LearningDays = 7
	madScale     = 1.4826
	// MinExpectedEvents gates count tests: with fewer expected events a window says little.
	MinExpectedEvents = 5
	slotWidth         = 5 * time.Minute
	// spreadsAllowed is how many spreads of day-to-day variation are ordinary: a MAD of
	// ten days or fewer is itself uncertain by a third or so.
	spreadsAllowed = 3
	// MinHistory comparable days make a baseline; a MAD of fewer says nothing.
	MinHistory = 3
)

// Baseline is the expectation built from the history of one window.
type Baseline struct {
	Expected float64
	Spread   float64
	Days     int
}

// SeasonalBaseline is the median and scaled MAD of history.
func SeasonalBaseline(history []float64) Baseline {
	if len(history) == 0 {
		return Baseline{}
	}
	med := median(history)
	dev := make([]float64, len(history))
	for i, h := range history {
		dev[i] = math.Abs(h - med)
	}
	return Baseline{Expected: med, Spread: madScale * median(dev), Days: len(history)}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// CountPValue is the probability of a count at least as extreme as observed (upward when
// upper, downward otherwise) under a Poisson law whose mean is the expected value moved one
// spread towards the observation.
func CountPValue(observed int64, b Baseline, upper bool) float64 {
	if upper {
		return poissonUpper(observed, b.Expected+spreadsAllowed*b.Spread)
	}
	return poissonLower(observed, math.Max(b.Expected-spreadsAllowed*b.Spread, 0))
}

// RatePValue is the probability, among trials, of at least (upper) or at most events under
// a binomial law whose rate is the expected rate moved one spread towards the observation.
func RatePValue(events, trials int64, b Baseline, upper bool) float64 {
	if upper {
		return binomialUpper(events, trials, math.Min(b.Expected+spreadsAllowed*b.Spread, 1))
	}
	return binomialLower(events, trials, math.Max(b.Expected-spreadsAllowed*b.Spread, 0))
}

// poissonUpper is P(X >= k) for X ~ Poisson(lam), summed exactly from k up; a k at or below
// the mean is never anomalous, so 1 stands for any tail that large.
func poissonUpper(k int64, lam float64) float64 {
	if k <= 0 || float64(k) <= lam {
		return 1
	}
	if lam <= 0 {
		return 0
	}
	logP := float64(k)*math.Log(lam) - lam - lgamma(float64(k)+1)
	sum := 0.0
	for i := k; ; i++ {
		t := math.Exp(logP)
		sum += t
		if t <= sum*1e-16 || i-k > 1_000_000 {
			break
		}
		logP += math.Log(lam) - math.Log(float64(i+1))
	}
	return math.Min(sum, 1)
}

// poissonLower is P(X <= k), summed exactly from k down.
func poissonLower(k int64, lam float64) float64 {
	if float64(k) >= lam {
		return 1
	}
	logP := float64(k)*math.Log(lam) - lam - lgamma(float64(k)+1)
	sum := 0.0
	for i := k; i >= 0; i-- {
		t := math.Exp(logP)
		sum += t
		if t <= sum*1e-16 {
			break
		}
		logP += math.Log(float64(i)) - math.Log(lam)
	}
	return math.Min(sum, 1)
}

func logBinom(n, i int64, p float64) float64 {
	return lgamma(float64(n)+1) - lgamma(float64(i)+1) - lgamma(float64(n-i)+1) +
		float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p)
}

// binomialUpper is P(X >= k) for X ~ Binomial(n, p).
func binomialUpper(k, n int64, p float64) float64 {
	if k <= 0 || float64(k) <= float64(n)*p {
		return 1
	}
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return 1
	}
	sum := 0.0
	for i := k; i <= n; i++ {
		t := math.Exp(logBinom(n, i, p))
		sum += t
		if t <= sum*1e-16 {
			break
		}
	}
	return math.Min(sum, 1)
}

// binomialLower is P(X <= k).
func binomialLower(k, n int64, p float64) float64 {
	if float64(k) >= float64(n)*p {
		return 1
	}
	if p >= 1 {
		return 0
	}
	sum := 0.0
	for i := k; i >= 0; i-- {
		t := math.Exp(logBinom(n, i, p))
		sum += t
		if t <= sum*1e-16 {
			break
		}
	}
	return math.Min(sum, 1)
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

func weekend(t time.Time) bool {
	d := t.Weekday()
	return d == time.Saturday || d == time.Sunday
}

// Window is a compared window with its day-type composition: Kind has bit 0 set when it
// starts on a weekend day and bit 1 when it ends on one.
type Window struct {
	From, To time.Time
	Kind     int
}

func windowKind(from, to time.Time) int {
	k := 0
	if weekend(from) {
		k |= 1
	}
	if weekend(to.Add(-time.Nanosecond)) {
		k |= 2
	}
	return k
}

// AnomalyWindows are the windows an anomaly rule compares at end: the current one, then the
// same window 1..HistoryDays days earlier. Only those of the current window's Kind make
// the expected value (a window across Friday midnight compares with windows across Friday
// midnight); all of them measure how much days vary.
func AnomalyWindows(end time.Time, window time.Duration) []Window {
	start := end.Add(-window)
	out := []Window{{start, end, windowKind(start, end)}}
	for d := 1; d <= HistoryDays; d++ {
		s, e := start.AddDate(0, 0, -d), end.AddDate(0, 0, -d)
		out = append(out, Window{s, e, windowKind(s, e)})
	}
	return out
}

// Day is a past window's value and Kind.
type Day struct {
	Value float64
	Kind  int
}

// DayBaseline is the median of the days of kind and a spread of 1.4826 × the MAD of every
// day's deviation relative to the median of its kind, times that median: day-to-day
// variation measured on all fourteen days, not just the four weekend ones.
func DayBaseline(kind int, days []Day) Baseline {
	byKind := map[int][]float64{}
	for _, d := range days {
		byKind[d.Kind] = append(byKind[d.Kind], d.Value)
	}
	same := byKind[kind]
	if len(same) == 0 {
		return Baseline{}
	}
	b := Baseline{Expected: median(same), Days: len(same)}
	var rel []float64
	for _, vs := range byKind {
		m := median(vs)
		if len(vs) < 2 || m <= 0 {
			continue
		}
		for _, v := range vs {
			rel = append(rel, v/m-1)
		}
	}
	if len(rel) > 0 {
		b.Spread = b.Expected * SeasonalBaseline(rel).Spread
	}
	return b
}

// Judgement is an anomaly test's verdict on one window.
type Judgement struct {
	Value    float64
	Baseline Baseline
	PValue   float64
	// Judged is false below the minimum volume, when the p-value means nothing.
	Judged bool
}

// JudgeCount tests a count against its history of counts. The history's counts are Poisson
// draws themselves, so the allowance is at least their standard deviation, √expected: a
// MAD of zero from four quiet days is luck, not certainty.
func JudgeCount(observed int64, kind int, history []Day, upper bool) Judgement {
	b := DayBaseline(kind, history)
	b.Spread = math.Max(b.Spread, math.Sqrt(b.Expected)/spreadsAllowed)
	j := Judgement{Value: float64(observed), Baseline: b, PValue: 1}
	if b.Days < MinHistory || math.Max(b.Expected, float64(observed)) < MinExpectedEvents {
		return j
	}
	j.Judged, j.PValue = true, CountPValue(observed, b, upper)
	return j
}

// SmoothedRate is a day's rate with half an event and one trial added, so that a quiet
// day with no errors does not claim an error rate of exactly zero.
func SmoothedRate(events, trials int64) float64 {
	return (float64(events) + 0.5) / (float64(trials) + 1)
}

// JudgeRate tests events among trials against the history of rates (SmoothedRate of days
// that had trials); minTrials and the minimum expected events gate it.
func JudgeRate(events, trials int64, kind int, history []Day, upper bool, minTrials int64) Judgement {
	b := DayBaseline(kind, history)
	if trials > 0 {
		// As for counts: an allowance of at least the binomial standard deviation of a rate
		// over as many trials.
		b.Spread = math.Max(b.Spread, math.Sqrt(b.Expected*(1-b.Expected)/float64(trials))/spreadsAllowed)
	}
	j := Judgement{Baseline: b, PValue: 1}
	if trials > 0 {
		j.Value = float64(events) / float64(trials)
	}
	if trials < max(minTrials, 1) || b.Days < MinHistory ||
		math.Max(b.Expected*float64(trials), float64(events)) < MinExpectedEvents {
		return j
	}
	j.Judged, j.PValue = true, RatePValue(events, trials, b, upper)
	return j
}

// slotCounts are per-group events and trials per 5-minute slot.
type slotCounts map[string]map[int64][2]int64

func (sc slotCounts) sum(key string, from, to time.Time) (events, trials int64) {
	for slot, v := range sc[key] {
		if slot >= from.UnixMilli() && slot < to.UnixMilli() {
			events += v[0]
			trials += v[1]
		}
	}
	return events, trials
}

// anomalyOutcomes judges each group of an anomaly rule at now.
func (e *Evaluator) anomalyOutcomes(ctx context.Context, r *model.AlertRule, now time.Time) (map[string]outcome, error) {
	if r.Metric != "request_count" && r.Metric != "error_rate" {
		return e.levelOutcomes(ctx, r, now)
	}
	end := now.Truncate(slotWidth)
	window := r.Window.D().Truncate(slotWidth)
	wins := AnomalyWindows(end, window)
	from := end.AddDate(0, 0, -HistoryDays).Add(-window)
	counts, first, err := e.slotSeries(ctx, r, from, end)
	if err != nil {
		return nil, err
	}
	upper := r.Operator == ">" || r.Operator == ">="
	out := map[string]outcome{}
	for key, firstSeen := range first {
		var hist []Day
		for _, w := range wins[1:] {
			if w.From.Before(firstSeen.Truncate(slotWidth)) {
				continue // before the group existed: no history, not a quiet day
			}
			ev, tr := counts.sum(key, w.From, w.To)
			if r.Metric == "error_rate" {
				if tr > 0 {
					hist = append(hist, Day{SmoothedRate(ev, tr), w.Kind})
				}
				continue
			}
			hist = append(hist, Day{float64(ev), w.Kind})
		}
		ev, tr := counts.sum(key, wins[0].From, wins[0].To)
		var j Judgement
		if r.Metric == "error_rate" {
			j = JudgeRate(ev, tr, wins[0].Kind, hist, upper, int64(r.MinSamples))
		} else {
			j = JudgeCount(ev, wins[0].Kind, hist, upper)
		}
		o := outcome{sample: Sample{Labels: labelsFromKey(r, key), Value: fp(j.Value), N: tr}, baseline: fp(j.Baseline.Expected)}
		if r.Metric != "error_rate" {
			o.sample.N = ev
		}
		switch {
		case end.Sub(firstSeen) < LearningDays*24*time.Hour:
			o.state = model.StateLearning
			o.message = fmt.Sprintf("learning: %.1f of %d days of history", end.Sub(firstSeen).Hours()/24, LearningDays)
		case !j.Judged:
			o.state = model.StateInsufficientData
			o.message = "volume below the minimum for a test"
		}
		if j.Judged {
			o.pValue = fp(j.PValue)
			o.breach = j.PValue < r.Threshold
			o.severity = r.Severity
		}
		out[key] = o
	}
	if r.GroupBy == "" {
		if _, ok := out[""]; !ok {
			out[""] = outcome{sample: Sample{Labels: map[string]string{}}, state: model.StateLearning, message: "no history yet"}
		}
	}
	return out, nil
}

// slotSeries reads events and trials per 5-minute slot and group, and each group's first
// trace in [from, to).
func (e *Evaluator) slotSeries(ctx context.Context, r *model.AlertRule, from, to time.Time) (slotCounts, map[string]time.Time, error) {
	counts := slotCounts{}
	first := map[string]time.Time{}
	var dim store.Dimension
	if r.GroupBy != "" {
		dim = groupDims[r.GroupBy]
	}
	add := func(key string, slot int64, ev, tr int64) {
		m := counts[key]
		if m == nil {
			m = map[int64][2]int64{}
			counts[key] = m
		}
		v := m[slot]
		m[slot] = [2]int64{v[0] + ev, v[1] + tr}
		if t := time.UnixMilli(slot).UTC(); first[key].IsZero() || t.Before(first[key]) {
			first[key] = t
		}
	}
	q := store.StatsQuery{Filter: filterOf(r, from, to), Buckets: &store.Buckets{WidthMs: slotWidth.Milliseconds()},
		Measures: store.MeasureStatus}
	if dim != "" {
		q.GroupBy = []store.Dimension{dim}
	}
	res, err := e.st.TraceStats(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for _, row := range res.Rows {
		key := ""
		if dim != "" {
			key = row.Keys[0]
		}
		ev := row.Count
		if r.Metric == "error_rate" {
			ev = row.Errors + row.Timeouts
		}
		add(key, row.Bucket, ev, row.Count)
	}
	return counts, first, nil
}
