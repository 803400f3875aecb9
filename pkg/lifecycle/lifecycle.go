// Package lifecycle runs one service process the same way for every service:
// telemetry, logging, MongoDB, NATS JetStream and its stream, the outbox
// relay, the gRPC server and metrics endpoint; and on shutdown the order
// DESIGN.md §8 asks for: health NOT_SERVING, GracefulStop, stop consumers,
// drain NATS, disconnect MongoDB, flush telemetry.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/logx"
	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/outbox"
	"siyu.dev/pkg/telemetry"
)

// Spec is what a service asks of the process around it.
type Spec struct {
	Name        string
	GRPCAddr    string
	MetricsAddr string
	LogLevel    string
	// Listener, when set, replaces GRPCAddr (the all-in-one runner and tests).
	Listener net.Listener
	Logger   *slog.Logger

	// MongoURI and Database are optional: services without storage yet leave them empty.
	MongoURI, Database string
	// NATSURL is optional likewise; Stream and Subjects declare the service's own stream.
	NATSURL  string
	Stream   string
	Subjects []string

	// JWTPublicKey turns on authentication with Policy.
	JWTPublicKey string
	Policy       auth.Policy
}

// Infra is what Setup gets to build the service with.
type Infra struct {
	Logger    *slog.Logger
	Mongo     *mongo.Client
	DB        *mongo.Database
	NATS      *nats.Conn
	JS        jetstream.JetStream
	Publisher *natsx.Publisher
	Server    *grpcserver.Server
	Clock     clock.Clock
	relay     *outbox.Relay

	// What the process waits for and stops at shutdown (or when setup
	// fails): every goroutine, then the stops in reverse order of recording.
	ctx   context.Context
	stops []func()
	wg    sync.WaitGroup
}

// Relay makes the outbox relay for colls; Run sweeps it in the background
// once Setup returns. Call it once.
func (in *Infra) Relay(colls ...*mongo.Collection) *outbox.Relay {
	in.relay = outbox.NewRelay(in.Publisher, in.Logger, colls...)
	return in.relay
}

// OnStop records stop, called at shutdown after the gRPC server stopped,
// in the reverse order of recording; also when a later step of setup fails,
// so setup never unwinds by hand.
func (in *Infra) OnStop(stop func()) {
	if stop != nil {
		in.stops = append(in.stops, stop)
	}
}

// Go runs fn in a goroutine that the process waits for at shutdown, before
// any stop recorded with OnStop; fn must return once its context ends.
func (in *Infra) Go(fn func(ctx context.Context)) {
	in.wg.Go(func() { fn(in.ctx) })
}

// Every runs job once per interval in a goroutine joined at shutdown; a
// failed run is logged with what and retried at the next tick.
func (in *Infra) Every(what string, interval time.Duration, job func(context.Context) error) {
	in.Go(func(ctx context.Context) {
		Every(ctx, interval, job, func(err error) { in.Logger.Warn(what+" failed; retrying", "err", err) })
	})
}

// unwind cancels the goroutines' context and waits for them (a sweep in
// flight finishes while the connections it uses are still open), then
// stops what setup recorded, newest first.
func (in *Infra) unwind(cancel context.CancelFunc) {
	cancel()
	in.wg.Wait()
	stops := in.stops
	in.stops = nil // unwinding twice stops nothing twice
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// Setup registers the service's gRPC handlers and starts its consumers and
// background jobs, recording their stops with OnStop and running loops with
// Go or Every.
type Setup func(ctx context.Context, in *Infra) error

// Run brings the process up, serves until ctx is done, and shuts down in order.
func Run(ctx context.Context, spec Spec, setup Setup) (err error) {
	log := spec.Logger
	if log == nil {
		log = logx.New(spec.Name, os.Stderr, logx.ParseLevel(spec.LogLevel))
	}
	flush, err := telemetry.Setup(ctx, spec.Name)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = flush(fctx)
	}()
	in := &Infra{Logger: log, Clock: clock.System}

	if spec.MongoURI != "" {
		if in.Mongo, err = mongox.Connect(ctx, spec.MongoURI); err != nil {
			return err
		}
		defer func() { _ = in.Mongo.Disconnect(context.Background()) }()
		in.DB = in.Mongo.Database(spec.Database)
	}
	if spec.NATSURL != "" {
		if in.NATS, err = natsx.Connect(spec.NATSURL, "siyu-"+spec.Name); err != nil {
			return err
		}
		defer func() { _ = in.NATS.Drain() }()
		if in.JS, err = jetstream.New(in.NATS); err != nil {
			return err
		}
		if spec.Stream != "" {
			if err := natsx.EnsureStream(ctx, in.JS, spec.Stream, spec.Subjects); err != nil {
				return err
			}
		}
		in.Publisher = natsx.NewPublisher(in.JS)
	}

	opts := grpcserver.Options{Service: spec.Name, Logger: log, Policy: spec.Policy, Reflection: true}
	if spec.JWTPublicKey != "" {
		pub, err := auth.ParsePublicKeyPEM(spec.JWTPublicKey)
		if err != nil {
			return fmt.Errorf("SIYU_JWT_PUBLIC_KEY: %w", err)
		}
		opts.Verifier = auth.NewVerifier(pub, "siyu", clock.System)
	} else if len(spec.Policy) > 0 {
		return errors.New("SIYU_JWT_PUBLIC_KEY is required: this service checks callers' tokens")
	}
	in.Server = grpcserver.New(opts)

	runCtx, cancel := context.WithCancel(ctx)
	in.ctx = runCtx
	defer in.unwind(cancel)
	if err := setup(runCtx, in); err != nil {
		return err
	}
	if in.relay != nil {
		in.Go(func(ctx context.Context) { in.relay.Run(ctx, 5*time.Second) })
	}
	metricsErr := make(chan error, 1)
	in.Go(func(ctx context.Context) {
		if err := telemetry.ServeMetrics(ctx, spec.MetricsAddr); err != nil {
			metricsErr <- err
		}
	})

	lis := spec.Listener
	if lis == nil {
		if lis, err = net.Listen("tcp", spec.GRPCAddr); err != nil {
			return fmt.Errorf("listen %s: %w", spec.GRPCAddr, err)
		}
	}
	log.Info("serving", "grpc", lis.Addr().String())
	serveErr := make(chan error, 1)
	go func() { serveErr <- in.Server.Serve(runCtx, lis) }()
	select {
	case err = <-serveErr:
	case err = <-metricsErr:
		err = fmt.Errorf("metrics endpoint %s: %w", spec.MetricsAddr, err)
		cancel()
		<-serveErr
	}
	in.unwind(cancel)
	log.Info("stopped")
	return err
}
