package insight

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

const (
	// negativeSentiment is the compound score below which a comment reads as negative.
	negativeSentiment = -0.05
	minComments       = 3
	// minDrop is the fall of an agent's mean normalised score between the window's halves
	// that is reported, with at least minHalfScores scores in each half.
	minDrop       = 0.1
	minHalfScores = 5
	topTerms      = 5
)

// analyseFeedback scores comments' sentiment by agent, finds the terms that set negative
// feedback apart from positive, and compares each agent's scores between the window's halves.
func (s *Service) analyseFeedback(ctx context.Context, q store.InsightQuery) ([]model.Finding, error) {
	rows, err := s.st.InsightFeedback(ctx, q)
	if err != nil {
		return nil, err
	}
	type agentStats struct {
		comments     int
		sentimentSum float64
		negIDs       []string
		halves       [2]struct {
			n   int
			sum float64
		}
	}
	agents := map[string]*agentStats{}
	neg, pos := map[string]int{}, map[string]int{}
	var negDocs, posDocs int
	var negIDs []string
	mid := q.From.Add(q.To.Sub(q.From) / 2)
	seen := map[string]bool{}
	for _, r := range rows {
		a := agents[r.AgentID]
		if a == nil {
			a = &agentStats{}
			agents[r.AgentID] = a
		}
		if r.Value >= 0 {
			h := 0
			if !r.CreatedAt.Before(mid) {
				h = 1
			}
			a.halves[h].n++
			a.halves[h].sum += r.Value
		}
		c := strings.TrimSpace(r.Comment)
		if c == "" || seen[r.TraceID+"\x00"+c] {
			continue
		}
		seen[r.TraceID+"\x00"+c] = true
		sc := sentiment(c)
		a.comments++
		a.sentimentSum += sc
		terms := map[string]bool{}
		for _, w := range words(c) {
			if len(w) > 2 && !stopWords[w] {
				terms[w] = true
			}
		}
		isNeg := sc < negativeSentiment || (r.Value >= 0 && r.Value < 0.5)
		for w := range terms {
			if isNeg {
				neg[w]++
			} else {
				pos[w]++
			}
		}
		if isNeg {
			negDocs++
			if len(a.negIDs) < maxExamples {
				a.negIDs = append(a.negIDs, r.TraceID)
			}
			if len(negIDs) < maxExamples {
				negIDs = append(negIDs, r.TraceID)
			}
		} else {
			posDocs++
		}
	}
	names := make([]string, 0, len(agents))
	for n := range agents {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []model.Finding
	for _, name := range names {
		a := agents[name]
		if a.comments >= minComments {
			mean := a.sentimentSum / float64(a.comments)
			if mean < negativeSentiment {
				out = append(out, model.Finding{Kind: "negative_sentiment", Severity: "medium", AgentID: name,
					Title:      fmt.Sprintf("Feedback on %s reads negative (%.2f)", name, round(mean, 2)),
					Detail:     fmt.Sprintf("The mean sentiment of %d comments is %.2f on a scale from -1 to 1.", a.comments, round(mean, 2)),
					Confidence: model.ConfidenceMeasured,
					Evidence:   model.Evidence{TraceIDs: distinct(a.negIDs), Metric: "sentiment", Value: round(mean, 4), From: q.From, To: q.To}})
			}
		}
		h0, h1 := a.halves[0], a.halves[1]
		if h0.n >= minHalfScores && h1.n >= minHalfScores {
			before, after := h0.sum/float64(h0.n), h1.sum/float64(h1.n)
			if before-after >= minDrop {
				out = append(out, model.Finding{Kind: "score_drop", Severity: "high", AgentID: name,
					Title:      fmt.Sprintf("Scores of %s fell from %.2f to %.2f", name, round(before, 2), round(after, 2)),
					Detail:     fmt.Sprintf("Mean feedback (0 to 1) was %.2f over %d scores in the first half of the window and %.2f over %d in the second.", round(before, 2), h0.n, round(after, 2), h1.n),
					Confidence: model.ConfidenceMeasured,
					Evidence:   model.Evidence{TraceIDs: distinct(a.negIDs), Metric: "feedback_score", Value: round(after, 4), From: mid, To: q.To}})
			}
		}
	}
	if negDocs > 0 {
		terms := distinctive(neg, pos, negDocs, posDocs)
		if len(terms) > 0 {
			out = append(out, model.Finding{Kind: "feedback_terms", Severity: "info",
				Title:      "Negative feedback mentions " + strings.Join(terms, ", "),
				Detail:     fmt.Sprintf("Terms most characteristic of %d negative comments against %d others: %s.", negDocs, posDocs, strings.Join(terms, ", ")),
				Confidence: model.ConfidenceMeasured, Attributes: model.MapString{"terms": strings.Join(terms, ",")},
				Evidence: model.Evidence{TraceIDs: distinct(negIDs), Metric: "negative_comments", Value: float64(negDocs), From: q.From, To: q.To}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return severityRank[out[i].Severity] < severityRank[out[j].Severity] })
	return out, nil
}

// distinctive ranks terms of the negative comments by their smoothed log-odds against the
// positive ones (each comment counts a term once); terms in fewer than two negative
// comments are left out.
func distinctive(neg, pos map[string]int, negDocs, posDocs int) []string {
	type scored struct {
		term  string
		score float64
	}
	var all []scored
	for t, n := range neg {
		if n < 2 {
			continue
		}
		pn := (float64(n) + 0.5) / (float64(negDocs) + 1)
		pp := (float64(pos[t]) + 0.5) / (float64(posDocs) + 1)
		all = append(all, scored{t, math.Log(pn/(1-math.Min(pn, 0.999))) - math.Log(pp/(1-math.Min(pp, 0.999)))})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].term < all[j].term
	})
	var out []string
	for _, s := range all {
		if s.score <= 0 || len(out) == topTerms {
			break
		}
		out = append(out, s.term)
	}
	return out
}

var stopWords = map[string]bool{"the": true, "and": true, "for": true, "that": true, "this": true, "with": true, "was": true,
	"are": true, "you": true, "but": true, "not": true, "have": true, "has": true, "had": true, "its": true, "it's": true,
	"too": true, "very": true, "all": true, "any": true, "can": true, "just": true, "from": true, "what": true, "when": true,
	"there": true, "they": true, "them": true, "then": true, "than": true, "out": true, "about": true, "into": true, "also": true,
	"did": true, "didn't": true, "does": true, "doesn't": true, "don't": true, "one": true, "our": true, "your": true, "again": true}
