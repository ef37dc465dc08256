package guardrail

// keywordIndex finds many keywords in one pass: a bitmap of the keywords' first two bytes
// (8 KB, so it stays in the L1 cache) rejects almost every position before any comparison.
type keywordIndex struct {
	words []string
	bits  [1 << 10]uint64
	slot  [1 << 16]uint16 // prefix -> 1 + index into lists
	lists [][]int32
}

func newKeywordIndex(words []string) *keywordIndex {
	k := &keywordIndex{words: words}
	for i, w := range words {
		if len(w) < 2 {
			panic("keyword shorter than two bytes: " + w)
		}
		p := uint16(w[0])<<8 | uint16(w[1])
		k.bits[p>>6] |= 1 << (p & 63)
		if k.slot[p] == 0 {
			k.lists = append(k.lists, nil)
			k.slot[p] = uint16(len(k.lists))
		}
		k.lists[k.slot[p]-1] = append(k.lists[k.slot[p]-1], int32(i))
	}
	return k
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
		for _, w := range k.lists[k.slot[p]-1] {
			kw := k.words[w]
			if len(lower)-i >= len(kw) && lower[i:i+len(kw)] == kw && !f(int(w), i) {
				return
			}
		}
	}
}
