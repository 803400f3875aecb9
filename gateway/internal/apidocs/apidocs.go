// Package apidocs embeds the merged OpenAPI document that `make generate`
// writes beside this file, and a page that renders it.
package apidocs

import (
	_ "embed"
	"net/http"
)

//go:embed siyu.swagger.json
var spec []byte

//go:embed docs.html
var page []byte

// Spec serves the OpenAPI v2 document.
func Spec() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(spec)
	})
}

// Page serves a self-contained HTML page that renders the document.
func Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
}
