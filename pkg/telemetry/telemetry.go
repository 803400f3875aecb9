// Package telemetry sets up OpenTelemetry for a process: W3C propagation
// always, OTLP export of traces and metrics only when the standard OTEL_*
// variables name an endpoint, and a Prometheus endpoint for scraping.
package telemetry

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

var (
	once     sync.Once
	registry = prometheus.NewRegistry()
)

// Enabled reports whether OTLP export is configured.
func Enabled() bool {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// Setup installs providers for service. In the all-in-one process several
// services call it; the first call wins, later calls share its providers.
// shutdown flushes what is buffered.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	shutdown = func(context.Context) error { return nil }
	once.Do(func() {
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
		registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		res := resource.NewSchemaless(semconv.ServiceName(serviceName(service)))
		promExp, perr := otelprom.New(otelprom.WithRegisterer(registry))
		if perr != nil {
			err = perr
			return
		}
		readers := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
		var tp *sdktrace.TracerProvider
		if Enabled() {
			texp, terr := otlptracegrpc.New(ctx)
			mexp, merr := otlpmetricgrpc.New(ctx)
			if err = errors.Join(terr, merr); err != nil {
				return
			}
			tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
			otel.SetTracerProvider(tp)
			readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp)))
		}
		mp := sdkmetric.NewMeterProvider(readers...)
		otel.SetMeterProvider(mp)
		shutdown = func(ctx context.Context) error {
			var errs []error
			if tp != nil {
				errs = append(errs, tp.Shutdown(ctx))
			}
			return errors.Join(append(errs, mp.Shutdown(ctx))...)
		}
	})
	return shutdown, err
}

func serviceName(def string) string {
	if v := os.Getenv("OTEL_SERVICE_NAME"); v != "" {
		return v
	}
	return "siyu-" + def
}

// MetricsHandler serves this process's metrics in Prometheus text format.
func MetricsHandler() http.Handler {
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
}

// ServeMetrics serves MetricsHandler on addr until ctx is done; an empty
// addr turns it off.
func ServeMetrics(ctx context.Context, addr string) error {
	if addr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", MetricsHandler())
	srv := &http.Server{Addr: addr, Handler: mux}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
