// Package jsonlex reads JSON strings and numbers the way encoding/json does, for the
// hand-written decoders of hot paths (trace bodies, OTLP message attributes) that skip
// encoding/json's reflection.
package jsonlex

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// String reads the string whose opening quote is s[i] and returns its value, decoded as
// encoding/json decodes it, and the index after its closing quote. A string without escapes
// is cut from s. ok is false when s holds no valid string there. s must be valid UTF-8.
func String(s string, i int) (val string, next int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	start := i + 1
	for j := start; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[start:j], j + 1, true
		case c == '\\':
			return escaped(s, start, j)
		case c < 0x20:
			return "", i, false
		}
	}
	return "", i, false
}

// escaped finishes a string from its first backslash at j.
func escaped(s string, start, j int) (string, int, bool) {
	// The value is no longer than the quoted text: size the buffer by it, not by what
	// follows (a batch body), since the value keeps the buffer.
	end := j
	for end < len(s) && s[end] != '"' {
		if s[end] == '\\' {
			end++
		}
		end++
	}
	var b strings.Builder
	b.Grow(min(end, len(s)) - start)
	b.WriteString(s[start:j])
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			return b.String(), j + 1, true
		case c < 0x20:
			return "", j, false
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(s) {
			return "", j, false
		}
		e := s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, j)
			if !ok {
				return "", j, false
			}
			j += 4
			if utf16.IsSurrogate(r) {
				// A pair needs its second half; a lone half becomes U+FFFD and what follows
				// is read on its own, as encoding/json does.
				pair := utf8.RuneError
				if j+1 < len(s) && s[j] == '\\' && s[j+1] == 'u' {
					if x, ok := hex4(s, j+2); ok {
						if pair = utf16.DecodeRune(r, x); pair != utf8.RuneError {
							j += 6
						}
					}
				}
				r = pair
			}
			b.WriteRune(r)
		default:
			return "", j, false
		}
	}
	return "", j, false
}

func hex4(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var v rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// Number returns the end of the number that starts at s[i] (RFC 8259's grammar: no
// leading zeros, no lone dot or exponent) and whether it is a plain integer.
func Number(s string, i int) (end int, integer, ok bool) {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	digits := func() bool {
		from := j
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		return j > from
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case !digits():
		return i, false, false
	}
	integer = true
	if j < len(s) && s[j] == '.' {
		j++
		if !digits() {
			return i, false, false
		}
		integer = false
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if !digits() {
			return i, false, false
		}
		integer = false
	}
	return j, integer, true
}

// SkipSpace returns the index of the first byte at or after i that is not JSON whitespace.
func SkipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
