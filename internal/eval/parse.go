package eval

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
)

// parseAnswer reads a judge's answer into one verdict per criterion. It tries, in order:
// strict JSON; the content of a Markdown code fence; the outermost {...} with common
// repairs (trailing commas, Python literals, single or typographic quotes). Each value is
// then read leniently (numbers as strings, "85/100", "yes"), and categorical answers are
// snapped to the nearest label. A criterion that cannot be read gets status unparsable and
// no score; there is never a default score.
func parseAnswer(text string, cs []model.Criterion) []model.Verdict {
	obj := provider.DecodeObject(text)
	out := make([]model.Verdict, len(cs))
	for i, c := range cs {
		v := model.Verdict{Criterion: c.Name, Status: model.EvalUnparsable}
		if raw, ok := lookup(obj, c.Name); ok {
			readVerdict(&v, raw, c)
		} else if len(cs) == 1 && obj == nil && c.Output == model.OutputCategorical {
			// A bare answer such as "Faithful." for a single categorical criterion.
			if l, ok := snapLabel(text, c.Labels); ok {
				v.Label, v.Score, v.Status = l.Name, model.Float64(l.Score), model.EvalDone
			}
		}
		out[i] = v
	}
	return out
}

// lookup finds a key case- and separator-insensitively ("Accuracy", "ACCURACY_SCORE").
func lookup(obj map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if obj == nil {
		return nil, false
	}
	if v, ok := obj[name]; ok {
		return v, true
	}
	norm := func(s string) string {
		s = strings.ToLower(s)
		s = strings.TrimSuffix(strings.TrimSuffix(s, "_score"), " score")
		return strings.NewReplacer("_", "", " ", "", "-", "").Replace(s)
	}
	for k, v := range obj {
		if norm(k) == norm(name) {
			return v, true
		}
	}
	// One nesting level: {"scores": {...}} or {"criteria": {...}}.
	for _, v := range obj {
		var inner map[string]json.RawMessage
		if json.Unmarshal(v, &inner) == nil {
			if _, isVerdict := inner["score"]; !isVerdict {
				if got, ok := lookup(inner, name); ok {
					return got, true
				}
			}
		}
	}
	return nil, false
}

func readVerdict(v *model.Verdict, raw json.RawMessage, c model.Criterion) {
	var obj map[string]json.RawMessage
	score := raw
	if json.Unmarshal(raw, &obj) == nil {
		score = nil
		for _, k := range []string{"score", "value", "verdict", "label", "rating"} {
			if s, ok := obj[k]; ok {
				score = s
				break
			}
		}
		for _, k := range []string{"explanation", "reason", "reasoning", "rationale"} {
			if e, ok := obj[k]; ok {
				var s string
				if json.Unmarshal(e, &s) == nil {
					v.Explanation = s
				}
				break
			}
		}
	}
	if score == nil {
		return
	}
	var val any
	if json.Unmarshal(score, &val) != nil {
		return
	}
	switch c.Output {
	case model.OutputNumeric:
		if f, ok := number(val); ok {
			v.Score, v.Status = model.Float64(f), model.EvalDone
		}
	case model.OutputBoolean:
		if b, ok := boolean(val); ok {
			f := 0.0
			if b {
				f = 100
			}
			v.Score, v.Label, v.Status = model.Float64(f), strconv.FormatBool(b), model.EvalDone
		}
	case model.OutputCategorical:
		if s, ok := val.(string); ok {
			if l, ok := snapLabel(s, c.Labels); ok {
				v.Score, v.Label, v.Status = model.Float64(l.Score), l.Name, model.EvalDone
			}
		}
	}
}

var fraction = regexp.MustCompile(`^\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?\s*%?\s*$`)

// number reads a 0–100 score: a number, or a string such as "85", "85%", "8/10".
func number(val any) (float64, bool) {
	var f float64
	switch x := val.(type) {
	case float64:
		f = x
	case string:
		m := fraction.FindStringSubmatch(x)
		if m == nil {
			return 0, false
		}
		f, _ = strconv.ParseFloat(m[1], 64)
		if m[2] != "" {
			den, _ := strconv.ParseFloat(m[2], 64)
			if den <= 0 {
				return 0, false
			}
			f = f / den * 100
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || f < 0 || f > 100 {
		return 0, false
	}
	return f, true
}

func boolean(val any) (bool, bool) {
	switch x := val.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.Trim(strings.TrimSpace(x), ".!")) {
		case "true", "yes", "y":
			return true, true
		case "false", "no", "n":
			return false, true
		}
	}
	return false, false
}

// snapLabel maps an answer to a label: exact (ignoring case and punctuation), then the
// single label the answer starts with or contains as a word.
func snapLabel(s string, labels []model.Label) (model.Label, bool) {
	norm := func(x string) string {
		return strings.Trim(strings.ToLower(strings.TrimSpace(x)), ".!\"'`*")
	}
	a := norm(s)
	for _, l := range labels {
		if norm(l.Name) == a {
			return l, true
		}
	}
	var found []model.Label
	for _, l := range labels {
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(norm(l.Name)) + `\b`)
		if re.MatchString(a) {
			found = append(found, l)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return model.Label{}, false
}

// overall is the mean of the parsed scores, each turned so that higher is better; nil
// when nothing was parsed.
func overall(vs []model.Verdict, cs []model.Criterion) *float64 {
	sum, n := 0.0, 0
	for i, v := range vs {
		if v.Score == nil {
			continue
		}
		s := *v.Score
		if !cs[i].HigherIsBetter {
			s = 100 - s
		}
		sum += s
		n++
	}
	if n == 0 {
		return nil
	}
	return model.Float64(math.Round(sum/float64(n)*100) / 100)
}
