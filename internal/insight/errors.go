package insight

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Spike rule: an hour with at least spikeMin failures of one fingerprint and spikeFactor
// times its mean hourly count over the rest of the window.
const (
	spikeMin     = 5
	spikeFactor  = 5.0
	maxExamples  = 5
	topTemplates = 10
)

// errorGroup is what one fingerprint collects.
type errorGroup struct {
	template string
	count    int64
	first    time.Time
	hours    map[int64]int64
	agents   map[string]bool
	models   map[string]bool
	examples []string
}

// analyseErrors fingerprints the window's error messages into templates and reports
// spikes, errors first seen in the window's last day, and the most frequent templates.
func (s *Service) analyseErrors(ctx context.Context, q store.InsightQuery) ([]model.Finding, error) {
	rows, err := s.st.InsightErrors(ctx, q)
	if err != nil {
		return nil, err
	}
	miner := newTemplateMiner()
	// Messages are mined most frequent first so that templates form around common shapes
	// and the result does not depend on the order rows arrive in.
	counts := map[string]int64{}
	for _, r := range rows {
		counts[r.Message] += r.Count
	}
	msgs := make([]string, 0, len(counts))
	for m := range counts {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool {
		if counts[msgs[i]] != counts[msgs[j]] {
			return counts[msgs[i]] > counts[msgs[j]]
		}
		return msgs[i] < msgs[j]
	})
	tplOf := make(map[string]int, len(msgs))
	for _, m := range msgs {
		tplOf[m] = miner.add(m)
	}
	groups := map[int]*errorGroup{}
	for _, r := range rows {
		id := tplOf[r.Message]
		g := groups[id]
		if g == nil {
			g = &errorGroup{hours: map[int64]int64{}, agents: map[string]bool{}, models: map[string]bool{}}
			groups[id] = g
		}
		g.count += r.Count
		g.hours[r.Hour] += r.Count
		if g.first.IsZero() || r.First.Before(g.first) {
			g.first = r.First
		}
		g.agents[r.AgentID] = true
		if r.Model != "" {
			g.models[r.Model] = true
		}
		if len(g.examples) < maxExamples {
			g.examples = append(g.examples, r.TraceID)
		}
	}
	hoursInWindow := max(1, int64(q.To.Sub(q.From)/time.Hour))
	var out []model.Finding
	ranked := make([]*errorGroup, 0, len(groups))
	for id, g := range groups {
		g.template = miner.text(id)
		ranked = append(ranked, g)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].count != ranked[j].count {
			return ranked[i].count > ranked[j].count
		}
		return ranked[i].template < ranked[j].template
	})
	for i, g := range ranked {
		fp := Fingerprint(g.template)
		attrs := model.MapString{"fingerprint": fp, "template": g.template, "first_seen": g.first.Format(time.RFC3339),
			"agents": joinKeys(g.agents), "models": joinKeys(g.models)}
		evidence := model.Evidence{TraceIDs: distinct(g.examples), Metric: "errors", Value: float64(g.count), From: q.From, To: q.To}
		agent := ""
		if len(g.agents) == 1 {
			agent = joinKeys(g.agents)
		}
		if hour, peak, base, ok := spike(g.hours, hoursInWindow); ok {
			at := time.Unix(hour*3600, 0).UTC()
			a := copyAttrs(attrs)
			a["spike_hour"] = at.Format(time.RFC3339)
			out = append(out, model.Finding{Kind: "error_spike", Severity: "high", AgentID: agent,
				Title:      fmt.Sprintf("Error spike: %d × %q at %s", peak, g.template, at.Format("2006-01-02 15:04 UTC")),
				Detail:     fmt.Sprintf("%d failures in one hour against %.2f an hour otherwise; fingerprint %s, first seen %s, agents %s.", peak, base, fp, g.first.Format(time.RFC3339), attrs["agents"]),
				Confidence: model.ConfidenceMeasured, Attributes: a,
				Evidence: model.Evidence{TraceIDs: evidence.TraceIDs, Metric: "errors_per_hour", Value: float64(peak), From: at, To: at.Add(time.Hour)}})
		}
		if q.To.Sub(q.From) > 24*time.Hour && !g.first.Before(q.To.Add(-24*time.Hour)) {
			out = append(out, model.Finding{Kind: "new_error", Severity: "medium", AgentID: agent,
				Title:      fmt.Sprintf("New error: %q", g.template),
				Detail:     fmt.Sprintf("First seen %s; %d failures since, fingerprint %s.", g.first.Format(time.RFC3339), g.count, fp),
				Confidence: model.ConfidenceMeasured, Attributes: attrs, Evidence: evidence})
		}
		if i < topTemplates {
			out = append(out, model.Finding{Kind: "error_pattern", Severity: "info", AgentID: agent,
				Title:      fmt.Sprintf("%d × %q", g.count, g.template),
				Detail:     fmt.Sprintf("Fingerprint %s, first seen %s, agents %s, models %s.", fp, g.first.Format(time.RFC3339), attrs["agents"], orNone(attrs["models"])),
				Confidence: model.ConfidenceMeasured, Attributes: attrs, Evidence: evidence})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return severityRank[out[i].Severity] < severityRank[out[j].Severity] })
	return out, nil
}

// spike returns the peak hour when it holds at least spikeMin failures and spikeFactor
// times the mean of the other hours of the window (zero hours included).
func spike(hours map[int64]int64, hoursInWindow int64) (hour, peak int64, base float64, ok bool) {
	var total int64
	for h, n := range hours {
		total += n
		if n > peak || (n == peak && h < hour) {
			hour, peak = h, n
		}
	}
	if hoursInWindow > 1 {
		base = float64(total-peak) / float64(hoursInWindow-1)
	}
	return hour, peak, base, peak >= spikeMin && float64(peak) >= spikeFactor*base && hoursInWindow > 1
}

func joinKeys(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func copyAttrs(m model.MapString) model.MapString {
	out := make(model.MapString, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
