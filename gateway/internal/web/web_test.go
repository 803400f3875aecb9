package web

import (
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
