package guardrail

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// phraseRules run regular expressions that each begin with a word from a fixed set (the
// injection phrasings). Running such an expression over a whole text costs the regexp
// package a pass per rule and, for its backtracker, memory in proportion to the text;
// agent prompts are full of the words that start them ("you are", "new", "show").
// So each rule runs anchored, only where one of its leading words occurs, on a window as
// long as its longest possible match, and only when a word that a later part of the rule
// needs occurs in that window too. The results are those of FindAllStringIndex(text, 4)
// per rule.
type phraseRules struct {
	rules    []phraseRule
	words    *keywordIndex
	wordUses [][]phraseWordUse // word -> the rules it starts or is needed by
}

type phraseWordUse struct {
	rule    int
	leading bool // starts the rule; otherwise a later part of the rule needs it
	// atBoundary: the word counts only where it starts a word (leading words always do).
	atBoundary bool
}

type phraseRule struct {
	typ      string
	full     *regexp.Regexp // for texts where the shortcut does not hold
	anchored *regexp.Regexp
	maxLen   int  // bytes; the window the anchored expression runs on
	needs    bool // a later part of the rule needs one of its words
}

type phraseRuleSource struct {
	typ, expr string
}

// maxPhraseMatches is how many matches a rule reports per text.
const maxPhraseMatches = 4

// leadingWordBytes caps how much of a leading phrase is looked up: enough to be rare.
const leadingWordBytes = 8

func newPhraseRules(src []phraseRuleSource) *phraseRules {
	p := &phraseRules{}
	index := map[string]int{}
	var words []string
	use := func(word string, u phraseWordUse) {
		k, ok := index[word]
		if !ok {
			k = len(words)
			index[word] = k
			words = append(words, word)
			p.wordUses = append(p.wordUses, nil)
		}
		if !slices.Contains(p.wordUses[k], u) {
			p.wordUses[k] = append(p.wordUses[k], u)
		}
	}
	for i, s := range src {
		re, err := syntax.Parse(s.expr, syntax.Perl)
		if err != nil {
			panic(fmt.Sprintf("phrase rule %d: %v", i, err))
		}
		maxLen := maxMatchBytes(re)
		if maxLen < 0 {
			panic(fmt.Sprintf("phrase rule %d has no bound on its length: %s", i, s.expr))
		}
		if re.Op != syntax.OpConcat || re.Sub[0].Op != syntax.OpWordBoundary {
			panic(fmt.Sprintf("phrase rule %d does not start at a word boundary: %s", i, s.expr))
		}
		simple := re.Simplify()
		leads := shortest(leadingLiterals(simple, leadingWordBytes))
		for _, l := range leads {
			if len(l.text) < 2 || !isRegexpWordByte(l.text[0]) {
				panic(fmt.Sprintf("phrase rule %d does not start with a word: %s", i, s.expr))
			}
			use(l.text, phraseWordUse{rule: i, leading: true})
		}
		needed, atBoundary := neededLiterals(simple)
		for _, l := range needed {
			use(l.text, phraseWordUse{rule: i, atBoundary: atBoundary})
		}
		p.rules = append(p.rules, phraseRule{typ: s.typ, full: regexp.MustCompile(s.expr),
			anchored: regexp.MustCompile(`^(?:` + s.expr + `)`), maxLen: maxLen, needs: len(needed) > 0})
	}
	p.words = newKeywordIndex(words)
	return p
}

// neededLiterals picks, after the first part of a concatenation, the part whose leading
// literals are all at least three bytes long (the last such): every match holds one of
// them. Two bytes ("pr" of "précédentes") occur so often that looking for them costs more
// than the expressions they would spare. None when no part qualifies.
//
// It also reports whether that part follows a word boundary (\b) and all its literals begin
// with a word byte: a needed word then counts only where it starts a word, so "stan" in
// "understand" wakes no rule that needs the word "STAN".
func neededLiterals(re *syntax.Regexp) ([]leadingLiteral, bool) {
	if re.Op != syntax.OpConcat {
		return nil, false
	}
	first := true
	var best []leadingLiteral
	bestAtBoundary := false
	for k, sub := range re.Sub {
		if maxMatchBytes(sub) == 0 {
			continue
		}
		if first {
			first = false
			continue
		}
		ls := shortest(leadingLiterals(sub, leadingWordBytes))
		if !slices.ContainsFunc(ls, func(l leadingLiteral) bool { return len(l.text) < 3 }) {
			best = ls
			bestAtBoundary = re.Sub[k-1].Op == syntax.OpWordBoundary &&
				!slices.ContainsFunc(ls, func(l leadingLiteral) bool { return !isRegexpWordByte(l.text[0]) })
		}
	}
	return best, bestAtBoundary
}

// phraseEvent is a word of a rule found in the text: where, and whether it starts the
// rule or is needed by a later part of it.
type phraseEvent struct {
	rule, pos int32
	leading   bool
}

// each calls f for every match, rule by rule, in order of position within a rule. It
// keeps the words it finds in buf and returns it for reuse.
func (p *phraseRules) each(text, lower string, hits *keywordHits, buf []phraseEvent, f func(typ string, start, end int)) []phraseEvent {
	if foldsOutsideASCII(text) {
		// The Kelvin sign and the long s match k and s under (?i) but are not lowered
		// into the text the leading words are looked up in.
		for _, r := range p.rules {
			for _, m := range r.full.FindAllStringIndex(text, maxPhraseMatches) {
				f(r.typ, m[0], m[1])
			}
		}
		return buf
	}
	// The words in order of position; a rule's words at one position are listed once.
	events := buf[:0]
	hits.each(p.words, lower, func(w, i int) {
		first := len(events)
		for first > 0 && int(events[first-1].pos) == i {
			first--
		}
	uses:
		for _, u := range p.wordUses[w] {
			if (u.leading || u.atBoundary) && i > 0 && isRegexpWordByte(text[i-1]) {
				continue // every rule begins at a word boundary, and so do some needed words
			}
			e := phraseEvent{int32(u.rule), int32(i), u.leading} // #nosec G115 -- texts are far below 2 GiB
			for _, seen := range events[first:] {
				if seen == e {
					continue uses
				}
			}
			events = append(events, e)
		}
	})
	for r := range p.rules {
		rule := &p.rules[r]
		found, next, need := 0, 0, 0 // need: index of the next needed word of r not before i
		for _, e := range events {
			if int(e.rule) != r || !e.leading {
				continue
			}
			i := int(e.pos)
			if i < next {
				continue // inside the previous match: matches do not overlap
			}
			// One byte past the longest match, so a word boundary at its end sees the
			// text's next byte rather than the end of the window.
			end := min(len(text), i+rule.maxLen+1)
			if rule.needs {
				for need < len(events) && (int(events[need].rule) != r || events[need].leading || int(events[need].pos) < i) {
					need++
				}
				if need == len(events) {
					break
				}
				if int(events[need].pos) >= end {
					continue
				}
			}
			m := rule.anchored.FindStringIndex(text[i:end])
			if m == nil {
				continue
			}
			f(rule.typ, i, i+m[1])
			if found++; found == maxPhraseMatches {
				break
			}
			next = max(i+m[1], i+1)
		}
	}
	return events
}

// isRegexpWordByte is \w of the regexp package, which \b is defined by.
func isRegexpWordByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

// foldsOutsideASCII reports whether text holds U+212A KELVIN SIGN or U+017F LATIN SMALL
// LETTER LONG S, the only runes outside ASCII that case folding maps onto ASCII letters.
func foldsOutsideASCII(text string) bool {
	return strings.Contains(text, "\u212a") || strings.Contains(text, "\u017f")
}

// maxMatchBytes bounds the length in bytes of any match of re; -1 when unbounded.
func maxMatchBytes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		return len(re.Rune) * utf8.UTFMax // a folded rune can be longer than the one written
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxMatchBytes(re.Sub[0])
	case syntax.OpQuest:
		return maxMatchBytes(re.Sub[0])
	case syntax.OpRepeat:
		n := maxMatchBytes(re.Sub[0])
		if re.Max < 0 || n < 0 {
			return -1
		}
		return n * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		total, most := 0, 0
		for _, s := range re.Sub {
			n := maxMatchBytes(s)
			if n < 0 {
				return -1
			}
			total, most = total+n, max(most, n)
		}
		if re.Op == syntax.OpAlternate {
			return most
		}
		return total
	}
	return -1 // star, plus
}

// shortest drops the literals that extend another one: finding the shorter is enough.
func shortest(ls []leadingLiteral) []leadingLiteral {
	var out []leadingLiteral
	for _, l := range ls {
		if !slices.ContainsFunc(ls, func(o leadingLiteral) bool {
			return len(o.text) < len(l.text) && strings.HasPrefix(l.text, o.text)
		}) {
			out = append(out, l)
		}
	}
	return out
}

// leadingLiteral is text every match of an expression starts with (lowercased); whole
// says the expression matches exactly text, so what follows it extends it.
type leadingLiteral struct {
	text  string
	whole bool
}

// leadingLiterals lists, for a case-insensitive expression, lowercase ASCII strings of at
// most limit bytes such that every match starts with one of them. An expression that can
// start otherwise yields an empty string among them.
func leadingLiterals(re *syntax.Regexp, limit int) []leadingLiteral {
	switch re.Op {
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf || b.Len() == limit {
				return []leadingLiteral{{b.String(), false}}
			}
			b.WriteByte(byte(strings.ToLower(string(r))[0]))
		}
		return []leadingLiteral{{b.String(), true}}
	case syntax.OpCapture:
		return leadingLiterals(re.Sub[0], limit)
	case syntax.OpQuest:
		return append(leadingLiterals(re.Sub[0], limit), leadingLiteral{"", true})
	case syntax.OpAlternate:
		var out []leadingLiteral
		for _, s := range re.Sub {
			out = append(out, leadingLiterals(s, limit)...)
		}
		return out
	case syntax.OpConcat:
		acc := []leadingLiteral{{"", true}}
		for _, s := range re.Sub {
			if maxMatchBytes(s) == 0 {
				continue // a word boundary and the like consume nothing
			}
			next := leadingLiterals(s, limit)
			var grown []leadingLiteral
			for _, a := range acc {
				if !a.whole || len(a.text) >= limit {
					grown = append(grown, leadingLiteral{a.text, false})
					continue
				}
				for _, n := range next {
					t := a.text + n.text
					grown = append(grown, leadingLiteral{t[:min(len(t), limit)], n.whole && len(t) <= limit})
				}
			}
			acc = grown
		}
		return acc
	}
	return []leadingLiteral{{"", false}}
}
