// Package member is the member service: identity and sessions, profiles,
// and (as the service grows) levels, points, tags and segments.
package member

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/mongox"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/events"
	"siyu.dev/services/member/internal/grpcapi"
	"siyu.dev/services/member/internal/mongostore"
	"siyu.dev/services/member/internal/sms"
	"siyu.dev/services/member/internal/wechat"
)

// Config is read from the environment.
type Config struct {
	lifecycle.Common

	Database      string        `env:"SIYU_MONGO_DATABASE" default:"siyu_member" desc:"database owned by this service"`
	NATSURL       string        `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr      string        `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9101" desc:"gRPC listen address"`
	JWTPrivateKey string        `env:"SIYU_JWT_PRIVATE_KEY" required:"true" desc:"Ed25519 private key (PEM) that signs tokens"`
	AccessTTL     time.Duration `env:"SIYU_ACCESS_TOKEN_TTL" default:"15m" desc:"lifetime of member access tokens"`
	DevMode       bool          `env:"SIYU_DEV_MODE" desc:"development conveniences: the logging SMS provider"`
	DevSMSEcho    bool          `env:"SIYU_DEV_SMS_ECHO" desc:"with dev mode, return SMS codes in the API response"`

	SMSProvider        string `env:"SIYU_SMS_PROVIDER" desc:"SMS provider: aliyun, or dev (the logging provider, only with dev mode); empty picks dev in dev mode"`
	AliyunAccessKeyID  string `env:"SIYU_ALIYUN_SMS_ACCESS_KEY_ID" desc:"Alibaba Cloud access key id for SMS"`
	AliyunAccessSecret string `env:"SIYU_ALIYUN_SMS_ACCESS_KEY_SECRET" desc:"Alibaba Cloud access key secret for SMS"`
	AliyunSignName     string `env:"SIYU_ALIYUN_SMS_SIGN_NAME" desc:"approved SMS signature"`
	AliyunTemplateCode string `env:"SIYU_ALIYUN_SMS_TEMPLATE_CODE" desc:"approved login template with a ${code} parameter"`
	AliyunRegion       string `env:"SIYU_ALIYUN_SMS_REGION" default:"cn-hangzhou" desc:"Alibaba Cloud region of the SMS API"`
	AliyunEndpoint     string `env:"SIYU_ALIYUN_SMS_ENDPOINT" desc:"override of the SMS API host (host[:port]); empty uses the SDK's endpoint"`

	WechatAppID     string `env:"SIYU_WECHAT_APPID" desc:"WeChat mini-program AppID; empty turns WeChat login off unless the sandbox is on"`
	WechatSandbox   bool   `env:"SIYU_WECHAT_SANDBOX" desc:"with dev mode and no AppID, the WeChat sandbox (predictable codes, no platform); never in production"`
	WechatAppSecret string `env:"SIYU_WECHAT_APPSECRET" desc:"WeChat mini-program AppSecret"`
	WechatAPIBase   string `env:"SIYU_WECHAT_API_BASE" desc:"override of https://api.weixin.qq.com (an egress proxy); empty calls WeChat directly"`
	WechatOtherApps string `env:"SIYU_WECHAT_OTHER_APPS" desc:"the shop's other WeChat apps under the same open-platform account (their users share unionids), as appid:secret pairs separated by commas; with the sandbox, app ids alone"`
}

// Validate refuses setups that cannot deliver a code.
func (c Config) Validate() error {
	switch c.SMSProvider {
	case "aliyun":
		if c.AliyunAccessKeyID == "" || c.AliyunAccessSecret == "" || c.AliyunSignName == "" || c.AliyunTemplateCode == "" {
			return errors.New("SIYU_SMS_PROVIDER=aliyun needs SIYU_ALIYUN_SMS_ACCESS_KEY_ID, SIYU_ALIYUN_SMS_ACCESS_KEY_SECRET, SIYU_ALIYUN_SMS_SIGN_NAME and SIYU_ALIYUN_SMS_TEMPLATE_CODE")
		}
	case "dev", "":
		if !c.DevMode {
			return errors.New("no SMS provider is configured: set SIYU_SMS_PROVIDER=aliyun with its keys, or SIYU_DEV_MODE=true for the logging provider")
		}
	default:
		return errors.New("SIYU_SMS_PROVIDER must be aliyun or dev")
	}
	if c.WechatAppID != "" && c.WechatAppSecret == "" {
		return errors.New("SIYU_WECHAT_APPID needs SIYU_WECHAT_APPSECRET")
	}
	if c.WechatSandbox && !c.DevMode {
		// Its phone codes name any phone: it must never face real shoppers.
		return errors.New("SIYU_WECHAT_SANDBOX needs SIYU_DEV_MODE=true")
	}
	_, err := c.otherWechatApps()
	return err
}

var wechatAppID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// otherWechatApps parses SIYU_WECHAT_OTHER_APPS into app id → secret.
func (c Config) otherWechatApps() (map[string]string, error) {
	out := map[string]string{}
	for entry := range strings.SplitSeq(c.WechatOtherApps, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, secret, _ := strings.Cut(entry, ":")
		switch {
		case !wechatAppID.MatchString(id):
			return nil, fmt.Errorf("SIYU_WECHAT_OTHER_APPS: %q is not an app id (letters, digits, '_' or '-')", id)
		case id == c.WechatAppID:
			return nil, fmt.Errorf("SIYU_WECHAT_OTHER_APPS: %s is the main app (SIYU_WECHAT_APPID)", id)
		case secret == "" && c.WechatAppID != "":
			return nil, fmt.Errorf("SIYU_WECHAT_OTHER_APPS: %s needs its secret (appid:secret)", id)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("SIYU_WECHAT_OTHER_APPS: %s is listed twice", id)
		}
		out[id] = secret
	}
	return out, nil
}

// smsProvider builds the configured SMS provider.
func (c Config) smsProvider(log *slog.Logger) (app.SMS, error) {
	if c.SMSProvider == "aliyun" {
		return sms.NewAliyun(sms.AliyunConfig{AccessKeyID: c.AliyunAccessKeyID, AccessKeySecret: c.AliyunAccessSecret, SignName: c.AliyunSignName,
			TemplateCode: c.AliyunTemplateCode, Region: c.AliyunRegion, Endpoint: c.AliyunEndpoint})
	}
	return sms.Dev{Logger: log}, nil
}

// wechatProvider is the platform with an AppID, the sandbox when asked
// for in dev mode (it is an explicit switch: dev mode alone also runs in
// deployments that only lack an SMS account), and nothing
// (WECHAT_NOT_CONFIGURED) otherwise.
func (c Config) wechatProvider() app.WeChat {
	switch {
	case c.WechatAppID != "":
		return wechat.NewMiniProgram(c.WechatAppID, c.WechatAppSecret, c.WechatAPIBase)
	case c.DevMode && c.WechatSandbox:
		return wechat.Sandbox{}
	}
	return nil
}

// otherWechatProviders are the platforms of the other apps: each app's own
// credentials, or the sandbox playing that app. Like the AppSecret, they
// are unused while WeChat login is off (no AppID, no sandbox).
func (c Config) otherWechatProviders() map[string]app.WeChat {
	apps, _ := c.otherWechatApps() // Validate has refused a bad list
	out := map[string]app.WeChat{}
	if c.wechatProvider() == nil {
		return out
	}
	for id, secret := range apps {
		if c.WechatAppID != "" {
			out[id] = wechat.NewMiniProgram(id, secret, c.WechatAPIBase)
		} else {
			out[id] = wechat.Sandbox{App: id}
		}
	}
	return out
}

// Policy is the access rule of every member RPC: who may call it, by role.
// The role-matrix test of the whole shop reads it.
var Policy = grpcapi.Policy

func (c Config) spec() lifecycle.Spec {
	spec := c.Common.Spec("member", c.GRPCAddr, c.Database)
	spec.NATSURL, spec.Stream, spec.Subjects, spec.Policy = c.NATSURL, events.Stream, events.Subjects, grpcapi.Policy
	return spec
}

// build wires the application around a database.
func build(c Config, store *mongostore.Store, log *slog.Logger) (*app.Service, error) {
	priv, err := auth.ParsePrivateKeyPEM(c.JWTPrivateKey)
	if err != nil {
		return nil, errors.New("SIYU_JWT_PRIVATE_KEY: " + err.Error())
	}
	issuer := auth.NewIssuer(priv, "siyu", clock.System)
	sender, err := c.smsProvider(log)
	if err != nil {
		return nil, err
	}
	// Codes are echoed only with the logging provider: a real SMS account
	// never hands its codes to the caller.
	echo := c.DevMode && c.DevSMSEcho && c.SMSProvider != "aliyun"
	opt := app.Options{AccessTTL: c.AccessTTL, EchoCode: echo, WeChat: c.wechatProvider(), WeChatAppID: c.WechatAppID, WeChatApps: c.otherWechatProviders(),
		LoginAttempts: mongostore.LoginAttempts{Store: store}}
	// The per-network limit protects the SMS budget; echoed codes cost
	// nothing, and a developer's tests all come from one address.
	if !echo {
		opt.IPQuota = mongostore.IPQuota{Store: store}
	}
	return app.New(mongostore.Members{Store: store}, mongostore.Codes{Store: store}, mongostore.Sessions{Store: store}, mongostore.Admins{Store: store},
		sender, issuer, clock.System, opt), nil
}

// Run serves the member service until ctx is done.
func Run(ctx context.Context, c Config) error {
	return lifecycle.Run(ctx, c.spec(), func(ctx context.Context, in *lifecycle.Infra) error {
		store := mongostore.New(in.DB)
		if err := store.EnsureIndexes(ctx); err != nil {
			return err
		}
		ly := newLoyalty(in, store)
		relay := in.Relay(store.Members, store.Sessions, ly.store.Accounts)
		store.Flush = relay.FlushAsync
		svc, err := build(c, store, in.Logger)
		if err != nil {
			return err
		}
		grpcapi.Register(in.Server.GRPC(), svc, ly.app)
		return ly.start(ctx, in, relay)
	})
}

// withStore opens the service's database for a one-off administrative task.
func withStore(ctx context.Context, c Config, fn func(*app.Service) error) error {
	client, err := mongox.Connect(ctx, c.MongoURI)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	store := mongostore.New(client.Database(c.Database))
	if err := store.EnsureIndexes(ctx); err != nil {
		return err
	}
	svc, err := build(c, store, slog.Default())
	if err != nil {
		return err
	}
	return fn(svc)
}

// EnsureAdmin creates operator username with roles and a random password
// unless it exists; the password is returned only when created. The
// registration events of seeded members are published by the running
// service's outbox sweep.
func EnsureAdmin(ctx context.Context, c Config, username string, roles []string) (password string, created bool, err error) {
	err = withStore(ctx, c, func(s *app.Service) error {
		password, created, err = s.EnsureAdmin(ctx, username, roles)
		return err
	})
	return password, created, err
}

// EnsureMember registers phone as a member unless it is one (demo data).
func EnsureMember(ctx context.Context, c Config, phone string) error {
	return withStore(ctx, c, func(s *app.Service) error {
		_, err := s.EnsureMember(ctx, phone, "demo")
		return err
	})
}
