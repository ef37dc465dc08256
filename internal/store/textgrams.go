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

// GramSet is a set of trigrams. A commit adds every trigram of every new text, hundreds per
// trace and most of them repeats; an open-addressing table with linear probing takes them
// several times faster than a Go map.
type GramSet struct {
	slots []int64 // gram+1 (grams are below 2^63); 0 marks an empty slot
	n     int
}

// Add adds one trigram.
func (s *GramSet) Add(g int64) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	k := g + 1
	mask := uint64(len(s.slots) - 1)
	for i := gramSlot(k) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = k
			s.n++
			return
		case k:
			return
		}
	}
}

func gramSlot(k int64) uint64 { return (uint64(k) * 0x9e3779b97f4a7c15) >> 17 }

func (s *GramSet) grow() {
	old := s.slots
	s.slots = make([]int64, max(1024, 2*len(old)))
	s.n = 0
	for _, k := range old {
		if k != 0 {
			s.Add(k - 1)
		}
	}
}

// AddText adds the trigrams of lower-cased text: those eachGram lists, found without a call
// per rune for ASCII.
func (s *GramSet) AddText(text string) {
	var a, b rune
	n := 0
	for i := 0; i < len(text); {
		var r rune
		if c := text[i]; c < utf8.RuneSelf {
			r = rune(c)
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			i++
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(text[i:])
			r = unicode.ToLower(r)
			i += size
		}
		if n >= 2 {
			s.Add(gramOf(a, b, r))
		}
		a, b = b, r
		n++
	}
}

// Len is the number of trigrams in the set.
func (s *GramSet) Len() int { return s.n }

// Each calls fn with every trigram of the set, in no particular order.
func (s *GramSet) Each(fn func(int64)) {
	for _, k := range s.slots {
		if k != 0 {
			fn(k - 1)
		}
	}
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
