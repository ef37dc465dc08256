// Command apiref writes the Markdown API reference from the OpenAPI document.
//
//	go run ./internal/httpapi/cmd/apiref -out docs/production/API_REFERENCE.md
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/agentobs/agentobs/internal/httpapi"
	"github.com/agentobs/agentobs/internal/httpapi/apiref"
)

func main() {
	out := flag.String("out", "docs/production/API_REFERENCE.md", "file to write")
	flag.Parse()
	md, err := apiref.Render(httpapi.OpenAPIDocument())
	if err == nil {
		err = os.WriteFile(*out, append(md, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiref:", err)
		os.Exit(1)
	}
}
