package guardrail

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
)

// Rule kinds.
const (
	RuleRegex      = "regex"
	RuleKeywords   = "keywords"
	RuleLength     = "length"
	RuleJSONSchema = "json_schema"
	RuleTopic      = "denied_topic"
)

// Actions, from least to most severe.
const (
	ActionLog    = "log"
	ActionFlag   = "flag"
	ActionRedact = "redact"
	ActionBlock  = "block"
)

// ActionRank orders actions so the strongest wins when several findings apply.
func ActionRank(a string) int {
	switch a {
	case ActionLog:
		return 1
	case ActionFlag:
		return 2
	case ActionRedact:
		return 3
	case ActionBlock:
		return 4
	}
	return 0
}

// Rule is a workspace's own check (model.GuardrailRule), compiled.
type Rule struct {
	model.GuardrailRule

	re     *regexp.Regexp
	schema *schemaNode
}

// Compile checks the rule and prepares it; its error names the offending field.
func (r *Rule) Compile() (field string, err error) {
	if strings.TrimSpace(r.Name) == "" {
		return "name", fmt.Errorf("is required")
	}
	switch r.Kind {
	case RuleRegex:
		if r.Pattern == "" {
			return "pattern", fmt.Errorf("is required for a regex rule")
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return "pattern", fmt.Errorf("is not a valid regular expression: %v", err)
		}
		r.re = re
	case RuleKeywords, RuleTopic:
		kept := r.Keywords[:0]
		for _, k := range r.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				kept = append(kept, k)
			}
		}
		r.Keywords = kept
		if len(r.Keywords) == 0 {
			return "keywords", fmt.Errorf("needs at least one keyword")
		}
	case RuleLength:
		if r.MaxLength <= 0 {
			return "max_length", fmt.Errorf("must be positive")
		}
	case RuleJSONSchema:
		n, err := parseSchema(r.Schema)
		if err != nil {
			return "schema", err
		}
		r.schema = n
	default:
		return "kind", fmt.Errorf("must be one of regex, keywords, length, json_schema, denied_topic")
	}
	for i, d := range r.Directions {
		if d != string(DirectionInput) && d != string(DirectionOutput) {
			return fmt.Sprintf("directions.%d", i), fmt.Errorf("must be input or output")
		}
	}
	if r.Action == "" {
		r.Action = ActionFlag
	}
	if ActionRank(r.Action) == 0 {
		return "action", fmt.Errorf("must be log, flag, redact or block")
	}
	if r.Severity == "" {
		r.Severity = "medium"
	}
	if !slices.Contains(Severities, r.Severity) {
		return "severity", fmt.Errorf("must be low, medium, high or critical")
	}
	return "", nil
}

func (r *Rule) applies(opt Options) bool {
	if !r.Enabled {
		return false
	}
	if len(r.Directions) > 0 && opt.Direction != "" {
		ok := false
		for _, d := range r.Directions {
			ok = ok || d == string(opt.Direction)
		}
		if !ok {
			return false
		}
	}
	if len(r.Agents) > 0 {
		ok := false
		for _, a := range r.Agents {
			ok = ok || a == opt.AgentID
		}
		return ok
	}
	return true
}

func applyRules(text, lower string, opt Options, out []span) []span {
	for i := range opt.Rules {
		r := &opt.Rules[i]
		if !r.applies(opt) {
			continue
		}
		add := func(s, e int, score float64) {
			out = append(out, span{cat: CategoryCustom, typ: strings.ToUpper(r.Kind), start: s, end: e, score: score, detector: "custom/" + r.Kind + "@1", rule: r.ID})
		}
		switch r.Kind {
		case RuleRegex:
			if r.re == nil {
				if _, err := r.Compile(); err != nil {
					continue
				}
			}
			for _, m := range r.re.FindAllStringIndex(text, 32) {
				if m[1] > m[0] {
					add(m[0], m[1], 1)
				}
			}
		case RuleKeywords:
			for _, k := range r.Keywords {
				for off := 0; ; {
					i := strings.Index(lower[off:], k)
					if i < 0 {
						break
					}
					s := off + i
					if wordBoundary(lower, s, s+len(k)) {
						add(s, s+len(k), 1)
					}
					off = s + len(k)
				}
			}
		case RuleTopic:
			need := r.MinMatches
			if need <= 0 {
				need = min(2, len(r.Keywords))
			}
			hits := 0
			for _, k := range r.Keywords {
				if i := strings.Index(lower, k); i >= 0 && wordBoundary(lower, i, i+len(k)) {
					hits++
				}
			}
			if hits >= need {
				add(0, len(text), float64(hits)/float64(len(r.Keywords)))
			}
		case RuleLength:
			if utf8.RuneCountInString(text) > r.MaxLength {
				add(0, len(text), 1)
			}
		case RuleJSONSchema:
			if r.schema == nil {
				if _, err := r.Compile(); err != nil {
					continue
				}
			}
			var v any
			if err := json.Unmarshal([]byte(text), &v); err != nil || r.schema.validate(v) != nil {
				add(0, len(text), 1)
			}
		}
	}
	return out
}

func wordBoundary(s string, start, end int) bool {
	return (start == 0 || !isLetter(s[start-1]) && !isDigit(s[start-1])) && (end == len(s) || !isLetter(s[end]) && !isDigit(s[end]))
}

// schemaNode is the part of JSON Schema that output checks need: type, required,
// properties, items, enum, minLength/maxLength, minimum/maximum.
type schemaNode struct {
	Type       any                    `json:"type"`
	Required   []string               `json:"required"`
	Properties map[string]*schemaNode `json:"properties"`
	Items      *schemaNode            `json:"items"`
	Enum       []any                  `json:"enum"`
	MinLength  *int                   `json:"minLength"`
	MaxLength  *int                   `json:"maxLength"`
	Minimum    *float64               `json:"minimum"`
	Maximum    *float64               `json:"maximum"`
}

func parseSchema(raw json.RawMessage) (*schemaNode, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("is required for a json_schema rule")
	}
	var n schemaNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("is not a JSON Schema object: %v", err)
	}
	return &n, nil
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

func (n *schemaNode) typeOK(v any) bool {
	t := jsonType(v)
	match := func(want string) bool { return want == t || want == "number" && t == "integer" }
	switch want := n.Type.(type) {
	case nil:
		return true
	case string:
		return match(want)
	case []any:
		for _, w := range want {
			if s, ok := w.(string); ok && match(s) {
				return true
			}
		}
		return false
	}
	return false
}

func (n *schemaNode) validate(v any) error {
	if n == nil {
		return nil
	}
	if !n.typeOK(v) {
		return fmt.Errorf("wrong type %s", jsonType(v))
	}
	if len(n.Enum) > 0 {
		ok := false
		for _, e := range n.Enum {
			a, _ := json.Marshal(e)
			b, _ := json.Marshal(v)
			ok = ok || string(a) == string(b)
		}
		if !ok {
			return fmt.Errorf("not in enum")
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, req := range n.Required {
			if _, ok := x[req]; !ok {
				return fmt.Errorf("missing %s", req)
			}
		}
		for k, sub := range n.Properties {
			if pv, ok := x[k]; ok {
				if err := sub.validate(pv); err != nil {
					return err
				}
			}
		}
	case []any:
		for _, it := range x {
			if err := n.Items.validate(it); err != nil {
				return err
			}
		}
	case string:
		l := utf8.RuneCountInString(x)
		if n.MinLength != nil && l < *n.MinLength || n.MaxLength != nil && l > *n.MaxLength {
			return fmt.Errorf("length out of range")
		}
	case float64:
		if n.Minimum != nil && x < *n.Minimum || n.Maximum != nil && x > *n.Maximum {
			return fmt.Errorf("out of range")
		}
	}
	return nil
}
