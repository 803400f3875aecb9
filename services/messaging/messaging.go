// Package messaging is the messaging service: the in-app inbox, message
// settings, templates, notification rules as data, the delivery log,
// broadcasts to member segments and customer-service conversations; every
// notification goes through one respect policy (consent, unsubscribes,
// WeChat's one-time quota, quiet hours, caps).
package messaging

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/channels"
	"siyu.dev/services/messaging/internal/clients"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/events"
	"siyu.dev/services/messaging/internal/grpcapi"
	"siyu.dev/services/messaging/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	lifecycle.Common

	Database      string `env:"SIYU_MONGO_DATABASE" default:"siyu_messaging" desc:"database owned by this service"`
	NATSURL       string `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr      string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9105" desc:"gRPC listen address"`
	JWTPrivateKey string `env:"SIYU_JWT_PRIVATE_KEY" required:"true" desc:"Ed25519 private key (PEM) that signs the service's own short-lived token for reading members and segments"`
	MemberAddr    string `env:"SIYU_MEMBER_ADDR" default:"127.0.0.1:9101" desc:"member service gRPC address"`

	DevMode    bool   `env:"SIYU_DEV_MODE" default:"false" desc:"development conveniences: the sandbox WeChat and SMS channels are on unless SIYU_MESSAGING_SANDBOX=false"`
	Sandbox    string `env:"SIYU_MESSAGING_SANDBOX" desc:"true or false: WeChat subscribe messages and SMS go to a sandbox that reaches nobody; default true in dev mode, refused outside it"`
	DailyCap   int    `env:"SIYU_MESSAGING_DAILY_CAP" default:"1" desc:"marketing messages a member gets per Asia/Shanghai day, all channels together"`
	WeeklyCap  int    `env:"SIYU_MESSAGING_WEEKLY_CAP" default:"3" desc:"marketing messages a member gets per rolling 7 days"`
	QuietHours string `env:"SIYU_MESSAGING_QUIET_HOURS" default:"21:00-09:00" desc:"Asia/Shanghai hours in which marketing SMS and WeChat messages wait (HH:MM-HH:MM; empty: none)"`

	WechatAppID     string `env:"SIYU_WECHAT_APPID" desc:"WeChat mini-program AppID: with it (and no sandbox) subscribe messages go to the platform"`
	WechatAppSecret string `env:"SIYU_WECHAT_APPSECRET" desc:"WeChat mini-program AppSecret"`
	WechatAPIBase   string `env:"SIYU_WECHAT_API_BASE" desc:"override of https://api.weixin.qq.com (an egress proxy); empty calls WeChat directly"`

	SMSProvider        string `env:"SIYU_SMS_PROVIDER" desc:"aliyun: text messages go through Alibaba Cloud SMS (with the sandbox off); anything else sends none"`
	AliyunAccessKeyID  string `env:"SIYU_ALIYUN_SMS_ACCESS_KEY_ID" desc:"Alibaba Cloud access key id for SMS"`
	AliyunAccessSecret string `env:"SIYU_ALIYUN_SMS_ACCESS_KEY_SECRET" desc:"Alibaba Cloud access key secret for SMS"`
	AliyunSignName     string `env:"SIYU_ALIYUN_SMS_SIGN_NAME" desc:"approved SMS signature"`
	AliyunRegion       string `env:"SIYU_ALIYUN_SMS_REGION" default:"cn-hangzhou" desc:"Alibaba Cloud region of the SMS API"`
	AliyunEndpoint     string `env:"SIYU_ALIYUN_SMS_ENDPOINT" desc:"override of the SMS API host (host[:port]); empty uses the SDK's endpoint"`

	SweepEvery time.Duration `env:"SIYU_MESSAGING_SWEEP_EVERY" default:"2s" desc:"how often deferred and failed deliveries and due broadcasts are looked at"`
}

// Policy is the access rule of every messaging RPC: who may call it, by
// role. The role-matrix test of the whole shop reads it.
var Policy = grpcapi.Policy

// policy is the respect policy the configuration asks for.
func (c Config) policy() (domain.Policy, error) {
	p := domain.DefaultPolicy()
	p.DailyCap, p.WeeklyCap = c.DailyCap, c.WeeklyCap
	p.QuietStart, p.QuietEnd = 0, 0
	if q := strings.TrimSpace(c.QuietHours); q != "" {
		from, to, ok := strings.Cut(q, "-")
		start, err1 := minutes(from)
		end, err2 := minutes(to)
		if !ok || err1 != nil || err2 != nil {
			return p, fmt.Errorf("SIYU_MESSAGING_QUIET_HOURS: %q is not HH:MM-HH:MM", q)
		}
		p.QuietStart, p.QuietEnd = start, end
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("messaging policy: %w", err)
	}
	return p, nil
}

func minutes(hhmm string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(hhmm), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("bad time %q", hhmm)
	}
	return hh*60 + mm, nil
}

// sandbox reports whether the sandbox channels are on.
func (c Config) sandbox() (bool, error) {
	on := c.DevMode
	switch c.Sandbox {
	case "":
	case "true":
		on = true
	case "false":
		on = false
	default:
		return false, fmt.Errorf("SIYU_MESSAGING_SANDBOX must be true or false, not %q", c.Sandbox)
	}
	if on && !c.DevMode {
		// Messages would vanish without reaching anyone: never in production.
		return false, fmt.Errorf("SIYU_MESSAGING_SANDBOX needs SIYU_DEV_MODE=true")
	}
	return on, nil
}

// Run serves the messaging service until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := c.Common.Spec("messaging", c.GRPCAddr, c.Database)
	spec.NATSURL, spec.Policy = c.NATSURL, grpcapi.Policy
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		policy, err := c.policy()
		if err != nil {
			return err
		}
		sandbox, err := c.sandbox()
		if err != nil {
			return err
		}
		if c.WechatAppID != "" && c.WechatAppSecret == "" {
			return fmt.Errorf("SIYU_WECHAT_APPID needs SIYU_WECHAT_APPSECRET")
		}
		priv, err := auth.ParsePrivateKeyPEM(c.JWTPrivateKey)
		if err != nil {
			return fmt.Errorf("SIYU_JWT_PRIVATE_KEY: %w", err)
		}
		memberConn, err := grpcclient.Dial(c.MemberAddr)
		if err != nil {
			return err
		}
		in.OnStop(func() { _ = memberConn.Close() })
		members := clients.NewMembers(memberConn, auth.NewServiceToken(auth.NewIssuer(priv, "siyu", in.Clock), "messaging-service"))
		store := mongostore.New(in.DB)
		if err := store.EnsureIndexes(ctx); err != nil {
			return err
		}
		clk := clock.System
		senders := map[domain.Channel]app.Sender{domain.ChannelInApp: app.NewInboxChannel(store.Inboxes(), clk)}
		switch {
		case sandbox:
			senders[domain.ChannelWechatSubscribe] = channels.NewSandbox(domain.ChannelWechatSubscribe, in.Logger)
			senders[domain.ChannelSMS] = channels.NewSandbox(domain.ChannelSMS, in.Logger)
		default:
			if c.WechatAppID != "" {
				senders[domain.ChannelWechatSubscribe] = channels.NewWechat(c.WechatAppID, c.WechatAppSecret, c.WechatAPIBase, members.OpenID)
			}
			if c.SMSProvider == "aliyun" {
				sms, err := channels.NewAliyunSMS(channels.AliyunSMSConfig{AccessKeyID: c.AliyunAccessKeyID, AccessKeySecret: c.AliyunAccessSecret,
					SignName: c.AliyunSignName, Region: c.AliyunRegion, Endpoint: c.AliyunEndpoint})
				if err != nil {
					return err
				}
				senders[domain.ChannelSMS] = sms
			}
		}
		dispatcher := app.NewDispatcher(store.Deliveries(), store.Settings(), members, senders, policy, domain.DefaultRetry(), clk)
		// Every event reads its rule and templates: cached for two seconds,
		// dropped at once by this instance's own writes.
		catalog := app.NewCatalog(store.Rules(), store.Templates(), 2*time.Second, clk)
		admin := app.NewAdmin(catalog.Templates(), catalog.Rules(), store.Deliveries(), dispatcher, clk)
		if err := admin.Seed(ctx); err != nil {
			return err
		}
		notifier := app.NewNotifier(catalog.Rules(), catalog.Templates(), store.Deliveries(), dispatcher, clk, in.Logger)
		runner := app.NewBroadcastRunner(store.Broadcasts(), catalog.Templates(), store.Deliveries(), dispatcher, members, clk, app.Sleep, in.Logger)
		inbox := app.NewInbox(store.Inboxes(), store.Settings())
		convs := mongostore.NewConversations(in.DB)
		if err := convs.EnsureIndexes(ctx); err != nil {
			return err
		}
		conversations := app.NewConversations(convs.Store(), convs.QuickReplies(), convs.Faqs(), clk)
		grpcapi.Register(in.Server.GRPC(), grpcapi.Services{Inbox: inbox, Admin: admin, Broadcasts: runner, Conversations: conversations})

		// A member who deleted their account leaves no inbox, settings or
		// conversations behind.
		forget := func(ctx context.Context, memberID string) error {
			if err := inbox.Forget(ctx, memberID); err != nil {
				return err
			}
			return conversations.Forget(ctx, memberID)
		}
		stopEvents, err := events.Start(ctx, in.JS, notifier, forget, in.Logger)
		if err != nil {
			return err
		}
		in.OnStop(stopEvents)
		in.Every("delivery sweep", c.SweepEvery, func(ctx context.Context) error {
			for {
				n, err := dispatcher.Sweep(ctx, 100)
				if err != nil || n < 100 {
					return err
				}
			}
		})
		// Broadcasts run in their own loop: a long, throttled one must not
		// hold up deferred and retried deliveries.
		in.Every("broadcast run", c.SweepEvery, runner.RunDue)
		return nil
	})
}
