// Package insight computes findings from stored traces, errors and feedback (the insights
// role): every figure is computed here and testable; a configured model may only narrate
// them, and a narration that states a number the findings do not is discarded.
package insight

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is what the insights role reads and writes.
type Store interface {
	store.Insights
	WriteEvents(ctx context.Context, events []model.Event) error
	// JudgeSpend sums judge calls' cost since a time (narrations share the judge's budget).
	JudgeSpend(ctx context.Context, workspaceID, evaluatorID string, since time.Time) (float64, error)
}

// Config builds a Service.
type Config struct {
	Store  Store
	Prices *pricing.Table
	// Narrator rewrites findings as prose; nil keeps the deterministic text.
	Narrator *Narrator
	Now      func() time.Time
	Log      *slog.Logger
}

// Service runs analyses and keeps their history.
type Service struct {
	st       Store
	prices   *pricing.Table
	narrator *Narrator
	now      func() time.Time
	log      *slog.Logger
}

// New builds a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Prices == nil {
		cfg.Prices = pricing.Default()
	}
	return &Service{st: cfg.Store, prices: cfg.Prices, narrator: cfg.Narrator, now: cfg.Now, log: cfg.Log}
}

// Request is the window of an analysis.
type Request struct {
	From    *time.Time `json:"from"`
	To      *time.Time `json:"to"`
	AgentID string     `json:"agent_id"`
}

// maxWindow bounds an analysis; longer windows are a mistake or an attack on the store.
const maxWindow = 92 * 24 * time.Hour

// window resolves a request to [from, to): the last 7 days by default.
func (s *Service) window(r Request) (time.Time, time.Time, error) {
	to := s.now().UTC()
	if r.To != nil {
		to = r.To.UTC()
	}
	from := to.Add(-7 * 24 * time.Hour)
	if r.From != nil {
		from = r.From.UTC()
	}
	var fe model.FieldErrors
	if !from.Before(to) {
		fe.Add(model.Path{"from"}, "must be before to")
	} else if to.Sub(from) > maxWindow {
		fe.Add(model.Path{"from"}, "the window must be at most 92 days")
	}
	if len(r.AgentID) > 200 {
		fe.Add(model.Path{"agent_id"}, "must be at most 200 characters")
	}
	return from, to, fe.Err("invalid window")
}

// Kinds lists the analyses Run accepts.
var Kinds = []string{model.InsightCost, model.InsightErrors, model.InsightFeedback}

// Run computes an analysis of kind over the request's window, narrates it when a narrator
// is configured, stores it and returns it.
func (s *Service) Run(ctx context.Context, ws, kind string, r Request) (*model.InsightRun, error) {
	from, to, err := s.window(r)
	if err != nil {
		return nil, err
	}
	findings, spend, err := s.analyse(ctx, ws, kind, from, to, r.AgentID)
	if err != nil {
		return nil, err
	}
	run := s.newRun(ws, kind, from, to, findings, spend)
	s.narrate(ctx, run)
	if err := s.st.PutInsightRun(ctx, *run); err != nil {
		return nil, err
	}
	return run, nil
}

// Analyse computes the findings of kind without storing them.
func (s *Service) Analyse(ctx context.Context, ws, kind string, from, to time.Time, agent string) ([]model.Finding, error) {
	f, _, err := s.analyse(ctx, ws, kind, from, to, agent)
	return f, err
}

// analyse is Analyse with the agents' spend of a cost analysis (nil for the others).
func (s *Service) analyse(ctx context.Context, ws, kind string, from, to time.Time, agent string) ([]model.Finding, map[string]float64, error) {
	q := store.InsightQuery{WorkspaceID: ws, From: from, To: to, AgentID: agent}
	var f []model.Finding
	var spend map[string]float64
	var err error
	switch kind {
	case model.InsightCost:
		f, spend, err = s.analyseCost(ctx, q)
	case model.InsightErrors:
		f, err = s.analyseErrors(ctx, q)
	case model.InsightFeedback:
		f, err = s.analyseFeedback(ctx, q)
	default:
		return nil, nil, model.Errorf(model.EINVALID, "unknown analysis %q (known: %s)", kind, strings.Join(Kinds, ", "))
	}
	if f == nil {
		f = []model.Finding{}
	}
	return f, spend, err
}

func (s *Service) newRun(ws, kind string, from, to time.Time, findings []model.Finding, spend map[string]float64) *model.InsightRun {
	if findings == nil {
		findings = []model.Finding{}
	}
	run := &model.InsightRun{WorkspaceID: ws, ID: newID(), Kind: kind, CreatedAt: s.now().UTC().Truncate(time.Microsecond),
		From: from, To: to, Findings: findings}
	run.TotalSavingsUSD = cappedTotal(findings, spend)
	run.Summary = Summarize(kind, findings, run.TotalSavingsUSD)
	return run
}

// Summarize is the deterministic text of a run: a headline and one line per finding.
func Summarize(kind string, findings []model.Finding, total float64) string {
	var b strings.Builder
	switch {
	case len(findings) == 0:
		fmt.Fprintf(&b, "No findings in this window.")
	case total > 0:
		fmt.Fprintf(&b, "%s, %s of estimated savings.", plural(len(findings), "finding"), usd(total))
	default:
		fmt.Fprintf(&b, "%s.", plural(len(findings), "finding"))
	}
	for _, f := range findings {
		fmt.Fprintf(&b, "\n- [%s] %s", f.Severity, f.Title)
		if f.SavingsUSD > 0 {
			fmt.Fprintf(&b, " (saves %s, %s)", usd(f.SavingsUSD), f.Confidence)
		}
	}
	return b.String()
}

// History lists stored runs, newest first.
func (s *Service) History(ctx context.Context, ws, kind string, limit int) ([]model.InsightRun, error) {
	if kind != "" && kind != model.InsightDailySummary && !contains(Kinds, kind) {
		return nil, model.Errorf(model.EINVALID, "unknown kind %q", kind)
	}
	return s.st.ListInsightRuns(ctx, ws, kind, limit)
}

// Get returns a stored run.
func (s *Service) Get(ctx context.Context, ws, id string) (*model.InsightRun, error) {
	return s.st.GetInsightRun(ctx, ws, id)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are encoded
	}
	return string(b)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Spend is what narrations cost, as the Quality page shows judge spend.
type Spend struct {
	TodayUSD      float64 `json:"today_usd"`
	Last30DaysUSD float64 `json:"last_30_days_usd"`
}

// NarrationSpend sums the narrations' cost today (UTC) and over the last 30 days.
func (s *Service) NarrationSpend(ctx context.Context, ws string) (Spend, error) {
	now := s.now().UTC()
	var out Spend
	var err error
	if out.TodayUSD, err = s.st.NarrationSpend(ctx, ws, now.Truncate(24*time.Hour)); err != nil {
		return out, err
	}
	out.Last30DaysUSD, err = s.st.NarrationSpend(ctx, ws, now.Add(-30*24*time.Hour))
	out.TodayUSD, out.Last30DaysUSD = round(out.TodayUSD, 8), round(out.Last30DaysUSD, 8)
	return out, err
}
