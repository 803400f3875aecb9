package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
)

func TestLimiterRefillsAndStaysBounded(t *testing.T) {
	l := NewLimiter(1, 2)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("a"); ok != want {
			t.Fatalf("call %d: %v", i, ok)
		}
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("bucket did not refill")
	}
	l.max = 10
	for i := 0; i < 100; i++ {
		now = now.Add(10 * time.Second)
		l.Allow(string(rune('A' + i)))
	}
	if len(l.buckets) > 10 {
		t.Fatalf("%d buckets kept, max 10", len(l.buckets))
	}
	if ok, _ := (*Limiter)(nil).Allow("x"); !ok {
		t.Fatal("nil limiter blocks")
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 10.1.2.3")
	if got := ClientIP(r, false); got != "10.1.2.3" {
		t.Errorf("untrusted proxy header used: %s", got)
	}
	if got := ClientIP(r, true); got != "203.0.113.9" {
		t.Errorf("trusted proxy: %s", got)
	}
	r.Header.Set("X-Forwarded-For", "not-an-ip")
	if got := ClientIP(r, true); got != "10.1.2.3" {
		t.Errorf("garbage header: %s", got)
	}
}

func benchAuth(b *testing.B, withToken bool) {
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	tok, _, _ := auth.NewIssuer(priv, "siyu", clock.System).Issue(auth.Identity{Subject: "m_1", Kind: auth.KindMember}, time.Hour)
	h := Auth(auth.NewVerifier(pub, "siyu", clock.System), NewLimiter(0, 0), nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/v1/members/me", nil)
	if withToken {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkVerifyToken is what checking a member's token adds to a request
// at the gateway, from its second request on (the first one's signature
// check is BenchmarkVerifyFresh in pkg/auth); compare with BenchmarkNoToken.
func BenchmarkVerifyToken(b *testing.B) { benchAuth(b, true) }

// BenchmarkNoToken is the same middleware with nothing to verify.
func BenchmarkNoToken(b *testing.B) { benchAuth(b, false) }

func TestValidUTF8(t *testing.T) {
	h := ValidUTF8(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	cases := []struct {
		target string
		status int
		reason string
	}{
		{"/v1/products/p1", 204, ""},
		{"/v1/products:search?query=%E8%BF%9E%E8%A1%A3%E8%A3%99", 204, ""},
		{"/v1/products/%ff", 400, "INVALID_UTF8"},
		{"/v1/products/ok%C3%28", 400, "INVALID_UTF8"},
		{"/v1/products:search?query=%ff", 400, "INVALID_UTF8"},
		{"/v1/products?page_token=a%80b", 400, "INVALID_UTF8"},
		{"/v1/products?%fe=1", 400, "INVALID_UTF8"},
		{"/v1/products?q=%zz", 400, "QUERY_INVALID"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.target, nil))
		if rec.Code != c.status || (c.reason != "" && !strings.Contains(rec.Body.String(), `"reason":"`+c.reason+`"`)) {
			t.Errorf("%s: %d %s", c.target, rec.Code, rec.Body.String())
		}
	}
}
