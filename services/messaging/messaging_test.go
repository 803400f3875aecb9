package messaging_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/messaging"
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
		done <- messaging.Run(ctx, messaging.Config{Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MongoURI: store.URI(),
			Database: testkit.DBName(t), NATSURL: ns.URL(), JWTPublicKey: pub, JWTPrivateKey: priv, MemberAddr: "127.0.0.1:1", BroadcastEvery: time.Second, DevMode: true})
	}()
	deadline := time.Now().Add(20 * time.Second)
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

func TestTheSandboxStaysInDevelopment(t *testing.T) {
	priv, pub, _ := auth.GenerateKeyPEM()
	err := messaging.Run(context.Background(), messaging.Config{WechatSandbox: "true", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		GRPCAddr: "127.0.0.1:0", MongoURI: testkit.Store(t).URI(), Database: testkit.DBName(t), NATSURL: testkit.NATS(t).URL(), JWTPublicKey: pub, JWTPrivateKey: priv})
	if err == nil || !strings.Contains(err.Error(), "SIYU_WECHAT_SUBSCRIBE_SANDBOX") {
		t.Fatalf("the sandbox outside dev mode must be refused: %v", err)
	}
}
