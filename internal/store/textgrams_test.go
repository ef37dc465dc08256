package store

import (
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// covered says whether every trigram of needle is among the trigrams of one of texts.
func covered(needle string, texts ...string) bool {
	set := map[int64]struct{}{}
	for _, t := range texts {
		eachGram(t, func(g int64) { set[g] = struct{}{} })
	}
	for _, g := range NeedleGrams(needle) {
		if _, ok := set[g]; !ok {
			return false
		}
	}
	return true
}

func TestNeedleGrams(t *testing.T) {
	if NeedleGrams("ab") != nil || NeedleGrams("äö") != nil {
		t.Error("needles under three runes must not rule anything out")
	}
	if got := len(NeedleGrams("aaaa")); got != 1 {
		t.Errorf("repeated trigrams: %d, want 1", got)
	}
	if got := len(NeedleGrams(strings.Repeat("abcdefghij", 30))); got > MaxNeedleGrams {
		t.Errorf("%d trigrams, want at most %d", got, MaxNeedleGrams)
	}
	for _, c := range []struct {
		needle, text string
		want         bool
	}{
		{"REFUND", "Please refund my order", true},
		{"fund m", "Please refund my order", true},
		{"refunds", "Please refund my order", false},
		{"kelvin", "\u212aELVIN scale", true}, // the Kelvin sign lower-cases to k
		{"σασ", "ΣΑΣ", true},
		{"σας", "ΣΑΣ", false}, // no final sigma: lower-casing is rune by rune
		{"ärger", "ÄRGER im Büro", true},
		{"xyz", "", false},
	} {
		if got := covered(c.needle, c.text); got != c.want {
			t.Errorf("covered(%q, %q) = %v, want %v", c.needle, c.text, got, c.want)
		}
	}
}

// The commit's trigram set holds exactly the trigrams eachGram lists.
func TestGramSetMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	alphabet := []rune("aAbBzZ 0\x00ÄäΣσK�")
	var set GramSet
	want := map[int64]struct{}{}
	for i := range 3000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		if i%10 == 0 {
			text += "\xff\xfe" // invalid UTF-8 counts as U+FFFD in both
		}
		set.AddText(text)
		eachGram(text, func(g int64) { want[g] = struct{}{} })
	}
	got := map[int64]struct{}{}
	set.Each(func(g int64) { got[g] = struct{}{} })
	if set.Len() != len(want) || !maps.Equal(got, want) {
		t.Fatalf("set holds %d trigrams (%d listed), the map %d", set.Len(), len(got), len(want))
	}
}

// FuzzTextGrams checks the property the index rests on: a text that contains the needle
// (both lower-cased) holds all the needle's trigrams.
func FuzzTextGrams(f *testing.F) {
	f.Add("Please refund my order", "REFUND")
	f.Add("\u212aELVIN", "kel")
	f.Add("ΣΑΣ und ärger", "σας u")
	f.Add("\xff\xfeab", "\xfeab")
	f.Fuzz(func(t *testing.T, text, needle string) {
		if strings.Contains(strings.ToLower(text), strings.ToLower(needle)) && !covered(needle, text) {
			t.Fatalf("%q contains %q but its trigrams do not cover the needle's", text, needle)
		}
	})
}

// BenchmarkAddTextGrams measures what the text index adds to a commit per trace of distinct
// texts: the trigrams of a 300-character input and output into one hour's set.
func BenchmarkAddTextGrams(b *testing.B) {
	in := strings.Repeat("Where is my order #4711? It was due on Monday and ", 6)
	out := strings.Repeat("Your parcel left the depot today; tracking is live. ", 6)
	var set GramSet
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2000 == 0 {
			set = GramSet{} // a new hour now and then
		}
		set.AddText(in[i%7:])
		set.AddText(out[i%5:])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "traces/s")
}
