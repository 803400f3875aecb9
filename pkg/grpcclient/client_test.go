package grpcclient

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// probe is a hand-written one-method service: it records the metadata of
// each call and fails the first `failures` calls with the given code.
type probe struct {
	calls    atomic.Int32
	failures int32
	code     codes.Code
	seen     atomic.Value // metadata.MD of the last call
}

func (p *probe) serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "test.Probe",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Call", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			md, _ := metadata.FromIncomingContext(ctx)
			p.seen.Store(md)
			if p.calls.Add(1) <= p.failures {
				return nil, status.Error(p.code, "not now")
			}
			return in, nil
		}}},
	}, nil)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func call(t *testing.T, ctx context.Context, addr string) error {
	t.Helper()
	conn, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.Invoke(ctx, "/test.Probe/Call", wrapperspb.String("x"), new(wrapperspb.StringValue))
}

func TestRetriesOnlyUnavailable(t *testing.T) {
	cases := []struct {
		name      string
		failures  int32
		code      codes.Code
		wantCode  codes.Code
		wantCalls int32
	}{
		{"unavailable twice then fine", 2, codes.Unavailable, codes.OK, 3},
		{"unavailable beyond max attempts", 10, codes.Unavailable, codes.Unavailable, 4},
		{"a handler's answer is never retried", 1, codes.FailedPrecondition, codes.FailedPrecondition, 1},
		{"internal is never retried", 1, codes.Internal, codes.Internal, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &probe{failures: c.failures, code: c.code}
			err := call(t, context.Background(), p.serve(t))
			if status.Code(err) != c.wantCode || p.calls.Load() != c.wantCalls {
				t.Fatalf("got %v after %d calls, want %v after %d", err, p.calls.Load(), c.wantCode, c.wantCalls)
			}
		})
	}
}

func TestForwardsCallerTokenAndRequestID(t *testing.T) {
	p := &probe{}
	addr := p.serve(t)
	// A handler calling downstream: its incoming metadata is the caller's.
	in := metadata.New(map[string]string{"authorization": "Bearer caller", "x-request-id": "req-1", "cookie": "secret"})
	if err := call(t, metadata.NewIncomingContext(context.Background(), in), addr); err != nil {
		t.Fatal(err)
	}
	md := p.seen.Load().(metadata.MD)
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer caller" {
		t.Errorf("authorization = %v", got)
	}
	if got := md.Get("x-request-id"); len(got) != 1 || got[0] != "req-1" {
		t.Errorf("x-request-id = %v", got)
	}
	if got := md.Get("cookie"); len(got) != 0 {
		t.Errorf("cookie leaked downstream: %v", got)
	}

	// A token set explicitly by the caller (a service identity) wins over the forwarded one.
	ctx := metadata.AppendToOutgoingContext(metadata.NewIncomingContext(context.Background(), in), "authorization", "Bearer service")
	if err := call(t, ctx, addr); err != nil {
		t.Fatal(err)
	}
	md = p.seen.Load().(metadata.MD)
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer service" {
		t.Errorf("explicit authorization = %v", got)
	}
}

func TestSpreadsCallsOverEveryReplica(t *testing.T) {
	a, b := &probe{}, &probe{}
	r := manual.NewBuilderWithScheme("replicas")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: a.serve(t)}, {Addr: b.serve(t)}}})
	conn, err := Dial(r.Scheme()+":///product", grpc.WithResolvers(r))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		if err := conn.Invoke(ctx, "/test.Probe/Call", wrapperspb.String("x"), new(wrapperspb.StringValue)); err != nil {
			t.Fatal(err)
		}
	}
	if a.calls.Load() == 0 || b.calls.Load() == 0 {
		t.Fatalf("calls went to one replica only: %d and %d", a.calls.Load(), b.calls.Load())
	}
}
