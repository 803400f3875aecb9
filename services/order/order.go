// Package order is the order service: carts, checkout pricing, orders and
// their state machine, payments. It grows in steps; today it serves the
// payment-callback contract (and grpc.health.v1).
package order

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"siyu.dev/pkg/config"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/grpcapi"
)

// Config is read from the environment.
type Config struct {
	GRPCAddr    string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9103" desc:"gRPC listen address"`
	MetricsAddr string `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address; empty turns it off"`
	LogLevel    string `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`

	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	return c, config.Load(&c)
}

// Run serves until ctx is done.
func Run(ctx context.Context, cfg Config) error {
	spec := lifecycle.Spec{Name: "order", GRPCAddr: cfg.GRPCAddr, MetricsAddr: cfg.MetricsAddr, LogLevel: cfg.LogLevel, Listener: cfg.Listener, Logger: cfg.Logger}
	return lifecycle.Run(ctx, spec, func(_ context.Context, in *lifecycle.Infra) (func(), error) {
		grpcapi.RegisterCallbacks(in.Server.GRPC(), noProviders{})
		return nil, nil
	})
}

// noProviders answers callbacks while no payment provider is configured:
// every provider name is unknown, so nothing unverified is ever applied.
type noProviders struct{}

func (noProviders) HandleNotification(_ context.Context, provider string, _ http.Header, _ []byte) (grpcapi.Ack, error) {
	return grpcapi.Ack{}, fault.New(fault.NotFound, domain.ReasonPaymentProviderUnknown, "no payment provider is configured", "provider", provider)
}
