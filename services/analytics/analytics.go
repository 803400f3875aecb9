// Package analytics is the analytics service. It takes the storefront's
// tracking events (page and product views, adds to cart, searches, shares)
// and counts them by day; projections for member segments and campaign
// results come with its own issue.
package analytics

import (
	"context"
	"log/slog"
	"net"

	"siyu.dev/pkg/config"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/analytics/internal/app"
	"siyu.dev/services/analytics/internal/grpcapi"
	"siyu.dev/services/analytics/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	MongoURI     string `env:"MONGO_URI" required:"true" desc:"MongoDB connection string"`
	Database     string `env:"SIYU_MONGO_DATABASE" default:"siyu_analytics" desc:"database owned by this service"`
	GRPCAddr     string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9106" desc:"gRPC listen address"`
	MetricsAddr  string `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address; empty turns it off"`
	LogLevel     string `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	JWTPublicKey string `env:"SIYU_JWT_PUBLIC_KEY" required:"true" desc:"Ed25519 public key (PEM) that verifies tokens"`

	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// Policy is the access rule of every analytics RPC.
var Policy = grpcapi.Policy

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	return c, config.Load(&c)
}

// Run serves until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := lifecycle.Spec{Name: "analytics", GRPCAddr: c.GRPCAddr, MetricsAddr: c.MetricsAddr, LogLevel: c.LogLevel, Listener: c.Listener, Logger: c.Logger,
		MongoURI: c.MongoURI, Database: c.Database, JWTPublicKey: c.JWTPublicKey, Policy: grpcapi.Policy}
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		grpcapi.Register(in.Server.GRPC(), app.NewTracking(mongostore.New(in.DB), in.Clock))
		return nil
	})
}
