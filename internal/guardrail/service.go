package guardrail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
	"golang.org/x/sync/semaphore"
)

// Store is what the service needs of the store.
type Store interface {
	GuardrailRules(ctx context.Context, workspaceID string) ([]model.GuardrailRule, error)
	GuardrailSettings(ctx context.Context, workspaceID string) (*model.GuardrailSettings, error)
	WriteViolations(ctx context.Context, violations []model.Violation) error
}

// DefaultActions apply to a workspace that never saved its settings: every detector flags,
// nothing is changed before storage.
var DefaultActions = map[string]string{
	string(CategoryPII): ActionFlag, string(CategorySecret): ActionFlag,
	string(CategoryInjection): ActionFlag, string(CategoryToxicity): ActionFlag,
}

// Config builds a Service.
type Config struct {
	Scanner *Scanner
	Store   Store
	Log     *slog.Logger
	// SettingsTTL bounds how long a process uses a workspace's settings and rules before
	// reading them again (other processes change them in scale-out).
	SettingsTTL time.Duration
	// QueueTraces bounds the traces waiting for the background scan (default 20,000, a few
	// tens of MB of text); when it is full the commit hook waits, which slows consumption
	// rather than losing violations or holding an unbounded backlog in memory.
	QueueTraces int
	// SecondOpinion, when set, has an LLM judge review uncertain classifier verdicts.
	SecondOpinion *SecondOpinion
	Now           func() time.Time
	// OnViolations, when set, hears the violations of the background scan once they are
	// stored (the live updates of the Safety page).
	OnViolations func([]model.Violation)
}

// Service applies a workspace's guardrail settings: synchronous checks, redaction before
// storage and the background scan of committed traces.
type Service struct {
	cfg   Config
	mu    sync.Mutex
	cache map[string]policyEntry
	jobs  chan scanBatch
	// queued counts the traces in jobs; stopped ends waits for room in it.
	queued  *semaphore.Weighted
	stopped context.Context
	halt    context.CancelFunc
	done    chan struct{}
	stop    sync.Once
	// reviews is nil unless a second opinion is configured.
	reviews *secondOpinions
}

// Policy is a workspace's settings and compiled rules.
type Policy struct {
	Actions map[Category]string
	Rules   []Rule
	// categories are the keys of Actions: what the background scan looks for.
	categories map[Category]bool
	// redactCategories and redactRules are what ingestion redacts (custom among the
	// categories when a rule redacts), worked out once per policy rather than per trace.
	redactCategories map[Category]bool
	redactRules      []Rule
}

// prepareRedaction fills the policy's redaction fields from its actions and rules.
func (p *Policy) prepareRedaction() {
	p.redactCategories = map[Category]bool{}
	for c, a := range p.Actions {
		if ActionRank(a) >= ActionRank(ActionRedact) {
			p.redactCategories[c] = true
		}
	}
	for _, r := range p.Rules {
		if ActionRank(r.Action) >= ActionRank(ActionRedact) {
			p.redactRules = append(p.redactRules, r)
		}
	}
	if len(p.redactRules) > 0 {
		p.redactCategories[CategoryCustom] = true
	}
}

type policyEntry struct {
	p       *Policy
	expires time.Time
}

// NewService builds the service; Start runs its background scanner.
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SettingsTTL == 0 {
		cfg.SettingsTTL = 5 * time.Second
	}
	if cfg.QueueTraces == 0 {
		cfg.QueueTraces = 20000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	stopped, halt := context.WithCancel(context.Background())
	return &Service{cfg: cfg, cache: map[string]policyEntry{}, done: make(chan struct{}),
		// Every batch holds at least one trace, so the channel never fills before the count.
		jobs: make(chan scanBatch, cfg.QueueTraces), queued: semaphore.NewWeighted(int64(cfg.QueueTraces)),
		stopped: stopped, halt: halt, reviews: newSecondOpinions(cfg.SecondOpinion)}
}

// Scanner is the service's scanner.
func (s *Service) Scanner() *Scanner { return s.cfg.Scanner }

// Invalidate forgets the cached policy of a workspace after its settings or rules change.
func (s *Service) Invalidate(workspaceID string) {
	s.mu.Lock()
	delete(s.cache, workspaceID)
	s.mu.Unlock()
}

// Policy returns the workspace's actions and enabled rules.
func (s *Service) Policy(ctx context.Context, workspaceID string) (*Policy, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	e, ok := s.cache[workspaceID]
	s.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	p, err := s.loadPolicy(ctx, workspaceID)
	if err != nil {
		if ok {
			// The database is away: ingestion keeps going with the settings last read
			// rather than refusing traces (the store fails the same way for API keys).
			return e.p, nil
		}
		return nil, err
	}
	s.mu.Lock()
	s.cache[workspaceID] = policyEntry{p: p, expires: now.Add(s.cfg.SettingsTTL)}
	s.mu.Unlock()
	return p, nil
}

func (s *Service) loadPolicy(ctx context.Context, workspaceID string) (*Policy, error) {
	p := &Policy{Actions: map[Category]string{}}
	actions := DefaultActions
	gs, err := s.cfg.Store.GuardrailSettings(ctx, workspaceID)
	switch {
	case err == nil:
		actions = gs.Actions
	case model.ErrorCode(err) != model.ENOTFOUND:
		return nil, err
	}
	p.categories = map[Category]bool{}
	for c, a := range actions {
		if ActionRank(a) > 0 {
			p.Actions[Category(c)] = a
			p.categories[Category(c)] = true
		}
	}
	rules, err := s.cfg.Store.GuardrailRules(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		cr := Rule{GuardrailRule: r}
		if !r.Enabled {
			continue
		}
		if _, err := cr.Compile(); err != nil {
			s.cfg.Log.Warn("guardrail rule does not compile; skipped", "workspace", workspaceID, "rule", r.ID, "err", err)
			continue
		}
		p.Rules = append(p.Rules, cr)
	}
	p.prepareRedaction()
	return p, nil
}

// Action is what a finding leads to under p.
func (p *Policy) Action(f Finding, rules []Rule) string {
	if f.Category == CategoryCustom {
		for i := range rules {
			if rules[i].ID == f.Rule {
				return rules[i].Action
			}
		}
		return ActionFlag
	}
	if a, ok := p.Actions[f.Category]; ok {
		return a
	}
	return ActionLog
}

// CheckResult is the answer of a synchronous check.
type CheckResult struct {
	Flagged  bool      `json:"flagged"`
	Action   string    `json:"action"` // allow, or the strongest action of the findings
	Findings []Finding `json:"findings"`
	// Redacted is the text with every finding whose action is redact or block replaced.
	Redacted string `json:"redacted_text"`
}

// Check scans text with the given categories (nil: all) and the workspace's rules.
func (s *Service) Check(ctx context.Context, workspaceID, text string, dir Direction, agentID string, cats map[Category]bool) (*CheckResult, error) {
	p, err := s.Policy(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	opt := Options{Categories: cats, Direction: dir, AgentID: agentID}
	if cats == nil || cats[CategoryCustom] {
		opt.Rules = p.Rules
	}
	if opt.Categories == nil {
		// The general check runs what the workspace turned on; the per-category
		// endpoints run their category whatever its action.
		opt.Categories = map[Category]bool{}
		for c := range p.Actions {
			opt.Categories[c] = true
		}
	}
	fs := s.cfg.Scanner.Scan(text, opt)
	res := &CheckResult{Action: "allow", Findings: fs, Redacted: text}
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	best := 0
	redact := map[Category]bool{}
	var redactFindings []Finding
	for _, f := range fs {
		a := p.Action(f, p.Rules)
		if r := ActionRank(a); r > best {
			best, res.Action = r, a
		}
		if ActionRank(a) >= ActionRank(ActionFlag) {
			res.Flagged = true
		}
		if ActionRank(a) >= ActionRank(ActionRedact) {
			redact[f.Category] = true
			redactFindings = append(redactFindings, f)
		}
	}
	if len(redactFindings) > 0 {
		res.Redacted = Redact(text, redactFindings, redact)
	}
	return res, nil
}

// RedactTrace replaces, in the trace's and its spans' input, output, error messages,
// metadata, attributes and score comments, every finding whose
// action is redact (or block), and reports whether anything changed. It runs on ingestion
// before the trace is queued, so the original text is never written anywhere.
func (s *Service) RedactTrace(ctx context.Context, t *model.Trace) (bool, error) {
	p, err := s.Policy(ctx, t.WorkspaceID)
	if err != nil {
		return false, err
	}
	cats, rules := p.redactCategories, p.redactRules
	if len(cats) == 0 {
		return false, nil
	}
	changed := false
	apply := func(text *string, dir Direction) {
		if *text == "" {
			return
		}
		fs := s.cfg.Scanner.Scan(*text, Options{Categories: cats, Direction: dir, AgentID: t.AgentID, Rules: rules})
		if len(fs) == 0 {
			return
		}
		if red := Redact(*text, fs, cats); red != *text {
			*text, changed = red, true
		}
	}
	apply(&t.Input, DirectionInput)
	apply(&t.Output, DirectionOutput)
	// Error messages often quote what failed ("no account for jane@example.org").
	apply(&t.ErrorMessage, DirectionOutput)
	// Free-form JSON often carries a copy of the prompt (OpenTelemetry conventions put it in
	// attributes) or user details; its direction is unknown, so every rule applies.
	applyAny := func(text *string) { apply(text, "") }
	redactJSON(&t.Metadata, applyAny, &changed)
	for i := range t.Spans {
		apply(&t.Spans[i].Input, DirectionInput)
		apply(&t.Spans[i].Output, DirectionOutput)
		apply(&t.Spans[i].StatusMessage, DirectionOutput)
		redactJSON(&t.Spans[i].Attributes, applyAny, &changed)
	}
	for i := range t.Scores {
		applyAny(&t.Scores[i].Comment)
	}
	return changed, nil
}

// redactJSON applies redact to every string value inside raw (keys are left alone) and
// re-encodes raw only when a value changed. Invalid JSON is left as it is: validation
// rejects it before this runs.
func redactJSON(raw *json.RawMessage, redact func(*string), changed *bool) {
	if len(*raw) == 0 || !bytes.ContainsRune(*raw, '"') {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(*raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return
	}
	touched := false
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			s := x
			redact(&s)
			if s != x {
				touched = true
			}
			return s
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	v = walk(v)
	if !touched {
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		return
	}
	*raw, *changed = out, true
}

// scanBatch is the texts of the traces one commit hook call was given.
type scanBatch struct {
	jobs   []scanJob
	traces int64 // room taken in the queue
}

// scanJob is one text of a committed trace, copied out of the batch the hook was given.
type scanJob struct {
	workspaceID, traceID, spanID, agentID string
	at                                    time.Time
	dir                                   Direction
	text                                  string
}

// OnCommit is a pipeline commit hook: it queues the committed traces' texts for the
// background scan and returns without scanning, so acknowledgements never wait for it.
func (s *Service) OnCommit(traces []model.Trace) {
	texts := 0
	for i := range traces {
		texts += 2 * max(1, len(traces[i].Spans))
	}
	jobs := make([]scanJob, 0, texts)
	for i := range traces {
		t := &traces[i]
		add := func(spanID string, at time.Time, in, out string) {
			if in != "" {
				jobs = append(jobs, scanJob{t.WorkspaceID, t.TraceID, spanID, t.AgentID, at, DirectionInput, in})
			}
			if out != "" {
				jobs = append(jobs, scanJob{t.WorkspaceID, t.TraceID, spanID, t.AgentID, at, DirectionOutput, out})
			}
		}
		if len(t.Spans) == 0 {
			add("", t.StartTime, t.Input, t.Output)
		}
		for j := range t.Spans {
			sp := &t.Spans[j]
			add(sp.SpanID, sp.StartTime, sp.Input, sp.Output)
		}
	}
	if len(jobs) == 0 {
		return
	}
	// A batch larger than the whole queue waits for all of it.
	n := min(int64(len(traces)), int64(s.cfg.QueueTraces))
	if s.queued.Acquire(s.stopped, n) != nil {
		return // stopped
	}
	s.jobs <- scanBatch{jobs, n}
}

// Run scans queued texts and writes violations until ctx ends or Stop is called, then
// drains what is queued.
func (s *Service) Run(ctx context.Context) {
	if s.reviews != nil {
		// Reviews still waiting when the scan stops are dropped: the classifier's verdicts
		// are stored already and stand.
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		go s.reviews.run(rctx, s.cfg.Store.WriteViolations, s.cfg.Log.Warn)
	}
	for {
		select {
		case b := <-s.jobs:
			s.scanJobs(ctx, b.jobs)
			s.queued.Release(b.traces)
		case <-ctx.Done():
			return
		case <-s.done:
			for {
				select {
				case b := <-s.jobs:
					s.scanJobs(context.WithoutCancel(ctx), b.jobs)
					s.queued.Release(b.traces)
				default:
					return
				}
			}
		}
	}
}

// Stop ends Run after the queued texts are scanned.
func (s *Service) Stop() {
	s.stop.Do(func() {
		s.halt()
		close(s.done)
	})
}

func (s *Service) scanJobs(ctx context.Context, jobs []scanJob) {
	var out []model.Violation
	var texts []string // the text each violation was found in, for second opinions
	var p *Policy
	lastWorkspace := ""
	for _, j := range jobs {
		// A batch's texts mostly come from one workspace: its policy is looked up once.
		if p == nil || j.workspaceID != lastWorkspace {
			var err error
			if p, err = s.Policy(ctx, j.workspaceID); err != nil {
				s.cfg.Log.Warn("cannot read guardrail settings; texts not scanned", "workspace", j.workspaceID, "err", err)
				continue
			}
			lastWorkspace = j.workspaceID
		}
		fs := s.cfg.Scanner.Scan(j.text, Options{Categories: p.categories, Direction: j.dir, AgentID: j.agentID, Rules: p.Rules})
		for _, f := range fs {
			out = append(out, s.violation(j, f, p.Action(f, p.Rules), fs))
			texts = append(texts, j.text)
		}
		// What ingestion redacted is gone from the stored text; its placeholders still say
		// what was there, so the Safety page counts it.
		for _, f := range placeholders(j.text, p) {
			out = append(out, s.violation(j, f, ActionRedact, nil))
			texts = append(texts, j.text)
		}
	}
	if len(out) == 0 {
		return
	}
	if err := s.cfg.Store.WriteViolations(ctx, out); err != nil {
		s.cfg.Log.Error("cannot write guardrail violations", "violations", len(out), "err", err)
		return
	}
	if s.cfg.OnViolations != nil {
		s.cfg.OnViolations(out)
	}
	if s.reviews != nil {
		for i, v := range out {
			if s.reviews.wants(v) {
				s.reviews.offer(review{v: v, text: texts[i]})
			}
		}
	}
}

// SecondOpinionStats reports what the judge's reviews did; zero when none is configured.
func (s *Service) SecondOpinionStats() SecondOpinionStats {
	if s.reviews == nil {
		return SecondOpinionStats{}
	}
	return s.reviews.stats()
}

var actionPast = map[string]string{ActionLog: "logged", ActionFlag: "flagged", ActionRedact: "redacted", ActionBlock: "blocked"}

// ViolationActions are the actions a stored violation records, mildest first.
var ViolationActions = []string{actionPast[ActionLog], actionPast[ActionFlag], actionPast[ActionRedact], actionPast[ActionBlock]}

// Severities are the severities of rules and violations, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

func (s *Service) violation(j scanJob, f Finding, action string, all []Finding) model.Violation {
	// The id is derived from what was found where, so scanning a replayed trace again
	// rewrites the same violations instead of adding new ones.
	h := sha256.Sum256([]byte(j.workspaceID + "\x00" + j.traceID + "\x00" + j.spanID + "\x00" + string(j.dir) + "\x00" +
		f.Detector + "\x00" + f.Type + "\x00" + f.Rule + "\x00" + strconv.Itoa(f.Start)))
	typ := string(f.Category)
	return model.Violation{
		WorkspaceID: j.workspaceID, ID: "vio_" + hex.EncodeToString(h[:12]), Time: j.at.UTC(),
		TraceID: j.traceID, SpanID: j.spanID, AgentID: j.agentID, Type: typ, Subtype: f.Type,
		Severity: Severity(f), Action: actionPast[action], Detail: Snippet(j.text, f, all),
		Direction: string(j.dir), Score: f.Score, Detector: f.Detector, RuleID: f.Rule,
	}
}

// Severity ranks a finding for the Safety page.
func Severity(f Finding) string {
	switch f.Category {
	case CategorySecret:
		return "critical"
	case CategoryInjection:
		return "high"
	case CategoryPII:
		switch f.Type {
		case TypeSSN, TypeCreditCard, TypeIBAN:
			return "high"
		}
		return "medium"
	case CategoryToxicity:
		if f.Score >= 0.9 {
			return "high"
		}
		return "medium"
	}
	return "medium"
}

const snippetContext = 60

// Snippet is the text around f with f and every other PII or secret finding replaced by
// placeholders, so a violation never stores what it reports.
func Snippet(text string, f Finding, all []Finding) string {
	n := utf8.RuneCountInString(text)
	from, to := max(0, f.Start-snippetContext), min(n, f.End+snippetContext)
	if f.End-f.Start > 2*snippetContext {
		to = min(n, f.Start+2*snippetContext)
	}
	rs := []rune(text)
	var shifted []Finding
	for _, g := range append([]Finding{f}, all...) {
		hide := g == f || g.Category == CategoryPII || g.Category == CategorySecret
		if !hide || g.End <= from || g.Start >= to || (g.Start == 0 && g.End == n && g != f) {
			continue
		}
		if g.Start == 0 && g.End == n {
			continue // a verdict on the whole text has nothing to hide
		}
		g.Start, g.End = max(g.Start, from)-from, min(g.End, to)-from
		shifted = append(shifted, g)
	}
	out := Redact(string(rs[from:to]), shifted, map[Category]bool{CategoryPII: true, CategorySecret: true,
		CategoryInjection: true, CategoryToxicity: true, CategoryCustom: true})
	if from > 0 {
		out = "…" + out
	}
	if to < n {
		out += "…"
	}
	return out
}

// String describes a finding for logs without its text.
func (f Finding) String() string {
	return fmt.Sprintf("%s/%s [%d,%d) %.2f %s", f.Category, f.Type, f.Start, f.End, f.Score, f.Detector)
}

// placeholders finds the placeholders redaction left in text, for the categories the
// workspace redacts, as findings of the "redaction" detector.
func placeholders(text string, p *Policy) []Finding {
	if strings.IndexByte(text, '[') < 0 {
		return nil
	}
	var spans []span
	for c, a := range p.Actions {
		if ActionRank(a) < ActionRank(ActionRedact) {
			continue
		}
		var types []string
		switch c {
		case CategoryPII:
			types = PIITypes
		case CategorySecret:
			types = []string{"SECRET"}
		}
		for _, t := range types {
			ph := "[" + t + "]"
			for off := 0; ; {
				i := strings.Index(text[off:], ph)
				if i < 0 {
					break
				}
				typ := t
				if c == CategorySecret {
					typ = "API_KEY"
				}
				spans = append(spans, span{cat: c, typ: typ, start: off + i, end: off + i + len(ph), score: 1, detector: "redaction@1"})
				off += i + len(ph)
			}
		}
	}
	return toFindings(text, spans)
}
