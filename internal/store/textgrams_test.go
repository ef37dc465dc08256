package store

import (
	"fmt"
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
	// What a commit appends: the trigrams an hour's stored set lacks.
	var known GramSet
	for g := range want {
		if g%3 == 0 {
			known.Add(g)
		}
	}
	known.AddText("zzz ÄÄÄ") // trigrams the commit lacks change nothing
	missing := map[int64]struct{}{}
	set.EachNotIn(&known, func(g int64) { missing[g] = struct{}{} })
	for g := range want {
		_, listed := missing[g]
		if listed == known.Has(g) || !set.Has(g) {
			t.Fatalf("trigram %x: listed as missing %v, known %v", g, listed, known.Has(g))
		}
	}
	if len(missing) > len(want) {
		t.Fatalf("%d listed as missing of %d", len(missing), len(want))
	}
	var empty GramSet
	if empty.Has(gramOf('a', 'b', 'c')) || empty.Has(gramOf('ä', 'b', 'c')) || empty.Len() != 0 {
		t.Fatal("an empty set holds trigrams")
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
// texts: the trigrams of a 600-character input and a 400-character output into one hour's
// set, which grows to tens of thousands of trigrams as in production.
func BenchmarkAddTextGrams(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields(`where is my order it was due on monday and the parcel left depot today
		tracking live refund invoice account password reset billing plan upgrade cancel subscription
		error timeout retry backoff database query index latency deploy rollback release notes
		customer ticket escalate agent model prompt token cost budget quota region europe travel
		hotel flight booking seat baggage visa passport schedule meeting calendar email draft`)
	text := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(words[rng.IntN(len(words))])
			fmt.Fprintf(&sb, " #%d ", rng.IntN(100000))
		}
		return sb.String()
	}
	texts := make([]string, 1024)
	for i := range texts {
		texts[i] = text(500)
	}
	var set GramSet
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%20000 == 0 {
			set = GramSet{} // a new hour now and then
		}
		set.AddText(texts[i%len(texts)][i%7:])
		set.AddText(texts[(i+512)%len(texts)][i%5 : 400])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "traces/s")
}
