package guardrail

import (
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode"
)

// sampleMatch writes a random string that re matches (bounded repeats kept short).
func sampleMatch(rng *rand.Rand, re *syntax.Regexp, b *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && rng.IntN(2) == 0 {
				r = unicode.SimpleFold(r)
				if r > unicode.MaxASCII {
					r = unicode.SimpleFold(r)
				}
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		var ascii []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1] && r < 0x7f; r++ {
				if r >= 0x21 {
					ascii = append(ascii, r)
				}
			}
		}
		if len(ascii) == 0 {
			ascii = []rune{re.Rune[0]}
		}
		b.WriteRune(ascii[rng.IntN(len(ascii))])
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte("abcXYZ019_-"[rng.IntN(11)])
	case syntax.OpCapture:
		sampleMatch(rng, re.Sub[0], b)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			sampleMatch(rng, s, b)
		}
	case syntax.OpAlternate:
		sampleMatch(rng, re.Sub[rng.IntN(len(re.Sub))], b)
	case syntax.OpQuest, syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		lo, hi := 0, 1
		switch re.Op {
		case syntax.OpStar:
			hi = 3
		case syntax.OpPlus:
			lo, hi = 1, 3
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 3
			}
		}
		for range lo + rng.IntN(hi-lo+1) {
			sampleMatch(rng, re.Sub[0], b)
		}
	}
}

// The token-run gate may skip a rule's expression only where the rule cannot match: every
// secret the rules find, in a sentence of prose, passes it.
func TestTokenRunGateKeepsEverySecret(t *testing.T) {
	s := newScanner(t)
	rng := rand.New(rand.NewPCG(3, 9))
	checked := 0
	gated := 0
	for _, rule := range s.secrets.rules {
		if rule.runNeeded == 0 {
			continue
		}
		gated++
		re, err := syntax.Parse(rule.re.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		for range 40 {
			var b strings.Builder
			sampleMatch(rng, re, &b)
			text := "Please look at this. " + b.String() + " Thanks."
			m := rule.re.FindStringSubmatchIndex(text)
			if m == nil {
				continue // the sample fell outside what the expression takes (e.g. a lookalike boundary)
			}
			checked++
			if longestTokenRun(text) < rule.runNeeded {
				t.Errorf("rule %s: match %q fails the token-run gate (a run of %d needed)", rule.id, text[m[0]:m[1]], rule.runNeeded)
				break
			}
		}
	}
	t.Logf("%d of %d rules gated, %d samples checked", gated, len(s.secrets.rules), checked)
	if gated < len(s.secrets.rules)*3/4 || checked < 10*gated {
		t.Fatalf("%d of %d rules gated, %d samples matched their rule", gated, len(s.secrets.rules), checked)
	}
}

func TestTokenRunGateSkipsProse(t *testing.T) {
	for _, text := range []string{"the booking reference.", "Context: the customer has a loyalty tier", agentPromptKB} {
		if longestTokenRun(text) != 0 {
			t.Errorf("%.40q passes the gate", text)
		}
	}
	for _, text := range []string{"s.Zx8Qm2Lp9Vt4Rk7Wn3Hs6Yb", "https://example.com/a", "key:abcdefghijkl", "token=abcdefghijkl"} {
		if longestTokenRun(text) < minTokenRun {
			t.Errorf("%q fails the gate", text)
		}
	}
}

// longestTokenRunByByte is the gate's definition read one byte at a time: the run length
// counts from the run's start and is kept once the run is mixed.
func longestTokenRunByByte(s string) int {
	longest, n, mixed, stop := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			mixed = mixed || n > 0
		case c == '.' || c == ':':
			if stop {
				mixed = true
			}
		case isTokenByte(c):
			mixed = true
		default:
			n, mixed, stop = 0, false, false
			continue
		}
		if stop && c != '.' && c != ':' {
			mixed = true
		}
		stop = c == '.' || c == ':'
		n++
		if mixed && n >= minTokenRun && n > longest {
			longest = n
		}
	}
	return longest
}

// The run-by-run gate measures what the byte-by-byte definition does.
func TestLongestTokenRunMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	alphabet := []byte("abcxyzABCXYZ0189._:-+/=@ \n,;!é")
	for i := range 20000 {
		b := make([]byte, rng.IntN(60))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		if i%3 == 0 { // long runs, where the gate decides
			b = append(b, "sk_live_"+strings.Repeat("a", rng.IntN(20))+"B.c:d"...)
		}
		if got, want := longestTokenRun(string(b)), longestTokenRunByByte(string(b)); got != want {
			t.Fatalf("longestTokenRun(%q) = %d, want %d", b, got, want)
		}
	}
}

// FuzzLongestTokenRun holds the gate to its byte-by-byte definition on any text.
func FuzzLongestTokenRun(f *testing.F) {
	f.Add("token ghp_0123456789abcdefABCDEF and https://x.y, done...")
	f.Add("secret: Zx8Qm2Lp9Vt4Rk7Wn3Hs6Yb1Jd5Fg0Ca")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := longestTokenRun(s), longestTokenRunByByte(s); got != want {
			t.Fatalf("longestTokenRun(%q) = %d, want %d", s, got, want)
		}
		// The entropy fallback skipped on the run's length finds what it would have.
		gated := (&secretRules{}).scanHighEntropy(s, -1, nil)
		if full := scanHighEntropy(s, nil); len(gated) != len(full) {
			t.Fatalf("gated entropy scan of %q found %v, the full one %v", s, gated, full)
		}
	})
}

// BenchmarkLongestTokenRun measures the gate on 1 KB of prose, which every scan measures.
func BenchmarkLongestTokenRun(b *testing.B) {
	b.SetBytes(int64(len(oneKB)))
	for i := 0; i < b.N; i++ {
		longestTokenRun(oneKB)
	}
}
