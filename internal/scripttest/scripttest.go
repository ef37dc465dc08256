// Package scripttest reads the plain-text test scripts of internal/query, internal/insight and internal/alert
// (in the manner of Prometheus' promqltest): commands, each with the indented block below
// it, key=value fields, and expectations "path value" checked against a JSON answer.
package scripttest

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Command is one line of a script with the indented lines that follow it.
type Command struct {
	Line       int    // 1-based line number
	Name       string // the first word
	Rest       string // the rest of the line
	Block      []string
	BlockLines []int
}

// Parse splits a script into commands; blank lines and lines starting with # are skipped.
func Parse(text string) []Command {
	lines := strings.Split(text, "\n")
	var out []Command
	for i := 0; i < len(lines); {
		line := strings.TrimSpace(lines[i])
		c := Command{Line: i + 1}
		i++
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for i < len(lines) && (strings.HasPrefix(lines[i], " ") || strings.HasPrefix(lines[i], "\t") || strings.TrimSpace(lines[i]) == "") {
			if b := strings.TrimSpace(lines[i]); b != "" && !strings.HasPrefix(b, "#") {
				c.Block = append(c.Block, b)
				c.BlockLines = append(c.BlockLines, i+1)
			}
			i++
		}
		c.Name, c.Rest, _ = strings.Cut(line, " ")
		out = append(out, c)
	}
	return out
}

var fieldRE = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)

// Fields reads key=value pairs; a value may be a Go-quoted string.
func Fields(s string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldRE.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
		}
		out[m[1]] = v
	}
	return out
}

var stepRE = regexp.MustCompile(`^([^\[\]]*)((?:\[[^\]]+\])*)$`)
var indexRE = regexp.MustCompile(`\[([^\]]+)\]`)

// Lookup follows a path such as a.b[1].c or len(a.b) in a decoded JSON document. An index
// may also be a filter, a.b[kind=x,agent_id=y]: the first element whose string fields read
// so. A key holding dots is written in quotes: by_model."gpt-4.1".
func Lookup(doc any, path string) (any, error) {
	if strings.HasPrefix(path, "len(") && strings.HasSuffix(path, ")") {
		v, err := Lookup(doc, path[4:len(path)-1])
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case []any:
			return float64(len(x)), nil
		case map[string]any:
			return float64(len(x)), nil
		case string:
			return float64(len(x)), nil
		}
		return nil, fmt.Errorf("len of %T", v)
	}
	cur := doc
	for _, part := range splitPath(path) {
		m := stepRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("bad path element %q", part)
		}
		if m[1] != "" {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%q: not an object", m[1])
			}
			if cur, ok = obj[m[1]]; !ok {
				return nil, fmt.Errorf("no field %q", m[1])
			}
		}
		for _, sel := range indexRE.FindAllStringSubmatch(m[2], -1) {
			arr, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("[%s]: not an array", sel[1])
			}
			if n, err := strconv.Atoi(sel[1]); err == nil {
				if n < 0 || n >= len(arr) {
					return nil, fmt.Errorf("no element %d", n)
				}
				cur = arr[n]
				continue
			}
			found := false
			for _, el := range arr {
				if selected(el, sel[1]) {
					cur, found = el, true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("no element [%s]", sel[1])
			}
		}
	}
	return cur, nil
}

// selected says whether el's string fields read as the filter k=v,k2=v2.
func selected(el any, filter string) bool {
	obj, ok := el.(map[string]any)
	if !ok {
		return false
	}
	for _, cond := range strings.Split(filter, ",") {
		k, v, _ := strings.Cut(cond, "=")
		if s, _ := obj[k].(string); s != v {
			return false
		}
	}
	return true
}

// splitPath splits on dots outside quotes.
func splitPath(p string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, c := range p {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	return append(out, cur.String())
}

// Matches compares a decoded JSON value with an expectation written as JSON, or as a bare
// word for a string; numbers match within 1e-9 relative.
func Matches(got any, want string) bool {
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		w = want
	}
	return equalJSON(got, w)
}

func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !equalJSON(x[k], y[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// Brief is v as JSON, cut to 4000 bytes, for failure messages.
func Brief(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}

// RunFiles runs run as a subtest for every testdata/*.test file, named after it; no file
// fails the test.
func RunFiles(t *testing.T, run func(t *testing.T, file string)) {
	t.Helper()
	files, err := filepath.Glob("testdata/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".test"), func(t *testing.T) { run(t, f) })
	}
}
