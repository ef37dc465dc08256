package provider

import (
	"encoding/json"
	"regexp"
	"strings"
)

var fence = regexp.MustCompile("(?s)```(?:json|JSON)?\\s*(.*?)```")

// DecodeObject reads the JSON object a model answered, however it was wrapped: as is, in a
// code fence, as the outermost {...} in prose, or with the mistakes models commonly make
// (trailing commas, Python literals, bare keys, curly quotes) repaired. It returns nil when
// no object can be read.
func DecodeObject(text string) map[string]json.RawMessage {
	try := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(strings.TrimSpace(s)), &m) == nil && m != nil {
			return m
		}
		return nil
	}
	if m := try(text); m != nil {
		return m
	}
	if f := fence.FindStringSubmatch(text); f != nil {
		if m := try(f[1]); m != nil {
			return m
		}
		text = f[1]
	}
	start, end := strings.IndexByte(text, '{'), strings.LastIndexByte(text, '}')
	if start < 0 || end <= start {
		return nil
	}
	outer := text[start : end+1]
	if m := try(outer); m != nil {
		return m
	}
	return try(repair(outer))
}

var (
	trailingComma = regexp.MustCompile(`,\s*([}\]])`)
	pyLiteral     = regexp.MustCompile(`\b(True|False|None)\b`)
	bareKey       = regexp.MustCompile(`([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:`)
)

// repair fixes what models commonly get wrong in JSON.
func repair(s string) string {
	s = strings.NewReplacer("\u201c", `"`, "\u201d", `"`, "\u2018", "'", "\u2019", "'").Replace(s)
	if !strings.Contains(s, `"`) {
		s = strings.ReplaceAll(s, "'", `"`)
	}
	s = pyLiteral.ReplaceAllStringFunc(s, func(m string) string {
		return map[string]string{"True": "true", "False": "false", "None": "null"}[m]
	})
	s = bareKey.ReplaceAllString(s, `$1"$2":`)
	return trailingComma.ReplaceAllString(s, "$1")
}
