package jsonlex

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkString compares String with encoding/json on one JSON text.
func checkString(t *testing.T, text string) {
	t.Helper()
	var want string
	stdErr := json.Unmarshal([]byte(text), &want)
	got, next, ok := String(text, 0)
	whole := ok && next == len(text)
	switch {
	case whole && stdErr != nil:
		t.Fatalf("String accepted %q, which encoding/json refuses: %v", text, stdErr)
	case stdErr == nil && len(text) > 0 && text[0] == '"' && !whole:
		t.Fatalf("String refused %q, which encoding/json reads as %q", text, want)
	case whole && got != want:
		t.Fatalf("String read %q as %q, encoding/json as %q", text, got, want)
	}
}

func TestString(t *testing.T) {
	for _, text := range []string{
		`""`, `"plain"`, `"caf\u00e9"`, `"\"\\\/\b\f\n\r\t"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`,
		`"\ud800\u0041"`, `"\ud800\ud800\udc00"`, `"\u12"`, `"\x"`, "\"a\x01\"", `"unterminated`, `"日本語"`,
	} {
		checkString(t, text)
	}
	if v, next, ok := String(`{"k":"v"}`, 5); !ok || v != "v" || next != 8 {
		t.Fatalf(`String at offset 5 = %q, %d, %v`, v, next, ok)
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		text    string
		ok, int bool
	}{
		{"0", true, true}, {"-0", true, true}, {"123", true, true}, {"-1.5", true, false}, {"1e3", true, false},
		{"1E+3", true, false}, {"0.0e-1", true, false}, {"01", true, true}, {"-", false, false}, {"1.", false, false},
		{".5", false, false}, {"1e", false, false}, {"+1", false, false},
	} {
		end, integer, ok := Number(c.text, 0)
		if ok != c.ok || (ok && integer != c.int) {
			t.Errorf("Number(%q) = %d, %v, %v", c.text, end, integer, ok)
		}
		// "01" is read as the number 0 followed by 1: the caller sees what follows.
		if ok && (end == len(c.text)) != json.Valid([]byte(c.text)) {
			t.Errorf("Number(%q) ends at %d; encoding/json says valid=%v", c.text, end, json.Valid([]byte(c.text)))
		}
	}
}

// FuzzString checks String against encoding/json on any valid UTF-8 text.
func FuzzString(f *testing.F) {
	f.Add(`"caf\u00e9 \ud83d\ude00 \ud800\u0041 \n"`)
	f.Add(`"a\"b`)
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		checkString(t, text)
	})
}

// FuzzNumber checks that Number takes a whole text exactly when encoding/json finds it a
// valid number.
func FuzzNumber(f *testing.F) {
	f.Add("-12.5e+3")
	f.Add("01")
	f.Fuzz(func(t *testing.T, text string) {
		end, _, ok := Number(text, 0)
		whole := ok && end == len(text)
		var n json.Number
		// encoding/json allows whitespace around the number; Number reads the number alone.
		valid := strings.TrimRight(text, " \t\r\n") == text && len(text) > 0 &&
			(text[0] == '-' || ('0' <= text[0] && text[0] <= '9')) && json.Unmarshal([]byte(text), &n) == nil
		if whole != valid {
			t.Fatalf("Number(%q) took the whole text: %v; encoding/json: %v", text, whole, valid)
		}
	})
}

// A decoded string holds a buffer sized by its own quoted text, not by the rest of the
// input it was cut from (a batch body).
func TestEscapedStringKeepsNoMoreThanItself(t *testing.T) {
	body := `"a\nb"` + strings.Repeat(" ", 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	v, _, ok := String(body, 0)
	runtime.ReadMemStats(&after)
	if !ok || v != "a\nb" {
		t.Fatalf("String = %q, %v", v, ok)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1024 {
		t.Fatalf("decoding a 4-byte string allocated %d bytes", n)
	}
}
