package apiref_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/httpapi"
	"github.com/agentobs/agentobs/internal/httpapi/apiref"
)

const referenceFile = "../../../docs/production/API_REFERENCE.md"

// TestReferenceIsCurrent fails when docs/production/API_REFERENCE.md differs from what the
// OpenAPI document renders to; `go generate ./internal/httpapi/...` rewrites it.
func TestReferenceIsCurrent(t *testing.T) {
	want, err := apiref.Render(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want)+"\n", string(got)); diff != "" {
		t.Errorf("%s is out of date; run `go generate ./internal/httpapi/...` (-generated +file):\n%s", referenceFile, diff)
	}
}

// TestRenderShowsEveryOperation checks the reference against the document itself: every
// path and method has a heading, every schema a section, every parameter a row.
func TestRenderShowsEveryOperation(t *testing.T) {
	md, err := apiref.Render(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### `POST /api/v1/traces`", "### `GET /api/v1/traces`", "### `GET /health`",
		"### `POST /v1/traces`", "### TraceInput", "| `trace_id` | string | yes |",
		"| `wait` | query | string (`commit`) |", "Authentication: none.",
		"Request body (application/json, required): [TraceInput](#traceinput)",
		"- `default` Problem; application/problem+json [Problem](#problem)",
	} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("reference lacks %q", want)
		}
	}
	if n := strings.Count(string(md), "\n### `"); n < 100 {
		t.Errorf("%d operations rendered, want every one of the document's (over 100)", n)
	}
}

func TestRenderRejectsBrokenDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":          `{`,
		"paths not object":  `{"paths": []}`,
		"unknown parameter": `{"paths": {"/x": {"get": {"parameters": [{"$ref": "#/components/parameters/nope"}], "responses": {}}}}}`,
	} {
		if _, err := apiref.Render([]byte(doc)); err == nil {
			t.Errorf("%s: rendered without an error", name)
		}
	}
}
