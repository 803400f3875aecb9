package lifecycle

import (
	"log/slog"
	"net"
)

// Common is the configuration every service shares; each service's Config
// embeds it, so the variables are declared (and documented) once.
type Common struct {
	MongoURI     string `env:"MONGO_URI" required:"true" desc:"MongoDB connection string"`
	JWTPublicKey string `env:"SIYU_JWT_PUBLIC_KEY" required:"true" desc:"Ed25519 public key (PEM) that verifies tokens"`
	MetricsAddr  string `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address; empty turns it off"`
	LogLevel     string `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`

	// Listener, when set, replaces the gRPC address, and Logger the
	// service's own logger: the all-in-one runner and tests hand them in.
	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// Spec starts a service's Spec from the shared configuration; the service
// adds its NATS stream and access policy.
func (c Common) Spec(name, grpcAddr, database string) Spec {
	return Spec{Name: name, GRPCAddr: grpcAddr, MetricsAddr: c.MetricsAddr, LogLevel: c.LogLevel, Listener: c.Listener, Logger: c.Logger,
		MongoURI: c.MongoURI, Database: database, JWTPublicKey: c.JWTPublicKey}
}
