// Package marketing is the marketing service. Until its feature issue lands it serves
// only grpc.health.v1 (and reflection), so the stack, the gateway's
// readiness check and the deployment files already include it.
package marketing

import (
	"context"
	"log/slog"
	"net"

	"siyu.dev/pkg/config"
	"siyu.dev/pkg/lifecycle"
)

// Config is read from the environment.
type Config struct {
	GRPCAddr    string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9104" desc:"gRPC listen address"`
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
	spec := lifecycle.Spec{Name: "marketing", GRPCAddr: cfg.GRPCAddr, MetricsAddr: cfg.MetricsAddr, LogLevel: cfg.LogLevel, Listener: cfg.Listener, Logger: cfg.Logger}
	return lifecycle.Run(ctx, spec, func(context.Context, *lifecycle.Infra) error { return nil })
}
