package guardrail

import "math/bits"

// keywordIndex finds many keywords in one pass: a bitmap of the keywords' first two bytes
// (8 KB, so it stays in the L1 cache) rejects almost every position before any comparison,
// and a mask of the third bytes that follow each prefix rejects most of the rest, which
// matters when the prefixes are common bigrams of prose ("th", "in", "re").
type keywordIndex struct {
	words []string
	bits  [1 << 10]uint64
	// ranks[i] counts the prefixes set in bits[:i]: a prefix's number among them, its
	// index into lists and thirds, is its rank plus the bits set before it in its word
	// (2 KB in place of a 128 KB table indexed by prefix, which missed the cache).
	ranks [1 << 10]uint16
	lists [][]int32
	// thirds[slot] has bit c set when a keyword with that prefix continues with byte c;
	// all bits when one of them is the prefix itself.
	thirds [][4]uint64
	// heads[w] is word w's first four bytes (fewer for a shorter word, masked by
	// headMasks[w]), compared in one operation before the whole word is.
	heads, headMasks []uint32
}

func newKeywordIndex(words []string) *keywordIndex {
	k := &keywordIndex{words: words}
	for _, w := range words {
		if len(w) < 2 {
			panic("keyword shorter than two bytes: " + w)
		}
		p := uint16(w[0])<<8 | uint16(w[1])
		k.bits[p>>6] |= 1 << (p & 63)
	}
	total := 0
	for i, b := range k.bits {
		k.ranks[i] = uint16(total) // #nosec G115 -- at most 65,536 prefixes
		total += bits.OnesCount64(b)
	}
	k.lists = make([][]int32, total)
	k.thirds = make([][4]uint64, total)
	for i, w := range words {
		n := k.slotOf(uint16(w[0])<<8 | uint16(w[1]))
		k.lists[n] = append(k.lists[n], int32(i))
		var head, mask uint32
		for b := 0; b < min(4, len(w)); b++ {
			head |= uint32(w[b]) << (8 * b)
			mask |= 0xff << (8 * b)
		}
		k.heads = append(k.heads, head)
		k.headMasks = append(k.headMasks, mask)
		if len(w) == 2 {
			k.thirds[n] = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
		} else {
			k.thirds[n][w[2]>>6] |= 1 << (w[2] & 63)
		}
	}
	return k
}

// slotOf is the index into lists and thirds of the prefix p, which must be in bits.
func (k *keywordIndex) slotOf(p uint16) int {
	return int(k.ranks[p>>6]) + bits.OnesCount64(k.bits[p>>6]&(1<<(p&63)-1))
}

// each calls f for every occurrence of a keyword in lower, in order of position.
func (k *keywordIndex) each(lower string, f func(word, pos int)) {
	k.scan(lower, func(w, i int) bool { f(w, i); return true })
}

// any reports whether any keyword occurs in lower.
func (k *keywordIndex) any(lower string) bool {
	found := false
	k.scan(lower, func(int, int) bool { found = true; return false })
	return found
}

// scan calls f for each occurrence until f returns false.
func (k *keywordIndex) scan(lower string, f func(word, pos int) bool) {
	for i := 0; i+1 < len(lower); i++ {
		p := uint16(lower[i])<<8 | uint16(lower[i+1])
		if k.bits[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		n := k.slotOf(p)
		if i+2 < len(lower) {
			if c := lower[i+2]; k.thirds[n][c>>6]&(1<<(c&63)) == 0 {
				continue
			}
		}
		if i+4 <= len(lower) {
			x := uint32(lower[i]) | uint32(lower[i+1])<<8 | uint32(lower[i+2])<<16 | uint32(lower[i+3])<<24
			for _, w := range k.lists[n] {
				if x&k.headMasks[w] != k.heads[w] {
					continue
				}
				kw := k.words[w]
				if len(lower)-i >= len(kw) && lower[i+4:i+max(4, len(kw))] == kw[min(4, len(kw)):] && !f(int(w), i) {
					return
				}
			}
			continue
		}
		for _, w := range k.lists[n] {
			kw := k.words[w]
			if len(lower)-i >= len(kw) && lower[i:i+len(kw)] == kw && !f(int(w), i) {
				return
			}
		}
	}
}

// keywordHit is one occurrence of a word of the index idx.
type keywordHit struct {
	idx       *keywordIndex
	word, pos int32
}

// keywordHits are the keywords found in one text. With all set they are those of every
// index of a keywordSet, found in one pass; otherwise each index reads the text itself.
type keywordHits struct {
	all  bool
	list []keywordHit
}

// each calls f for every occurrence of a word of idx in lower, in the order idx.each would.
func (h *keywordHits) each(idx *keywordIndex, lower string, f func(word, pos int)) {
	if !h.all {
		idx.each(lower, f)
		return
	}
	for _, x := range h.list {
		if x.idx == idx {
			f(int(x.word), int(x.pos))
		}
	}
}

// keywordSet finds the words of several indexes in one pass, so that a text is read once
// rather than once per detector.
type keywordSet struct {
	merged *keywordIndex
	owner  []*keywordIndex // merged word -> its index
	local  []int32         // merged word -> its number in that index
}

func newKeywordSet(indexes ...*keywordIndex) *keywordSet {
	s := &keywordSet{}
	var words []string
	for _, idx := range indexes {
		for i, w := range idx.words {
			words = append(words, w)
			s.owner = append(s.owner, idx)
			s.local = append(s.local, int32(i))
		}
	}
	// Each index's words keep their order within every prefix's list, so each index sees
	// its hits in the order of its own pass.
	s.merged = newKeywordIndex(words)
	return s
}

// find appends the hits of every index to buf.
func (s *keywordSet) find(lower string, buf []keywordHit) keywordHits {
	s.merged.each(lower, func(w, pos int) {
		buf = append(buf, keywordHit{s.owner[w], s.local[w], int32(pos)})
	})
	return keywordHits{all: true, list: buf}
}
