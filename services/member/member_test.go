package member_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member"
)

// TestRunPublishesRegistration runs the real service (embedded store and
// NATS) and checks that a first login's member.registered reaches the stream.
func TestRunPublishesRegistration(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := member.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub, Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Database: testkit.DBName(t), NATSURL: ns.URL(), JWTPrivateKey: priv, DevMode: true, DevSMSEcho: true, AccessTTL: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- member.Run(ctx, cfg) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for healthcheck.GRPC(lis.Addr().String(), time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("member never SERVING")
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, _ := grpcclient.Dial(lis.Addr().String())
	defer conn.Close()
	c := memberv1.NewAuthServiceClient(conn)
	sent, err := c.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "13700000001"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13700000001", Code: sent.DevCode, Channel: "poster-7"})
	if err != nil {
		t.Fatal(err)
	}

	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	got := make(chan *memberv1.MemberRegistered, 1)
	stop, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: "MEMBER", Durable: "test-registered", Subjects: []string{"siyu.member.registered"}},
		func(_ context.Context, m natsx.Message) error {
			var ev memberv1.MemberRegistered
			if err := proto.Unmarshal(m.Data, &ev); err != nil {
				return natsx.Permanent(err)
			}
			got <- &ev
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	select {
	case ev := <-got:
		if ev.MemberId != res.Member.Id || ev.Channel != "poster-7" || ev.EventId == "" {
			t.Errorf("event = %v", ev)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("member.registered never arrived")
	}
}

func TestConfigNeedsAnSMSProvider(t *testing.T) {
	if err := (member.Config{}).Validate(); err == nil {
		t.Fatal("a config without dev mode or a real SMS provider was accepted")
	}
}

func TestWechatSandboxNeedsDevMode(t *testing.T) {
	c := member.Config{SMSProvider: "aliyun", AliyunAccessKeyID: "a", AliyunAccessSecret: "b", AliyunSignName: "c", AliyunTemplateCode: "d"}
	if err := c.Validate(); err != nil {
		t.Fatalf("complete aliyun config: %v", err)
	}
	c.WechatSandbox = true
	if err := c.Validate(); err == nil {
		t.Fatal("the WeChat sandbox was accepted outside dev mode")
	}
	c.WechatSandbox, c.AliyunSignName = false, ""
	if err := c.Validate(); err == nil {
		t.Fatal("an incomplete aliyun config was accepted")
	}
	if err := (member.Config{DevMode: true, WechatAppID: "wx"}).Validate(); err == nil {
		t.Fatal("an AppID without its secret was accepted")
	}
}

func TestWechatOtherAppsConfig(t *testing.T) {
	platform := member.Config{DevMode: true, WechatAppID: "wxmain", WechatAppSecret: "s"}
	sandbox := member.Config{DevMode: true, WechatSandbox: true}
	cases := []struct {
		base  member.Config
		apps  string
		valid bool
	}{
		{platform, "", true},
		{platform, "wxsecond:s2, wxthird:s3", true},
		{platform, "wxsecond", false},                      // a real app needs its secret
		{platform, "wxmain:s", false},                      // the main app again
		{platform, "wx second:s", false},                   // not an app id
		{platform, "wxa:s,wxa:t", false},                   // twice
		{sandbox, "sandbox-2", true},                       // the sandbox needs no secrets
		{member.Config{DevMode: true}, "wxsecond:s", true}, // unused while WeChat login is off, like the AppSecret
	}
	for _, c := range cases {
		cfg := c.base
		cfg.WechatOtherApps = c.apps
		if err := cfg.Validate(); (err == nil) != c.valid {
			t.Errorf("SIYU_WECHAT_OTHER_APPS=%q on %+v: err = %v", c.apps, c.base, err)
		}
	}
}
