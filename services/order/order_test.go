package order_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/healthcheck"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order"
)

func TestServesHealthAndStops(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- order.Run(ctx, order.Config{Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for healthcheck.GRPC(lis.Addr().String(), time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("never SERVING")
		}
		time.Sleep(20 * time.Millisecond)
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

func TestUnknownPaymentProviderIsRefused(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = order.Run(ctx, order.Config{Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = orderv1.NewPaymentCallbackServiceClient(conn).HandlePaymentNotification(ctx, &orderv1.HandlePaymentNotificationRequest{Provider: "nobody", Body: []byte("{}")}, grpc.WaitForReady(true))
	if status.Code(err) != codes.NotFound || errs.Reason(err) != "PAYMENT_PROVIDER_UNKNOWN" {
		t.Fatalf("got %v", err)
	}
}
