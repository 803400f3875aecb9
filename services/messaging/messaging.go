// Package messaging is the messaging service: notifications caused by
// other services' events (order paid, shipped, refunded), decided by one
// respect policy (consent, caps, quiet hours; transactional messages
// exempt) and delivered once per event and channel to members' in-app
// inboxes and as WeChat subscribe messages.
package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/config"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/channels"
	"siyu.dev/services/messaging/internal/clients"
	"siyu.dev/services/messaging/internal/consumers"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/grpcapi"
	"siyu.dev/services/messaging/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	MongoURI       string        `env:"MONGO_URI" required:"true" desc:"MongoDB connection string"`
	Database       string        `env:"SIYU_MONGO_DATABASE" default:"siyu_messaging" desc:"database owned by this service"`
	NATSURL        string        `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr       string        `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9105" desc:"gRPC listen address"`
	MetricsAddr    string        `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address; empty turns it off"`
	LogLevel       string        `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	JWTPublicKey   string        `env:"SIYU_JWT_PUBLIC_KEY" required:"true" desc:"Ed25519 public key (PEM) that verifies tokens"`
	JWTPrivateKey  string        `env:"SIYU_JWT_PRIVATE_KEY" required:"true" desc:"Ed25519 private key (PEM) that signs the service's own short-lived token for streaming member segments"`
	MemberAddr     string        `env:"SIYU_MEMBER_ADDR" default:"127.0.0.1:9101" desc:"member service gRPC address"`
	BroadcastEvery time.Duration `env:"SIYU_BROADCAST_CHECK_EVERY" default:"2s" desc:"how often scheduled broadcasts are checked"`

	DevMode bool `env:"SIYU_DEV_MODE" desc:"development conveniences: the WeChat subscribe sandbox is on unless SIYU_WECHAT_SUBSCRIBE_SANDBOX=false"`
	// WechatSandbox: no real WeChat subscribe sender exists yet, so outside
	// the sandbox subscribe messages are suppressed as unreachable.
	WechatSandbox       string `env:"SIYU_WECHAT_SUBSCRIBE_SANDBOX" desc:"true or false: accept WeChat subscribe messages into the delivery log without sending them (default true in dev mode, refused outside it)"`
	TemplateOrderPaid   string `env:"SIYU_WECHAT_TEMPLATE_ORDER_PAID" default:"order_paid" desc:"WeChat subscribe template id of the payment notice (empty: in-app only)"`
	TemplateOrderShip   string `env:"SIYU_WECHAT_TEMPLATE_ORDER_SHIPPED" default:"order_shipped" desc:"WeChat subscribe template id of the shipping notice (empty: in-app only)"`
	TemplateOrderRefund string `env:"SIYU_WECHAT_TEMPLATE_ORDER_REFUNDED" default:"order_refunded" desc:"WeChat subscribe template id of the refund notice (empty: in-app only)"`

	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// Policy is the access rule of every messaging RPC; the role-matrix test
// of the whole shop reads it.
var Policy = grpcapi.Policy

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	return c, config.Load(&c)
}

// wechat is the subscribe-message sender, or nil when there is none.
func (c Config) wechat(log *slog.Logger) (app.WechatSender, error) {
	on := c.DevMode
	switch c.WechatSandbox {
	case "":
	case "true":
		on = true
	case "false":
		on = false
	default:
		return nil, fmt.Errorf("SIYU_WECHAT_SUBSCRIBE_SANDBOX must be true or false, not %q", c.WechatSandbox)
	}
	if !on {
		return nil, nil
	}
	if !c.DevMode {
		return nil, fmt.Errorf("SIYU_WECHAT_SUBSCRIBE_SANDBOX needs SIYU_DEV_MODE=true: it sends nothing")
	}
	return channels.WechatSandbox{Logger: log}, nil
}

// Run serves until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := lifecycle.Spec{Name: "messaging", GRPCAddr: c.GRPCAddr, MetricsAddr: c.MetricsAddr, LogLevel: c.LogLevel, Listener: c.Listener, Logger: c.Logger,
		MongoURI: c.MongoURI, Database: c.Database, NATSURL: c.NATSURL, JWTPublicKey: c.JWTPublicKey, Policy: grpcapi.Policy}
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		store := mongostore.New(in.DB)
		if err := store.EnsureIndexes(ctx); err != nil {
			return err
		}
		wx, err := c.wechat(in.Logger)
		if err != nil {
			return err
		}
		rules := domain.DefaultRules(map[string]string{domain.EventOrderPaid: c.TemplateOrderPaid, domain.EventOrderShipped: c.TemplateOrderShip,
			domain.EventOrderRefunded: c.TemplateOrderRefund})
		priv, err := auth.ParsePrivateKeyPEM(c.JWTPrivateKey)
		if err != nil {
			return fmt.Errorf("SIYU_JWT_PRIVATE_KEY: %w", err)
		}
		memberConn, err := grpcclient.Dial(c.MemberAddr)
		if err != nil {
			return err
		}
		in.OnStop(func() { _ = memberConn.Close() })
		segments := clients.NewSegments(memberConn, auth.NewServiceToken(auth.NewIssuer(priv, "siyu", in.Clock), "messaging-service"))
		policy := domain.DefaultPolicy()
		notifier := app.NewNotifier(rules, policy, store, store, store, wx, clock.System)
		broadcasts := app.NewBroadcasts(store, segments, notifier, policy, clock.System)
		grpcapi.Register(in.Server.GRPC(), app.NewInboxes(store, store), notifier, broadcasts)
		in.Every("broadcasts", c.BroadcastEvery, broadcasts.RunDue)
		stop, err := consumers.StartOrders(ctx, in.JS, notifier, in.Logger)
		if err != nil {
			return err
		}
		in.OnStop(stop)
		return nil
	})
}
