// Package synth generates a believable, deterministic workspace of agent traces, activity
// events and guardrail violations, for demos, dashboards and load tests of the store.
//
// The data follows daily and weekly traffic cycles with gentle growth, users with Zipf-like
// activity grouped in sessions, a mix of models across providers priced from the price
// table, log-normal latencies, a few percent of errors and timeouts, and multi-span agent
// runs next to flat single-call traces. The same seed and config give byte-identical data.
package synth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
)

// Config says how much to generate and where.
type Config struct {
	WorkspaceID string
	Traces      int            // how many traces
	Days        int            // spread over the last Days days ending at End (default 30)
	End         time.Time      // end of the period, usually now; required so that Generate never reads the clock
	Seed        int64          // same seed and config give byte-identical data
	Events      int            // activity events (0: 100, negative: none)
	Violations  int            // guardrail violations (0: 50, negative: none); at most Traces
	BatchSize   int            // traces per WriteTraces call (default 2000)
	Prices      *pricing.Table // prices of llm calls (default pricing.Default())
}

// Defaults of Config.
const (
	DefaultDays       = 30
	DefaultEvents     = 100
	DefaultViolations = 50
	DefaultBatchSize  = 2000
)

// Writer is the part of the store Generate needs.
//
// Generate reuses the memory of each batch (slices, spans, token and cost pointers) for the
// next one, so a Writer must not keep what it is given after the call returns; the store
// does not.
type Writer interface {
	WriteTraces(ctx context.Context, traces []model.Trace) error
	WriteEvents(ctx context.Context, events []model.Event) error
	WriteViolations(ctx context.Context, v []model.Violation) error
}

// Progress is called after each written batch with the traces written so far.
type Progress func(done, total int)

// Summary describes what was generated.
type Summary struct {
	Traces     int
	Spans      int
	Scores     int
	Events     int
	Violations int
	Errors     int // traces with status error
	Timeouts   int // traces with status timeout
	Sessions   int
	Users      int     // distinct users with at least one trace
	Unpriced   int     // llm calls with tokens whose model the price table does not know
	Tokens     int64   // total tokens over all traces
	CostUSD    float64 // total priced cost
	From, To   time.Time
}

// Generate writes cfg.Traces traces in batches, plus the activity events and the guardrail
// violations, and returns what it wrote. Events are written first, violations last (they
// point at generated traces). It stops with ctx's error when ctx is cancelled.
func Generate(ctx context.Context, w Writer, cfg Config, progress Progress) (Summary, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return Summary{}, err
	}
	g := newGen(cfg)
	sum := Summary{From: g.epoch, To: g.end}

	events := g.buildEvents()
	if len(events) > 0 {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := w.WriteEvents(ctx, events); err != nil {
			return sum, fmt.Errorf("synth: cannot write events: %w", err)
		}
		sum.Events = len(events)
	}

	batch := make([]model.Trace, 0, min(cfg.BatchSize, max(cfg.Traces, 1)))
	for done := 0; done < cfg.Traces; {
		if err := ctx.Err(); err != nil {
			g.fill(&sum)
			return sum, err
		}
		g.resetArena()
		n := min(cfg.BatchSize, cfg.Traces-done)
		batch = batch[:n]
		for j := range batch {
			// Checking every few hundred traces keeps cancellation prompt on big batches.
			if j&511 == 511 {
				if err := ctx.Err(); err != nil {
					g.fill(&sum)
					return sum, err
				}
			}
			g.trace(&batch[j], done+j)
		}
		if err := w.WriteTraces(ctx, batch); err != nil {
			g.fill(&sum)
			return sum, fmt.Errorf("synth: cannot write traces %d-%d: %w", done, done+n-1, err)
		}
		done += n
		sum.Traces = done
		if progress != nil {
			progress(done, cfg.Traces)
		}
	}
	g.fill(&sum)

	if len(g.violations) > 0 {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := w.WriteViolations(ctx, g.violations); err != nil {
			return sum, fmt.Errorf("synth: cannot write violations: %w", err)
		}
		sum.Violations = len(g.violations)
	}
	return sum, nil
}

func (c Config) normalize() (Config, error) {
	switch {
	case c.WorkspaceID == "":
		return c, errors.New("synth: WorkspaceID is required")
	case c.Traces < 0:
		return c, errors.New("synth: Traces must be >= 0")
	case c.End.IsZero():
		return c, errors.New("synth: End is required")
	case c.Days < 0 || c.Days > 3660:
		return c, errors.New("synth: Days must be between 0 and 3660")
	}
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	switch {
	case c.Events == 0:
		c.Events = DefaultEvents
	case c.Events < 0:
		c.Events = 0
	}
	switch {
	case c.Violations == 0:
		c.Violations = DefaultViolations
	case c.Violations < 0:
		c.Violations = 0
	}
	c.Violations = min(c.Violations, c.Traces)
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Prices == nil {
		c.Prices = pricing.Default()
	}
	return c, nil
}

// Independent random streams, so that, say, more events do not reshuffle the traces.
const (
	streamTraces uint64 = iota + 1
	streamEvents
	streamTraffic
	streamViolations
	streamUsers
)

const (
	numUsers      = 400
	sessionExpiry = 30 * 60 * 1000 // ms without activity after which a session is over
	maxSteps      = 48
	msPerDay      = 24 * 60 * 60 * 1000
)

// gen holds the state of one Generate call.
type gen struct {
	cfg    Config
	r      *rand.Rand
	prices *pricing.Table
	ws     string

	end      time.Time
	epoch    time.Time // start of the period; times inside are kept as ms since epoch
	windowMs int64
	keyA     uint64 // id derivation keys
	keyB     uint64

	models   []modelRT
	embedIdx int
	agents   []agentRT
	newCum   []float64 // agent choice for a new session

	users    []userRT
	userCum  []float64
	seenUser []bool

	arr   arrivals
	slots []slot

	vioAt      []int // sorted trace numbers that carry a violation
	vioNext    int
	vioKinds   []float64
	vioR       *rand.Rand
	violations []model.Violation

	steps [maxSteps]step
	idBuf [32 + 16*maxSteps]byte

	spans  chunk[model.Span]
	ints   chunk[int64]
	floats chunk[float64]
	scores chunk[model.Score]

	sessions, spanCount, scoreCount, errors, timeouts, unpriced int
	tokens                                                      int64
	cost                                                        float64
}

type modelRT struct {
	name, provider string
	known          bool
	cacheable      bool // the table has a cached-input price, so prompt caching is worth showing
	ttft, tps      float64
	reason         float64
	errMul         float64
	rateMsg        string
	ctxMsg         string
}

type userRT struct {
	id      string
	region  int
	staging bool // an internal tester: traffic tagged env:staging
}

type slot struct {
	user    int
	agent   int
	session string
	last    int64
	left    int
}

func newGen(cfg Config) *gen {
	seed := uint64(cfg.Seed)
	end := cfg.End.UTC().Truncate(time.Millisecond)
	windowMs := int64(cfg.Days) * msPerDay
	g := &gen{
		cfg:      cfg,
		r:        rand.New(rand.NewPCG(seed, streamTraces)),
		prices:   cfg.Prices,
		ws:       cfg.WorkspaceID,
		end:      end,
		epoch:    time.UnixMilli(end.UnixMilli() - windowMs).UTC(),
		windowMs: windowMs,
		keyA:     mix64(seed ^ 0x243f6a8885a308d3),
		keyB:     mix64(seed ^ 0x13198a2e03707344),
	}
	g.initModels()
	g.embedIdx = g.modelIndex(embeddingModel)
	g.initAgents()
	g.initUsers(rand.New(rand.NewPCG(seed, streamUsers)))
	g.arr.init(g, rand.New(rand.NewPCG(seed, streamTraffic)), cfg.Traces)

	// Enough concurrent sessions that a session's next trace comes a few minutes later.
	perMin := float64(cfg.Traces) / float64(cfg.Days*24*60)
	g.slots = make([]slot, max(1, min(4096, int(perMin*4))))

	g.vioR = rand.New(rand.NewPCG(seed, streamViolations))
	g.vioAt = pickDistinct(g.vioR, cfg.Traces, cfg.Violations)
	for _, k := range violationKinds {
		g.vioKinds = append(g.vioKinds, k.weight)
	}
	g.vioKinds = cumulative(g.vioKinds)

	per := max(cfg.BatchSize, 1)
	g.spans.buf = make([]model.Span, 0, per*8)
	g.ints.buf = make([]int64, 0, per*40)
	g.floats.buf = make([]float64, 0, per*8)
	g.scores.buf = make([]model.Score, 0, per/4+16)
	return g
}

func (g *gen) initModels() {
	g.models = make([]modelRT, len(models))
	for i, s := range models {
		m := modelRT{name: s.name, provider: s.provider, ttft: s.ttftMs, tps: s.tps, reason: s.reason, errMul: s.errMul}
		if p, ok := g.prices.Lookup(s.name); ok {
			m.known = true
			m.provider = p.Provider
			m.cacheable = p.CachedInputPerMTok != nil
		}
		m.rateMsg = providerRateLimit(m.provider, s.name)
		m.ctxMsg = contextLengthMessage(s.name)
		g.models[i] = m
	}
}

func (g *gen) modelIndex(name string) int {
	for i := range g.models {
		if g.models[i].name == name {
			return i
		}
	}
	panic("synth: model " + name + " is not in the catalog")
}

func (g *gen) initUsers(r *rand.Rand) {
	g.users = make([]userRT, numUsers)
	g.seenUser = make([]bool, numUsers)
	w := make([]float64, numUsers)
	regionCum := make([]float64, len(regions))
	for i, reg := range regions {
		regionCum[i] = reg.weight
	}
	regionCum = cumulative(regionCum)
	for i := range g.users {
		var b [16]byte
		hex16(b[:], mix64(uint64(i)^g.keyB))
		g.users[i] = userRT{
			id:      "usr_" + string(b[:12]),
			region:  pick(r, regionCum),
			staging: i >= 8 && r.IntN(25) == 0,
		}
		w[i] = 1 / math.Pow(float64(i+1), 1.1)
	}
	g.userCum = cumulative(w)
}

func (g *gen) fill(s *Summary) {
	s.Spans = g.spanCount
	s.Scores = g.scoreCount
	s.Errors = g.errors
	s.Timeouts = g.timeouts
	s.Sessions = g.sessions
	s.Unpriced = g.unpriced
	s.Tokens = g.tokens
	s.CostUSD = g.cost
	s.Users = 0
	for _, seen := range g.seenUser {
		if seen {
			s.Users++
		}
	}
}

// chunk hands out slices of a reusable buffer. A slice handed out stays valid when the
// buffer grows (a new buffer is started), so pointers into it are stable within a batch.
type chunk[T any] struct {
	buf  []T
	used int
}

func (c *chunk[T]) take(n int) []T {
	if len(c.buf)+n > cap(c.buf) {
		c.buf = make([]T, 0, max(2*cap(c.buf), n, 1024))
	}
	start := len(c.buf)
	c.buf = c.buf[:start+n]
	c.used += n
	return c.buf[start : start+n : start+n]
}

// reset starts a new batch, sizing the buffer to the last batch's need.
func (c *chunk[T]) reset() {
	if c.used > cap(c.buf) {
		c.buf = make([]T, 0, c.used+c.used/8)
	} else {
		c.buf = c.buf[:0]
	}
	c.used = 0
}

func (g *gen) resetArena() {
	g.spans.reset()
	g.ints.reset()
	g.floats.reset()
	g.scores.reset()
}

func (g *gen) i64(v int64) *int64 {
	s := g.ints.take(1)
	s[0] = v
	return &s[0]
}

func (g *gen) f64(v float64) *float64 {
	s := g.floats.take(1)
	s[0] = v
	return &s[0]
}

// mix64 is the splitmix64 finaliser: a bijection, so distinct inputs give distinct ids.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

const hexDigits = "0123456789abcdef"

func hex16(dst []byte, v uint64) {
	for i := 15; i >= 0; i-- {
		dst[i] = hexDigits[v&15]
		v >>= 4
	}
}

// cumulative turns weights into a running sum, in place.
func cumulative(w []float64) []float64 {
	var s float64
	for i := range w {
		s += w[i]
		w[i] = s
	}
	return w
}

// pick draws an index from cumulative weights.
func pick(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// logNormal draws around median with the given spread of the logarithm.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// pickDistinct returns k distinct numbers of [0, n), sorted (Floyd's algorithm).
func pickDistinct(r *rand.Rand, n, k int) []int {
	if k <= 0 || n <= 0 {
		return nil
	}
	seen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for j := n - k; j < n; j++ {
		t := r.IntN(j + 1)
		if seen[t] {
			t = j
		}
		seen[t] = true
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
