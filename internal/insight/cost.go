package insight

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Thresholds below which a cost finding is noise.
const (
	minSavingsUSD = 0.01
	// scoreTolerance is how far below the current model's mean score a cheaper model's
	// may be and still count as evidence that the switch keeps quality.
	scoreTolerance = 0.05
	// minScores is how many scores of the cheaper model on the task count as evidence.
	minScores = 5
	// prefixChars is the shared prompt prefix length looked for (about 250 tokens).
	prefixChars = 1000
)

// analyseCost finds model switches, prompt-cache savings, duplicate requests, retries and
// tool loops, and over-long contexts in the window.
// It also returns each agent's spend in the window, which bounds the run's total saving.
func (s *Service) analyseCost(ctx context.Context, q store.InsightQuery) ([]model.Finding, map[string]float64, error) {
	usage, err := s.st.InsightUsage(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	total := 0.0
	spend := map[string]float64{}
	for _, u := range usage {
		total += u.CostUSD
		spend[u.AgentID] += u.CostUSD
	}
	ev := func(metric string, value float64, ids ...string) model.Evidence {
		return model.Evidence{TraceIDs: distinct(ids), Metric: metric, Value: round(value, 6), From: q.From, To: q.To}
	}
	var out []model.Finding
	switches, err := s.modelSwitches(ctx, q, usage, ev)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, switches...)

	dups, err := s.st.InsightDuplicates(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range dups {
		save := d.CostUSD - d.MinCostUSD
		if save < minSavingsUSD {
			continue
		}
		out = append(out, model.Finding{Kind: "duplicate_requests", AgentID: d.AgentID, Model: d.Model,
			Title:      fmt.Sprintf("%d identical requests to %s by %s", d.Count, d.Model, d.AgentID),
			Detail:     fmt.Sprintf("The same input was sent %d times; caching the answer would have saved %s of %s.", d.Count, usd(save), usd(d.CostUSD)),
			SavingsUSD: round(save, 6), Confidence: model.ConfidenceMeasured,
			Evidence: ev("cost_usd", d.CostUSD, d.FirstTrace, d.LastTrace), Attributes: model.MapString{"sample": d.Sample}})
	}

	q.PrefixChars = prefixChars
	prefixes, err := s.st.InsightPrefixes(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range prefixes {
		price, ok := s.prices.Lookup(p.Model)
		if !ok || price.CachedInputPerMTok == nil || p.Count < 2 {
			continue
		}
		// A prefix of prefixChars characters is about a quarter as many tokens, and never
		// more than the inputs held.
		perCall := math.Min(prefixChars/4, float64(p.TokensInput)/float64(p.Count))
		repeated := perCall * float64(p.Count-1)
		save := repeated * (price.InputPerMTok - *price.CachedInputPerMTok) / 1e6
		if save < minSavingsUSD {
			continue
		}
		out = append(out, model.Finding{Kind: "prompt_cache", AgentID: p.AgentID, Model: p.Model,
			Title:      fmt.Sprintf("%d requests of %s share a long prompt prefix", p.Count, p.AgentID),
			Detail:     fmt.Sprintf("About %.0f input tokens were sent again %d times; with prompt caching at %s per million cached tokens they would cost %s less.", perCall, p.Count-1, usd(*price.CachedInputPerMTok), usd(save)),
			SavingsUSD: round(save, 6), Confidence: model.ConfidenceEstimated,
			Evidence: ev("tokens_input", float64(p.TokensInput), p.FirstTrace, p.LastTrace)})
	}

	q.MinRepeats = 3
	loops, err := s.st.InsightLoops(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range loops {
		if l.ExtraCostUSD < minSavingsUSD {
			continue
		}
		kind := "tool_loop"
		if l.Kind == string(model.KindLLM) {
			kind = "retries"
		}
		out = append(out, model.Finding{Kind: kind, AgentID: l.AgentID,
			Title:      fmt.Sprintf("%s calls %q repeatedly in %d traces", l.AgentID, l.SpanName, l.Traces),
			Detail:     fmt.Sprintf("%d calls of %q in %d traces cost %s; the calls beyond the first of each trace cost %s.", l.Calls, l.SpanName, l.Traces, usd(l.CostUSD), usd(l.ExtraCostUSD)),
			SavingsUSD: round(l.ExtraCostUSD, 6), Confidence: model.ConfidenceEstimated,
			Evidence: ev("calls", float64(l.Calls), l.FirstTrace, l.LastTrace), Attributes: model.MapString{"span": l.SpanName}})
	}

	q.MinContextTokens = 4000
	longs, err := s.st.InsightLongContexts(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range longs {
		price, ok := s.prices.Lookup(l.Model)
		if !ok {
			continue
		}
		save := float64(l.ExcessTokens) * price.InputPerMTok / 1e6
		if save < minSavingsUSD {
			continue
		}
		out = append(out, model.Finding{Kind: "long_context", AgentID: l.AgentID, Model: l.Model,
			Title:      fmt.Sprintf("%d requests of %s send over three times its usual context", l.Traces, l.AgentID),
			Detail:     fmt.Sprintf("They carried %d input tokens beyond the agent's mean of %.0f; trimming them would save %s.", l.ExcessTokens, l.MeanTokens, usd(save)),
			SavingsUSD: round(save, 6), Confidence: model.ConfidenceEstimated,
			Evidence: ev("tokens_input", float64(l.ExcessTokens), l.FirstTrace, l.LastTrace)})
	}
	for i := range out {
		out[i].Severity = severity(out[i].SavingsUSD, total)
	}
	sortFindings(out)
	return out, spend, nil
}

// modelSwitches prices each (agent, task, model) group at every cheaper model the workspace
// already uses. A cheaper model with enough scores on the same task, no worse than the
// current model's, makes an estimated saving; otherwise the closest cheaper model's saving
// is reported as unvalidated.
func (s *Service) modelSwitches(ctx context.Context, q store.InsightQuery, usage []store.UsageRow, ev func(string, float64, ...string) model.Evidence) ([]model.Finding, error) {
	scored, err := s.st.InsightScored(ctx, q)
	if err != nil {
		return nil, err
	}
	type key struct{ agent, task, model string }
	scores := map[key]store.ScoredRow{}
	for _, sr := range scored {
		scores[key{sr.AgentID, sr.Task, sr.Model}] = sr
	}
	// A switch may go to any model the workspace uses, not only the agent's own.
	all := usage
	if q.AgentID != "" {
		wide := q
		wide.AgentID = ""
		if all, err = s.st.InsightUsage(ctx, wide); err != nil {
			return nil, err
		}
	}
	used := map[string]bool{}
	for _, u := range all {
		if _, ok := s.prices.Lookup(u.Model); ok {
			used[u.Model] = true
		}
	}
	models := make([]string, 0, len(used))
	for m := range used {
		models = append(models, m)
	}
	sort.Strings(models)
	var out []model.Finding
	for _, u := range usage {
		if u.Model == "" || u.CostUSD <= 0 {
			continue
		}
		cur, ok := s.prices.Cost(u.Model, u.TokensInput, u.TokensOutput, u.TokensCached)
		if !ok || cur <= 0 {
			continue
		}
		mine := scores[key{u.AgentID, u.Task, u.Model}]
		var best, closest string
		var bestCost, closestCost float64
		for _, m := range models {
			c, _ := s.prices.Cost(m, u.TokensInput, u.TokensOutput, u.TokensCached)
			if m == u.Model || c >= cur {
				continue
			}
			if closest == "" || c > closestCost {
				closest, closestCost = m, c
			}
			sc := scores[key{u.AgentID, u.Task, m}]
			if sc.Scores >= minScores && (mine.Scores == 0 || sc.Mean >= mine.Mean-scoreTolerance) && (best == "" || c < bestCost) {
				best, bestCost = m, c
			}
		}
		target, cost, conf := best, bestCost, model.ConfidenceEstimated
		if best == "" {
			target, cost, conf = closest, closestCost, model.ConfidenceUnvalidated
		}
		if target == "" {
			continue
		}
		// The saving is the stored cost scaled by the price ratio, so that it never exceeds
		// what was paid.
		save := u.CostUSD * (1 - cost/cur)
		if save < minSavingsUSD {
			continue
		}
		detail := fmt.Sprintf("%s on task %q cost %s over %d traces; the same tokens on %s would cost %s less.", u.Model, u.Task, usd(u.CostUSD), u.Traces, target, usd(save))
		if conf == model.ConfidenceUnvalidated {
			detail += fmt.Sprintf(" No evaluation scores of %s on this task exist: evaluate it before switching.", target)
		} else {
			detail += fmt.Sprintf(" %s scored %.2f on this task over %d scores.", target, scores[key{u.AgentID, u.Task, target}].Mean, scores[key{u.AgentID, u.Task, target}].Scores)
		}
		out = append(out, model.Finding{Kind: "model_switch", AgentID: u.AgentID, Model: u.Model,
			Title:  fmt.Sprintf("Switch %s from %s to %s on %q", u.AgentID, u.Model, target, u.Task),
			Detail: detail, SavingsUSD: round(save, 6), Confidence: conf,
			Evidence: ev("cost_usd", u.CostUSD), Attributes: model.MapString{"task": u.Task, "suggested_model": target}})
	}
	return out, nil
}

// severity grades a saving by its share of the window's spend.
func severity(savings, total float64) string {
	share := 0.0
	if total > 0 {
		share = savings / total
	}
	switch {
	case share >= 0.2 || savings >= 100:
		return "high"
	case share >= 0.05 || savings >= 10:
		return "medium"
	case savings > 0:
		return "low"
	}
	return "info"
}

var severityRank = map[string]int{"high": 0, "medium": 1, "low": 2, "info": 3}

// sortFindings puts the largest savings first, then the most severe, then by title.
func sortFindings(f []model.Finding) {
	sort.SliceStable(f, func(i, j int) bool {
		if f[i].SavingsUSD != f[j].SavingsUSD {
			return f[i].SavingsUSD > f[j].SavingsUSD
		}
		if severityRank[f[i].Severity] != severityRank[f[j].Severity] {
			return severityRank[f[i].Severity] < severityRank[f[j].Severity]
		}
		return f[i].Title < f[j].Title
	})
}

func distinct(ids []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// round keeps n decimals, so that stored figures read as computed and compare exactly.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

func usd(v float64) string {
	if math.Abs(v) >= 1 {
		return fmt.Sprintf("$%.2f", v)
	}
	return fmt.Sprintf("$%.4f", v)
}

// cappedTotal sums the findings' savings, largest first, never counting more for an agent
// than it spent: findings of different kinds may save the same money twice (a duplicate
// request on a model worth switching), and a total above the spend would mislead. Without
// spend (other analyses) it is the plain sum.
func cappedTotal(findings []model.Finding, spend map[string]float64) float64 {
	sorted := append([]model.Finding(nil), findings...)
	sortFindings(sorted)
	left := map[string]float64{}
	for a, v := range spend {
		left[a] = v
	}
	total := 0.0
	for _, f := range sorted {
		v := f.SavingsUSD
		if spend != nil {
			v = math.Min(v, left[f.AgentID])
			left[f.AgentID] -= v
		}
		total += v
	}
	return round(total, 6)
}
