package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
)

// TestEveryRPCIsServed calls every method of every siyu.* service in the
// contracts, over gRPC on the running suite, with an owner's token and an
// empty request. The generated servers answer UNIMPLEMENTED for a method a
// service forgot, and the auth interceptor METHOD_NOT_ALLOWED for one
// without an access rule; neither may happen. (Any other answer, including
// INVALID_ARGUMENT for the empty request, shows the method is served.)
func TestEveryRPCIsServed(t *testing.T) {
	shop := startShop(t, "")
	owner := shop.token(t, auth.Identity{Subject: "owner-rpc", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	conns := map[string]*grpc.ClientConn{}
	for name, addr := range shop.ServiceAddrs {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns[name] = conn
	}
	methods := 0
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		pkg := string(f.Package()) // siyu.<service>.v1
		parts := strings.Split(pkg, ".")
		if len(parts) != 3 || parts[0] != "siyu" {
			return true
		}
		conn := conns[parts[1]]
		for i := 0; i < f.Services().Len(); i++ {
			svc := f.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				m := svc.Methods().Get(j)
				full := "/" + string(svc.FullName()) + "/" + string(m.Name())
				if conn == nil {
					t.Errorf("%s: no running service %q", full, parts[1])
					continue
				}
				methods++
				err := call(auth.OutgoingToken(context.Background(), owner), conn, full, m.IsStreamingServer())
				if status.Code(err) == codes.Unimplemented || errs.Reason(err) == "METHOD_NOT_ALLOWED" {
					t.Errorf("%s is not served: %v", full, err)
				}
			}
		}
		return true
	})
	if methods < 100 {
		t.Errorf("only %d methods found in the contracts", methods)
	}
}

// call invokes a method with an empty request; the server decodes it into
// the method's own request type.
func call(ctx context.Context, conn *grpc.ClientConn, method string, streaming bool) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !streaming {
		return conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{})
	}
	st, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return err
	}
	if err := st.SendMsg(&emptypb.Empty{}); err != nil {
		return err
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	for {
		if err := st.RecvMsg(&emptypb.Empty{}); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
