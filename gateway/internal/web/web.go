// Package web serves the static H5 storefront and admin files, or a small
// landing page when none are configured. Directories are never listed.
package web

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const landing = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Siyu</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933}</style></head>
<body><h1>Siyu 私域</h1><p>The private-domain retail backend is running.</p>
<ul><li><a href="/docs">API documentation</a></li><li><a href="/v1/products">Products (JSON)</a></li>
<li><a href="/readyz">Readiness</a></li></ul></body></html>`

// Handler serves dir, or the landing page when dir is empty. When dir has an
// index.html it is a single-page app: page addresses that are not files get
// index.html, and the client's router shows the page.
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
	index := filepath.Join(dir, "index.html")
	_, err := os.Stat(index)
	spa := err == nil
	gz := &gzipCache{dir: dir}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if spa && isClientRoute(r, dir) {
			// The single-page app routes on the client (/product/p-1,
			// /orders): a page reload or a shared link gets index.html.
			w.Header().Set("Cache-Control", "no-cache")
			if !gz.serve(w, r, "/index.html") {
				http.ServeFile(w, r, index)
			}
			return
		}
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			// Vite names built assets by content hash: a name never changes meaning.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		name := r.URL.Path
		if strings.HasSuffix(name, "/") {
			name += "index.html"
		}
		if gz.serve(w, r, name) {
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}

// compressible are the text files worth sending gzipped.
var compressible = map[string]bool{".js": true, ".css": true, ".html": true, ".svg": true, ".json": true, ".txt": true, ".map": true}

// gzipCache sends text files gzipped to clients that accept it, compressing
// each file once (built assets never change while they keep their name and
// modification time). A phone on a slow network fetches the storefront's
// script at about a third of its size.
type gzipCache struct {
	dir     string
	entries sync.Map // cleaned path → *gzipped
}

type gzipped struct {
	mod  time.Time
	size int64
	body []byte
}

const maxGzipFile = 8 << 20

func (c *gzipCache) serve(w http.ResponseWriter, r *http.Request, name string) bool {
	ext := path.Ext(name)
	if !compressible[ext] {
		return false
	}
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return false
	}
	clean := path.Clean("/" + name)
	full := filepath.Join(c.dir, filepath.FromSlash(clean))
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxGzipFile {
		return false
	}
	var e *gzipped
	if v, ok := c.entries.Load(clean); ok {
		if cached := v.(*gzipped); cached.mod.Equal(st.ModTime()) && cached.size == st.Size() {
			e = cached
		}
	}
	if e == nil {
		raw, err := os.ReadFile(full)
		if err != nil {
			return false
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(raw)
		if zw.Close() != nil {
			return false
		}
		e = &gzipped{mod: st.ModTime(), size: st.Size(), body: buf.Bytes()}
		c.entries.Store(clean, e)
	}
	ctype := mime.TypeByExtension(ext)
	if ext == ".html" {
		ctype = "text/html; charset=utf-8"
	}
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.Header().Set("Content-Encoding", "gzip")
	http.ServeContent(w, r, clean, e.mod, bytes.NewReader(e.body))
	return true
}

// acceptsGzip reads Accept-Encoding, honouring an explicit refusal (gzip;q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// isClientRoute tells a page address of the app from a file: a browser asks
// for a page (Accept: text/html), the last segment has no extension, it is
// not a directory, and no such file exists. Anything else a client asks for
// that is missing stays a 404, so a missing script never comes back as HTML.
// The gateway's own routes (/v1/, /healthz, /docs …) are registered before
// this handler and never reach it.
func isClientRoute(r *http.Request, dir string) bool {
	p := r.URL.Path
	if p == "/" || strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/assets/") || strings.HasPrefix(p, "/v1/") {
		return false
	}
	if strings.Contains(path.Base(p), ".") || !strings.Contains(r.Header.Get("Accept"), "text/html") {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path.Clean(p))))
	return errors.Is(err, os.ErrNotExist)
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
