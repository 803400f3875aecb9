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
	"siyu.dev/pkg/lifecycle"
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
		done <- order.Run(ctx, order.Config{Common: lifecycle.Common{Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MongoURI: store.URI(), JWTPublicKey: pub}, Database: testkit.DBName(t), NATSURL: ns.URL(), JWTPrivateKey: priv, MemberAddr: "127.0.0.1:1", ProductAddr: "127.0.0.1:1", SweepEvery: time.Second})
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

func TestPricingRulesFromTheEnvironment(t *testing.T) {
	set, err := order.SettingsOf(order.Config{PointsPerYuan: 50, PointsMaxPermille: 300, ShippingFeeFen: 800, FreeShippingOverFen: 5000,
		RegionShippingFeeFen: "新疆维吾尔自治区=2500, 西藏自治区=3000"})
	if err != nil || set.Points.PointsPerYuan != 50 || set.Points.MaxSharePermille != 300 || set.Shipping.DefaultFeeFen != 800 ||
		set.Shipping.FreeOverFen != 5000 || set.Shipping.RegionFeeFen["西藏自治区"] != 3000 {
		t.Fatalf("%+v %v", set, err)
	}
	for _, bad := range []order.Config{{PointsPerYuan: 1, PointsMaxPermille: 1001}, {ShippingFeeFen: 1, RegionShippingFeeFen: "新疆"}, {ShippingFeeFen: 1, RegionShippingFeeFen: "新疆=-1"}} {
		if _, err := order.SettingsOf(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
