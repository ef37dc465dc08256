package synth

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Traffic shape, in UTC: Europe's afternoon overlaps America's morning, so the peak is
// around 14-16h and the trough around 3h.
var hourly = [24]float64{
	0.32, 0.26, 0.22, 0.20, 0.21, 0.26, 0.38, 0.55, 0.75, 0.90, 0.97, 1.00,
	0.98, 1.05, 1.12, 1.15, 1.08, 0.95, 0.82, 0.70, 0.60, 0.52, 0.45, 0.38,
}

const (
	bucketMs = 5 * 60 * 1000
	growth   = 0.35 // traffic at the end of the period relative to its start, minus one
)

// arrivals hands out trace start times in increasing order, distributed like the traffic
// curve. It draws sorted uniforms one at a time (each next one is uniform on what is left
// above the previous) and maps them through the inverse of the curve's cumulative
// distribution, so the result has real Poisson-like clumping rather than even spacing.
type arrivals struct {
	w    []float64 // weight per bucket
	cum  []float64
	maxW float64
	n, k int
	logW float64 // log of (1 - the last uniform)
	b    int
	last int64
}

func (a *arrivals) init(g *gen, r *rand.Rand, n int) {
	buckets := int(g.windowMs / bucketMs)
	a.w = make([]float64, buckets)
	a.cum = make([]float64, buckets)
	a.n = n
	noise := make([]float64, g.cfg.Days+2)
	for i := range noise {
		noise[i] = math.Exp(0.07 * r.NormFloat64())
	}
	var sum float64
	for b := range a.w {
		t := g.epoch.Add(time.Duration(b)*bucketMs*time.Millisecond + bucketMs/2*time.Millisecond)
		h := float64(t.Hour()) + float64(t.Minute())/60
		lo := int(h)
		frac := h - float64(lo)
		v := hourly[lo]*(1-frac) + hourly[(lo+1)%24]*frac
		switch t.Weekday() {
		case time.Saturday:
			v *= 0.55
		case time.Sunday:
			v *= 0.45
		}
		v *= 1 + growth*float64(b)/float64(buckets)
		v *= noise[b*bucketMs/msPerDay]
		a.w[b] = v
		a.maxW = max(a.maxW, v)
		sum += v
		a.cum[b] = sum
	}
}

// next returns the next start time in ms since the epoch.
func (a *arrivals) next(r *rand.Rand) int64 {
	a.logW += math.Log(1-r.Float64()) / float64(a.n-a.k)
	a.k++
	target := -math.Expm1(a.logW) * a.cum[len(a.cum)-1]
	for a.b < len(a.cum)-1 && a.cum[a.b] <= target {
		a.b++
	}
	prev := 0.0
	if a.b > 0 {
		prev = a.cum[a.b-1]
	}
	frac := min(max((target-prev)/a.w[a.b], 0), 1)
	t := int64((float64(a.b) + frac) * bucketMs)
	t = max(t, a.last) // rounding must not reorder
	a.last = t
	return t
}

// load is the current traffic relative to the busiest moment, in (0, 1].
func (a *arrivals) load() float64 { return a.w[a.b] / a.maxW }

// agentRT is an agent with its precomputed texts and its timelines.
type agentRT struct {
	spec       *agentSpec
	pairs      []textPair
	mixes      [][]int
	mixCum     [][]float64
	router     int
	tools      []toolRT
	llmAttrs   []byte
	retrAttrs  []byte
	embAttrs   []byte
	guardAttrs []byte
	timeoutMsg []string // per model
	thumbs     float64  // share of traces with user feedback
	talks      bool     // talks to people, so guardrail findings happen here

	// Timelines in ms since the epoch, sorted; the cursors move forward with trace time.
	deployAt  []int64
	versions  []versionRT
	switchAt  []int64
	switchMix []int
	incidents []incident
	vi, si    int
	ii        int
	budgets   int
}

// incident is a period of elevated failures of one agent, [from, to) in ms since the epoch.
type incident struct {
	from, to int64
	rate     float64 // share of failed traces, as the event reports it
}

type textPair struct{ op, in, out string }

type toolRT struct {
	spec       *toolSpec
	attrs      []byte
	timeoutMs  int64 // the agent's tool-call deadline
	timeoutMsg string
}

type versionRT struct {
	name string
	tags [2][]string             // env prod, staging
	meta [2][len(regions)][]byte // env, region
}

func (g *gen) initAgents() {
	g.agents = make([]agentRT, len(agents))
	g.newCum = make([]float64, len(agents))
	for i := range agents {
		s := &agents[i]
		a := &g.agents[i]
		a.spec = s
		for _, p := range s.pairs {
			if len(p.fills) == 0 {
				a.pairs = append(a.pairs, textPair{s.ops[p.op], p.in, p.out})
			}
			for _, x := range p.fills {
				a.pairs = append(a.pairs, textPair{s.ops[p.op], fill(p.in, x), fill(p.out, x)})
			}
		}
		for _, mix := range s.mixes {
			var idx []int
			var w []float64
			for _, e := range mix {
				idx = append(idx, g.modelIndex(e.model))
				w = append(w, e.weight)
			}
			a.mixes = append(a.mixes, idx)
			a.mixCum = append(a.mixCum, cumulative(w))
		}
		a.router = -1
		if s.router != "" {
			a.router = g.modelIndex(s.router)
		}
		toolTimeout := (s.timeout / 2).Round(time.Second)
		for j := range s.tools {
			t := &s.tools[j]
			a.tools = append(a.tools, toolRT{
				spec:       t,
				timeoutMs:  toolTimeout.Milliseconds(),
				attrs:      []byte(`{"tool.name":"` + t.name + `","tool.timeout_ms":` + strconv.FormatInt(toolTimeout.Milliseconds(), 10) + `}`),
				timeoutMsg: "tool " + t.name + " timed out after " + seconds(toolTimeout),
			})
		}
		a.llmAttrs = []byte(`{"temperature":` + s.temp + `,"max_tokens":` + strconv.Itoa(max(512, int(s.outTok*4)/256*256)) + `,"stream":true}`)
		if s.index != "" {
			a.retrAttrs = []byte(`{"index":"` + s.index + `","top_k":5,"store":"pgvector"}`)
		}
		a.embAttrs = []byte(`{"dimensions":1536}`)
		a.guardAttrs = []byte(`{"checks":["pii","toxicity","injection","jailbreak"],"verdict":"pass"}`)
		for _, m := range g.models {
			a.timeoutMsg = append(a.timeoutMsg, timeoutMessage(m.provider, s.timeout))
		}
		switch s.id {
		case "triage-agent", "summarizer", "translator":
			// Called by other systems: nobody clicks thumbs.
		default:
			a.thumbs = 0.08
		}
		a.talks = slices.Contains(violationAgents, s.id)
		a.deployAt = []int64{math.MinInt64}
		a.addVersion(s.version)
		a.switchAt = []int64{math.MinInt64}
		a.switchMix = []int{0}
		// A new session picks its agent by share over mean length, so that traffic
		// ends up split by share.
		g.newCum[i] = s.share / max(s.session, 1)
	}
	g.newCum = cumulative(g.newCum)
}

func (a *agentRT) addVersion(v string) {
	vr := versionRT{name: v}
	for env, name := range []string{"prod", "staging"} {
		vr.tags[env] = []string{"env:" + name, "version:" + v}
		for ri, reg := range regions {
			vr.meta[env][ri] = []byte(`{"release":"` + v + `","region":"` + reg.name + `","env":"` + name + `","sdk":"agentobs-python/0.8.1"}`)
		}
	}
	a.versions = append(a.versions, vr)
}

// at moves the agent's cursors to t and returns its release, model mix and the failure
// rate of an incident under way (0 if none). Trace times increase, so cursors only move
// forward.
func (a *agentRT) at(t int64) (v *versionRT, mix int, incidentRate float64) {
	for a.vi+1 < len(a.deployAt) && a.deployAt[a.vi+1] <= t {
		a.vi++
	}
	for a.si+1 < len(a.switchAt) && a.switchAt[a.si+1] <= t {
		a.si++
	}
	for a.ii < len(a.incidents) && a.incidents[a.ii].to <= t {
		a.ii++
	}
	if a.ii < len(a.incidents) && a.incidents[a.ii].from <= t {
		incidentRate = a.incidents[a.ii].rate
	}
	return &a.versions[a.vi], a.switchMix[a.si], incidentRate
}

var eventKinds = []struct {
	typ   string
	share float64
}{
	{"deployment", 0.40}, {"config_change", 0.20}, {"model_switch", 0.10}, {"incident", 0.15}, {"budget_warning", 0.15},
}

// buildEvents makes the activity stream and records its effects on the agents: a deployment
// changes the release traces report, a model switch changes the model mix, an incident
// raises errors and latency for its duration.
func (g *gen) buildEvents() []model.Event {
	n := g.cfg.Events
	if n == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), streamEvents))
	counts := make([]int, len(eventKinds))
	total := 0
	for i := 1; i < len(eventKinds); i++ {
		counts[i] = int(math.Round(eventKinds[i].share * float64(n)))
		total += counts[i]
	}
	for i := len(counts) - 1; total > n; i-- { // only possible for tiny n
		d := min(counts[i], total-n)
		counts[i] -= d
		total -= d
	}
	counts[0] = n - total

	agentW := make([]float64, len(g.agents))
	var switchable []int
	for i := range g.agents {
		agentW[i] = math.Sqrt(g.agents[i].spec.share)
		if len(g.agents[i].mixes) > 1 {
			switchable = append(switchable, i)
		}
	}
	agentW = cumulative(agentW)

	type raw struct {
		t     int64
		kind  int
		agent int
	}
	var plan []raw
	for kind, c := range counts {
		for range c {
			e := raw{kind: kind, agent: pick(r, agentW)}
			switch eventKinds[kind].typ {
			case "deployment", "config_change":
				e.t = g.workingHours(r)
			case "model_switch":
				e.agent = switchable[r.IntN(len(switchable))]
				e.t = g.workingHours(r)
			default:
				e.t = r.Int64N(g.windowMs)
			}
			plan = append(plan, e)
		}
	}
	sort.SliceStable(plan, func(i, j int) bool { return plan[i].t < plan[j].t })

	out := make([]model.Event, 0, len(plan))
	for k, e := range plan {
		a := &g.agents[e.agent]
		id := a.spec.id
		ev := model.Event{
			WorkspaceID: g.ws,
			ID:          g.eventID(k),
			Time:        g.at(e.t),
			Type:        eventKinds[e.kind].typ,
			AgentID:     id,
			Severity:    "info",
		}
		author := authors[r.IntN(len(authors))]
		var details any
		switch ev.Type {
		case "deployment":
			prev := a.versions[len(a.versions)-1].name
			next := bumpVersion(prev, r.IntN(4) == 0)
			a.deployAt = append(a.deployAt, e.t)
			a.addVersion(next)
			ev.Title = id + " " + next + " deployed"
			details = map[string]any{"version": next, "previous": prev, "commit": fmt.Sprintf("%07x", r.Uint32()>>4), "author": author, "rollout": "100%"}
		case "config_change":
			c := configKeys[r.IntN(len(configKeys))]
			ev.Title = id + ": " + c.key + " " + c.from + " → " + c.to
			details = map[string]any{"key": c.key, "from": c.from, "to": c.to, "author": author}
		case "model_switch":
			from := a.switchMix[len(a.switchMix)-1]
			to := (from + 1) % len(a.mixes)
			a.switchAt = append(a.switchAt, e.t)
			a.switchMix = append(a.switchMix, to)
			fm, tm := g.models[a.mixes[from][0]].name, g.models[a.mixes[to][0]].name
			ev.Title = id + ": primary model " + fm + " → " + tm
			details = map[string]any{"from": fm, "to": tm, "author": author}
		case "incident":
			dur := int64(20+r.IntN(100)) * 60 * 1000
			rate := 6 + r.IntN(14)
			a.incidents = append(a.incidents, incident{e.t, e.t + dur, float64(rate) / 100})
			cause := incidentCauses[r.IntN(len(incidentCauses))]
			if len(a.tools) == 0 && strings.Contains(cause, "tool") {
				cause = incidentCauses[0] // an agent without tools fails on its provider
			}
			ev.Severity = "warning"
			if rate >= 12 {
				ev.Severity = "critical"
			}
			ev.Title = fmt.Sprintf("Incident: %s error rate %d%% (%s)", id, rate, cause)
			details = map[string]any{"cause": cause, "error_rate": float64(rate) / 100, "duration_min": dur / 60000, "status": "resolved"}
		case "budget_warning":
			budget := 100 * (1 + int(a.spec.share*40))
			pct := 75 + 10*a.budgets
			a.budgets++
			ev.Severity = "warning"
			if pct >= 100 {
				ev.Severity = "critical"
			}
			ev.Title = fmt.Sprintf("%s at %d%% of its monthly budget ($%d)", id, pct, budget)
			details = map[string]any{"budget_usd": budget, "spent_usd": math.Round(float64(budget*pct)) / 100, "percent": pct, "period": "monthly"}
		}
		ev.Details, _ = json.Marshal(details) // maps of plain values always encode
		out = append(out, ev)
	}
	// Incidents may overlap once sorted by start; merge them so the cursor logic holds.
	for i := range g.agents {
		g.agents[i].incidents = mergeWindows(g.agents[i].incidents)
	}
	return out
}

// workingHours draws a time on a weekday between 8 and 18 UTC, when people ship changes.
func (g *gen) workingHours(r *rand.Rand) int64 {
	var t int64
	for range 64 {
		t = r.Int64N(g.windowMs)
		tt := g.at(t)
		if wd := tt.Weekday(); wd != time.Saturday && wd != time.Sunday && tt.Hour() >= 8 && tt.Hour() < 18 {
			return t
		}
	}
	return t
}

func mergeWindows(w []incident) []incident {
	sort.SliceStable(w, func(i, j int) bool { return w[i].from < w[j].from })
	var out []incident
	for _, x := range w {
		if n := len(out); n > 0 && x.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, x.to)
			out[n-1].rate = max(out[n-1].rate, x.rate)
			continue
		}
		out = append(out, x)
	}
	return out
}

func bumpVersion(v string, minor bool) string {
	parts := strings.Split(v, ".")
	nums := make([]int, 3)
	for i := 0; i < 3 && i < len(parts); i++ {
		nums[i], _ = strconv.Atoi(parts[i])
	}
	if minor {
		nums[1]++
		nums[2] = 0
	} else {
		nums[2]++
	}
	return fmt.Sprintf("%d.%d.%d", nums[0], nums[1], nums[2])
}

// at converts ms since the epoch to a time.
func (g *gen) at(ms int64) time.Time { return g.epoch.Add(time.Duration(ms) * time.Millisecond) }

func (g *gen) eventID(k int) string {
	var b [16]byte
	hex16(b[:], mix64(uint64(k)^g.keyA^0x5be0cd19137e2179))
	return "evt_" + string(b[:])
}
