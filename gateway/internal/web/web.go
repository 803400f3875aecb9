// Package web serves the static H5 storefront and admin files, or a small
// landing page when none are configured. Directories are never listed.
package web

import (
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"
)

const landing = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Siyu</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933}</style></head>
<body><h1>Siyu 私域</h1><p>The private-domain retail backend is running.</p>
<ul><li><a href="/docs">API documentation</a></li><li><a href="/v1/products">Products (JSON)</a></li>
<li><a href="/readyz">Readiness</a></li></ul></body></html>`

// Handler serves dir, or the landing page when dir is empty.
func Handler(dir string) (http.Handler, error) {
	if dir == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(landing))
		}), nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("SIYU_WEB_DIR %q is not a directory", dir)
	}
	files := http.FileServer(noListing{http.Dir(dir)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}

// noListing hides directories that have no index.html.
type noListing struct{ fs http.FileSystem }

func (n noListing) Open(name string) (http.File, error) {
	f, err := n.fs.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		idx, err := n.fs.Open(path.Join(strings.TrimSuffix(name, "/"), "index.html"))
		if err != nil {
			f.Close()
			return nil, os.ErrNotExist
		}
		idx.Close()
	}
	return f, nil
}
