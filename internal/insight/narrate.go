package insight

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
)

// Narrator has a configured model rewrite a run's findings as prose.
type Narrator struct {
	Client *provider.Client
	Prices *pricing.Table
	// DailyBudgetUSD is the judge's daily budget: once judge calls and narrations of the
	// UTC day cost that much, runs keep their deterministic text. 0: no limit.
	DailyBudgetUSD float64
}

const narrationSystem = `You write short briefings for engineers who run LLM agents. Rewrite the findings below as
two to five sentences of plain prose, most important first. Use only numbers that appear in the findings,
written as they appear there (you may round money to cents). Do not compute new figures, percentages or totals.
Keep each finding's confidence word (measured, estimated, unvalidated) when you mention its saving.`

// narrationFinding is what the model sees of a finding.
type narrationFinding struct {
	Severity   string  `json:"severity"`
	Title      string  `json:"title"`
	Detail     string  `json:"detail"`
	SavingsUSD float64 `json:"estimated_savings_usd,omitempty"`
	Confidence string  `json:"confidence"`
}

// narrate asks the model for prose and keeps it only when every number in it is one of the
// run's; the call's cost is recorded on the run either way.
func (s *Service) narrate(ctx context.Context, run *model.InsightRun) {
	if s.narrator == nil || s.narrator.Client == nil || len(run.Findings) == 0 {
		return
	}
	if b := s.narrator.DailyBudgetUSD; b > 0 {
		day := s.now().UTC().Truncate(24 * time.Hour)
		narrated, err := s.st.NarrationSpend(ctx, run.WorkspaceID, day)
		judged := 0.0
		if err == nil {
			judged, err = s.st.JudgeSpend(ctx, run.WorkspaceID, "", day)
		}
		if err != nil {
			run.NarrationNote = "narration skipped: cannot read today's spend"
			s.log.Warn("cannot read narration spend", "workspace", run.WorkspaceID, "err", err)
			return
		}
		if narrated+judged >= b {
			run.NarrationNote = fmt.Sprintf("narration skipped: the daily judge budget of %s is spent", usd(b))
			return
		}
	}
	fs := make([]narrationFinding, 0, min(len(run.Findings), 20))
	for _, f := range run.Findings[:min(len(run.Findings), 20)] {
		fs = append(fs, narrationFinding{f.Severity, f.Title, f.Detail, f.SavingsUSD, f.Confidence})
	}
	body, _ := json.MarshalIndent(map[string]any{"analysis": run.Kind, "headline": strings.SplitN(run.Summary, "\n", 2)[0], "findings": fs}, "", " ")
	resp, _, err := s.narrator.Client.Complete(ctx, provider.Request{System: narrationSystem, Prompt: string(body), MaxTokens: 600})
	if err != nil {
		run.NarrationNote = "narration failed: " + model.ErrorMessage(err)
		s.log.Warn("narration failed", "workspace", run.WorkspaceID, "err", err)
		return
	}
	run.NarrationModel = resp.Model
	if resp.Usage != nil {
		if c, ok := s.narrator.Prices.Cost(resp.Model, resp.Usage.InputTokens, resp.Usage.OutputTokens, 0); ok {
			run.NarrationCost = round(c, 8)
		} else if c, ok := s.narrator.Prices.Cost(s.narrator.Client.Provider().Model(), resp.Usage.InputTokens, resp.Usage.OutputTokens, 0); ok {
			run.NarrationCost = round(c, 8)
		}
	}
	text := strings.TrimSpace(resp.Text)
	// Prose has words; an empty or structured answer is not a narration.
	if len(words(text)) < 3 || strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[") {
		run.NarrationNote = "narration discarded: the answer is not prose"
		return
	}
	if bad := InventedNumber(text, run); bad != "" {
		run.NarrationNote = fmt.Sprintf("narration discarded: it states %s, which no finding holds", bad)
		return
	}
	run.Narration = text
}

var numberRE = regexp.MustCompile(`\d[\d,]*(?:\.\d+)?`)

// InventedNumber returns the first number of text that the run's findings and summary do
// not hold, "" when there is none. A number matches a figure it rounds: "$12.35" and "$12"
// both match 12.3456, "12.4" does not.
func InventedNumber(text string, run *model.InsightRun) string {
	var known []float64
	addText := func(s string) {
		for _, m := range numberRE.FindAllString(s, -1) {
			if v, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64); err == nil {
				known = append(known, v)
			}
		}
	}
	addText(run.Summary)
	known = append(known, run.TotalSavingsUSD, float64(len(run.Findings)))
	for _, f := range run.Findings {
		addText(f.Title)
		addText(f.Detail)
		for _, v := range f.Attributes {
			addText(v)
		}
		known = append(known, f.SavingsUSD, f.Evidence.Value)
	}
	for _, m := range numberRE.FindAllString(text, -1) {
		raw := strings.ReplaceAll(m, ",", "")
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return m
		}
		decimals := 0
		if i := strings.IndexByte(raw, '.'); i >= 0 {
			decimals = len(raw) - i - 1
		}
		ok := false
		for _, k := range known {
			if roundsTo(k, decimals, v) {
				ok = true
				break
			}
		}
		if !ok {
			return m
		}
	}
	return ""
}

// roundsTo says whether k written with the given decimals reads v (half up or down, to
// allow either rounding convention).
func roundsTo(k float64, decimals int, v float64) bool {
	p := math.Pow(10, float64(decimals))
	k = math.Abs(k)
	return math.Abs(math.Round(k*p)-v*p) < 1e-6 || math.Abs(math.Floor(k*p)-v*p) < 1e-6
}
