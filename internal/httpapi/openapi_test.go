package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/abtest"
	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/insight"
	"github.com/agentobs/agentobs/internal/query"
)

// openAPI is the parsed document, for the tests.
type openAPI struct {
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas    map[string]any `json:"schemas"`
		Parameters map[string]any `json:"parameters"`
	} `json:"components"`
}

type openAPIOperation struct {
	Responses map[string]struct {
		Content map[string]struct {
			Schema any `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	var doc openAPI
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return &doc
}

// TestOpenAPIRoutes checks that the route table and the document list the same routes. When
// it fails it names every route to add to openapi.json (or every path to remove from it).
func TestOpenAPIRoutes(t *testing.T) {
	api := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), API: true, Ingest: true, Query: true,
		Eval: eval.New(eval.Config{}), ABTests: &abtest.Service{},
		Guard: guardrail.NewService(guardrail.Config{}), Guardrails: routeListingStore{}, Alert: true,
		Insights: insight.New(insight.Config{}), InsightRoutes: true})
	routes := map[string]bool{}
	for _, rt := range api.Routes() {
		routes[rt.Pattern] = true
	}
	// The query service's routes are registered only with a store that can answer them.
	for _, e := range queryEndpointsForTest() {
		routes[e] = true
	}
	documented := map[string]bool{}
	for path, ops := range loadOpenAPI(t).Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("route %q is not in internal/httpapi/openapi.json: add it under paths", r)
	}
	for _, d := range extra {
		t.Errorf("openapi.json documents %q, which no route serves", d)
	}
}

// TestOpenAPIDocument checks the document's shape: version, resolvable references, and an
// answer for every operation.
func TestOpenAPIDocument(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(OpenAPIDocument(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", raw["openapi"])
	}
	doc := loadOpenAPI(t)
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/(schemas|parameters)/([^"]+)"`).FindAllStringSubmatch(string(OpenAPIDocument()), -1)
	for _, m := range refs {
		var ok bool
		if m[1] == "schemas" {
			_, ok = doc.Components.Schemas[m[2]]
		} else {
			_, ok = doc.Components.Parameters[m[2]]
		}
		if !ok {
			t.Errorf("unresolved reference #/components/%s/%s", m[1], m[2])
		}
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if len(op.Responses) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
}

// validateAnswer checks body, the answer of method on the route pattern with status, against
// the document's schema for it.
func validateAnswer(t *testing.T, doc *openAPI, method, pattern string, status int, contentType string, body []byte) {
	t.Helper()
	op, ok := doc.Paths[pattern][strings.ToLower(method)]
	if !ok {
		t.Errorf("%s %s is not documented", method, pattern)
		return
	}
	resp, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		resp, ok = op.Responses["default"]
	}
	if !ok {
		t.Errorf("%s %s: status %d is not documented", method, pattern, status)
		return
	}
	mt := strings.TrimSpace(strings.Split(contentType, ";")[0])
	content, ok := resp.Content[mt]
	if !ok {
		t.Errorf("%s %s: %d answers %s, which is not documented", method, pattern, status, mt)
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s %s: answer is not JSON: %v", method, pattern, err)
		return
	}
	if errs := (&schemaCheck{doc: doc}).check(content.Schema, v, ""); len(errs) > 0 {
		t.Errorf("%s %s (%d) does not match openapi.json:\n  %s", method, pattern, status, strings.Join(errs[:min(len(errs), 10)], "\n  "))
	}
}

// schemaCheck validates JSON values against the subset of JSON Schema the document uses:
// $ref, type (also lists with "null"), properties, required, additionalProperties, items,
// enum, anyOf, oneOf, minimum and maximum.
type schemaCheck struct{ doc *openAPI }

func (c *schemaCheck) check(schema any, v any, at string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, found := c.doc.Components.Schemas[name]
		if !found {
			return []string{at + ": unresolved " + ref}
		}
		return c.check(target, v, at)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[key].([]any); ok {
			matched := 0
			for _, alt := range alts {
				if len(c.check(alt, v, at)) == 0 {
					matched++
				}
			}
			if matched == 0 || (key == "oneOf" && matched > 1) {
				return []string{fmt.Sprintf("%s: %s matches %d of the %s alternatives", at, brief(v), matched, key)}
			}
			return nil
		}
	}
	var errs []string
	if types := typesOf(s["type"]); len(types) > 0 && !typeMatches(types, v) {
		return []string{fmt.Sprintf("%s: %s is not of type %v", at, brief(v), types)}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) && (e == nil) == (v == nil) {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %s is not one of %v", at, brief(v), enum))
		}
	}
	if n, ok := v.(float64); ok {
		if m, ok := s["minimum"].(float64); ok && n < m {
			errs = append(errs, fmt.Sprintf("%s: %v < minimum %v", at, n, m))
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			errs = append(errs, fmt.Sprintf("%s: %v > maximum %v", at, n, m))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := x[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required property %q is missing", at, r))
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				errs = append(errs, c.check(ps, val, at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: property %q is not documented", at, k))
				}
			case map[string]any:
				errs = append(errs, c.check(ap, val, at+"."+k)...)
			}
		}
	case []any:
		for i, item := range x {
			errs = append(errs, c.check(s["items"], item, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return errs
}

func typesOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		return asStrings(t)
	}
	return nil
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func typeMatches(types []string, v any) bool {
	for _, ty := range types {
		switch x := v.(type) {
		case nil:
			if ty == "null" {
				return true
			}
		case bool:
			if ty == "boolean" {
				return true
			}
		case string:
			if ty == "string" {
				return true
			}
		case float64:
			if ty == "number" || (ty == "integer" && x == math.Trunc(x)) {
				return true
			}
		case []any:
			if ty == "array" {
				return true
			}
		case map[string]any:
			if ty == "object" {
				return true
			}
		}
	}
	return false
}

func brief(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// queryEndpointsForTest lists the query service's route patterns.
func queryEndpointsForTest() []string {
	var out []string
	for _, e := range query.Endpoints() {
		out = append(out, e.Method+" "+e.Path)
	}
	return out
}

// TestRolesServeOnlyTheirRoutes: a process of the process role alone serves no sign-in,
// keys, web app, ingestion or queries; each role adds only its own routes.
func TestRolesServeOnlyTheirRoutes(t *testing.T) {
	patterns := func(cfg Config) []string {
		cfg.Log, cfg.Registry = slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry()
		var out []string
		for _, r := range New(cfg).Routes() {
			out = append(out, r.Pattern)
		}
		return out
	}
	base := []string{"GET /health", "GET /ready", "GET /api/v1/openapi.json", "GET /metrics"}
	if diff := cmp.Diff(base, patterns(Config{})); diff != "" {
		t.Errorf("process role alone (-want +got):\n%s", diff)
	}
	has := func(list []string, p string) bool { return slices.Contains(list, p) }
	ingest := patterns(Config{Ingest: true})
	if !has(ingest, "POST /api/v1/traces") || has(ingest, "POST /api/v1/auth/login") || has(ingest, "GET /") || has(ingest, "GET /api/v1/traces") {
		t.Errorf("ingest alone serves %v", ingest)
	}
	api := patterns(Config{API: true})
	if !has(api, "POST /api/v1/auth/login") || !has(api, "GET /") || has(api, "POST /api/v1/traces") {
		t.Errorf("api alone serves %v", api)
	}
}
