package guardrail

import (
	"strings"
)

const toxicityVersion = "@4" // 2: the classifier learned formal prose as clean; 3: n-grams hashed by multiplication, retrained; 4: ordinary agent requests learned as clean, everyday words out of the lexicon

// Toxicity finding types.
const (
	TypeProfanity = "PROFANITY"
	TypeToxic     = "TOXIC"
)

// toxicLexicon holds word stems of insults and profanity, after deobfuscation (see
// normalizeWord). A word matches when it equals a stem or starts with one that is marked
// as a prefix. Everyday words that insult only in context ("move it to the trash", "I hate
// waiting", "a stupid question", "the layout looks ugly", French "en retard") are left to
// the classifier, which reads the whole text: listed here, they flagged ordinary requests.
var toxicLexicon = map[string]bool{
	"fuck": true, "fucking": true, "fucker": true, "fuckin": true, "motherfucker": true, "fck": true, "fuk": true,
	"shit": true, "shitty": true, "bullshit": true, "bitch": true, "bitches": true, "bastard": true,
	"asshole": true, "assholes": true, "dick": true, "dickhead": true, "cunt": true, "cunts": true, "twat": true,
	"wanker": true, "prick": true, "pussy": true, "slut": true, "sluts": true, "whore": true, "whores": true,
	"hoe": true, "hoes": true, "moron": true, "morons": true, "idiot": true, "idiots": true,
	"dumbass": true, "retarded": true, "scum": true,
	"douche": true, "douchebag": true, "jackass": true, "dipshit": true,
	"imbecile": true, "cretin": true, "stfu": true, "kys": true,
	"nigga": true, "niggas": true, "nigger": true, "niggers": true, "faggot": true, "faggots": true, "fag": true,
	"fags": true, "dyke": true, "tranny": true, "spic": true, "chink": true, "kike": true, "wetback": true,
	"coon": true, "beaner": true, "gook": true, "raghead": true, "towelhead": true, "pedo": true, "pedophile": true,
}

// lexiconStarts has a bit set for the first three letters of each lexicon word: most
// words of a text fail this test, which is much cheaper than the map lookup.
var lexiconStarts = func() (bits [(26*26*26 + 63) / 64]uint64) {
	for w := range toxicLexicon {
		i := lexiconStart(w[0], w[1], w[2])
		bits[i/64] |= 1 << (i % 64)
	}
	return bits
}()

func lexiconStart(a, b, c byte) int { return (int(a-'a')*26+int(b-'a'))*26 + int(c-'a') }

// startsLikeLexicon reports whether some lexicon word begins with the letters a, b, c.
func startsLikeLexicon(a, b, c byte) bool {
	i := lexiconStart(a, b, c)
	return lexiconStarts[i/64]&(1<<(i%64)) != 0
}

// inLexicon reports whether w, lower-case letters only, is a lexicon word.
func inLexicon(w []byte) bool {
	if len(w) < 3 {
		return false
	}
	return startsLikeLexicon(w[0], w[1], w[2]) && toxicLexicon[string(w)]
}

// plainWordOutsideLexicon reports, for a lowered word of three or more letters and nothing
// else (nothing for normalizeWord to undo), that neither of its normal forms starts like a
// lexicon word: most words of prose, which then need no normalizing.
func plainWordOutsideLexicon(lw string) bool {
	if lw[0] == lw[1] && lw[1] == lw[2] {
		return false // squeezing changes the first three letters: let normalizeWord decide
	}
	if startsLikeLexicon(lw[0], lw[1], lw[2]) {
		return false
	}
	if lw[0] != lw[1] && lw[1] != lw[2] {
		return true // the form with repeats removed starts with the same three letters
	}
	// The form with repeats removed.
	var single [3]byte
	n := 0
	for i := 0; i < len(lw) && n < 3; i++ {
		if n == 0 || single[n-1] != lw[i] {
			single[n] = lw[i]
			n++
		}
	}
	if n < 3 {
		return true // shorter than any lexicon word
	}
	return !startsLikeLexicon(single[0], single[1], single[2])
}

// Phrases of threats and abuse that no single word carries.
var toxicPhrases = newKeywordIndex([]string{"kill yourself", "go die", "shut up", "piece of shit", "i will kill you", "hope you die", "go to hell", "fuck you", "fuck off"})

// leet undoes the usual character substitutions.
var leet = [256]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i', '|': 'i', '8': 'b'}

// normalizeWord lowers, undoes leetspeak, drops inner punctuation ("f.u.c.k", "sh*t") and
// squeezes letters repeated more than twice ("fuuuuck" -> "fuuck"), and also to one
// ("fuck"). Both forms are written into buf, which must hold 2*len(w) bytes.
func normalizeWord(w string, buf []byte) (squeezed, single []byte) {
	squeezed = buf[:0]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if r := leet[c]; r != 0 && (i > 0 || c != '!') {
			c = r
		}
		if c < 'a' || c > 'z' {
			continue
		}
		if n := len(squeezed); n >= 2 && squeezed[n-1] == c && squeezed[n-2] == c {
			continue
		}
		squeezed = append(squeezed, c)
	}
	single = buf[len(w):len(w)]
	for i, c := range squeezed {
		if i >= 1 && squeezed[i-1] == c {
			continue
		}
		single = append(single, c)
	}
	return squeezed, single
}

func isWordByte(c byte) bool { return byteClasses[c]&classWordByte != 0 }

// scanToxicity appends toxicity spans: lexicon words (also when spelled with single letters
// apart, "f u c k"), phrases, and the classifier's verdict over the whole text.
func (s *Scanner) scanToxicity(text, lower string, hits *keywordHits, score float64, out []span) []span {
	hits.each(toxicPhrases, lower, func(w, i int) {
		out = append(out, span{cat: CategoryToxicity, typ: TypeToxic, start: i, end: i + len(toxicPhrases.words[w]), score: 0.9, detector: "toxicity/lexicon" + toxicityVersion})
	})
	// Words, plus runs of single letters separated by spaces or dots.
	var wordBuf [80]byte
	runStart, runLetters := -1, 0
	var run []byte
	flushRun := func(end int) {
		if runLetters >= 3 {
			buf := make([]byte, 2*len(run))
			if _, single := normalizeWord(string(run), buf); inLexicon(single) || inLexicon(run) {
				out = append(out, span{cat: CategoryToxicity, typ: TypeProfanity, start: runStart, end: end, score: 0.85, detector: "toxicity/lexicon" + toxicityVersion})
			}
		}
		runStart, runLetters, run = -1, 0, run[:0]
	}
	for i := 0; i < len(text); {
		if !isWordByte(text[i]) {
			i++
			continue
		}
		j, letters := i, 0
		for j < len(text) {
			c := byteClasses[text[j]]
			if c&classWordByte == 0 {
				break
			}
			if c&(classUpper|classLower) != 0 {
				letters++
			}
			j++
		}
		wStart, wEnd := i, j
		for wStart < wEnd && (text[wStart] == '.' || text[wStart] == '\'' || text[wStart] == '!') {
			wStart++
		}
		for wEnd > wStart && (text[wEnd-1] == '.' || text[wEnd-1] == '\'' || text[wEnd-1] == '!') {
			wEnd--
		}
		w := text[wStart:wEnd]
		if len(w) == 1 && isLetter(w[0]) {
			if runStart < 0 {
				runStart = wStart
			}
			run = append(run, w[0]|0x20)
			runLetters++
		} else {
			if runStart >= 0 {
				flushRun(i - 1)
			}
			if len(w) >= 3 && len(w) <= 40 && !(letters == len(w) && plainWordOutsideLexicon(lower[wStart:wEnd])) {
				squeezed, single := normalizeWord(w, wordBuf[:])
				if inLexicon(squeezed) || inLexicon(single) || (strings.IndexByte(w, '*') >= 0 && maskedMatch(strings.ToLower(w))) {
					out = append(out, span{cat: CategoryToxicity, typ: TypeProfanity, start: wStart, end: wStart + len(w), score: 0.8, detector: "toxicity/lexicon" + toxicityVersion})
				}
			}
		}
		i = j
	}
	if runStart >= 0 {
		flushRun(len(strings.TrimRight(text, " .")))
	}
	if s.toxicity != nil && score >= s.toxicity.Threshold {
		out = append(out, span{cat: CategoryToxicity, typ: TypeToxic, start: 0, end: len(text), score: score, detector: "toxicity/classifier" + toxicityVersion})
	}
	return out
}

// maskedMatch reports whether a word with asterisks ("sh*t", "f**k") fits a lexicon word of
// the same length.
func maskedMatch(w string) bool {
	for lex := range toxicLexicon {
		if len(lex) != len(w) {
			continue
		}
		ok := true
		for i := 0; i < len(w); i++ {
			if w[i] != '*' && w[i] != lex[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
