package insight

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
)

// Wildcard stands for the variable parts of an error message in its template.
const Wildcard = "<*>"

// templateMiner groups log-like messages into templates in the manner of Drain (He et al.,
// ICWS 2017): messages are split into tokens, tokens that look variable (numbers, ids,
// addresses, quoted values) are masked, and a message joins the most similar template of
// the same length and first token when at least simThreshold of their tokens agree; the
// tokens that differ become wildcards. A fixed-depth tree keeps it linear in the messages.
type templateMiner struct {
	simThreshold float64
	groups       map[string][]*template // by token count and first token
	all          []*template
}

type template struct {
	tokens []string
	id     int
}

func newTemplateMiner() *templateMiner {
	return &templateMiner{simThreshold: 0.5, groups: map[string][]*template{}}
}

// add files msg and returns its template's index; a template may generalise later, so read
// the text with text(i) once every message is added.
func (m *templateMiner) add(msg string) int {
	tokens := tokenize(msg)
	key := lengthKey(tokens)
	best, bestSim := (*template)(nil), -1.0
	for _, t := range m.groups[key] {
		if s := similarity(t.tokens, tokens); s > bestSim {
			best, bestSim = t, s
		}
	}
	if best != nil && bestSim >= m.simThreshold {
		for i, tok := range tokens {
			if best.tokens[i] != tok {
				best.tokens[i] = Wildcard
			}
		}
		return best.id
	}
	t := &template{tokens: tokens, id: len(m.all)}
	m.groups[key] = append(m.groups[key], t)
	m.all = append(m.all, t)
	return t.id
}

func (m *templateMiner) text(i int) string { return strings.Join(m.all[i].tokens, " ") }

// lengthKey is the first two levels of Drain's tree: the token count, then the first token
// unless it is variable.
func lengthKey(tokens []string) string {
	first := ""
	if len(tokens) > 0 && tokens[0] != Wildcard {
		first = tokens[0]
	}
	return strconv.Itoa(len(tokens)) + "\x00" + first
}

// similarity is the share of positions holding the same token, wildcards of the template
// counting as agreement.
func similarity(tpl, tokens []string) float64 {
	if len(tokens) == 0 {
		return 1
	}
	same := 0
	for i, tok := range tokens {
		if tpl[i] == tok || tpl[i] == Wildcard {
			same++
		}
	}
	return float64(same) / float64(len(tokens))
}

// tokenize splits on white space and masks variable-looking tokens.
func tokenize(msg string) []string {
	fields := strings.Fields(msg)
	if len(fields) > 64 {
		fields = fields[:64]
	}
	for i, f := range fields {
		if variable(f) {
			fields[i] = Wildcard
		}
	}
	return fields
}

// variable says whether a token is likely to change between occurrences of one error:
// anything with a digit (counts, ids, durations, addresses), quoted values, long hex.
func variable(tok string) bool {
	if strings.HasPrefix(tok, `"`) || strings.HasPrefix(tok, `'`) {
		return true
	}
	hex := len(tok) >= 8
	for _, r := range tok {
		if unicode.IsDigit(r) {
			return true
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF-", r) {
			hex = false
		}
	}
	return hex
}

// Fingerprint names a template stably: the first 12 hex digits of its SHA-256.
func Fingerprint(template string) string {
	sum := sha256.Sum256([]byte(template))
	return hex.EncodeToString(sum[:6])
}
