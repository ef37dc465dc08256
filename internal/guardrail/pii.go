package guardrail

import (
	"math/bits"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// PII types, named as in the labelled set we measure on.
const (
	TypeEmail      = "EMAIL"
	TypePhone      = "PHONE"
	TypeCreditCard = "CREDIT_CARD"
	TypeIBAN       = "IBAN"
	TypeSSN        = "SSN"
	TypeIP         = "IP_ADDRESS"
	TypePerson     = "PERSON"
	TypeAddress    = "ADDRESS"
)

// PIITypes lists the PII types the detector reports.
var PIITypes = []string{TypeEmail, TypePhone, TypeCreditCard, TypeIBAN, TypeSSN, TypeIP, TypePerson, TypeAddress}

const (
	piiVersion = "@1"
	// piiThreshold is the score a candidate needs, after context boosting, to be reported.
	piiThreshold = 0.5
	// contextWindow is how many bytes before a candidate are searched for context words.
	contextWindow = 48
	contextBoost  = 0.35
)

// Context words that make a weak candidate likely (the scheme Presidio popularised: a
// pattern's base score is raised when one of its words is near).
var contextWords = map[string][]string{
	TypePhone:      {"phone", "call", "tel", "mobile", "cell", "fax", "number", "contact", "reach", "dial", "text me", "whatsapp", "telefon", "nummer", "desk", "office", "ph:", "ph."},
	TypeSSN:        {"ssn", "social security", "social-security", "ss#", "taxpayer"},
	TypeCreditCard: {"card", "visa", "mastercard", "amex", "credit", "debit", "payment", "cc"},
	TypeIBAN:       {"iban", "account", "bank", "transfer", "wire"},
	TypeIP:         {"ip", "address", "host", "server"},
	TypeAddress:    {"address", "live at", "lives at", "located at", "offices are", "office is at", "reside", "ship to", "deliver to", "office at", "mail to", "street"},
}

// hasContext reports whether a context word of typ occurs shortly before byte offset at.
func hasContext(lower string, at int, typ string) bool {
	from := max(0, at-contextWindow)
	window := lower[from:at]
	for _, w := range contextWords[typ] {
		if strings.Contains(window, w) {
			return true
		}
	}
	return false
}

// scanPII appends PII spans of text; lower is text lowercased byte-for-byte (same offsets).
func scanPII(text, lower string, hits *keywordHits, out []span) []span {
	out = scanEmails(text, out)
	out = scanNumbers(text, lower, out)
	out = scanIBANs(text, lower, out)
	out = scanIPv6(text, out)
	out = scanAddresses(text, lower, out)
	out = scanPersons(text, lower, hits, out)
	return out
}

func isLocalPart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// Byte classes the detectors test at every position, one table load instead of a chain
// of comparisons.
const (
	classTokenChar = 1 << iota // isTokenChar
	classTokenByte             // isTokenByte
	classWordByte              // isWordByte
	classUpper
	classLower
	classDigit
	classSlash
	classSpace // the whitespace the classifiers fold: space, tab, CR, LF
)

// classSpaceShift moves classSpace to bit 0; it must be the top bit of a class.
const classSpaceShift = 7

var byteClasses = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		alnum := letter || isDigit(c)
		switch {
		case c >= 'A' && c <= 'Z':
			t[i] |= classUpper
		case c >= 'a' && c <= 'z':
			t[i] |= classLower
		case isDigit(c):
			t[i] |= classDigit
		case c == '/':
			t[i] |= classSlash
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			t[i] |= classSpace
		}
		if alnum || strings.IndexByte("_-+/=", c) >= 0 {
			t[i] |= classTokenChar
		}
		if alnum || strings.IndexByte("_-+/=:.@", c) >= 0 {
			t[i] |= classTokenByte
		}
		if alnum || strings.IndexByte("@$*!|.'", c) >= 0 || c >= 0x80 {
			t[i] |= classWordByte
		}
	}
	return t
}()

func scanEmails(text string, out []span) []span {
	for off := 0; ; {
		i := strings.IndexByte(text[off:], '@')
		if i < 0 {
			return out
		}
		at := off + i
		off = at + 1
		s := at
		for s > 0 {
			if isLocalPart(text[s-1]) {
				s--
				continue
			}
			// Internationalised addresses (RFC 6531) have letters of any script.
			r, size := utf8.DecodeLastRuneInString(text[:s])
			if r < utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				break
			}
			s -= size
		}
		for s < at && text[s] == '.' {
			s++
		}
		e := at + 1
		for e < len(text) && isDomainChar(text[e]) {
			e++
		}
		for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		if s == at || e == at+1 {
			continue
		}
		domain := text[at+1 : e]
		dot := strings.LastIndexByte(domain, '.')
		if dot <= 0 || len(domain)-dot-1 < 2 {
			continue
		}
		tldOK := true
		for j := dot + 1; j < len(domain); j++ {
			if !isLetter(domain[j]) {
				tldOK = false
				break
			}
		}
		if !tldOK {
			continue
		}
		out = append(out, span{cat: CategoryPII, typ: TypeEmail, start: s, end: e, score: 1, detector: "pii/email" + piiVersion})
		off = e
	}
}

// nextDigit returns the index of the first ASCII digit in s at or after from, or -1. It
// tests eight bytes at a time: the number scanners start only at digits, which are rare
// in prose, and stepping to them byte by byte was most of their cost.
func nextDigit(s string, from int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := from
	for ; i+8 <= len(s); i += 8 {
		// Digits become 0..9; a byte below 10 sets its high bit in the mask. The lowest
		// set bit is exact (a borrow only runs towards higher bytes).
		x := load64(s, i) ^ (0x30 * ones)
		if m := (x - 10*ones) &^ x & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if isDigit(s[i]) {
			return i
		}
	}
	return -1
}

// load64 reads eight bytes of s from i, little-endian, in one load.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// scanNumbers finds runs of digits with phone-like separators and classifies each run as an
// IPv4 address, SSN, credit card (Luhn) or phone number (libphonenumber metadata).
func scanNumbers(text, lower string, out []span) []span {
	var digits [40]byte
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) {
			// A run starts at a digit, or at a "+" or "(" just before one.
			k := nextDigit(text, i)
			if k < 0 {
				break
			}
			if k-1 >= i && (text[k-1] == '+' || text[k-1] == '(') {
				i = k - 1
			} else {
				i = k
			}
		}
		c := text[i]
		startsRun := isDigit(c) || ((c == '+' || c == '(') && i+1 < len(text) && isDigit(text[i+1]))
		if !startsRun || (i > 0 && (isLetter(text[i-1]) || isDigit(text[i-1]) || text[i-1] == '.' && i > 1 && isDigit(text[i-2]))) {
			continue
		}
		// Extend over digits and single separators (two for ") (").
		j, n, lastDigit, seps := i, 0, i, 0
		for j < len(text) && n < len(digits) {
			c := text[j]
			if isDigit(c) {
				digits[n] = c
				n++
				lastDigit = j
				seps = 0
			} else if c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+' {
				seps++
				if seps > 2 || (c == '+' && j != i) {
					break
				}
			} else {
				break
			}
			j++
		}
		end := lastDigit + 1
		// A phone extension: "x123".
		if end+1 < len(text) && text[end] == 'x' && isDigit(text[end+1]) {
			e := end + 1
			for e < len(text) && isDigit(text[e]) {
				e++
			}
			end = e
		}
		if end < len(text) && (isLetter(text[end]) || text[end] == '@' || text[end] == ':' || text[end] == '/') {
			i = end
			continue
		}
		start := i
		if text[start] == '(' && !strings.Contains(text[start:end], ")") {
			start++
		}
		var sepKinds uint8 // bit 0 space, 1 dash, 2 dot, 3 paren or plus
		for k := start; k < end; k++ {
			switch text[k] {
			case ' ':
				sepKinds |= 1
			case '-':
				sepKinds |= 2
			case '.':
				sepKinds |= 4
			case '(', ')', '+':
				sepKinds |= 8
			}
		}
		if typ, score, det := classifyNumber(text, lower, start, end, digits[:n], sepKinds); typ != "" {
			out = append(out, span{cat: CategoryPII, typ: typ, start: start, end: end, score: score, detector: det})
		}
		i = end
	}
	return out
}

func classifyNumber(text, lower string, start, end int, digits []byte, sepKinds uint8) (string, float64, string) {
	raw := text[start:end]
	n := len(digits)
	if sepKinds == 4 && strings.Count(raw, ".") == 3 {
		if a, err := netip.ParseAddr(raw); err == nil && a.Is4() {
			return TypeIP, 0.95, "pii/ip" + piiVersion
		}
		return "", 0, ""
	}
	if n == 9 && isSSNShape(raw) {
		if !validSSN(digits) {
			return "", 0, ""
		}
		score := 0.6
		if hasContext(lower, start, TypeSSN) {
			score += contextBoost
		}
		return TypeSSN, score, "pii/ssn" + piiVersion
	}
	if n >= 12 && n <= 19 && sepKinds&^3 == 0 {
		if luhn(digits) {
			score := 0.8
			if hasContext(lower, start, TypeCreditCard) {
				score = 1
			}
			return TypeCreditCard, score, "pii/credit_card" + piiVersion
		}
	}
	if n >= 6 && n <= 15 {
		if looksLikeDate(raw) || looksLikePostcode(raw) || hasNegativeContext(lower, start) {
			return "", 0, ""
		}
		phoneCtx := hasContext(lower, start, TypePhone)
		if phoneCtx && hasContext(lower, start, TypeAddress) && !strongPhoneContext(lower, start) {
			phoneCtx = false // "our offices are located at 9931 14 ..."
		}
		if !phoneCtx && sepKinds&^1 == 0 && nextWordCapitalised(text, end) {
			return "", 0, "" // "4966 Bond Street": numbers that begin an address
		}
		score := 0.0
		if sepKinds != 0 {
			score = 0.3
		}
		if sepKinds&8 != 0 || strings.Contains(raw, "x") {
			score += 0.1
		}
		if phoneCtx {
			score += contextBoost
		}
		if n < 7 {
			score -= 0.3
		}
		// Parsing with phone metadata is the slow part: ask only when it decides.
		if score < piiThreshold && score+0.3 >= piiThreshold && validPhone(raw, digits) {
			score += 0.3
		}
		if score >= piiThreshold {
			return TypePhone, min(score, 1), "pii/phone" + piiVersion
		}
	}
	return "", 0, ""
}

// phoneRegions are tried for numbers written without a country code, most common first.
var phoneRegions = []string{"US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "SE", "FI", "DK", "AU", "BR", "IN", "PL", "CZ", "HU"}

func validPhone(raw string, digits []byte) bool {
	if strings.HasPrefix(raw, "+") {
		num, err := phonenumbers.Parse(raw, "ZZ")
		return err == nil && phonenumbers.IsValidNumber(num)
	}
	national := string(digits)
	for _, region := range phoneRegions {
		num, err := phonenumbers.Parse(national, region)
		if err == nil && phonenumbers.IsPossibleNumber(num) && phonenumbers.IsValidNumberForRegion(num, region) {
			return true
		}
	}
	return false
}

func looksLikeDate(raw string) bool {
	return len(raw) >= 10 && (raw[4] == '-' || raw[4] == '.') && (raw[7] == '-' || raw[7] == '.') && isDigit(raw[5]) ||
		len(raw) == 10 && (raw[2] == '-' || raw[2] == '.') && (raw[5] == raw[2]) && !strings.Contains(raw[6:], string(raw[2]))
}

// looksLikePostcode matches "12345-678" and "1234-567" (Brazilian, Portuguese codes).
func looksLikePostcode(raw string) bool {
	dash := strings.IndexByte(raw, '-')
	return (dash == 4 || dash == 5) && len(raw)-dash-1 == 3 && !strings.ContainsAny(raw, " .()+")
}

// Words before a number that say it is something other than a phone number.
var negativeContext = []string{"license", "licence", "zip", "postal", "post code", "postcode", "passport", "order", "invoice", "apt", "suite", "unit", "box", "isbn", "version"}

func hasNegativeContext(lower string, at int) bool {
	from := max(0, at-24)
	window := lower[from:at]
	for _, w := range negativeContext {
		if i := strings.Index(window, w); i >= 0 && wordBoundary(lower, from+i, from+i+len(w)) {
			return true
		}
	}
	return false
}

func strongPhoneContext(lower string, at int) bool {
	window := lower[max(0, at-contextWindow):at]
	for _, w := range []string{"phone", "tel", "mobile", "fax", "call", "cell"} {
		if strings.Contains(window, w) {
			return true
		}
	}
	return false
}

func nextWordCapitalised(text string, end int) bool {
	if end+1 >= len(text) || text[end] != ' ' {
		return false
	}
	return startsUpper(text[end+1:])
}

func isSSNShape(raw string) bool {
	if len(raw) == 9 {
		return false // nine bare digits are too often something else
	}
	return len(raw) == 11 && (raw[3] == '-' && raw[6] == '-' || raw[3] == ' ' && raw[6] == ' ')
}

// validSSN excludes numbers the Social Security Administration never issues: area 000, 666
// or 900-999, group 00, serial 0000.
func validSSN(d []byte) bool {
	area := string(d[0:3])
	if area == "000" || area == "666" || d[0] == '9' {
		return false
	}
	return string(d[3:5]) != "00" && string(d[5:9]) != "0000"
}

func luhn(d []byte) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// ibanLengths is the length of an IBAN for each country that issues them (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

func scanIBANs(text, lower string, out []span) []span {
	var buf [34]byte
	for i := 0; i+4 <= len(text); i++ {
		// The first place whose third byte is a digit.
		k := nextDigit(text, i+2)
		if k < 0 {
			break
		}
		i = k - 2
		if i+4 > len(text) {
			break
		}
		if !isLetter(text[i]) || !isLetter(text[i+1]) || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
			continue
		}
		if i > 0 && (isLetter(text[i-1]) || isDigit(text[i-1])) {
			continue
		}
		country := strings.ToUpper(text[i : i+2])
		want, ok := ibanLengths[country]
		if !ok {
			continue
		}
		n, j, end := 0, i, i
		for j < len(text) && n < want {
			c := text[j]
			if isLetter(c) || isDigit(c) {
				buf[n] = c
				n++
				end = j + 1
			} else if c != ' ' || j+1 >= len(text) || text[j+1] == ' ' {
				break
			}
			j++
		}
		if n != want || (end < len(text) && (isLetter(text[end]) || isDigit(text[end]))) {
			continue
		}
		if ibanChecksum(buf[:n]) {
			score := 0.9
			if hasContext(lower, i, TypeIBAN) {
				score = 1
			}
			out = append(out, span{cat: CategoryPII, typ: TypeIBAN, start: i, end: end, score: score, detector: "pii/iban" + piiVersion})
			i = end
		}
	}
	return out
}

// ibanChecksum is the ISO 7064 mod-97 check: the country and check digits move to the end,
// letters count as 10..35, and the number must leave 1.
func ibanChecksum(s []byte) bool {
	rem := 0
	add := func(c byte) {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		default:
			v := int(unicode.ToUpper(rune(c)) - 'A' + 10)
			rem = (rem*100 + v) % 97
		}
	}
	for _, c := range s[4:] {
		add(c)
	}
	for _, c := range s[:4] {
		add(c)
	}
	return rem == 1
}

func isHexOrColon(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
}

func scanIPv6(text string, out []span) []span {
	for off := 0; ; {
		i := strings.IndexByte(text[off:], ':')
		if i < 0 {
			return out
		}
		c := off + i
		s, e := c, c
		for s > 0 && isHexOrColon(text[s-1]) {
			s--
		}
		for e < len(text) && isHexOrColon(text[e]) {
			e++
		}
		off = e
		if e < len(text) && isLetter(text[e]) || s > 0 && isLetter(text[s-1]) {
			continue
		}
		cand := strings.TrimRight(text[s:e], ".")
		if strings.Count(cand, ":") < 2 {
			continue
		}
		if a, err := netip.ParseAddr(cand); err == nil && a.Is6() {
			out = append(out, span{cat: CategoryPII, typ: TypeIP, start: s, end: s + len(cand), score: 0.95, detector: "pii/ip" + piiVersion})
		}
		if off <= c {
			off = c + 1
		}
	}
}

var streetSuffixes = map[string]bool{
	"street": true, "st": true, "avenue": true, "ave": true, "road": true, "rd": true, "boulevard": true,
	"blvd": true, "lane": true, "ln": true, "drive": true, "court": true, "ct": true, "way": true,
	"place": true, "pl": true, "square": true, "sq": true, "terrace": true, "parkway": true, "highway": true,
	"circle": true, "crescent": true, "alley": true, "row": true, "strasse": true, "straße": true, "gasse": true,
	"weg": true, "platz": true, "rue": true, "via": true, "calle": true, "vej": true, "gade": true, "katu": true,
	"tie": true, "vägen": true, "gatan": true, "utca": true, "u.": true, "ulica": true, "ul.": true, "plaza": true,
	"streets": true, "squares": true, "roads": true, "avenues": true,
}

// scanAddresses finds "<number> <Capitalised words> <street suffix>" and, after an address
// context word, the rest of the line up to a sentence end.
func scanAddresses(text, lower string, out []span) []span {
	var words [8][2]int
	for i := 0; i < len(text); i++ {
		if i = nextDigit(text, i); i < 0 {
			break
		}
		if i > 0 && text[i-1] != ' ' && text[i-1] != '\n' && text[i-1] != '\t' {
			continue
		}
		// The next few words: a house number followed within four words by a street suffix.
		n, pos := 0, i
		for n < len(words) {
			s, e := nextWord(text, pos)
			if s < 0 {
				break
			}
			words[n] = [2]int{s, e}
			n++
			pos = e
		}
		if words[0][1]-words[0][0] > 6 {
			i = words[0][1]
			continue
		}
		for m := 1; m < n && m <= 5; m++ {
			lw := strings.TrimRight(lower[words[m][0]:words[m][1]], ".,")
			if m > 1 && streetSuffixes[lw] {
				end := words[m][1]
				// Keep an apartment or suite that follows.
				if m+2 < n {
					nx := strings.TrimRight(lower[words[m+1][0]:words[m+1][1]], ".,")
					if (nx == "apt" || nx == "suite" || nx == "unit" || nx == "flat") && isDigit(text[words[m+2][0]]) {
						end = words[m+2][1]
					}
				}
				end = trimPunct(text, i, end)
				score := 0.6
				if hasContext(lower, i, TypeAddress) {
					score += contextBoost
				}
				out = append(out, span{cat: CategoryPII, typ: TypeAddress, start: i, end: end, score: score, detector: "pii/address" + piiVersion})
				i = end
				break
			}
			if m > 1 && !startsUpper(text[words[m][0]:]) {
				break
			}
		}
	}
	return out
}

// nextWord returns the byte range of the first word at or after pos (words are split on
// spaces and line breaks and keep their punctuation), or -1.
func nextWord(text string, pos int) (int, int) {
	for pos < len(text) && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t' || text[pos] == '\r') {
		pos++
	}
	if pos >= len(text) {
		return -1, -1
	}
	e := pos
	for e < len(text) && text[e] != ' ' && text[e] != '\n' && text[e] != '\t' && text[e] != '\r' {
		e++
	}
	return pos, e
}

func trimPunct(text string, s, e int) int {
	for e > s && strings.IndexByte(".,;:", text[e-1]) >= 0 {
		e--
	}
	return e
}

func startsUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// Words after which a capitalised name is a person's.
var personCues = newKeywordIndex([]string{"my name is ", "name is ", "i am ", "i'm ", "this is ", "name: ", "mr. ", "mrs. ", "ms. ", "dr. ", "mr ", "mrs ", "ms ", "dr ", "dear ", "named ", "called ", "thanks, ", "regards, ", "sincerely, ", "signed, ", "patient ", "customer ", "employee "})

// scanPersons reports one to three capitalised words (initials allowed) that follow a cue.
func scanPersons(text, lower string, hits *keywordHits, out []span) []span {
	hits.each(personCues, lower, func(c, at int) {
		cue := personCues.words[c]
		p := at + len(cue)
		if at > 0 && isLetter(lower[at-1]) {
			return // the cue is the end of a longer word
		}
		end, words := p, 0
		for words < 3 && end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if !unicode.IsUpper(r) {
				break
			}
			e := end + size
			for e < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[e:])
				if !unicode.IsLetter(r2) && r2 != '-' && r2 != '\'' && r2 != '.' {
					break
				}
				e += s2
			}
			word := text[end:e]
			if stopName[strings.ToLower(strings.TrimRight(word, "."))] {
				break
			}
			end, words = e, words+1
			if strings.HasSuffix(word, ".") && utf8.RuneCountInString(word) > 2 {
				break // a sentence ends here; "D." is an initial
			}
			if end < len(text) && text[end] == ' ' {
				end++
			} else {
				break
			}
		}
		endPos := trimPunct(text, p, len(strings.TrimRight(text[:end], " ")))
		if words == 0 || endPos <= p+1 {
			return
		}
		if strings.HasSuffix(text[p:endPos], "'s") {
			endPos -= 2
		}
		if endPos <= p+1 {
			return
		}
		score := 0.55
		if strings.HasPrefix(cue, "my name") || strings.HasPrefix(cue, "name") || strings.HasPrefix(cue, "m") || strings.HasPrefix(cue, "d") {
			score = 0.85
		}
		out = append(out, span{cat: CategoryPII, typ: TypePerson, start: p, end: endPos, score: score, detector: "pii/person" + piiVersion})
	})
	return out
}

// stopName are capitalised words that follow a cue but are not names.
var stopName = map[string]bool{
	"i": true, "the": true, "a": true, "an": true, "this": true, "that": true, "it": true, "we": true, "you": true,
	"he": true, "she": true, "they": true, "monday": true, "tuesday": true, "wednesday": true, "thursday": true,
	"friday": true, "saturday": true, "sunday": true, "january": true, "february": true, "march": true, "april": true,
	"may": true, "june": true, "july": true, "august": true, "september": true, "october": true, "november": true,
	"december": true, "not": true, "here": true, "there": true, "sorry": true, "please": true, "thanks": true,
	"ok": true, "yes": true, "no": true, "hi": true, "hello": true, "in": true, "on": true, "at": true, "and": true,
	"or": true, "but": true, "if": true, "what": true, "how": true, "why": true, "when": true, "where": true,
	"going": true, "happy": true, "glad": true, "google": true, "openai": true, "python": true, "chatgpt": true,
}
