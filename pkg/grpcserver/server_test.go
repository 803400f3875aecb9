package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
)

// echo is a hand-written service so the test needs no generated code.
type echo struct{}

func (echo) call(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	switch in.Value {
	case "panic":
		panic("boom")
	case "whoami":
		id, _ := auth.FromContext(ctx)
		return wrapperspb.String(id.Subject), nil
	}
	return in, nil
}

var desc = grpc.ServiceDesc{
	ServiceName: "test.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Open", Handler: handler("/test.Echo/Open")},
		{MethodName: "Member", Handler: handler("/test.Echo/Member")},
	},
}

func handler(full string) func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
	return func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, req any) (any, error) {
			return echo{}.call(ctx, req.(*wrapperspb.StringValue))
		}
		return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, h)
	}
}

func start(t *testing.T) (*grpc.ClientConn, *auth.Issuer, string, context.CancelFunc, chan error) {
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	s := New(Options{Service: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: auth.NewVerifier(pub, "siyu", clock.System),
		Policy:   auth.Policy{"/test.Echo/Open": auth.Public, "/test.Echo/Member": auth.MemberOnly}})
	s.GRPC().RegisterService(&desc, echo{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis) }()
	conn, err := grpcclient.Dial(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, auth.NewIssuer(priv, "siyu", clock.System), lis.Addr().String(), cancel, done
}

func invoke(ctx context.Context, conn *grpc.ClientConn, method, v string) (string, error) {
	out := new(wrapperspb.StringValue)
	err := conn.Invoke(ctx, method, wrapperspb.String(v), out)
	return out.GetValue(), err
}

func TestServer(t *testing.T) {
	conn, iss, addr, cancel, done := start(t)
	ctx := context.Background()

	if err := healthcheck.GRPC(addr, 5*time.Second); err != nil {
		t.Fatalf("health: %v", err)
	}
	if _, err := invoke(ctx, conn, "/test.Echo/Open", "panic"); status.Code(err) != codes.Internal || status.Convert(err).Message() != "internal error" {
		t.Errorf("panic became %v", err)
	}
	if got, err := invoke(ctx, conn, "/test.Echo/Open", "hi"); err != nil || got != "hi" {
		t.Errorf("open call: %q %v", got, err)
	}
	if _, err := invoke(ctx, conn, "/test.Echo/Member", "whoami"); errs.Reason(err) != "TOKEN_MISSING" {
		t.Errorf("member call without token: %v", err)
	}
	tok, _, _ := iss.Issue(auth.Identity{Subject: "m42", Kind: auth.KindMember}, time.Minute)
	mctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	if got, err := invoke(mctx, conn, "/test.Echo/Member", "whoami"); err != nil || got != "m42" {
		t.Errorf("member call: %q %v", got, err)
	}
	// The client forwards the incoming token of a request it serves.
	fctx := metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+tok))
	if got, err := invoke(fctx, conn, "/test.Echo/Member", "whoami"); err != nil || got != "m42" {
		t.Errorf("forwarded token: %q %v", got, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if err := healthcheck.GRPC(addr, time.Second); err == nil {
		t.Error("still healthy after stop")
	}
}

func TestValidation(t *testing.T) {
	err := errors.New("title is required")
	_, got := validateUnary(context.Background(), invalid{err}, &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) { return nil, nil })
	if status.Code(got) != codes.InvalidArgument || errs.Reason(got) != "REQUEST_INVALID" {
		t.Fatalf("validation error became %v", got)
	}
}

type invalid struct{ err error }

func (i invalid) Validate() error { return i.err }

// TestCallLogLevels: at info, a successful call writes nothing (a running
// shop's terminal shows what went wrong, not every call); a refused call is
// logged with its reason, and a server fault as an error.
func TestCallLogLevels(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelInfo}))
	ic := logUnary(log)
	call := func(err error) {
		_, _ = ic(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/test.Echo/Open"}, func(context.Context, any) (any, error) { return nil, err })
	}
	call(nil)
	mu.Lock()
	if buf.Len() != 0 {
		t.Errorf("a successful call was logged at info: %s", buf.String())
	}
	mu.Unlock()
	call(status.Error(codes.NotFound, "nope"))
	call(status.Error(codes.Internal, "boom"))
	mu.Lock()
	defer mu.Unlock()
	if out := buf.String(); !strings.Contains(out, "level=INFO") || !strings.Contains(out, "code=NotFound") || !strings.Contains(out, "level=ERROR") {
		t.Errorf("refusal and fault not logged: %s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestHandlersAnswerFaults: a fault a handler returns is answered with its
// code and ErrorInfo in the service's domain, a status passes unchanged and
// anything else is an opaque INTERNAL.
func TestHandlersAnswerFaults(t *testing.T) {
	mw := faultUnary("probe.siyu.dev")
	call := func(err error) error {
		_, got := mw(context.Background(), nil, &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) { return nil, err })
		return got
	}
	got := call(fault.New(fault.Precondition, "OUT_OF_STOCK", "sold out", "sku_id", "s1"))
	info, ok := errs.Info(got)
	if status.Code(got) != codes.FailedPrecondition || !ok || info.Reason != "OUT_OF_STOCK" || info.Domain != "probe.siyu.dev" || info.Metadata["sku_id"] != "s1" {
		t.Fatalf("fault: %v %v", got, info)
	}
	passed := status.Error(codes.NotFound, "gone")
	if got := call(passed); got != passed {
		t.Errorf("a status must pass unchanged: %v", got)
	}
	if got := call(errors.New("disk full")); status.Code(got) != codes.Internal || strings.Contains(got.Error(), "disk") {
		t.Errorf("a plain error: %v", got)
	}
	if got := call(nil); got != nil {
		t.Errorf("success: %v", got)
	}
}
