package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSinglePageApp(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html":        "<div id=app></div>",
		"assets/app-1a2.js": "console.log(1)",
		"favicon.ico":       "ico",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := Handler(dir)
	if err != nil {
		t.Fatal(err)
	}
	const page = "text/html,application/xhtml+xml"
	cases := []struct {
		name, method, path, accept string
		status                     int
		body, cache                string
	}{
		{"root", "GET", "/", page, 200, "id=app", "no-cache"},
		{"client route", "GET", "/product/p-0001", page, 200, "id=app", "no-cache"},
		{"client route with query", "GET", "/login?redirect=%2Fcart", page, 200, "id=app", "no-cache"},
		{"asset", "GET", "/assets/app-1a2.js", "*/*", 200, "console.log", "immutable"},
		{"missing asset is no page", "GET", "/assets/gone.js", page, 404, "", ""},
		{"missing file with an extension", "GET", "/robots.txt", page, 404, "", ""},
		{"not a browser", "GET", "/orders", "application/json", 404, "", ""},
		{"directory is not listed", "GET", "/assets/", page, 404, "", ""},
		{"api paths are never the app", "GET", "/v1/nothing", page, 404, "", ""},
		{"writes are refused", "POST", "/orders", page, 405, "", ""},
		{"a file that exists", "GET", "/favicon.ico", page, 200, "ico", "no-cache"},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Header.Set("Accept", c.accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s: %s %s = %d, want %d", c.name, c.method, c.path, rec.Code, c.status)
			continue
		}
		if c.body != "" && !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("%s: body %.60q", c.name, rec.Body.String())
		}
		if c.cache != "" && !strings.Contains(rec.Header().Get("Cache-Control"), c.cache) {
			t.Errorf("%s: Cache-Control %q, want %q", c.name, rec.Header().Get("Cache-Control"), c.cache)
		}
	}
}

func TestLandingWithoutDir(t *testing.T) {
	h, err := Handler("")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Siyu") {
		t.Errorf("landing: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/orders", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("no app, no fallback: %d", rec.Code)
	}
}

func TestGzippedText(t *testing.T) {
	dir := t.TempDir()
	script := strings.Repeat("console.log('连衣裙');\n", 200)
	for name, body := range map[string]string{"index.html": "<div id=app></div>", "assets/app.js": script, "logo.png": "png"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := Handler(dir)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, enc string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "text/html")
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 2; i++ { // the second answer comes from the cache
		rec := get("/assets/app.js", "gzip, deflate, br")
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
			t.Fatalf("gzipped script: %d %v", rec.Code, rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if string(plain) != script || rec.Body.Len() >= len(script) {
			t.Fatalf("gzipped script does not round-trip or is not smaller")
		}
	}
	if rec := get("/assets/app.js", ""); rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != script || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Errorf("plain script: %v", rec.Header())
	}
	if rec := get("/assets/app.js", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip refused with q=0 but sent")
	}
	if rec := get("/orders", "gzip"); rec.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("client route: %v", rec.Header())
	}
	if rec := get("/logo.png", "gzip"); rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != "png" {
		t.Errorf("images are sent as they are: %v", rec.Header())
	}
	if rec := get("/gone.js", "gzip"); rec.Code != 404 {
		t.Errorf("missing file: %d", rec.Code)
	}
}
