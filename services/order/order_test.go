package order_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/testkit"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order"
)

func TestServesAndStops(t *testing.T) {
	store := testkit.Store(t)
	ns := testkit.NATS(t)
	priv, pub, err := auth.GenerateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- order.Run(ctx, order.Config{Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MongoURI: store.URI(), Database: testkit.DBName(t),
			NATSURL: ns.URL(), JWTPublicKey: pub, JWTPrivateKey: priv, MemberAddr: "127.0.0.1:1", ProductAddr: "127.0.0.1:1", SweepEvery: time.Second})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for healthcheck.GRPC(lis.Addr().String(), time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("never SERVING")
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The callback needs no token; with no provider configured it refuses in-band.
	res, err := orderv1.NewPaymentCallbackServiceClient(conn).HandlePaymentNotification(ctx, &orderv1.HandlePaymentNotificationRequest{Provider: "nobody", Body: []byte("{}")})
	if err != nil || res.GetHttpStatus() != 404 {
		t.Fatalf("unknown provider: %v %v", res, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
