package httpapi

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument describes every route of the route table (openapi_test.go checks both list
// the same routes, and that answers in the tests match its schemas).
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI 3.1 document of the API.
func OpenAPIDocument() []byte { return openAPIDocument }

func openAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(openAPIDocument)
	})
}
