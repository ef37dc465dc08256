package pricing

import "strings"

// Clients name the same model in many ways: "openai/gpt-4o" (OpenRouter),
// "models/gemini-1.5-pro" (Gemini API), "claude-sonnet-4-5@20250929" (Vertex),
// "us.anthropic.claude-3-5-sonnet-20241022-v2:0" (Bedrock),
// "gpt-4o-2024-08-06" (dated snapshot). resolve peels these decorations off
// one at a time and looks the result up after each step, so that a more
// specific entry (say the dated "gpt-4o-2024-05-13", which has its own price)
// wins over the bare model. It only ever removes known decorations; it never
// shortens a name to a prefix, so "gpt-4o-mini" cannot become "gpt-4o" and
// "o3-mini" cannot become "o3".

// resolve finds the entry for model without the cache.
func (t *Table) resolve(model string) int32 {
	if i, ok := t.exact[model]; ok {
		return i
	}
	s := strings.ToLower(strings.TrimSpace(model))
	if s == "" {
		return noEntry
	}
	if i, ok := t.find(s); ok {
		return i
	}
	// A fine-tuned OpenAI model ("ft:gpt-4o-mini-2024-07-18:org::id") is
	// billed at its own rates, not the base model's.
	if strings.HasPrefix(s, "ft:") {
		return noEntry
	}
	for _, step := range normalizeSteps {
		var changed bool
		if s, changed = step(s); !changed {
			continue
		}
		if s == "" {
			return noEntry
		}
		if i, ok := t.find(s); ok {
			return i
		}
	}
	for {
		var changed bool
		if s, changed = stripSuffix(s); !changed {
			return noEntry
		}
		if i, ok := t.find(s); ok {
			return i
		}
	}
}

// normalizeSteps remove, in order, the decorations that precede the version
// suffixes.
var normalizeSteps = [...]func(string) (string, bool){
	stripPath,           // openai/gpt-4o, models/gemini-1.5-pro, meta-llama/...
	stripBedrockPrefix,  // us.anthropic.claude-..., meta.llama3-...
	stripAt,             // claude-sonnet-4-5@20250929
	stripBracket,        // claude-sonnet-4-5[1m]
	stripBedrockVersion, // ...-v2:0
	stripTag,            // :free, :thinking
}

// find looks up a lower-cased candidate by name or alias, reading '.' and '-'
// alike ("claude-3.5-sonnet" is "claude-3-5-sonnet") unless that is ambiguous.
func (t *Table) find(s string) (int32, bool) {
	if i, ok := t.keys[s]; ok {
		return i, true
	}
	i, ok := t.folded[fold(s)]
	return i, ok
}

func fold(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.ReplaceAll(s, ".", "-")
}

func stripPath(s string) (string, bool) {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:], true
	}
	return s, false
}

// Bedrock model ids are "[region.]vendor.model", e.g. "us.anthropic.claude-…"
// or "meta.llama3-1-70b-instruct-v1:0".
var (
	bedrockRegions = []string{"us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."}
	bedrockVendors = []string{"anthropic.", "meta.", "mistral.", "deepseek.", "openai.", "google.", "amazon.", "cohere.", "ai21.", "qwen.", "writer."}
)

func stripBedrockPrefix(s string) (string, bool) {
	rest := s
	for _, r := range bedrockRegions {
		if strings.HasPrefix(rest, r) {
			rest = rest[len(r):]
			break
		}
	}
	for _, v := range bedrockVendors {
		if strings.HasPrefix(rest, v) {
			return rest[len(v):], true
		}
	}
	return s, false
}

func stripAt(s string) (string, bool) {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return s[:i], true
	}
	return s, false
}

func stripBracket(s string) (string, bool) {
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndexByte(s, '['); i >= 0 {
			return s[:i], true
		}
	}
	return s, false
}

// stripBedrockVersion removes a Bedrock version "-v<n>:<m>". Only with the
// colon: a bare "-v3" is part of names like "deepseek-v3".
func stripBedrockVersion(s string) (string, bool) {
	colon := strings.LastIndexByte(s, ':')
	if colon < 0 || !allDigits(s[colon+1:]) {
		return s, false
	}
	v := strings.LastIndex(s[:colon], "-v")
	if v < 0 || !allDigits(s[v+2:colon]) {
		return s, false
	}
	return s[:v], true
}

// stripTag removes a ":tag" such as OpenRouter's ":free" or ":thinking".
func stripTag(s string) (string, bool) {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[:i], true
	}
	return s, false
}

// stripSuffix removes one trailing release marker: "-latest", "-preview",
// "-exp", a date ("-2024-08-06", "-20241022", "-05-20", "-09-2025") or a
// version number ("-0125", "-2411", "-001").
func stripSuffix(s string) (string, bool) {
	for _, w := range []string{"-latest", "-preview", "-experimental", "-exp"} {
		if r, ok := strings.CutSuffix(s, w); ok && r != "" {
			return r, true
		}
	}
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return s, false
	}
	last := s[i+1:]
	if !allDigits(last) {
		return s, false
	}
	head := s[:i]
	switch len(last) {
	case 8: // YYYYMMDD
		if strings.HasPrefix(last, "20") {
			return head, true
		}
	case 4: // 0125, 2411, or the year of "-09-2025"
		if isYear(last) {
			if j := strings.LastIndexByte(head, '-'); j > 0 && isMonth(head[j+1:]) {
				return head[:j], true
			}
		}
		return head, true
	case 3: // 001
		return head, true
	case 2: // -YYYY-MM-DD or -MM-DD
		j := strings.LastIndexByte(head, '-')
		if j <= 0 || !isMonth(head[j+1:]) || !isDay(last) {
			return s, false
		}
		if k := strings.LastIndexByte(head[:j], '-'); k > 0 && len(head[k+1:j]) == 4 && isYear(head[k+1:j]) {
			return head[:k], true
		}
		return head[:j], true
	}
	return s, false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isMonth(s string) bool { return len(s) == 2 && allDigits(s) && s >= "01" && s <= "12" }
func isDay(s string) bool   { return len(s) == 2 && allDigits(s) && s >= "01" && s <= "31" }
func isYear(s string) bool  { return len(s) == 4 && allDigits(s) && strings.HasPrefix(s, "20") }
