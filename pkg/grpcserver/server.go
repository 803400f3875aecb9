// Package grpcserver assembles the gRPC server every service runs: tracing,
// panic recovery, access logs with trace ids, authentication, request
// validation, grpc.health.v1 and graceful shutdown.
package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/logx"
)

// Options configure a server.
type Options struct {
	Service string
	// ErrorDomain is the ErrorInfo domain of the service's faults (default
	// "<service>.siyu.dev").
	ErrorDomain string
	Logger      *slog.Logger
	// Verifier and Policy turn on authentication; without a Verifier every
	// method is open (only for services that serve nothing but health).
	Verifier   *auth.Verifier
	Policy     auth.Policy
	Reflection bool
	// ShutdownGrace bounds GracefulStop before in-flight calls are cut (default 10s).
	ShutdownGrace time.Duration
}

// Server is a configured grpc.Server with its health service.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
	opts   Options
}

// New builds the server; register services on GRPC() before Serve.
func New(o Options, extra ...grpc.ServerOption) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ShutdownGrace == 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	if o.ErrorDomain == "" {
		o.ErrorDomain = o.Service + ".siyu.dev"
	}
	unary := []grpc.UnaryServerInterceptor{recoverUnary(o.Logger), logUnary(o.Logger)}
	stream := []grpc.StreamServerInterceptor{recoverStream(o.Logger)}
	if o.Verifier != nil {
		unary = append(unary, auth.UnaryServerInterceptor(o.Verifier, o.Policy))
		stream = append(stream, auth.StreamServerInterceptor(o.Verifier, o.Policy))
	}
	unary = append(unary, validateUnary, faultUnary(o.ErrorDomain))
	stream = append(stream, faultStream(o.ErrorDomain))
	opts := append([]grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.MaxRecvMsgSize(4 << 20),
		// Clients re-resolve and rebalance when a connection ends: closing
		// connections now and then lets new replicas take their share.
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: 10 * time.Minute, MaxConnectionAgeGrace: 2 * time.Minute}),
	}, extra...)
	s := &Server{grpc: grpc.NewServer(opts...), health: health.NewServer(), opts: o}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if o.Reflection {
		reflection.Register(s.grpc)
	}
	return s
}

// GRPC is the underlying server, for registering services.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// SetServing flips the overall health status.
func (s *Server) SetServing(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, st)
	}
}

// Serve reports SERVING and serves lis until ctx is done; then it reports
// NOT_SERVING (so load balancers stop sending), lets in-flight calls finish
// within the grace period, and returns nil.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	s.SetServing(true)
	errc := make(chan error, 1)
	go func() { errc <- s.grpc.Serve(lis) }()
	select {
	case err := <-errc:
		return fmt.Errorf("grpc serve: %w", err)
	case <-ctx.Done():
	}
	s.SetServing(false)
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.opts.ShutdownGrace):
		s.opts.Logger.Warn("graceful stop timed out; closing remaining calls")
		s.grpc.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

func panicError(log *slog.Logger, ctx context.Context, method string, p any) error {
	log.ErrorContext(ctx, "panic in handler", "method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return errs.New(codes.Internal, "siyu.dev", "INTERNAL", "internal error")
}

func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				resp, err = nil, panicError(log, ctx, info.FullMethod, p)
			}
		}()
		return h(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = panicError(log, ss.Context(), info.FullMethod, p)
			}
		}()
		return h(srv, ss)
	}
}

func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := h(logx.Into(ctx, log), req)
		code := status.Code(err)
		// Successful calls are debug detail, so a running shop's log shows
		// what went wrong rather than every call; refusals are info, server
		// faults errors. Nothing is formatted for a level that is off.
		level := slog.LevelInfo
		switch {
		case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss:
			level = slog.LevelError
		case code == codes.OK || info.FullMethod == healthpb.Health_Check_FullMethodName:
			level = slog.LevelDebug
		}
		if !log.Enabled(ctx, level) {
			return resp, err
		}
		log.Log(ctx, level, "rpc", "method", info.FullMethod, "code", code.String(), "reason", errs.Reason(err), "duration_ms", time.Since(start).Milliseconds())
		return resp, err
	}
}

// faultUnary answers whatever a handler returns through the one fault
// mapping (errs.Status): a fault becomes its code with ErrorInfo, a status
// passes, anything else is logged and answered INTERNAL. A handler may
// return a use case's fault as it is.
func faultUnary(domain string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil {
			return nil, errs.Status(ctx, domain, err)
		}
		return resp, nil
	}
}

func faultStream(domain string) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := h(srv, ss); err != nil {
			return errs.Status(ss.Context(), domain, err)
		}
		return nil
	}
}

// validateUnary runs a request's own Validate method, if it has one.
func validateUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if v, ok := req.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			if _, isStatus := status.FromError(err); isStatus {
				return nil, err
			}
			return nil, errs.Invalid("siyu.dev", "REQUEST_INVALID", err.Error())
		}
	}
	return h(ctx, req)
}
