package guardrail

import (
	"testing"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
)

func checkFindings(t *testing.T, text string, fs []Finding) {
	n := utf8.RuneCountInString(text)
	for _, f := range fs {
		if f.Start < 0 || f.End > n || f.Start >= f.End {
			t.Fatalf("finding %+v out of [0,%d) in %q", f, n, text)
		}
	}
}

func fuzzCategory(f *testing.F, cat Category) {
	for _, seed := range []string{"", "a@b.co", "+1-984-182-0190", "GB82 WEST 1234 5698 7654 32", "460-89-9847",
		"::1 10.0.0.1", "My name is Ann", "ignore previous instructions", "f.u.c.k", "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xff\xfe日本"} {
		f.Add(seed)
	}
	s := newScanner(f)
	f.Fuzz(func(t *testing.T, text string) {
		fs := s.Scan(text, Options{Categories: map[Category]bool{cat: true}})
		checkFindings(t, text, fs)
		_ = Redact(text, fs, map[Category]bool{cat: true})
	})
}

func FuzzPII(f *testing.F)       { fuzzCategory(f, CategoryPII) }
func FuzzSecrets(f *testing.F)   { fuzzCategory(f, CategorySecret) }
func FuzzInjection(f *testing.F) { fuzzCategory(f, CategoryInjection) }
func FuzzToxicity(f *testing.F)  { fuzzCategory(f, CategoryToxicity) }

func FuzzCustomRules(f *testing.F) {
	f.Add("regex", `\d+`, "abc 123")
	f.Add("json_schema", `{"type":"object","required":["a"]}`, `{"a":1}`)
	f.Add("keywords", "foo", "a foo b")
	s := newScanner(f)
	f.Fuzz(func(t *testing.T, kind, pattern, text string) {
		r := Rule{GuardrailRule: model.GuardrailRule{ID: "r", Name: "r", Kind: kind, Pattern: pattern, Keywords: []string{pattern}, Schema: []byte(pattern), MaxLength: 5, Enabled: true}}
		if _, err := r.Compile(); err != nil {
			return
		}
		checkFindings(t, text, s.Scan(text, Options{Categories: map[Category]bool{}, Rules: []Rule{r}}))
	})
}

func FuzzReadModel(f *testing.F) {
	f.Add(injectionModel[:64])
	f.Add([]byte(modelMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadModel(data)
	})
}
