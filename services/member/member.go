// Package member is the member service: identity and sessions, profiles,
// and (as the service grows) levels, points, tags and segments.
package member

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/config"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/mongox"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/events"
	"siyu.dev/services/member/internal/grpcapi"
	"siyu.dev/services/member/internal/mongostore"
	"siyu.dev/services/member/internal/sms"
)

// Config is read from the environment.
type Config struct {
	MongoURI      string        `env:"MONGO_URI" required:"true" desc:"MongoDB connection string"`
	Database      string        `env:"SIYU_MONGO_DATABASE" default:"siyu_member" desc:"database owned by this service"`
	NATSURL       string        `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr      string        `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9101" desc:"gRPC listen address"`
	MetricsAddr   string        `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address; empty turns it off"`
	LogLevel      string        `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	JWTPrivateKey string        `env:"SIYU_JWT_PRIVATE_KEY" required:"true" desc:"Ed25519 private key (PEM) that signs tokens"`
	JWTPublicKey  string        `env:"SIYU_JWT_PUBLIC_KEY" required:"true" desc:"Ed25519 public key (PEM) that verifies tokens"`
	AccessTTL     time.Duration `env:"SIYU_ACCESS_TOKEN_TTL" default:"15m" desc:"lifetime of member access tokens"`
	DevMode       bool          `env:"SIYU_DEV_MODE" desc:"development conveniences: the logging SMS provider"`
	DevSMSEcho    bool          `env:"SIYU_DEV_SMS_ECHO" desc:"with dev mode, return SMS codes in the API response"`

	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// Validate refuses setups that cannot deliver a code.
func (c Config) Validate() error {
	if !c.DevMode {
		return errors.New("no SMS provider is configured: set SIYU_DEV_MODE=true for the logging provider (real providers arrive with the member issue)")
	}
	return nil
}

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	return c, config.Load(&c)
}

func (c Config) spec() lifecycle.Spec {
	return lifecycle.Spec{Name: "member", GRPCAddr: c.GRPCAddr, MetricsAddr: c.MetricsAddr, LogLevel: c.LogLevel, Listener: c.Listener, Logger: c.Logger,
		MongoURI: c.MongoURI, Database: c.Database, NATSURL: c.NATSURL, Stream: events.Stream, Subjects: events.Subjects,
		JWTPublicKey: c.JWTPublicKey, Policy: grpcapi.Policy}
}

// build wires the application around a database.
func build(c Config, store *mongostore.Store, log *slog.Logger) (*app.Service, error) {
	priv, err := auth.ParsePrivateKeyPEM(c.JWTPrivateKey)
	if err != nil {
		return nil, errors.New("SIYU_JWT_PRIVATE_KEY: " + err.Error())
	}
	issuer := auth.NewIssuer(priv, "siyu", clock.System)
	return app.New(mongostore.Members{Store: store}, mongostore.Codes{Store: store}, mongostore.Sessions{Store: store}, mongostore.Admins{Store: store},
		sms.Dev{Logger: log}, issuer, clock.System, app.Options{AccessTTL: c.AccessTTL, EchoCode: c.DevMode && c.DevSMSEcho}), nil
}

// Run serves the member service until ctx is done.
func Run(ctx context.Context, c Config) error {
	return lifecycle.Run(ctx, c.spec(), func(ctx context.Context, in *lifecycle.Infra) (func(), error) {
		store := mongostore.New(in.DB)
		if err := store.EnsureIndexes(ctx); err != nil {
			return nil, err
		}
		relay := in.Relay(store.Members, store.Sessions)
		store.Flush = relay.FlushAsync
		svc, err := build(c, store, in.Logger)
		if err != nil {
			return nil, err
		}
		grpcapi.Register(in.Server.GRPC(), svc)
		return nil, nil
	})
}

// withStore opens the service's database for a one-off administrative task.
func withStore(ctx context.Context, c Config, fn func(*app.Service) error) error {
	client, err := mongox.Connect(ctx, c.MongoURI)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	store := mongostore.New(client.Database(c.Database))
	if err := store.EnsureIndexes(ctx); err != nil {
		return err
	}
	svc, err := build(c, store, slog.Default())
	if err != nil {
		return err
	}
	return fn(svc)
}

// EnsureAdmin creates operator username with roles and a random password
// unless it exists; the password is returned only when created. The
// registration events of seeded members are published by the running
// service's outbox sweep.
func EnsureAdmin(ctx context.Context, c Config, username string, roles []string) (password string, created bool, err error) {
	err = withStore(ctx, c, func(s *app.Service) error {
		password, created, err = s.EnsureAdmin(ctx, username, roles)
		return err
	})
	return password, created, err
}

// EnsureMember registers phone as a member unless it is one (demo data).
func EnsureMember(ctx context.Context, c Config, phone string) error {
	return withStore(ctx, c, func(s *app.Service) error {
		_, err := s.EnsureMember(ctx, phone, "demo")
		return err
	})
}
