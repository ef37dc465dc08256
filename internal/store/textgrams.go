package store

import (
	"math/bits"
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

// GramSet is a set of trigrams. A commit adds every trigram of every new text, a thousand
// per trace, into a set of tens of thousands: a hash table of that size misses the cache on
// most additions. Most trigrams are of three ASCII characters, which a bitmap of 2^21 bits
// (256 KiB, cache-sized) holds with one access each; the others go to an open-addressing
// table with linear probing.
type GramSet struct {
	ascii  []uint64 // bit a<<14|b<<7|c for ASCII runes a, b, c; nil while there is none
	nASCII int
	slots  []int64 // gram+1 (grams are below 2^63); 0 marks an empty slot
	n      int
}

const asciiGramBits = 1 << 21

// asciiIndex returns the bitmap position of a trigram of three ASCII runes.
func asciiIndex(g int64) (int, bool) {
	a, b, c := g>>42, g>>21&0x1fffff, g&0x1fffff
	if a|b|c >= utf8.RuneSelf {
		return 0, false
	}
	return int(a<<14 | b<<7 | c), true
}

func (s *GramSet) setASCII(i int) {
	if s.ascii == nil {
		s.ascii = make([]uint64, asciiGramBits/64)
	}
	w, bit := i>>6, uint64(1)<<(i&63)
	if s.ascii[w]&bit == 0 {
		s.ascii[w] |= bit
		s.nASCII++
	}
}

// Add adds one trigram.
func (s *GramSet) Add(g int64) {
	if i, ok := asciiIndex(g); ok {
		s.setASCII(i)
		return
	}
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

// Has reports whether the set holds g.
func (s *GramSet) Has(g int64) bool {
	if i, ok := asciiIndex(g); ok {
		return s.ascii != nil && s.ascii[i>>6]&(1<<(i&63)) != 0
	}
	if len(s.slots) == 0 {
		return false
	}
	k := g + 1
	mask := uint64(len(s.slots) - 1)
	for i := gramSlot(k) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			return false
		case k:
			return true
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
			r = rune(lowerASCII[c])
			i++
			if n >= 2 && a|b < utf8.RuneSelf {
				s.setASCII(int(a<<14 | b<<7 | r))
				a, b = b, r
				continue
			}
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

var lowerASCII = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(unicode.ToLower(rune(c)))
	}
	return t
}()

// Len is the number of trigrams in the set.
func (s *GramSet) Len() int { return s.nASCII + s.n }

// Each calls fn with every trigram of the set, in no particular order.
func (s *GramSet) Each(fn func(int64)) { s.EachNotIn(nil, fn) }

// EachNotIn calls fn with every trigram of the set that known (nil: an empty set) lacks.
func (s *GramSet) EachNotIn(known *GramSet, fn func(int64)) {
	for w, word := range s.ascii {
		if known != nil && known.ascii != nil {
			word &^= known.ascii[w]
		}
		for word != 0 {
			i := w<<6 | bits.TrailingZeros64(word)
			word &= word - 1
			fn(gramOf(rune(i>>14), rune(i>>7&0x7f), rune(i&0x7f)))
		}
	}
	for _, k := range s.slots {
		if k != 0 && (known == nil || !known.Has(k-1)) {
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
