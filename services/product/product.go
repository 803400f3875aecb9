// Package product is the product service: the category tree, products and
// their SKUs, served to shoppers from an in-memory read model; inventory,
// search, reviews and recommendations grow here.
package product

import (
	"context"
	"log/slog"
	"net"

	"siyu.dev/pkg/config"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/events"
	"siyu.dev/services/product/internal/grpcapi"
	"siyu.dev/services/product/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	MongoURI     string `env:"MONGO_URI" required:"true" desc:"MongoDB connection string"`
	Database     string `env:"SIYU_MONGO_DATABASE" default:"siyu_product" desc:"database owned by this service"`
	NATSURL      string `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr     string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9102" desc:"gRPC listen address"`
	MetricsAddr  string `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address; empty turns it off"`
	LogLevel     string `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	JWTPublicKey string `env:"SIYU_JWT_PUBLIC_KEY" required:"true" desc:"Ed25519 public key (PEM) that verifies tokens"`

	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	return c, config.Load(&c)
}

// Run serves the product service until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := lifecycle.Spec{Name: "product", GRPCAddr: c.GRPCAddr, MetricsAddr: c.MetricsAddr, LogLevel: c.LogLevel, Listener: c.Listener, Logger: c.Logger,
		MongoURI: c.MongoURI, Database: c.Database, NATSURL: c.NATSURL, Stream: events.Stream, Subjects: events.Subjects,
		JWTPublicKey: c.JWTPublicKey, Policy: grpcapi.Policy}
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) (func(), error) {
		store := mongostore.New(in.DB)
		store.Flush = in.Relay(store.ProductColl).FlushAsync
		svc := app.New(store, in.Clock)
		if err := svc.Load(ctx); err != nil {
			return nil, err
		}
		grpcapi.Register(in.Server.GRPC(), svc)
		return nil, nil
	})
}
