package messaging_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/messaging"
)

// TestRunNotifiesAPaidOrderOnce runs the real service (embedded store and
// NATS) and publishes one order.paid twice under different message ids, as
// a producer retrying past JetStream's duplicate window would: the member's
// inbox gets exactly one message.
func TestRunNotifiesAPaidOrderOnce(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := messaging.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub, Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Database: testkit.DBName(t), NATSURL: ns.URL(), JWTPrivateKey: priv, MemberAddr: "127.0.0.1:1", DevMode: true, DailyCap: 1, WeeklyCap: 3, QuietHours: "21:00-09:00", SweepEvery: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- messaging.Run(ctx, cfg) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for healthcheck.GRPC(lis.Addr().String(), time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("messaging never SERVING")
		}
		time.Sleep(20 * time.Millisecond)
	}

	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	pubr := natsx.NewPublisher(js)
	paid := &orderv1.OrderPaid{EventId: "ord_9.paid", OccurredAt: timestamppb.Now(), OrderId: "ord_9", MemberId: "m-9", PaidFen: 12800}
	for _, msgID := range []string{"ord_9.paid", "ord_9.paid-again"} {
		e, err := natsx.NewEvent(ctx, orderv1.SubjectPaid, msgID, paid)
		if err != nil {
			t.Fatal(err)
		}
		if err := pubr.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	privKey, _ := auth.ParsePrivateKeyPEM(priv)
	tok, _, _ := auth.NewIssuer(privKey, "siyu", clock.System).Issue(auth.Identity{Subject: "m-9", Kind: auth.KindMember}, time.Hour)
	conn, _ := grpcclient.Dial(lis.Addr().String())
	defer conn.Close()
	inbox := messagingv1.NewInboxServiceClient(conn)
	mctx := auth.OutgoingToken(ctx, tok)
	var got *messagingv1.ListMyMessagesResponse
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, err := inbox.ListMyMessages(mctx, &messagingv1.ListMyMessagesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got = r; len(r.GetMessages()) > 0 {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // time for a second message, were there one
	got, _ = inbox.ListMyMessages(mctx, &messagingv1.ListMyMessagesRequest{})
	if len(got.GetMessages()) != 1 || got.GetUnreadCount() != 1 || got.GetMessages()[0].GetBody() != "订单 ord_9 已支付 ¥128.00，我们会尽快发货。" {
		t.Fatalf("inbox: %v", got)
	}
}

func TestRunRefusesTheSandboxOutsideDevMode(t *testing.T) {
	priv, pub, _ := auth.GenerateKeyPEM()
	cfg := messaging.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Database: testkit.DBName(t), NATSURL: testkit.NATS(t).URL(), JWTPrivateKey: priv, GRPCAddr: "127.0.0.1:0", Sandbox: "true", DailyCap: 1, WeeklyCap: 3, SweepEvery: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := messaging.Run(ctx, cfg); err == nil {
		t.Fatal("the sandbox ran outside dev mode")
	}
	cfg.Sandbox, cfg.QuietHours = "", "25:00-09:00"
	if err := messaging.Run(ctx, cfg); err == nil {
		t.Fatal("bad quiet hours accepted")
	}
}
