package query

import (
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Ranges are the relative windows a client may name.
var Ranges = map[string]time.Duration{
	"1h":  time.Hour,
	"24h": 24 * time.Hour,
	"7d":  7 * 24 * time.Hour,
	"30d": 30 * 24 * time.Hour,
}

// RangeNames lists Ranges in the order documented to clients.
var RangeNames = []string{"1h", "24h", "7d", "30d"}

// MaxWindow bounds from/to windows, so that one request cannot ask for years of buckets.
const MaxWindow = 400 * 24 * time.Hour

// Step is what relative windows end on: the current time rounded up to it.
const Step = 5 * time.Minute

// MaxBuckets bounds the buckets of one time series.
const MaxBuckets = 10000

// Granularity is the width of time-series buckets.
type Granularity string

const (
	Gran5m     Granularity = "5m"
	GranHourly Granularity = "hourly"
	GranDaily  Granularity = "daily"
	GranWeekly Granularity = "weekly"
)

// Granularities lists every granularity in the order documented to clients.
var Granularities = []Granularity{Gran5m, GranHourly, GranDaily, GranWeekly}

// width is the bucket width in local wall-clock milliseconds.
func (g Granularity) width() int64 {
	switch g {
	case Gran5m:
		return 5 * 60 * 1000
	case GranHourly:
		return 3600 * 1000
	case GranDaily:
		return msPerDay
	case GranWeekly:
		return 7 * msPerDay
	}
	return 0
}

const msPerDay = 24 * 3600 * 1000

// weekOrigin aligns weeks on Monday: 1970-01-01 was a Thursday, 1970-01-05 a Monday.
const weekOrigin = 4 * msPerDay

func (g Granularity) origin() int64 {
	if g == GranWeekly {
		return weekOrigin
	}
	return 0
}

// Window is a resolved time window [From, To) with the zone its buckets follow.
type Window struct {
	From, To time.Time
	Loc      *time.Location
	// Relative is the named range ("24h") the window was resolved from, empty for from/to.
	Relative string
}

// Duration is the window's length.
func (w Window) Duration() time.Duration { return w.To.Sub(w.From) }

// Previous is the window of the same length just before w.
func (w Window) Previous() Window {
	d := w.Duration()
	return Window{From: w.From.Add(-d), To: w.From, Loc: w.Loc}
}

// DefaultGranularity picks buckets that give a readable chart for the window.
func (w Window) DefaultGranularity() Granularity {
	d := w.Duration()
	switch {
	case d <= 6*time.Hour:
		return Gran5m
	case d <= 7*24*time.Hour:
		return GranHourly
	case d <= 90*24*time.Hour:
		return GranDaily
	}
	return GranWeekly
}

// params reads query parameters, remembers which were used and collects field errors, so a
// handler reports every bad parameter at once and refuses unknown ones.
type params struct {
	v    url.Values
	used map[string]bool
	errs model.FieldErrors
}

func newParams(v url.Values) *params { return &params{v: v, used: map[string]bool{}} }

func (p *params) fail(name, format string, args ...any) {
	p.errs.Add(model.Path{name}, format, args...)
}

// str returns the single value of name, "" when absent.
func (p *params) str(name string) string {
	p.used[name] = true
	vals := p.v[name]
	if len(vals) == 0 {
		return ""
	}
	if len(vals) > 1 {
		p.fail(name, "must be given once")
	}
	return vals[0]
}

// list returns every non-empty value of a repeatable parameter.
func (p *params) list(name string, maxLen int) []string {
	p.used[name] = true
	var out []string
	for _, v := range p.v[name] {
		if v == "" {
			p.fail(name, "must not be empty")
			continue
		}
		if len(v) > maxLen {
			p.fail(name, "must be at most %d characters", maxLen)
			continue
		}
		out = append(out, v)
	}
	if len(out) > 100 {
		p.fail(name, "must be given at most 100 times")
	}
	return out
}

func (p *params) intIn(name string, def, lo, hi int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.fail(name, "must be an integer from %d to %d", lo, hi)
		return def
	}
	return n
}

func (p *params) optInt(name string) *int64 {
	s := p.str(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		p.fail(name, "must be an integer >= 0")
		return nil
	}
	return &n
}

func (p *params) optFloat(name string) *float64 {
	s := p.str(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		p.fail(name, "must be a number >= 0")
		return nil
	}
	return &f
}

func (p *params) enum(name, def string, allowed ...string) string {
	s := p.str(name)
	if s == "" {
		return def
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.fail(name, "must be one of %s", strings.Join(allowed, ", "))
	return def
}

// done reports unknown parameters and returns the collected errors.
func (p *params) done() error {
	var unknown []string
	for name := range p.v {
		if !p.used[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		p.fail(name, "unknown parameter")
	}
	return p.errs.Err("invalid query")
}

// location reads tz.
func (p *params) location() *time.Location {
	tz := p.str("tz")
	if tz == "" {
		return time.UTC
	}
	if len(tz) > 64 || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		p.fail("tz", "must be an IANA time zone name such as Europe/Berlin")
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "local") {
		p.fail("tz", "must be an IANA time zone name such as Europe/Berlin")
		return time.UTC
	}
	return loc
}

// window reads range, from, to and tz. With required false and none of range/from/to given,
// it returns a zero window (no time limit); otherwise def names the default range.
func (p *params) window(now time.Time, def string, required bool) Window {
	loc := p.location()
	rng, from, to := p.str("range"), p.str("from"), p.str("to")
	if rng != "" && (from != "" || to != "") {
		p.fail("range", "cannot be combined with from/to")
		return Window{Loc: loc}
	}
	if from != "" || to != "" {
		var w Window
		w.Loc = loc
		parse := func(name, v, other string) (time.Time, bool) {
			if v == "" {
				p.fail(name, "is required with %s", other)
				return time.Time{}, false
			}
			ts, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				p.fail(name, "must be an RFC 3339 time such as 2026-11-25T00:00:00Z")
				return time.Time{}, false
			}
			return ts, true
		}
		f, okFrom := parse("from", from, "to")
		t, okTo := parse("to", to, "from")
		if !okFrom || !okTo {
			return w
		}
		switch {
		case !f.Before(t):
			p.fail("from", "must be before to")
		case t.Sub(f) > MaxWindow:
			p.fail("to", "must be at most 400 days after from")
		}
		w.From, w.To = f.UTC(), t.UTC()
		return w
	}
	if rng == "" {
		if !required {
			return Window{Loc: loc}
		}
		rng = def
	}
	d, ok := Ranges[rng]
	if !ok {
		p.fail("range", "must be one of %s", strings.Join(RangeNames, ", "))
		d, rng = Ranges[def], def
	}
	// Rounding up to whole 5 minutes keeps "now" stable for a while, which lets answers be
	// cached and lets roll-ups of 5-minute slots answer exactly, while still including
	// everything that started before the request.
	end := now.UTC().Truncate(Step)
	if !end.Equal(now.UTC()) {
		end = end.Add(Step)
	}
	return Window{From: end.Add(-d), To: end, Loc: loc, Relative: rng}
}

// granularity reads the bucket width from name (granularity, or type for aggregations).
func (p *params) granularity(name string, w Window) Granularity {
	s := p.str(name)
	g := w.DefaultGranularity()
	if s != "" {
		found := false
		for _, known := range Granularities {
			if string(known) == s {
				g, found = known, true
			}
		}
		if !found {
			names := make([]string, len(Granularities))
			for i, k := range Granularities {
				names[i] = string(k)
			}
			p.fail(name, "must be one of %s", strings.Join(names, ", "))
			return g
		}
	}
	if n := bucketCount(w, g); n > MaxBuckets {
		p.fail(name, "gives %d buckets for this window; at most %d are allowed", n, MaxBuckets)
	}
	return g
}

// zoneOffsets lists the zone's UTC offsets over [from, to), as the store's bucketing needs.
func zoneOffsets(loc *time.Location, from, to time.Time) []store.ZoneOffset {
	_, off := from.In(loc).Zone()
	cur := store.ZoneOffset{OffsetMs: int64(off) * 1000}
	var out []store.ZoneOffset
	t := from
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		_, next := end.In(loc).Zone()
		cur.Until = end
		out = append(out, cur)
		cur = store.ZoneOffset{OffsetMs: int64(next) * 1000}
		t = end
	}
	return append(out, cur)
}

// bucketing is the store's description of g's buckets over w.
func bucketing(w Window, g Granularity) *store.Buckets {
	return &store.Buckets{WidthMs: g.width(), OriginMs: g.origin(), Offsets: zoneOffsets(w.Loc, w.From, w.To)}
}

// localMs is t's wall-clock time in loc, as milliseconds since the epoch read as UTC.
func localMs(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return t.UnixMilli() + int64(off)*1000
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// labelOf is the bucket label (local wall-clock ms of the bucket start) holding t.
func labelOf(t time.Time, loc *time.Location, g Granularity) int64 {
	w, o := g.width(), g.origin()
	return floorDiv(localMs(t, loc)-o, w)*w + o
}

// Bucket is one bucket of a time series: its label, its first instant and the part of the
// window it covers.
type Bucket struct {
	Label int64
	Start time.Time // first instant whose local time is Label
	// Seconds is how long the bucket overlaps the window, for per-second rates.
	Seconds float64
}

// buckets lists every bucket of g over w in order, including empty ones. A label that local
// time skips (the hour lost when clocks go forward) has no instants and is left out; a label
// that repeats (the hour gained) is one bucket spanning both.
func buckets(w Window, g Granularity) []Bucket {
	first := labelOf(w.From, w.Loc, g)
	last := labelOf(w.To.Add(-time.Millisecond), w.Loc, g)
	offs := zoneOffsets(w.Loc, w.From.Add(-8*24*time.Hour), w.To.Add(8*24*time.Hour))
	var out []Bucket
	for l := first; l <= last; l += g.width() {
		start, ok := instantOf(l, w.Loc, offs, g)
		if !ok {
			continue
		}
		out = append(out, Bucket{Label: l, Start: start})
	}
	for i := range out {
		lo := out[i].Start
		if lo.Before(w.From) {
			lo = w.From
		}
		hi := w.To
		if i+1 < len(out) && out[i+1].Start.Before(hi) {
			hi = out[i+1].Start
		}
		if hi.After(lo) {
			out[i].Seconds = hi.Sub(lo).Seconds()
		}
	}
	return out
}

// instantOf finds the earliest instant whose bucket label under g is label, if any. Usually
// that instant has exactly the label as local time; when local time skips it (a day starting
// in a skipped hour) the bucket starts where local time resumes inside it.
func instantOf(label int64, loc *time.Location, offs []store.ZoneOffset, g Granularity) (time.Time, bool) {
	var best time.Time
	found := false
	for _, o := range offs {
		t := time.UnixMilli(label - o.OffsetMs).UTC()
		l := localMs(t, loc)
		if l != label && (l < label || labelOf(t, loc, g) != label) {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}

// bucketCount estimates the buckets of g over w without listing them.
func bucketCount(w Window, g Granularity) int {
	if w.From.IsZero() {
		return 0
	}
	first := labelOf(w.From, w.Loc, g)
	last := labelOf(w.To.Add(-time.Millisecond), w.Loc, g)
	return int((last-first)/g.width()) + 1
}

// formatIn renders t in loc with its offset, as bucket timestamps are shown.
func formatIn(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}
