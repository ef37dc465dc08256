package store

import (
	"unicode"
	"unicode/utf8"
)

// The trace list's text search (TraceFilter.Text) keeps traces whose lower-cased name, input
// or output contains the lower-cased needle. A substring of a text has only trigrams of that
// text, so an index of the trigrams each stretch of traces holds can rule stretches out
// before any text is read; the substring test then confirms the rest. Texts are lower-cased
// rune by rune (unicode.ToLower), as strings.ToLower and the databases' lower() do.

// MaxNeedleGrams bounds the trigrams a search looks up: any subset of a needle's trigrams
// still rules out only stretches that cannot hold it.
const MaxNeedleGrams = 32

// gramOf packs three runes (at most 21 bits each) into one integer.
func gramOf(a, b, c rune) int64 {
	return int64(a)<<42 | int64(b)<<21 | int64(c)
}

// eachGram calls fn with every trigram of lower-cased s, in order, repeats included.
func eachGram(s string, fn func(int64)) {
	var a, b rune
	n := 0
	for _, r := range s {
		r = unicode.ToLower(r)
		if n >= 2 {
			fn(gramOf(a, b, r))
		}
		a, b = b, r
		n++
	}
}

// AddTextGrams adds the trigrams of lower-cased s to set.
func AddTextGrams(set map[int64]struct{}, s string) {
	eachGram(s, func(g int64) { set[g] = struct{}{} })
}

// NeedleGrams returns distinct trigrams of lower-cased needle, at most MaxNeedleGrams of
// them spread over its length, or nil when it is shorter than three runes and no trigram
// can rule anything out.
func NeedleGrams(needle string) []int64 {
	if utf8.RuneCountInString(needle) < 3 {
		return nil
	}
	var all []int64
	seen := map[int64]bool{}
	eachGram(needle, func(g int64) {
		if !seen[g] {
			seen[g] = true
			all = append(all, g)
		}
	})
	if len(all) <= MaxNeedleGrams {
		return all
	}
	out := make([]int64, 0, MaxNeedleGrams)
	for i := 0; i < MaxNeedleGrams; i++ {
		out = append(out, all[i*len(all)/MaxNeedleGrams])
	}
	return out
}
