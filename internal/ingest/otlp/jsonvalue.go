package otlp

import (
	"encoding/json"
	"errors"

	"github.com/agentobs/agentobs/internal/jsonlex"
)

// parseJSONValue decodes one JSON document into the values encoding/json produces with
// UseNumber (map[string]any, []any, string, json.Number, bool, nil). It exists because the
// message attributes of every LLM span are JSON text: encoding/json's reflection-driven
// decoder cost more than the rest of the span's mapping together.
func parseJSONValue(s string) (any, error) {
	p := jsonParser{s: s}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return nil, errJSONSyntax
	}
	return v, nil
}

var errJSONSyntax = errors.New("invalid JSON")

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) skipSpace() { p.i = jsonlex.SkipSpace(p.s, p.i) }

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxDepth || p.i >= len(p.s) {
		return nil, errJSONSyntax
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		m := map[string]any{}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		for {
			p.skipSpace()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, errJSONSyntax
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, errJSONSyntax
			}
			p.i++
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			p.skipSpace()
			if p.i >= len(p.s) {
				return nil, errJSONSyntax
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == '}' {
				p.i++
				return m, nil
			}
			return nil, errJSONSyntax
		}
	case c == '[':
		p.i++
		var a []any
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return []any{}, nil
		}
		for {
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			p.skipSpace()
			if p.i >= len(p.s) {
				return nil, errJSONSyntax
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ']' {
				p.i++
				return a, nil
			}
			return nil, errJSONSyntax
		}
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, errJSONSyntax
}

func (p *jsonParser) literal(word string, v any) (any, error) {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return nil, errJSONSyntax
	}
	p.i += len(word)
	return v, nil
}

func (p *jsonParser) number() (any, error) {
	end, _, ok := jsonlex.Number(p.s, p.i)
	if !ok {
		return nil, errJSONSyntax
	}
	n := json.Number(p.s[p.i:end])
	p.i = end
	return n, nil
}

// str reads a string at p.i (a '"'); strings without escapes are cut from the input.
func (p *jsonParser) str() (string, error) {
	v, next, ok := jsonlex.String(p.s, p.i)
	if !ok {
		return "", errJSONSyntax
	}
	p.i = next
	return v, nil
}
