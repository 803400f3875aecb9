package telemetry

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
)

func TestPrometheusEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	shutdown, err := Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	if Enabled() {
		t.Fatal("OTLP enabled without an endpoint")
	}
	counter, _ := otel.Meter("test").Int64Counter("siyu_test_things")
	counter.Add(context.Background(), 3)
	rec := httptest.NewRecorder()
	MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "siyu_test_things") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics: %d\n%.500s", rec.Code, body)
	}
}
