package healthcheck

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLocal(t *testing.T) {
	cases := map[string]string{":9101": "127.0.0.1:9101", "0.0.0.0:80": "127.0.0.1:80", "10.0.0.5:1": "10.0.0.5:1", "[::]:8080": "127.0.0.1:8080", "nonsense": "nonsense"}
	for in, want := range cases {
		if got := Local(in); got != want {
			t.Errorf("Local(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTTPAndGRPCFailures(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	if err := HTTP(ok.URL, time.Second); err != nil {
		t.Errorf("healthy server: %v", err)
	}
	if err := HTTP(bad.URL, 100*time.Millisecond); err == nil {
		t.Error("503 counted as healthy")
	}
	if err := GRPC("127.0.0.1:1", 200*time.Millisecond); err == nil {
		t.Error("closed port counted as healthy")
	}
}
