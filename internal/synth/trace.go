package synth

import (
	"math"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Base failure rates per trace, before the main model's multiplier: about 4 % of traces
// fail overall. Incidents replace them with the rate their event reports.
const (
	baseErrorRate   = 0.027
	baseTimeoutRate = 0.010
	incidentLatMul  = 2.5
)

// step is one span of the trace being planned, in ms relative to the trace start.
type step struct {
	kind     model.SpanKind
	name     string
	parent   int // index of the parent step; the root's is -1
	off, dur int64
	gap      int64 // pause after the step before the next sibling starts
	model    int   // index into g.models, -1 for none
	in, out  int64
	cached   int64
	hasTok   bool
	status   model.Status
	msg      string
	errType  string
	input    string
	output   string
	attrs    []byte
}

var (
	emptyAttrs = []byte("{}")
	chainAttrs = []byte(`{"chain.type":"rag"}`)
)

// outcome is what happens to a trace, decided before it is planned.
type outcome struct {
	status  model.Status
	errType string
}

// trace fills t as the n-th trace of the run.
func (g *gen) trace(t *model.Trace, n int) {
	r := g.r
	tms := g.arr.next(r)
	ai, user, session := g.session(tms)
	a := &g.agents[ai]
	ver, mixIdx, incidentRate := a.at(tms)
	incident := incidentRate > 0
	u := &g.users[user]
	g.seenUser[user] = true

	env := 0
	if u.staging {
		env = 1
	}
	tp := a.pairs[r.IntN(len(a.pairs))]
	input, output := tp.in, tp.out
	op := tp.op
	main := a.mixes[mixIdx][pick(r, a.mixCum[mixIdx])]

	// A violation is found on this trace: its input carries the offending text, and a
	// blocked one gets a refusal. Such traces succeed so that the finding stands out.
	var vk *violationKind
	if g.violationDue(a, n) {
		vk = g.violationKind(a)
		input, output = vk.input, vk.output
		if vk.action == "blocked" {
			output = refusal
		}
	}
	oc := g.outcome(main, incidentRate, vk != nil)
	if oc.status != model.StatusSuccess {
		output = ""
	}

	var ns int
	if a.spec.flat {
		ns = g.planFlat(a, main, oc, incident, input, output)
	} else {
		ns = g.planAgent(a, main, oc, incident, input, output, vk, ver.meta[env][u.region])
	}
	st := g.steps[:ns]
	st[0].name = op
	// Planning settles the error type: a run that called no tool cannot fail in one.
	oc.status, oc.errType = st[0].status, st[0].errType
	errMsg := st[0].msg
	total := st[0].dur

	// Traces near the end of the period must not end in the future.
	start := max(min(tms, g.windowMs-total), 0)
	startT := g.at(start)

	nids := ns
	if a.spec.flat {
		nids = 0 // the single call is the trace itself
	}
	ids := g.ids(n, nids, g.epoch.UnixMilli()+start)
	tid := ids[:32]
	*t = model.Trace{
		WorkspaceID:  g.ws,
		TraceID:      tid,
		AgentID:      a.spec.id,
		Name:         op,
		UserID:       u.id,
		SessionID:    session,
		StartTime:    startT,
		EndTime:      startT.Add(time.Duration(total) * time.Millisecond),
		LatencyMs:    total,
		Status:       oc.status,
		ErrorType:    oc.errType,
		ErrorMessage: errMsg,
		Input:        input,
		Output:       output,
		Model:        g.models[main].name,
		Provider:     g.models[main].provider,
		Tags:         ver.tags[env],
		Metadata:     ver.meta[env][u.region],
	}

	var in, out, cached, tot sumInt
	var cost sumFloat
	if a.spec.flat {
		s := &st[0]
		if s.hasTok {
			in.add(s.in)
			out.add(s.out)
			cached.add(s.cached)
			tot.add(s.in + s.out)
			if c, ok := g.prices.Cost(g.models[s.model].name, s.in, s.out, s.cached); ok {
				cost.add(c)
			} else {
				g.unpriced++
			}
		}
	} else {
		spans := g.spans.take(ns)
		errSpans := 0
		for i := range st {
			s := &st[i]
			sp := &spans[i]
			sStart := startT.Add(time.Duration(s.off) * time.Millisecond)
			*sp = model.Span{
				WorkspaceID:   g.ws,
				TraceID:       tid,
				SpanID:        ids[32+16*i : 48+16*i],
				Kind:          s.kind,
				Name:          s.name,
				StartTime:     sStart,
				EndTime:       sStart.Add(time.Duration(s.dur) * time.Millisecond),
				LatencyMs:     s.dur,
				Status:        s.status,
				StatusMessage: s.msg,
				Input:         s.input,
				Output:        s.output,
				Attributes:    s.attrs,
			}
			if s.parent >= 0 {
				sp.ParentSpanID = ids[32+16*s.parent : 48+16*s.parent]
			}
			if s.status.Failed() {
				errSpans++
			}
			if s.model >= 0 {
				m := &g.models[s.model]
				sp.Model, sp.Provider = m.name, m.provider
			}
			if s.hasTok {
				sp.TokensInput = g.i64(s.in)
				sp.TokensOutput = g.i64(s.out)
				sp.TokensTotal = g.i64(s.in + s.out)
				in.add(s.in)
				out.add(s.out)
				tot.add(s.in + s.out)
				if s.kind == model.KindLLM {
					sp.TokensCached = g.i64(s.cached)
					cached.add(s.cached)
				}
				if c, ok := g.prices.Cost(sp.Model, s.in, s.out, s.cached); ok {
					sp.CostUSD = g.f64(c)
					cost.add(c)
				} else {
					g.unpriced++
				}
			}
		}
		t.Spans = spans
		t.SpanCount = int64(ns)
		t.ErrorSpanCount = int64(errSpans)
		g.spanCount += ns
	}

	// The trace-level figures are what a client reports on the trace; for span traces they
	// equal the roll-up over the spans, which is also what the store computes.
	t.TokensInput, t.TokensOutput, t.TokensCached, t.TokensTotal = g.ptr(in), g.ptr(out), g.ptr(cached), g.ptr(tot)
	if cost.any {
		t.CostUSD = g.f64(cost.v)
		g.cost += cost.v
	}
	t.Declared = model.Declared{
		Status:       oc.status,
		LatencyMs:    g.i64(total),
		EndTime:      t.EndTime,
		TokensInput:  t.TokensInput,
		TokensOutput: t.TokensOutput,
		TokensCached: t.TokensCached,
		TokensTotal:  t.TokensTotal,
		CostUSD:      t.CostUSD,
	}
	g.tokens += tot.v
	switch oc.status {
	case model.StatusError:
		g.errors++
	case model.StatusTimeout:
		g.timeouts++
	}

	g.addScores(t, a)
	if vk != nil {
		g.addViolation(t, a, vk)
	}
}

type sumInt struct {
	v   int64
	any bool
}

func (s *sumInt) add(v int64) { s.v += v; s.any = true }

type sumFloat struct {
	v   float64
	any bool
}

func (s *sumFloat) add(v float64) { s.v += v; s.any = true }

func (g *gen) ptr(s sumInt) *int64 {
	if !s.any {
		return nil
	}
	return g.i64(s.v)
}

// ids returns the trace id (32 hex digits) followed by ns span ids (16 each) in one
// string, so that a trace costs one allocation for all its ids. Like a UUIDv7 the trace id
// starts with its start time in ms, so ids sort by time (the store's key index likes that);
// its second half is a bijection of n under a key derived from the seed, which makes ids
// unique within a run and different across seeds.
func (g *gen) ids(n, ns int, ms int64) string {
	b := g.idBuf[:32+16*ns]
	hex16(b[0:16], uint64(ms)<<16|mix64(uint64(n)^g.keyA)&0xffff)
	hex16(b[16:32], mix64(uint64(n)^g.keyB))
	for i := range ns {
		hex16(b[32+16*i:48+16*i], g.r.Uint64())
	}
	return string(b)
}

// session picks the session the next trace belongs to: usually a running one (same user,
// same agent, a few minutes later), otherwise a new one.
func (g *gen) session(t int64) (agent, user int, id string) {
	r := g.r
	s := &g.slots[r.IntN(len(g.slots))]
	if s.left > 0 && t-s.last < sessionExpiry {
		s.left--
		s.last = t
		return s.agent, s.user, s.session
	}
	s.agent = pick(r, g.newCum)
	s.user = pick(r, g.userCum)
	var b [16]byte
	hex16(b[:], r.Uint64())
	s.session = "sess_" + string(b[:])
	mean := g.agents[s.agent].spec.session
	s.left = min(int(r.ExpFloat64()*(mean-0.5)), 40) // traces after this one
	s.last = t
	g.sessions++
	return s.agent, s.user, s.session
}

// outcome decides success, error or timeout for a trace whose main model is m. During an
// incident the failure rate is the one its event reports.
func (g *gen) outcome(m int, incidentRate float64, violation bool) outcome {
	if violation {
		return outcome{status: model.StatusSuccess}
	}
	mr := &g.models[m]
	pTimeout := baseTimeoutRate * mr.errMul * (1 + 0.3*mr.reason)
	pErr := baseErrorRate * mr.errMul
	if incidentRate > 0 {
		pTimeout, pErr = incidentRate/4, incidentRate*3/4
	}
	x := g.r.Float64()
	switch {
	case x < pTimeout:
		return outcome{status: model.StatusTimeout, errType: errTimeout}
	case x < pTimeout+pErr:
		return outcome{status: model.StatusError, errType: errorTypes[pick(g.r, errorCum)].name}
	}
	return outcome{status: model.StatusSuccess}
}

var errorCum = func() []float64 {
	w := make([]float64, len(errorTypes))
	for i, e := range errorTypes {
		w[i] = e.weight
	}
	return cumulative(w)
}()

// llmCall fills s as a successful llm call of model m for agent a.
func (g *gen) llmCall(s *step, a *agentRT, m int, inMedian, outMedian float64, incident bool) {
	r := g.r
	mr := &g.models[m]
	in := int64(logNormal(r, inMedian, 0.45)) + 40
	out := int64(logNormal(r, outMedian, 0.5)) + 5
	if mr.reason > 0 {
		// Reasoning tokens are billed as output and take time, though nobody sees them.
		out += int64(float64(out) * mr.reason * (0.5 + r.Float64()))
	}
	var cached int64
	if mr.cacheable && in > 1024 && r.Float64() < a.spec.cache {
		// A cache hit covers the stable prefix (system prompt, tools), in 128-token blocks.
		cached = int64(float64(in)*(0.3+0.5*r.Float64())) / 128 * 128
	}
	s.kind = model.KindLLM
	s.model = m
	s.in, s.out, s.cached, s.hasTok = in, out, cached, true
	s.dur = g.llmLatency(m, out, incident)
	if limit := a.spec.timeout.Milliseconds(); s.dur >= limit {
		// The client would have timed out; successful calls finish before that.
		s.dur = int64(float64(limit) * (0.6 + 0.35*r.Float64()))
	}
	s.attrs = a.llmAttrs
}

// llmLatency is time to first token plus generation time, both log-normal, slower when
// the traffic is high and during incidents.
func (g *gen) llmLatency(m int, out int64, incident bool) int64 {
	r := g.r
	mr := &g.models[m]
	ttft := logNormal(r, mr.ttft, 0.35) * (0.85 + 0.3*g.arr.load())
	if incident {
		ttft *= incidentLatMul
	}
	gen := 0.0
	if mr.tps > 0 {
		gen = float64(out) / mr.tps * 1000 * math.Exp(0.15*r.NormFloat64())
	}
	return int64(ttft+gen) + 1
}

// fail turns s into the failed step of the trace.
func (g *gen) fail(s *step, a *agentRT, oc outcome) {
	r := g.r
	s.status = model.StatusError
	s.errType = oc.errType
	switch oc.errType {
	case errTimeout:
		s.status = model.StatusTimeout
		s.hasTok = false
		if s.kind == model.KindTool {
			tool := g.toolOf(a, s.name)
			s.dur = tool.timeoutMs + r.Int64N(300)
			s.msg = tool.timeoutMsg
		} else {
			s.dur = a.spec.timeout.Milliseconds() + r.Int64N(400)
			s.msg = a.timeoutMsg[s.model]
		}
	case errTool:
		tool := g.toolOf(a, s.name)
		s.dur = int64(logNormal(r, tool.spec.medianMs*0.6, 0.5)) + 2
		s.msg = tool.spec.errors[r.IntN(len(tool.spec.errors))]
	case errRateLimit:
		s.hasTok = false
		s.dur = int64(logNormal(r, 180, 0.5)) + 20
		s.msg = g.models[s.model].rateMsg
	case errContextLength:
		s.hasTok = false
		s.dur = int64(logNormal(r, 150, 0.4)) + 20
		s.msg = g.models[s.model].ctxMsg
	case errContentFilter:
		// The provider generated, then withheld the answer: the call is still billed.
		s.msg = contentFilterMessages[r.IntN(len(contentFilterMessages))]
	case errInvalid:
		s.msg = invalidMessages[r.IntN(len(invalidMessages))]
	}
	if !s.hasTok {
		s.in, s.out, s.cached = 0, 0, 0
	}
	s.output = ""
}

func (g *gen) toolOf(a *agentRT, name string) *toolRT {
	for i := range a.tools {
		if a.tools[i].spec.name == name {
			return &a.tools[i]
		}
	}
	return &a.tools[0]
}

// planFlat plans a single-call trace: steps[0] holds the call.
func (g *gen) planFlat(a *agentRT, m int, oc outcome, incident bool, input, output string) int {
	s := &g.steps[0]
	*s = step{parent: -1, status: model.StatusSuccess, input: input, output: output}
	g.llmCall(s, a, m, a.spec.inTok, a.spec.outTok, incident)
	if oc.status != model.StatusSuccess {
		if oc.errType == errTool {
			oc.errType = errInvalid // a single call has no tools
		}
		g.fail(s, a, oc)
	}
	return 1
}

// planAgent plans a multi-span run: an agent root with guardrail, retrieval (maybe inside a
// chain with an embedding), llm calls and tool calls in sequence. A failure ends the run at
// the failing step.
func (g *gen) planAgent(a *agentRT, main int, oc outcome, incident bool, input, output string, vk *violationKind, meta []byte) int {
	r := g.r
	sp := a.spec
	st := &g.steps
	n := 0
	add := func(kind model.SpanKind, name string, parent int) *step {
		s := &st[n]
		*s = step{kind: kind, name: name, parent: parent, model: -1, status: model.StatusSuccess, gap: 1 + r.Int64N(12), attrs: emptyAttrs}
		n++
		return s
	}
	root := add(model.KindAgent, "", -1) // named by the caller
	root.input, root.output, root.attrs = input, output, meta

	if vk != nil || r.Float64() < sp.guard {
		s := add(model.KindGuardrail, "input_guardrail", 0)
		s.dur = int64(logNormal(r, 35, 0.4)) + 3
		s.input, s.output, s.attrs = input, "pass", a.guardAttrs
		if vk != nil {
			verdict := "flagged"
			switch vk.action {
			case "blocked":
				verdict = "blocked"
			case "redacted":
				verdict = "redacted"
			}
			s.output = verdict + ": " + vk.typ + "." + vk.subtype
			s.attrs = []byte(`{"checks":["pii","toxicity","injection","jailbreak"],"verdict":"` + verdict + `","rule":"` + vk.typ + "." + vk.subtype + `"}`)
			if vk.action == "blocked" {
				// The request never reaches the agent: a cheap call writes the refusal.
				s := add(model.KindLLM, "refuse", 0)
				m := main
				if a.router >= 0 {
					m = a.router
				}
				g.llmCall(s, a, m, 400, 30, incident)
				s.input, s.output = input, refusal
				return g.layout(n)
			}
		}
	}

	if sp.index != "" {
		parent := 0
		if r.IntN(2) == 0 {
			c := add(model.KindChain, "retrieve_context", 0)
			parent = n - 1
			c.input, c.attrs = input, chainAttrs
		}
		if r.Float64() < 0.7 {
			e := add(model.KindEmbedding, "embed_query", parent)
			e.model = g.embedIdx
			e.in, e.hasTok = int64(12+len(input)/4+r.IntN(20)), true
			e.dur = int64(logNormal(r, g.models[e.model].ttft, 0.3)) + 2
			e.input, e.output, e.attrs = input, "[1536 floats]", a.embAttrs
		}
		s := add(model.KindRetrieval, "vector_search", parent)
		s.dur = int64(logNormal(r, 60, 0.5)) + 3
		s.input, s.output, s.attrs = input, sp.docs[r.IntN(len(sp.docs))], a.retrAttrs
		if parent > 0 {
			st[parent].output = s.output
		}
	}

	calls := sp.llmMin + r.IntN(sp.llmMax-sp.llmMin+1)
	prev := input
	nextTool := 0
	for k := range calls {
		name := "respond"
		switch {
		case calls > 1 && k == 0:
			name = "plan"
		case k < calls-1:
			name = "reason"
		}
		s := add(model.KindLLM, name, 0)
		m := main
		if k == 0 && calls > 1 && a.router >= 0 && r.Float64() < 0.35 {
			m = a.router
		}
		outMedian := sp.outTok
		if k < calls-1 {
			outMedian *= 0.4 // plans and tool calls are shorter than the answer
		}
		g.llmCall(s, a, m, sp.inTok*(1+0.35*float64(k)), outMedian, incident)
		s.input = prev
		if k == calls-1 {
			s.output = output
			break
		}
		s.output = sp.plans[min(k, len(sp.plans)-1)]
		prev = s.output
		if len(a.tools) == 0 {
			continue
		}
		nt := 1
		switch x := r.Float64(); {
		case x < 0.05:
			nt = 0
		case x < 0.3:
			nt = 2
		}
		for range nt {
			tool := &a.tools[nextTool%len(a.tools)]
			nextTool++
			t := add(model.KindTool, tool.spec.name, 0)
			t.dur = int64(logNormal(r, tool.spec.medianMs, 0.55)) + 2
			if incident {
				t.dur = int64(float64(t.dur) * incidentLatMul)
			}
			t.input = tool.spec.args[r.IntN(len(tool.spec.args))]
			t.output = tool.spec.results[r.IntN(len(tool.spec.results))]
			t.attrs = tool.attrs
		}
	}
	if r.Float64() < sp.guard*0.5 {
		s := add(model.KindGuardrail, "output_guardrail", 0)
		s.dur = int64(logNormal(r, 40, 0.4)) + 3
		s.input, s.output, s.attrs = output, "pass", a.guardAttrs
	}

	if oc.status != model.StatusSuccess {
		n = g.failAt(n, a, oc)
	}
	return g.layout(n)
}

// failAt picks the failing step for oc, fails it, drops the steps after it and marks the
// root. It returns the new number of steps.
func (g *gen) failAt(n int, a *agentRT, oc outcome) int {
	r := g.r
	st := g.steps[:n]
	wantTool := false
	switch oc.errType {
	case errTool:
		wantTool = true
	case errTimeout:
		wantTool = r.Float64() < 0.3
	}
	count := func(kind model.SpanKind) int {
		c := 0
		for i := range st {
			if st[i].kind == kind {
				c++
			}
		}
		return c
	}
	kind := model.KindLLM
	if wantTool && count(model.KindTool) > 0 {
		kind = model.KindTool
	} else if oc.errType == errTool {
		oc.errType = errInvalid // no tool was called: the model's answer was the problem
	}
	k := r.IntN(count(kind))
	j := 0
	for i := range st {
		if st[i].kind == kind {
			if k == 0 {
				j = i
				break
			}
			k--
		}
	}
	g.fail(&st[j], a, oc)
	st[0].status, st[0].msg, st[0].errType = st[j].status, st[j].msg, st[j].errType
	st[0].output = ""
	return j + 1
}

// layout places the planned steps in time: children of the root one after the other,
// children of a chain one after the other inside it, the root around everything. It returns
// the number of steps and sets the root's duration.
func (g *gen) layout(n int) int {
	r := g.r
	st := g.steps[:n]
	cursor := 2 + r.Int64N(18) // the agent's own setup before the first step
	for i := 1; i < n; i++ {
		s := &st[i]
		if s.parent != 0 {
			continue
		}
		s.off = cursor
		if s.kind == model.KindChain {
			inner := cursor + 1
			for j := i + 1; j < n && st[j].parent == i; j++ {
				st[j].off = inner
				inner += st[j].dur + st[j].gap
			}
			s.dur = inner - cursor
		}
		cursor += s.dur + s.gap
	}
	root := &st[0]
	root.off = 0
	root.dur = cursor + 2 + r.Int64N(20)
	return n
}
