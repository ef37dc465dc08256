// Package web is the dashboard's production build (Vite's output in web/dist), embedded in
// the binary so that one file serves the API and the app.
//
// dist/ always holds at least the committed placeholder dist/.keep, so the package compiles on
// a fresh clone before `npm run build` has run; the server then shows a page saying how to
// build the dashboard (docs/web.md).
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the build's files with paths relative to dist/ ("index.html",
// "assets/index-3f2a.js").
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "dist" is a constant.
		panic(err)
	}
	return sub
}
