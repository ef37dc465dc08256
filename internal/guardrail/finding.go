// Package guardrail detects personal data, secrets, prompt injection, toxicity and
// workspace-defined rule breaches in text, and redacts what it finds. Every default detector
// runs locally: no network access is needed to scan.
package guardrail

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Category groups finding types; it is what actions are configured by.
type Category string

const (
	CategoryPII       Category = "pii"
	CategorySecret    Category = "secret"
	CategoryInjection Category = "injection"
	CategoryToxicity  Category = "toxicity"
	CategoryCustom    Category = "custom"
)

// Categories lists every category in the order documented to clients.
var Categories = []Category{CategoryPII, CategorySecret, CategoryInjection, CategoryToxicity, CategoryCustom}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Direction says whether text went into a model (input) or came out of it (output).
type Direction string

const (
	DirectionInput  Direction = "input"
	DirectionOutput Direction = "output"
)

// Finding is one detection. Start and End count Unicode code points, End exclusive, so
// clients in any language can slice the text they sent.
type Finding struct {
	Category Category `json:"category"`
	Type     string   `json:"type"`
	Start    int      `json:"start"`
	End      int      `json:"end"`
	Score    float64  `json:"score"`
	// Detector names the detector and its version, e.g. "pii/luhn@1".
	Detector string `json:"detector"`
	// Rule is the custom rule or secret rule that matched, if any.
	Rule string `json:"rule,omitempty"`
}

// span is a finding while detectors still work in byte offsets.
type span struct {
	cat      Category
	typ      string
	start    int // bytes
	end      int // bytes
	score    float64
	detector string
	rule     string
}

// toFindings converts byte offsets to code-point offsets in one pass over text.
func toFindings(text string, spans []span) []Finding {
	if len(spans) == 0 {
		return nil
	}
	out := make([]Finding, len(spans))
	ascii := isASCII(text)
	for i, s := range spans {
		f := Finding{Category: s.cat, Type: s.typ, Start: s.start, End: s.end, Score: round3(s.score), Detector: s.detector, Rule: s.rule}
		if !ascii {
			f.Start = utf8.RuneCountInString(text[:s.start])
			f.End = f.Start + utf8.RuneCountInString(text[s.start:s.end])
		}
		out[i] = f
	}
	return out
}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Redact replaces every finding of the given categories with a placeholder naming its type,
// such as "[EMAIL]". Overlapping findings are merged; the earliest, longest one names the
// placeholder. Offsets are those of Finding (code points).
func Redact(text string, findings []Finding, cats map[Category]bool) string {
	var sel []Finding
	for _, f := range findings {
		if cats[f.Category] && f.End > f.Start {
			sel = append(sel, f)
		}
	}
	if len(sel) == 0 {
		return text
	}
	sort.Slice(sel, func(i, j int) bool {
		if sel[i].Start != sel[j].Start {
			return sel[i].Start < sel[j].Start
		}
		return sel[i].End > sel[j].End
	})
	// Code-point offsets to byte offsets, once.
	byteAt := make([]int, 0, utf8.RuneCountInString(text)+1)
	for i := range text {
		byteAt = append(byteAt, i)
	}
	byteAt = append(byteAt, len(text))
	clamp := func(n int) int { return min(max(n, 0), len(byteAt)-1) }
	var b strings.Builder
	b.Grow(len(text))
	pos := 0 // code points copied so far
	for _, f := range sel {
		start, end := clamp(f.Start), clamp(f.End)
		if end <= pos {
			continue
		}
		if start < pos {
			start = pos
		} else {
			b.WriteString(text[byteAt[pos]:byteAt[start]])
		}
		if start == pos && b.Len() > 0 && strings.HasSuffix(b.String(), "]") && start != f.Start {
			// Overlap with the previous placeholder: extend it without a second one.
		} else {
			b.WriteString(Placeholder(f))
		}
		pos = end
	}
	b.WriteString(text[byteAt[pos]:])
	return b.String()
}

// Placeholder is what a redacted finding is replaced with.
func Placeholder(f Finding) string {
	if f.Category == CategorySecret {
		return "[SECRET]"
	}
	return "[" + f.Type + "]"
}
