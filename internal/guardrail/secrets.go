package guardrail

import (
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/BurntSushi/toml"
)

// The secret rules are gitleaks' default configuration (MIT, data/LICENSE-gitleaks.txt),
// embedded unchanged so that it can be refreshed from a new gitleaks release by copying
// config/gitleaks.toml over it.
//
//go:embed data/gitleaks.toml
var gitleaksTOML []byte

const secretsVersion = "@1"

type secretConfig struct {
	Allowlist struct {
		Regexes   []string `toml:"regexes"`
		Stopwords []string `toml:"stopwords"`
	} `toml:"allowlist"`
	Rules []struct {
		ID          string   `toml:"id"`
		Regex       string   `toml:"regex"`
		SecretGroup int      `toml:"secretGroup"`
		Entropy     float64  `toml:"entropy"`
		Keywords    []string `toml:"keywords"`
		Path        string   `toml:"path"`
		Allowlists  []struct {
			Regexes     []string `toml:"regexes"`
			Stopwords   []string `toml:"stopwords"`
			RegexTarget string   `toml:"regexTarget"`
			Paths       []string `toml:"paths"`
		} `toml:"allowlists"`
	} `toml:"rules"`
}

type secretRule struct {
	id          string
	re          *regexp.Regexp
	secretGroup int
	entropy     float64
	allow       []*regexp.Regexp
	stopwords   []string
	// runNeeded, when not zero, is the length of the run of token characters every match
	// holds (at least minTokenRun), so the expression need not run on a window without
	// one that long (see longestTokenRun).
	runNeeded int
}

// secretRules is the compiled rule set with a keyword index: a rule's regular expression
// runs only on text containing one of its keywords, which keeps the scan linear in practice.
type secretRules struct {
	rules     []secretRule
	keywords  *keywordIndex
	kwRules   [][]int // keyword index -> rules
	allow     []*regexp.Regexp
	stopwords []string
}

var (
	secretsOnce sync.Once
	secretsSet  *secretRules
	secretsErr  error
)

func loadSecretRules() (*secretRules, error) {
	secretsOnce.Do(func() { secretsSet, secretsErr = compileSecretRules(gitleaksTOML) })
	return secretsSet, secretsErr
}

func compileSecretRules(data []byte) (*secretRules, error) {
	var cfg secretConfig
	if _, err := toml.Decode(string(data), &cfg); err != nil {
		return nil, fmt.Errorf("cannot decode secret rules: %w", err)
	}
	s := &secretRules{stopwords: cfg.Allowlist.Stopwords}
	for _, a := range cfg.Allowlist.Regexes {
		re, err := regexp.Compile(a)
		if err != nil {
			return nil, fmt.Errorf("cannot compile allowlist %q: %w", a, err)
		}
		s.allow = append(s.allow, re)
	}
	kwIndex := map[string]int{}
	var words []string
	for _, r := range cfg.Rules {
		if r.Regex == "" || r.Path != "" || len(r.Keywords) == 0 {
			continue // file-type rules do not apply to free text
		}
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			return nil, fmt.Errorf("cannot compile secret rule %s: %w", r.ID, err)
		}
		parsed, err := syntax.Parse(r.Regex, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("cannot parse secret rule %s: %w", r.ID, err)
		}
		sr := secretRule{id: r.ID, re: re, secretGroup: r.SecretGroup, entropy: r.Entropy, runNeeded: tokenRunNeeded(parsed)}
		for _, al := range r.Allowlists {
			if len(al.Paths) > 0 || (al.RegexTarget != "" && al.RegexTarget != "secret") {
				continue
			}
			for _, a := range al.Regexes {
				are, err := regexp.Compile(a)
				if err != nil {
					return nil, fmt.Errorf("cannot compile allowlist of %s: %w", r.ID, err)
				}
				sr.allow = append(sr.allow, are)
			}
			sr.stopwords = append(sr.stopwords, al.Stopwords...)
		}
		idx := len(s.rules)
		s.rules = append(s.rules, sr)
		for _, kw := range r.Keywords {
			kw = strings.ToLower(kw)
			k, ok := kwIndex[kw]
			if len(kw) < 2 {
				continue
			}
			if !ok {
				k = len(words)
				kwIndex[kw] = k
				words = append(words, kw)
				s.kwRules = append(s.kwRules, nil)
			}
			s.kwRules[k] = append(s.kwRules[k], idx)
		}
	}
	s.keywords = newKeywordIndex(words)
	return s, nil
}

// Secrets sit next to the words that name them, so a rule's expression runs only on the
// text around its keywords: from secretBefore bytes before to secretAfter bytes after.
const (
	secretBefore = 96
	secretAfter  = 320
)

// secretWindow is where a rule runs: around one of its keywords.
type secretWindow struct{ rule, from, to int }

// scan appends secret spans of text; lower is text lowercased byte-for-byte.
func (s *secretRules) scan(text, lower string, hits *keywordHits, fs *featureScratch, out []span) []span {
	wins := fs.windows[:0] // in the order of the keywords' positions
	hits.each(s.keywords, lower, func(k, i int) {
		from, to := max(0, i-secretBefore), min(len(text), i+len(s.keywords.words[k])+secretAfter)
		for _, r := range s.kwRules[k] {
			wins = append(wins, secretWindow{r, from, to})
		}
	})
	defer func() { fs.windows = wins[:0] }()
	textRun := -1
	if len(wins) == 0 {
		return s.scanHighEntropy(text, textRun, out)
	}
	// Rule by rule, each rule's overlapping windows merged.
	slices.SortStableFunc(wins, func(a, b secretWindow) int { return a.rule - b.rule })
	merged := wins[:1]
	for _, w := range wins[1:] {
		if last := &merged[len(merged)-1]; last.rule == w.rule && last.to >= w.from {
			last.to = max(last.to, w.to)
		} else {
			merged = append(merged, w)
		}
	}
	// A window's runs are parts of the text's, no longer and no more mixed: a rule needing
	// more than the text's longest run is skipped without measuring its windows. Rules
	// sharing a keyword share its windows: each window's longest run is measured once.
	type windowRun struct{ from, to, run int }
	var runs []windowRun
	longestRun := func(from, to int) int {
		if textRun < 0 {
			textRun = longestTokenRun(text)
		}
		if textRun < minTokenRun {
			return 0
		}
		for _, r := range runs {
			if r.from == from && r.to == to {
				return r.run
			}
		}
		n := longestTokenRun(text[from:to])
		runs = append(runs, windowRun{from, to, n})
		return n
	}
	for _, w := range merged {
		rule := &s.rules[w.rule]
		if rule.runNeeded == 0 || longestRun(w.from, w.to) >= rule.runNeeded {
			out = s.matchRule(rule, text, w.from, w.to, out)
		}
	}
	return s.scanHighEntropy(text, textRun, out)
}

// scanHighEntropy runs the entropy fallback unless the text's longest mixed run (textRun,
// or -1 when not measured yet) is too short for it: a run it reports has a digit, so it
// lies in a mixed run at least as long. That spares a second pass over most texts.
func (s *secretRules) scanHighEntropy(text string, textRun int, out []span) []span {
	if textRun < 0 {
		textRun = longestTokenRun(text)
	}
	if textRun < highEntropyMinRun {
		return out
	}
	return scanHighEntropy(text, out)
}

// highEntropyMinRun is the shortest token the entropy fallback reports.
const highEntropyMinRun = 24

// minTokenRun is the shortest run of token characters the gate looks for.
const minTokenRun = 10

// longestTokenRun returns the length of the longest run of token characters in s with a
// digit, an inner capital or a symbol in it, or 0 when no run of minTokenRun has one: every
// secret the rules find sits in such a run, prose rarely holds one, and measuring is much
// cheaper than running a rule. A full stop or colon counts only inside the run, as in
// "s.abc" or "key:abc": after a long word it ends a sentence.
func longestTokenRun(s string) int {
	longest := 0
	for i := 0; i < len(s); {
		if byteClasses[s[i]]&classTokenByte == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && byteClasses[s[j]]&classTokenByte != 0 {
			j++
		}
		// Most runs are words shorter than the gate: only long ones are read again.
		if n := j - i; n >= minTokenRun && n > longest && mixedRun(s[i:j]) {
			longest = n
		}
		i = j
	}
	return longest
}

// mixedRun reports whether a run of token bytes holds a digit, a symbol, a capital after
// its first character, or a full stop or colon inside it or doubled.
func mixedRun(run string) bool {
	stop := false
	for k := 0; k < len(run); k++ {
		c := run[k]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			if k > 0 {
				return true
			}
		case c == '.' || c == ':':
			if stop { // two in a row, as in "https://" or "...": no longer prose
				return true
			}
		default: // a digit or a symbol
			return true
		}
		if stop && c != '.' && c != ':' {
			return true // the stop was inside the run
		}
		stop = c == '.' || c == ':'
	}
	return false
}

// tokenRunNeeded returns the length of the run of token characters, some of them not
// lowercase letters, that every match of re holds, when it is minTokenRun or more; else 0.
// It is the body of a key, which the rules' short matches (a user name and password after
// "curl -u", say) lack. Classes are taken to produce a mix, as random keys do.
func tokenRunNeeded(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpCapture:
		return tokenRunNeeded(re.Sub[0])
	case syntax.OpConcat:
		// Consecutive token pieces make one run; the longest run any match must hold wins.
		best, run, mixed := 0, 0, false
		for _, sub := range re.Sub {
			if n, m, ok := tokenPiece(sub); ok {
				run, mixed = run+n, mixed || m
				if run >= minTokenRun && mixed {
					best = max(best, run)
				}
				continue
			}
			best = max(best, tokenRunNeeded(sub))
			run, mixed = 0, false
		}
		return best
	case syntax.OpAlternate:
		// Every branch must hold a run: the shortest of them is what a match surely holds.
		need := 0
		for i, sub := range re.Sub {
			n := tokenRunNeeded(sub)
			if n == 0 {
				return 0
			}
			if i == 0 || n < need {
				need = n
			}
		}
		return need
	case syntax.OpRepeat, syntax.OpPlus:
		need := tokenRunNeeded(re.Sub[0])
		if n, m, ok := tokenPiece(re); ok && n >= minTokenRun && m {
			need = max(need, n)
		}
		return need
	}
	return 0
}

// tokenPiece reports, for an expression all of whose matches are token characters, the
// fewest characters it matches and whether they include more than lowercase letters.
func tokenPiece(re *syntax.Regexp) (minLen int, mixed, ok bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, false, true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r > unicode.MaxASCII || !isTokenByte(byte(r)) {
				return 0, false, false
			}
			mixed = mixed || r < 'a' || r > 'z'
		}
		return len(re.Rune), mixed, true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if r == '\u017f' || r == '\u212a' {
					continue // what (?i) adds to s and k
				}
				if r > unicode.MaxASCII || !isTokenByte(byte(r)) {
					return 0, false, false
				}
				mixed = mixed || r < 'a' || r > 'z'
			}
		}
		return 1, mixed, true
	case syntax.OpCapture:
		return tokenPiece(re.Sub[0])
	case syntax.OpRepeat, syntax.OpPlus, syntax.OpStar, syntax.OpQuest:
		n, m, ok := tokenPiece(re.Sub[0])
		switch re.Op {
		case syntax.OpRepeat:
			n *= re.Min
		case syntax.OpStar, syntax.OpQuest:
			n = 0
		}
		return n, m && n > 0, ok
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			n, m, ok := tokenPiece(sub)
			if !ok {
				return 0, false, false
			}
			minLen, mixed = minLen+n, mixed || m
		}
		return minLen, mixed, true
	case syntax.OpAlternate:
		minLen, mixed = -1, true
		for _, sub := range re.Sub {
			n, m, ok := tokenPiece(sub)
			if !ok {
				return 0, false, false
			}
			if minLen < 0 || n < minLen {
				minLen = n
			}
			mixed = mixed && m
		}
		return max(minLen, 0), mixed, true
	}
	return 0, false, false
}

func isTokenByte(c byte) bool { return byteClasses[c]&classTokenByte != 0 }

func (s *secretRules) matchRule(rule *secretRule, text string, from, to int, out []span) []span {
	for _, m := range rule.re.FindAllStringSubmatchIndex(text[from:to], -1) {
		start, end := m[0], m[1]
		g := rule.secretGroup
		if g == 0 {
			// As in gitleaks: the first non-empty group is the secret.
			for gi := 1; gi*2+1 < len(m); gi++ {
				if m[gi*2] >= 0 {
					g = gi
					break
				}
			}
		}
		if g > 0 && g*2+1 < len(m) && m[g*2] >= 0 {
			start, end = m[g*2], m[g*2+1]
		}
		start, end = start+from, end+from
		if end <= start || covered(out, start, end) {
			continue
		}
		secret := text[start:end]
		if rule.entropy > 0 && shannon(secret) < rule.entropy {
			continue
		}
		if s.allowed(rule, secret) {
			continue
		}
		out = append(out, span{cat: CategorySecret, typ: "API_KEY", start: start, end: end, score: 0.95,
			detector: "secret/rules" + secretsVersion, rule: rule.id})
	}
	return out
}

func (s *secretRules) allowed(rule *secretRule, secret string) bool {
	lower := strings.ToLower(secret)
	for _, list := range [][]*regexp.Regexp{s.allow, rule.allow} {
		for _, re := range list {
			if re.MatchString(secret) {
				return true
			}
		}
	}
	for _, list := range [][]string{s.stopwords, rule.stopwords} {
		for _, w := range list {
			if strings.Contains(lower, w) {
				return true
			}
		}
	}
	return false
}

func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

func isTokenChar(c byte) bool { return byteClasses[c]&classTokenChar != 0 }

// scanHighEntropy reports long random-looking tokens no rule named: at least 24 characters
// mixing upper case, lower case and digits with an entropy of 4.2 bits per character or more.
func scanHighEntropy(text string, out []span) []span {
	for i := 0; i < len(text); {
		if !isTokenChar(text[i]) {
			i++
			continue
		}
		j := i
		var seen uint8 // the classes of the run's bytes
		for j < len(text) {
			c := byteClasses[text[j]]
			if c&classTokenChar == 0 {
				break
			}
			seen |= c
			j++
		}
		const mixed = classUpper | classLower | classDigit
		if j-i >= highEntropyMinRun && seen&mixed == mixed && seen&classSlash == 0 && shannon(text[i:j]) >= 4.2 && !covered(out, i, j) {
			out = append(out, span{cat: CategorySecret, typ: "HIGH_ENTROPY", start: i, end: j, score: 0.6, detector: "secret/entropy" + secretsVersion})
		}
		i = j
	}
	return out
}

func covered(spans []span, s, e int) bool {
	for _, sp := range spans {
		if sp.start < e && s < sp.end {
			return true
		}
	}
	return false
}
