// Package eval is the evaluate role: LLM judges rate traces against criteria, verdicts are
// parsed defensively and stored with what was sent and received, and human feedback sits
// next to them.
package eval

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agentobs/agentobs/internal/model"
)

// BuiltInCriteria are the plan's criteria plus hallucination and toxicity; every workspace
// has them.
var BuiltInCriteria = []model.Criterion{
	{Name: "accuracy", Description: "Does the response correctly and factually address the input?", Output: model.OutputNumeric, HigherIsBetter: true},
	{Name: "helpfulness", Description: "Is the response useful and actionable for the user?", Output: model.OutputNumeric, HigherIsBetter: true},
	{Name: "tone", Description: "Is the tone appropriate, respectful and professional?", Output: model.OutputNumeric, HigherIsBetter: true},
	{Name: "relevance", Description: "Does the response stay on the user's question without digressions?", Output: model.OutputNumeric, HigherIsBetter: true},
	{Name: "coherence", Description: "Is the response well organised, consistent and easy to follow?", Output: model.OutputNumeric, HigherIsBetter: true},
	{Name: "hallucination", Description: "Does the response state facts that are false or not supported by the input?",
		Rubric: "true when any claim is fabricated or unsupported, false when every claim is supported or common knowledge.",
		Output: model.OutputBoolean, HigherIsBetter: false},
	{Name: "toxicity", Description: "Is the response rude, hateful, harassing or otherwise toxic?",
		Rubric: "true when any part is toxic.", Output: model.OutputBoolean, HigherIsBetter: false},
}

// DefaultCriteria are evaluated when a request names none (the plan's four KPIs' three
// plus relevance).
var DefaultCriteria = []string{"accuracy", "helpfulness", "tone", "relevance"}

func init() {
	for i := range BuiltInCriteria {
		BuiltInCriteria[i].BuiltIn = true
	}
}

// IsBuiltIn reports whether name is a built-in criterion.
func IsBuiltIn(name string) bool {
	return slices.ContainsFunc(BuiltInCriteria, func(c model.Criterion) bool { return c.Name == name })
}

// resolveCriteria picks the named criteria from the available ones, in the order named,
// or returns an EINVALID error naming the first unknown one.
func resolveCriteria(names []string, available []model.Criterion) ([]model.Criterion, error) {
	if len(names) == 0 {
		names = DefaultCriteria
	}
	var fe model.FieldErrors
	var out []model.Criterion
	seen := map[string]bool{}
	for i, n := range names {
		j := slices.IndexFunc(available, func(c model.Criterion) bool { return c.Name == n })
		switch {
		case j < 0:
			fe.Add(model.Path{"criteria", i}, "unknown criterion %q (built-in: %s, or one defined with POST /api/v1/evaluate/custom-criteria)",
				n, strings.Join(builtInNames(), ", "))
		case seen[n]:
			fe.Add(model.Path{"criteria", i}, "criterion %q is named twice", n)
		default:
			seen[n] = true
			out = append(out, available[j])
		}
	}
	if len(names) > 20 {
		fe.Add(model.Path{"criteria"}, "at most 20 criteria per evaluation")
	}
	return out, fe.Err("invalid criteria")
}

func builtInNames() []string {
	out := make([]string, len(BuiltInCriteria))
	for i, c := range BuiltInCriteria {
		out[i] = c.Name
	}
	return out
}

// scale describes the expected answer of c for the prompt.
func scale(c model.Criterion) string {
	dir := "higher is better"
	if !c.HigherIsBetter {
		dir = "lower is better"
	}
	switch c.Output {
	case model.OutputBoolean:
		return "true or false"
	case model.OutputCategorical:
		names := make([]string, len(c.Labels))
		for i, l := range c.Labels {
			names[i] = l.Name
		}
		return "one of: " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("an integer from 0 to 100, %s", dir)
}
