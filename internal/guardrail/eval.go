package guardrail

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Counts are a binary confusion matrix.
type Counts struct{ TP, FP, FN, TN int }

func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }
func (c Counts) Recall() float64    { return ratio(c.TP, c.TP+c.FN) }
func (c Counts) FPR() float64       { return ratio(c.FP, c.FP+c.TN) }
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Result is the evaluation of one dataset (classification) or one PII type.
type Result struct {
	Dataset string
	Task    string
	Type    string // PII type; "" for classification
	Counts
	Examples int
}

// EvalOptions restrict an evaluation.
type EvalOptions struct {
	// HoldoutOnly keeps only the rows training kept apart (see Holdout).
	HoldoutOnly bool
}

// Evaluate runs the scanner over every dataset.
func Evaluate(s *Scanner, sets []Dataset, opt EvalOptions) []Result {
	var out []Result
	for _, ds := range sets {
		if opt.HoldoutOnly && ds.TrainOnly {
			continue // every row was trained on: there is no holdout to report
		}
		switch ds.Task {
		case "injection", "toxicity":
			cat := CategoryInjection
			if ds.Task == "toxicity" {
				cat = CategoryToxicity
			}
			r := Result{Dataset: ds.Name, Task: ds.Task}
			for _, e := range ds.Examples {
				if opt.HoldoutOnly && !Holdout(e.Text) {
					continue
				}
				r.Examples++
				flagged := len(s.Scan(e.Text, Options{Categories: map[Category]bool{cat: true}})) > 0
				switch {
				case flagged && e.Positive:
					r.TP++
				case flagged:
					r.FP++
				case e.Positive:
					r.FN++
				default:
					r.TN++
				}
			}
			out = append(out, r)
			if ds.Task == "injection" {
				out = append(out, piiFalsePositives(s, ds, opt))
			}
		case "pii":
			out = append(out, evalPII(s, ds, opt)...)
		}
	}
	return out
}

// piiFalsePositives counts texts of a set without personal data (the benign rows of an
// injection set) on which the PII detector reports anything.
func piiFalsePositives(s *Scanner, ds Dataset, opt EvalOptions) Result {
	r := Result{Dataset: ds.Name, Task: "pii-on-benign", Type: "any"}
	for _, e := range ds.Examples {
		if e.Positive || (opt.HoldoutOnly && !Holdout(e.Text)) {
			continue
		}
		r.Examples++
		if len(s.Scan(e.Text, Options{Categories: map[Category]bool{CategoryPII: true}})) > 0 {
			r.FP++
		} else {
			r.TN++
		}
	}
	return r
}

// evalPII matches findings to labelled entities of the same type that overlap them by at
// least half of the shorter of the two; each entity matches at most once.
func evalPII(s *Scanner, ds Dataset, opt EvalOptions) []Result {
	counts := map[string]*Result{}
	get := func(t string) *Result {
		if counts[t] == nil {
			counts[t] = &Result{Dataset: ds.Name, Task: "pii", Type: t}
		}
		return counts[t]
	}
	for _, ex := range ds.Spans {
		if opt.HoldoutOnly && !Holdout(ex.Text) {
			continue
		}
		found := s.Scan(ex.Text, Options{Categories: map[Category]bool{CategoryPII: true}})
		used := make([]bool, len(ex.Entities))
		for _, e := range ex.Entities {
			get(e.Type).Examples++
		}
		for _, f := range found {
			hit := false
			for i, e := range ex.Entities {
				if used[i] || e.Type != f.Type {
					continue
				}
				ov := min(e.End, f.End) - max(e.Start, f.Start)
				if ov > 0 && 2*ov >= min(e.End-e.Start, f.End-f.Start) {
					used[i], hit = true, true
					break
				}
			}
			if hit {
				get(f.Type).TP++
			} else {
				get(f.Type).FP++
			}
		}
		for i, e := range ex.Entities {
			if !used[i] {
				get(e.Type).FN++
			}
		}
	}
	var out []Result
	for _, r := range counts {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// WriteMarkdown writes results as the tables of docs/guardrails.md.
func WriteMarkdown(w io.Writer, results []Result) {
	fmt.Fprintln(w, "| dataset | task | type | examples | precision | recall | F1 | false-positive rate | TP | FP | FN | TN |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		typ := r.Type
		if typ == "" {
			typ = "-"
		}
		fpr := fmt.Sprintf("%.3f", r.FPR())
		if r.Task == "pii" {
			fpr = "-" // spans have no true negatives
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %.3f | %.3f | %.3f | %s | %d | %d | %d | %d |\n", r.Dataset, r.Task, typ, r.Examples,
			r.Precision(), r.Recall(), r.F1(), fpr, r.TP, r.FP, r.FN, r.TN)
	}
	// Per-class figures for classification sets: the negative class seen as positive.
	var cls []string
	for _, r := range results {
		if r.Task == "injection" || r.Task == "toxicity" {
			neg := Counts{TP: r.TN, FP: r.FN, FN: r.FP, TN: r.TP}
			cls = append(cls, fmt.Sprintf("| %s | positive | %.3f | %.3f | %.3f |\n| %s | negative | %.3f | %.3f | %.3f |",
				r.Dataset, r.Precision(), r.Recall(), r.F1(), r.Dataset, neg.Precision(), neg.Recall(), neg.F1()))
		}
	}
	if len(cls) > 0 {
		fmt.Fprintln(w, "\n| dataset | class | precision | recall | F1 |\n|---|---|---:|---:|---:|")
		fmt.Fprintln(w, strings.Join(cls, "\n"))
	}
}
