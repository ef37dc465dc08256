package synth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const testWS = "11111111-1111-4111-8111-111111111111"

var testEnd = time.Date(2026, 11, 27, 15, 4, 5, 123456789, time.UTC)

func cfg(traces int, seed int64) Config {
	return Config{WorkspaceID: testWS, Traces: traces, Days: 14, End: testEnd, Seed: seed}
}

// collector keeps deep copies of what it is given: Generate reuses batch memory.
type collector struct {
	traces     []model.Trace
	events     []model.Event
	violations []model.Violation
	batches    []int
}

func (c *collector) WriteTraces(_ context.Context, ts []model.Trace) error {
	c.batches = append(c.batches, len(ts))
	for i := range ts {
		c.traces = append(c.traces, cloneTrace(&ts[i]))
	}
	return nil
}

func (c *collector) WriteEvents(_ context.Context, e []model.Event) error {
	c.events = append(c.events, e...)
	return nil
}

func (c *collector) WriteViolations(_ context.Context, v []model.Violation) error {
	c.violations = append(c.violations, v...)
	return nil
}

func cloneInt(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneTrace(t *model.Trace) model.Trace {
	c := *t
	c.TokensInput, c.TokensOutput, c.TokensCached, c.TokensTotal, c.CostUSD = cloneInt(t.TokensInput), cloneInt(t.TokensOutput), cloneInt(t.TokensCached), cloneInt(t.TokensTotal), cloneFloat(t.CostUSD)
	d := &c.Declared
	d.LatencyMs, d.TokensInput, d.TokensOutput, d.TokensCached, d.TokensTotal, d.CostUSD = cloneInt(d.LatencyMs), cloneInt(d.TokensInput), cloneInt(d.TokensOutput), cloneInt(d.TokensCached), cloneInt(d.TokensTotal), cloneFloat(d.CostUSD)
	c.Tags = slices.Clone(t.Tags)
	c.Metadata = slices.Clone(t.Metadata)
	c.Scores = slices.Clone(t.Scores)
	c.Spans = make([]model.Span, len(t.Spans))
	for i, s := range t.Spans {
		s.TokensInput, s.TokensOutput, s.TokensCached, s.TokensTotal, s.CostUSD = cloneInt(s.TokensInput), cloneInt(s.TokensOutput), cloneInt(s.TokensCached), cloneInt(s.TokensTotal), cloneFloat(s.CostUSD)
		s.Attributes = slices.Clone(s.Attributes)
		c.Spans[i] = s
	}
	if t.Spans == nil {
		c.Spans = nil
	}
	return c
}

func run(t testing.TB, c Config) (*collector, Summary) {
	t.Helper()
	col := &collector{}
	sum, err := Generate(context.Background(), col, c, nil)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return col, sum
}

// digest hashes everything written, Declared included (it is not in the JSON form).
func digest(t *testing.T, c *collector) [32]byte {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for i := range c.traces {
		if err := enc.Encode(&c.traces[i]); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(c.traces[i].Declared); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Encode(c.events); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(c.violations); err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func TestDeterministic(t *testing.T) {
	a, _ := run(t, cfg(3000, 7))
	b, _ := run(t, cfg(3000, 7))
	if digest(t, a) != digest(t, b) {
		t.Fatal("same seed and config gave different data")
	}
	// The batch size only changes how the stream is cut.
	c := cfg(3000, 7)
	c.BatchSize = 128
	small, _ := run(t, c)
	if digest(t, a) != digest(t, small) {
		t.Error("batch size changed the data")
	}
	other, _ := run(t, cfg(3000, 8))
	if digest(t, a) == digest(t, other) {
		t.Fatal("different seeds gave the same data")
	}
	if a.traces[0].TraceID[16:] == other.traces[0].TraceID[16:] {
		t.Error("trace ids do not depend on the seed")
	}
}

func TestCounts(t *testing.T) {
	c := cfg(2500, 1)
	c.BatchSize = 1000
	col := &collector{}
	var calls [][2]int
	sum, err := Generate(context.Background(), col, c, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if len(col.traces) != 2500 || sum.Traces != 2500 {
		t.Fatalf("traces = %d, summary %d; want 2500", len(col.traces), sum.Traces)
	}
	if !slices.Equal(col.batches, []int{1000, 1000, 500}) {
		t.Errorf("batches = %v", col.batches)
	}
	if want := [][2]int{{1000, 2500}, {2000, 2500}, {2500, 2500}}; !slices.Equal(calls, want) {
		t.Errorf("progress calls = %v, want %v", calls, want)
	}
	if len(col.events) != DefaultEvents || sum.Events != DefaultEvents {
		t.Errorf("events = %d (summary %d), want %d", len(col.events), sum.Events, DefaultEvents)
	}
	if len(col.violations) != DefaultViolations || sum.Violations != DefaultViolations {
		t.Errorf("violations = %d (summary %d), want %d", len(col.violations), sum.Violations, DefaultViolations)
	}

	byID := map[string]*model.Trace{}
	agentsSeen := map[string]int{}
	spans, scores, errs, timeouts := 0, 0, 0, 0
	for i := range col.traces {
		tr := &col.traces[i]
		if byID[tr.TraceID] != nil {
			t.Fatalf("duplicate trace id %s", tr.TraceID)
		}
		byID[tr.TraceID] = tr
		agentsSeen[tr.AgentID]++
		spans += len(tr.Spans)
		scores += len(tr.Scores)
		switch tr.Status {
		case model.StatusError:
			errs++
		case model.StatusTimeout:
			timeouts++
		}
	}
	if sum.Spans != spans || sum.Scores != scores || sum.Errors != errs || sum.Timeouts != timeouts {
		t.Errorf("summary %+v disagrees with data: spans=%d scores=%d errors=%d timeouts=%d", sum, spans, scores, errs, timeouts)
	}
	if len(agentsSeen) != len(agents) {
		t.Errorf("agents seen: %v", agentsSeen)
	}
	if share := float64(scores) / 2500; share < 0.05 || share > 0.18 {
		t.Errorf("scores per trace = %.3f, want about 0.1", share)
	}
	if sum.Users < 100 || sum.Users > numUsers || sum.Sessions >= 2500 || sum.Sessions < 300 {
		t.Errorf("users=%d sessions=%d", sum.Users, sum.Sessions)
	}

	for _, v := range col.violations {
		tr := byID[v.TraceID]
		if tr == nil {
			t.Fatalf("violation %s points at unknown trace %s", v.ID, v.TraceID)
		}
		if v.AgentID != tr.AgentID || v.WorkspaceID != testWS {
			t.Errorf("violation %s: agent %s, trace agent %s", v.ID, v.AgentID, tr.AgentID)
		}
		if v.Time.Before(tr.StartTime) || v.Time.After(tr.EndTime) {
			t.Errorf("violation %s at %v outside its trace %v..%v", v.ID, v.Time, tr.StartTime, tr.EndTime)
		}
		if v.Type == "" || v.Subtype == "" || v.Severity == "" || v.Action == "" || v.Detail == "" {
			t.Errorf("violation incomplete: %+v", v)
		}
		if !slices.Contains(violationAgents, v.AgentID) {
			t.Errorf("violation %s/%s on %s, which does not talk to people", v.Type, v.Subtype, v.AgentID)
		}
		if (v.Action == "blocked") != (tr.Output == refusal) || tr.Status != model.StatusSuccess {
			t.Errorf("violation %s (%s) on trace with output %q, status %s", v.ID, v.Action, tr.Output, tr.Status)
		}
	}
	types := map[string]int{}
	for i, e := range col.events {
		types[e.Type]++
		if i > 0 && e.Time.Before(col.events[i-1].Time) {
			t.Errorf("events out of order at %d", i)
		}
		var d map[string]any
		if err := json.Unmarshal(e.Details, &d); err != nil || e.Title == "" || e.AgentID == "" || e.ID == "" {
			t.Errorf("event %+v: %v", e, err)
		}
		if e.Time.Before(testEnd.Add(-14*24*time.Hour)) || e.Time.After(testEnd) {
			t.Errorf("event %s at %v outside the period", e.ID, e.Time)
		}
	}
	if types["deployment"] != 40 || types["config_change"] != 20 || types["model_switch"] != 10 || types["incident"] != 15 || types["budget_warning"] != 15 {
		t.Errorf("event types = %v", types)
	}
}

func TestEventsAndViolationsOptional(t *testing.T) {
	c := cfg(30, 3)
	c.Events, c.Violations = -1, 100 // violations are capped at one per trace
	col, sum := run(t, c)
	if len(col.events) != 0 || len(col.violations) != 30 || sum.Violations != 30 {
		t.Errorf("events=%d violations=%d", len(col.events), len(col.violations))
	}
	col, _ = run(t, cfg(0, 3))
	if len(col.traces) != 0 || len(col.violations) != 0 || len(col.events) != DefaultEvents {
		t.Errorf("no traces: traces=%d violations=%d events=%d", len(col.traces), len(col.violations), len(col.events))
	}
}

func TestErrorsAndTimeouts(t *testing.T) {
	col, sum := run(t, cfg(20000, 11))
	failed := sum.Errors + sum.Timeouts
	share := float64(failed) / 20000
	if share < 0.02 || share > 0.06 {
		t.Fatalf("error+timeout share = %.4f (errors %d, timeouts %d), want 2-6 %%", share, sum.Errors, sum.Timeouts)
	}
	if sum.Errors == 0 || sum.Timeouts == 0 {
		t.Fatalf("errors=%d timeouts=%d, want both", sum.Errors, sum.Timeouts)
	}
	types := map[string]int{}
	var okLat, toLat []int64
	for i := range col.traces {
		tr := &col.traces[i]
		switch tr.Status {
		case model.StatusSuccess:
			if tr.ErrorType != "" || tr.ErrorMessage != "" {
				t.Fatalf("successful trace with error %q", tr.ErrorType)
			}
			okLat = append(okLat, tr.LatencyMs)
		case model.StatusTimeout:
			if tr.ErrorType != errTimeout || tr.LatencyMs < 5000 {
				t.Errorf("timeout %s: type %q latency %d ms", tr.TraceID, tr.ErrorType, tr.LatencyMs)
			}
			toLat = append(toLat, tr.LatencyMs)
		case model.StatusError:
			if tr.ErrorType == "" || tr.ErrorMessage == "" || tr.ErrorType == errTimeout {
				t.Errorf("error trace %s: type %q message %q", tr.TraceID, tr.ErrorType, tr.ErrorMessage)
			}
		}
		types[tr.ErrorType]++
		if tr.Declared.Status != tr.Status {
			t.Fatalf("declared status %s, status %s", tr.Declared.Status, tr.Status)
		}
		if len(tr.Spans) > 0 && tr.Status.Failed() && tr.ErrorSpanCount == 0 {
			t.Errorf("failed span trace %s has no failed span", tr.TraceID)
		}
	}
	for _, et := range []string{errRateLimit, errContextLength, errTool, errTimeout, errInvalid, errContentFilter} {
		if types[et] == 0 {
			t.Errorf("no %s errors: %v", et, types)
		}
	}
	slices.Sort(okLat)
	slices.Sort(toLat)
	if toLat[len(toLat)/2] < 4*okLat[len(okLat)/2] {
		t.Errorf("median timeout latency %d ms is not long next to %d ms", toLat[len(toLat)/2], okLat[len(okLat)/2])
	}
}

func TestTimesAndDailyCycle(t *testing.T) {
	col, sum := run(t, cfg(20000, 5))
	from, to := testEnd.Truncate(time.Millisecond).Add(-14*24*time.Hour), testEnd
	if !sum.From.Equal(from) || sum.To.After(to) {
		t.Errorf("summary period %v..%v", sum.From, sum.To)
	}
	var perHour [24]int
	var perDay [14]int
	late := 0
	for i := range col.traces {
		tr := &col.traces[i]
		if tr.StartTime.Before(from) || tr.EndTime.After(to) {
			t.Fatalf("trace %s %v..%v outside %v..%v", tr.TraceID, tr.StartTime, tr.EndTime, from, to)
		}
		if i > 0 && tr.StartTime.Before(col.traces[i-1].StartTime) {
			late++ // only traces pulled back from the end of the period
		}
		if tr.StartTime.Location() != time.UTC {
			t.Fatalf("start time not in UTC: %v", tr.StartTime.Location())
		}
		perHour[tr.StartTime.Hour()]++
		perDay[int(tr.StartTime.Sub(from)/(24*time.Hour))]++
	}
	if late > 5 {
		t.Errorf("%d traces out of time order", late)
	}
	work := float64(sum9to17(perHour)) / 8
	night := float64(perHour[0]+perHour[1]+perHour[2]+perHour[3]+perHour[4]+perHour[5]) / 6
	if work < 2*night {
		t.Errorf("working hours %.0f/h vs night %.0f/h: no daily cycle (%v)", work, night, perHour)
	}
	// The last week is busier than the first (growth), weekends quieter.
	first, last := 0, 0
	for d := range 7 {
		first += perDay[d]
		last += perDay[7+d]
	}
	if last <= first {
		t.Errorf("no growth: first week %d, last week %d", first, last)
	}
}

func sum9to17(h [24]int) int {
	s := 0
	for i := 9; i < 17; i++ {
		s += h[i]
	}
	return s
}

func TestSpansConsistent(t *testing.T) {
	col, _ := run(t, cfg(5000, 21))
	flat, nested := 0, 0
	kinds := map[model.SpanKind]int{}
	for i := range col.traces {
		tr := &col.traces[i]
		if tr.WorkspaceID != testWS || tr.AgentID == "" || tr.Name == "" || tr.UserID == "" || tr.SessionID == "" ||
			tr.Input == "" || tr.Model == "" || tr.Provider == "" || len(tr.Tags) == 0 || tr.Declared.LatencyMs == nil {
			t.Fatalf("incomplete trace %+v", tr)
		}
		var meta map[string]any
		if err := json.Unmarshal(tr.Metadata, &meta); err != nil || meta["release"] == nil || meta["region"] == nil {
			t.Fatalf("metadata %s: %v", tr.Metadata, err)
		}
		if len(tr.Input) > 300 || len(tr.Output) > 300 {
			t.Errorf("texts too long: %d/%d bytes", len(tr.Input), len(tr.Output))
		}
		for _, sc := range tr.Scores {
			if sc.TraceID != tr.TraceID || sc.CreatedAt.Before(tr.EndTime) || sc.CreatedAt.After(testEnd) {
				t.Errorf("score %+v of trace ending %v", sc, tr.EndTime)
			}
		}
		// The rolled-up fields must be what the store computes from Declared and the spans.
		rolled := cloneTrace(tr)
		model.RollUp(&rolled, rolled.Spans)
		if !sameTotals(tr, &rolled) {
			t.Fatalf("trace %s totals differ from model.RollUp:\n got %s\nwant %s", tr.TraceID, totals(tr), totals(&rolled))
		}
		if len(tr.Spans) == 0 {
			flat++
			continue
		}
		nested++
		byID := map[string]*model.Span{}
		roots := 0
		for j := range tr.Spans {
			s := &tr.Spans[j]
			byID[s.SpanID] = s
			kinds[s.Kind]++
			if s.ParentSpanID == "" {
				roots++
			}
		}
		if roots != 1 || tr.Spans[0].Kind != model.KindAgent || tr.Spans[0].ParentSpanID != "" {
			t.Fatalf("trace %s: %d roots, first span %s", tr.TraceID, roots, tr.Spans[0].Kind)
		}
		if len(byID) != len(tr.Spans) {
			t.Fatalf("trace %s: duplicate span ids", tr.TraceID)
		}
		for j := range tr.Spans {
			s := &tr.Spans[j]
			if s.TraceID != tr.TraceID || s.WorkspaceID != testWS || !s.Kind.Valid() || !s.Status.Valid() || len(s.Attributes) == 0 {
				t.Fatalf("span %+v", s)
			}
			if s.StartTime.Before(tr.StartTime) || s.EndTime.After(tr.EndTime) || s.EndTime.Before(s.StartTime) {
				t.Fatalf("span %s %v..%v outside trace %v..%v", s.Name, s.StartTime, s.EndTime, tr.StartTime, tr.EndTime)
			}
			if s.EndTime.Sub(s.StartTime).Milliseconds() != s.LatencyMs {
				t.Fatalf("span %s latency %d, times %v", s.Name, s.LatencyMs, s.EndTime.Sub(s.StartTime))
			}
			if s.ParentSpanID != "" {
				p := byID[s.ParentSpanID]
				if p == nil {
					t.Fatalf("span %s: parent %s missing", s.SpanID, s.ParentSpanID)
				}
				if s.StartTime.Before(p.StartTime) || s.EndTime.After(p.EndTime) {
					t.Fatalf("span %s not inside its parent %s", s.Name, p.Name)
				}
			}
			var attrs map[string]any
			if err := json.Unmarshal(s.Attributes, &attrs); err != nil {
				t.Fatalf("attributes %s: %v", s.Attributes, err)
			}
		}
		if tr.Status == model.StatusSuccess && tr.ErrorSpanCount > 0 {
			t.Errorf("successful trace %s has failed spans", tr.TraceID)
		}
	}
	if flat < 500 || nested < 2500 {
		t.Errorf("flat=%d nested=%d", flat, nested)
	}
	for _, k := range []model.SpanKind{model.KindAgent, model.KindLLM, model.KindTool, model.KindRetrieval, model.KindEmbedding, model.KindGuardrail, model.KindChain} {
		if kinds[k] == 0 {
			t.Errorf("no %s spans: %v", k, kinds)
		}
	}
}

func totals(t *model.Trace) string {
	b, _ := json.Marshal(struct {
		Status                    model.Status
		End                       time.Time
		Latency                   int64
		Spans, Errors             int64
		In, Out, Cached, TotalTok *int64
		Cost                      *float64
		Model, Provider           string
	}{t.Status, t.EndTime, t.LatencyMs, t.SpanCount, t.ErrorSpanCount, t.TokensInput, t.TokensOutput, t.TokensCached, t.TokensTotal, t.CostUSD, t.Model, t.Provider})
	return string(b)
}

func sameTotals(a, b *model.Trace) bool { return totals(a) == totals(b) }

func TestPricing(t *testing.T) {
	col, sum := run(t, cfg(10000, 31))
	prices := pricing.Default()
	var llm, unknown, cached, withCost int
	providers := map[string]bool{}
	check := func(name, modelName string, in, out, cachedTok *int64, cost *float64) {
		if in == nil {
			if cost != nil {
				t.Fatalf("%s: cost without tokens", name)
			}
			return
		}
		llm++
		providers[prices.ProviderOf(modelName)] = true
		var c int64
		if cachedTok != nil {
			c = *cachedTok
			if c > 0 {
				cached++
			}
			if c > *in {
				t.Fatalf("%s: cached %d > input %d", name, c, *in)
			}
		}
		want, ok := prices.Cost(modelName, *in, *out, c)
		_, known := prices.Lookup(modelName)
		switch {
		case known != ok:
			t.Fatalf("Lookup and Cost disagree on %s", modelName)
		case !ok && cost != nil:
			t.Fatalf("%s: unknown model %s has cost %v", name, modelName, *cost)
		case !ok:
			unknown++
		case cost == nil || *cost != want:
			t.Fatalf("%s: %s cost %v, want %v", name, modelName, cost, want)
		default:
			withCost++
		}
	}
	var total float64
	for i := range col.traces {
		tr := &col.traces[i]
		if len(tr.Spans) == 0 {
			check(tr.TraceID, tr.Model, tr.TokensInput, tr.TokensOutput, tr.TokensCached, tr.CostUSD)
		}
		for j := range tr.Spans {
			s := &tr.Spans[j]
			switch s.Kind {
			case model.KindLLM, model.KindEmbedding:
				check(s.Name, s.Model, s.TokensInput, s.TokensOutput, s.TokensCached, s.CostUSD)
				if s.Provider == "" || s.Model == "" {
					t.Fatalf("llm span without model or provider: %+v", s)
				}
			default:
				if s.Model != "" || s.TokensInput != nil || s.CostUSD != nil {
					t.Fatalf("%s span with a model or tokens", s.Kind)
				}
			}
		}
		if tr.CostUSD != nil {
			total += *tr.CostUSD
		}
	}
	if share := float64(unknown) / float64(llm); share < 0.002 || share > 0.03 {
		t.Errorf("unknown-model calls = %.4f of %d, want about 1 %%", share, llm)
	}
	if unknown != sum.Unpriced {
		t.Errorf("summary unpriced %d, counted %d", sum.Unpriced, unknown)
	}
	if float64(cached)/float64(llm) < 0.05 {
		t.Errorf("only %d of %d calls hit the cache", cached, llm)
	}
	for _, p := range []string{"openai", "anthropic", "google", "mistral", "together", "groq", "deepseek"} {
		if !providers[p] {
			t.Errorf("no calls priced at %s: %v", p, providers)
		}
	}
	if math.Abs(total-sum.CostUSD) > 1e-6*total || total <= 0 {
		t.Errorf("summary cost %v, traces sum %v", sum.CostUSD, total)
	}
	for _, m := range models {
		if _, ok := prices.Lookup(m.name); !ok && m.provider != "self-hosted" && m.provider != "vllm" && m.name[:3] != "ft:" {
			t.Errorf("catalog model %s is not in the price table", m.name)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := cfg(100000, 1)
	c.BatchSize = 1000
	col := &collector{}
	sum, err := Generate(ctx, col, c, func(done, total int) {
		if done >= 3000 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sum.Traces != 3000 || len(col.traces) != 3000 || len(col.violations) != 0 {
		t.Errorf("after cancel: summary %d, written %d, violations %d", sum.Traces, len(col.traces), len(col.violations))
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Traces: 1, End: testEnd},
		{WorkspaceID: testWS, Traces: 1},
		{WorkspaceID: testWS, Traces: -1, End: testEnd},
		{WorkspaceID: testWS, Traces: 1, End: testEnd, Days: -2},
	} {
		if _, err := Generate(context.Background(), &collector{}, c, nil); err == nil {
			t.Errorf("Generate(%+v) succeeded", c)
		}
	}
}

func TestDuckDB(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "agentobs.duckdb"), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := cfg(5000, 42)
	c.BatchSize = 2500
	col := &collector{}
	sum, err := Generate(ctx, tee{s, col}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CountTraces(ctx, testWS)
	if err != nil || n != 5000 {
		t.Fatalf("CountTraces = %d, %v", n, err)
	}
	events, err := s.ListEvents(ctx, testWS, 1000)
	if err != nil || len(events) != sum.Events {
		t.Errorf("ListEvents = %d, %v; want %d", len(events), err, sum.Events)
	}
	vs, err := s.ListViolations(ctx, testWS, 1000)
	if err != nil || len(vs) != sum.Violations {
		t.Errorf("ListViolations = %d, %v; want %d", len(vs), err, sum.Violations)
	}
	agentsList, err := s.ListAgents(ctx, testWS)
	if err != nil || len(agentsList) != len(agents) {
		t.Errorf("ListAgents = %d, %v", len(agentsList), err)
	}

	// One trace with spans and scores, one flat: read back as the store rolled them up.
	var nested, flat *model.Trace
	for i := range col.traces {
		tr := &col.traces[i]
		if nested == nil && len(tr.Spans) > 3 && len(tr.Scores) > 0 {
			nested = tr
		}
		if flat == nil && len(tr.Spans) == 0 && tr.CostUSD != nil {
			flat = tr
		}
	}
	for _, want := range []*model.Trace{nested, flat} {
		if want == nil {
			t.Fatal("no trace of the wanted shape")
		}
		got, err := s.GetTrace(ctx, testWS, want.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if totals(got) != totals(want) {
			t.Errorf("trace %s read back:\n got %s\nwant %s", want.TraceID, totals(got), totals(want))
		}
		if !got.StartTime.Equal(want.StartTime) || got.Input != want.Input || got.UserID != want.UserID || len(got.Scores) != len(want.Scores) {
			t.Errorf("trace %s fields lost: %+v", want.TraceID, got)
		}
		if len(want.Spans) > 0 && len(got.Spans) != len(want.Spans) {
			t.Errorf("trace %s: %d spans read back, want %d", want.TraceID, len(got.Spans), len(want.Spans))
		}
	}
}

// tee writes to the store and keeps copies for comparison.
type tee struct {
	w   Writer
	col *collector
}

func (t tee) WriteTraces(ctx context.Context, ts []model.Trace) error {
	if err := t.w.WriteTraces(ctx, ts); err != nil {
		return err
	}
	return t.col.WriteTraces(ctx, ts)
}

func (t tee) WriteEvents(ctx context.Context, e []model.Event) error {
	return t.w.WriteEvents(ctx, e)
}

func (t tee) WriteViolations(ctx context.Context, v []model.Violation) error {
	return t.w.WriteViolations(ctx, v)
}

type discard struct{}

func (discard) WriteTraces(context.Context, []model.Trace) error         { return nil }
func (discard) WriteEvents(context.Context, []model.Event) error         { return nil }
func (discard) WriteViolations(context.Context, []model.Violation) error { return nil }

func BenchmarkGenerate(b *testing.B) {
	const n = 200000
	c := Config{WorkspaceID: testWS, Traces: n, Days: 30, End: testEnd, Seed: 1}
	b.ReportAllocs()
	var spans int
	for b.Loop() {
		sum, err := Generate(context.Background(), discard{}, c, nil)
		if err != nil {
			b.Fatal(err)
		}
		spans = sum.Spans
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "traces/s")
	b.ReportMetric(float64(spans*b.N)/secs, "spans/s")
}
