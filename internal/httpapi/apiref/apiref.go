// Package apiref renders the OpenAPI document (internal/httpapi/openapi.json) as the
// Markdown API reference in docs/production/API_REFERENCE.md, so the reference is never
// written by hand and cannot drift from the API: a test compares the two.
package apiref

//go:generate go run ../cmd/apiref -out ../../../docs/production/API_REFERENCE.md

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// schema is the subset of an OpenAPI schema object the reference shows.
type schema struct {
	Ref                  string          `json:"$ref"`
	Type                 any             `json:"type"`
	Format               string          `json:"format"`
	Description          string          `json:"description"`
	Enum                 []any           `json:"enum"`
	Items                *schema         `json:"items"`
	Required             []string        `json:"required"`
	Properties           json.RawMessage `json:"properties"`
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
	OneOf                []schema        `json:"oneOf"`
	AnyOf                []schema        `json:"anyOf"`
	Minimum              *float64        `json:"minimum"`
	Maximum              *float64        `json:"maximum"`
	MaxLength            *int            `json:"maxLength"`
}

type parameter struct {
	Ref         string `json:"$ref"`
	Name        string `json:"name"`
	In          string `json:"in"`
	Required    bool   `json:"required"`
	Description string `json:"description"`
	Schema      schema `json:"schema"`
}

type media struct {
	Schema schema `json:"schema"`
}

type operation struct {
	Summary     string              `json:"summary"`
	Description string              `json:"description"`
	Tags        []string            `json:"tags"`
	Parameters  []parameter         `json:"parameters"`
	Security    *[]map[string][]any `json:"security"`
	RequestBody *struct {
		Required bool             `json:"required"`
		Content  map[string]media `json:"content"`
	} `json:"requestBody"`
	Responses json.RawMessage `json:"responses"`
}

type response struct {
	Ref         string           `json:"$ref"`
	Description string           `json:"description"`
	Content     map[string]media `json:"content"`
}

type document struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Security []map[string][]any `json:"security"`
	Tags     []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	Paths      json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes json.RawMessage      `json:"securitySchemes"`
		Parameters      map[string]parameter `json:"parameters"`
		Schemas         json.RawMessage      `json:"schemas"`
	} `json:"components"`
}

// methods is the order operations of one path are listed in.
var methods = []string{"get", "post", "put", "patch", "delete"}

// Render turns the OpenAPI document into the Markdown reference.
func Render(openapi []byte) ([]byte, error) {
	var doc document
	if err := json.Unmarshal(openapi, &doc); err != nil {
		return nil, fmt.Errorf("cannot decode the OpenAPI document: %w", err)
	}
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# API reference\n\n")
	w("<!-- Generated from internal/httpapi/openapi.json by `go generate ./internal/httpapi/...`; do not edit. -->\n\n")
	w("%s, version %s. %s\n\n", doc.Info.Title, doc.Info.Version, doc.Info.Description)
	w("The same document is served at `GET /api/v1/openapi.json` for code generators and API clients.\n\n")

	w("## Authentication\n\n")
	schemes, err := ordered(doc.Components.SecuritySchemes)
	if err != nil {
		return nil, fmt.Errorf("securitySchemes: %w", err)
	}
	for _, s := range schemes {
		var sc struct{ Type, Scheme, In, Name, Description string }
		if err := json.Unmarshal(s.value, &sc); err != nil {
			return nil, fmt.Errorf("securitySchemes.%s: %w", s.key, err)
		}
		how := sc.Type
		switch {
		case sc.Type == "http":
			how = "`Authorization: " + titleCase(sc.Scheme) + " …`"
		case sc.Type == "apiKey":
			how = "`" + sc.Name + "` " + sc.In
		}
		w("%s\n", strings.TrimSpace(fmt.Sprintf("- **%s**: %s. %s", s.key, how, sc.Description)))
	}
	w("\nUnless an operation says otherwise it accepts %s. Errors are `application/problem+json` "+
		"(RFC 9457) naming the offending field.\n\n", schemeList(doc.Security))

	paths, err := ordered(doc.Paths)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	type op struct {
		method, path string
		operation
	}
	byTag := map[string][]op{}
	for _, p := range paths {
		var item map[string]json.RawMessage
		if err := json.Unmarshal(p.value, &item); err != nil {
			return nil, fmt.Errorf("paths.%s: %w", p.key, err)
		}
		for _, m := range methods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var o operation
			if err := json.Unmarshal(raw, &o); err != nil {
				return nil, fmt.Errorf("paths.%s.%s: %w", p.key, m, err)
			}
			tag := "other"
			if len(o.Tags) > 0 {
				tag = o.Tags[0]
			}
			byTag[tag] = append(byTag[tag], op{strings.ToUpper(m), p.key, o})
		}
	}
	tags := make([]string, 0, len(doc.Tags))
	for _, t := range doc.Tags {
		tags = append(tags, t.Name)
	}
	for t := range byTag {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	w("## Contents\n\n")
	for _, t := range tags {
		if len(byTag[t]) > 0 {
			w("- [%s](#%s) (%d)\n", t, anchor(t), len(byTag[t]))
		}
	}
	w("- [Schemas](#schemas)\n\n")

	for _, t := range tags {
		ops := byTag[t]
		if len(ops) == 0 {
			continue
		}
		w("## %s\n\n", t)
		for _, o := range ops {
			w("### `%s %s`\n\n", o.method, o.path)
			w("%s\n\n", sentence(o.Summary))
			if o.Description != "" {
				w("%s\n\n", o.Description)
			}
			if o.Security != nil {
				if len(*o.Security) == 0 {
					w("Authentication: none.\n\n")
				} else {
					w("Authentication: %s.\n\n", schemeList(*o.Security))
				}
			}
			if len(o.Parameters) > 0 {
				w("| parameter | in | type | required | description |\n|---|---|---|---|---|\n")
				for _, p := range o.Parameters {
					if p.Ref != "" {
						name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
						resolved, ok := doc.Components.Parameters[name]
						if !ok {
							return nil, fmt.Errorf("%s %s: unknown parameter %s", o.method, o.path, p.Ref)
						}
						p = resolved
					}
					w("| `%s` | %s | %s | %s | %s |\n", p.Name, p.In, typeOf(p.Schema), yes(p.Required), cell(p.Description))
				}
				w("\n")
			}
			if rb := o.RequestBody; rb != nil {
				for _, ct := range sortedKeys(rb.Content) {
					w("Request body (%s%s): %s\n\n", ct, map[bool]string{true: ", required"}[rb.Required], typeOf(rb.Content[ct].Schema))
				}
			}
			responses, err := ordered(o.Responses)
			if err != nil {
				return nil, fmt.Errorf("%s %s responses: %w", o.method, o.path, err)
			}
			w("Responses:\n\n")
			for _, r := range responses {
				var resp response
				if err := json.Unmarshal(r.value, &resp); err != nil {
					return nil, fmt.Errorf("%s %s response %s: %w", o.method, o.path, r.key, err)
				}
				line := fmt.Sprintf("- `%s` %s", r.key, resp.Description)
				for _, ct := range sortedKeys(resp.Content) {
					line += fmt.Sprintf("; %s %s", ct, typeOf(resp.Content[ct].Schema))
				}
				w("%s\n", line)
			}
			w("\n")
		}
	}

	w("## Schemas\n\n")
	schemas, err := ordered(doc.Components.Schemas)
	if err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	for _, s := range schemas {
		var sc schema
		if err := json.Unmarshal(s.value, &sc); err != nil {
			return nil, fmt.Errorf("schemas.%s: %w", s.key, err)
		}
		w("### %s\n\n", s.key)
		if sc.Description != "" {
			w("%s\n\n", sc.Description)
		}
		props, err := ordered(sc.Properties)
		if err != nil {
			return nil, fmt.Errorf("schemas.%s.properties: %w", s.key, err)
		}
		if len(props) == 0 {
			w("%s\n\n", typeOf(sc))
			continue
		}
		w("| field | type | required | description |\n|---|---|---|---|\n")
		for _, p := range props {
			var ps schema
			if err := json.Unmarshal(p.value, &ps); err != nil {
				return nil, fmt.Errorf("schemas.%s.%s: %w", s.key, p.key, err)
			}
			w("| `%s` | %s | %s | %s |\n", p.key, typeOf(ps), yes(slices.Contains(sc.Required, p.key)), cell(ps.Description))
		}
		w("\n")
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

type member struct {
	key   string
	value json.RawMessage
}

// ordered returns an object's members in document order, which a Go map would lose.
func ordered(raw json.RawMessage) ([]member, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("expected an object")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{tok.(string), v})
	}
	return out, nil
}

// typeOf writes a schema as a short type: a link to a named schema, []T, string (a | b).
func typeOf(s schema) string {
	if s.Ref != "" {
		name := s.Ref[strings.LastIndex(s.Ref, "/")+1:]
		return "[" + name + "](#" + anchor(name) + ")"
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		var parts []string
		for _, o := range append(s.OneOf, s.AnyOf...) {
			parts = append(parts, typeOf(o))
		}
		return strings.Join(parts, " or ")
	}
	var t string
	switch v := s.Type.(type) {
	case string:
		t = v
	case []any:
		var parts []string
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
		t = strings.Join(parts, " or ")
	default:
		t = "any"
	}
	if t == "array" && s.Items != nil {
		return typeOf(*s.Items) + "[]"
	}
	var notes []string
	if s.Format != "" {
		notes = append(notes, s.Format)
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, fmt.Sprintf("`%v`", e))
		}
		notes = append(notes, strings.Join(vals, ", "))
	}
	if s.Minimum != nil {
		notes = append(notes, fmt.Sprintf("≥ %v", *s.Minimum))
	}
	if s.Maximum != nil {
		notes = append(notes, fmt.Sprintf("≤ %v", *s.Maximum))
	}
	if s.MaxLength != nil {
		notes = append(notes, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	if len(notes) > 0 {
		return t + " (" + strings.Join(notes, "; ") + ")"
	}
	return t
}

func schemeList(security []map[string][]any) string {
	var names []string
	for _, req := range security {
		for _, k := range sortedKeys(req) {
			names = append(names, "**"+k+"**")
		}
	}
	return strings.Join(names, " or ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// anchor is the fragment GitHub gives a Markdown heading.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// cell keeps a description inside one Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
