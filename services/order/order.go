// Package order is the order service: carts, checkout pricing, the
// checkout saga, orders and their state machine, payments through provider
// adapters, and the sweeper that acts on deadlines.
package order

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/clients"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/events"
	"siyu.dev/services/order/internal/grpcapi"
	"siyu.dev/services/order/internal/logistics/kuaidi100"
	logisticssandbox "siyu.dev/services/order/internal/logistics/sandbox"
	"siyu.dev/services/order/internal/mongostore"
	"siyu.dev/services/order/internal/payment/sandbox"
	"siyu.dev/services/order/internal/payment/wechatpay"
)

// Config is read from the environment.
type Config struct {
	lifecycle.Common

	Database      string `env:"SIYU_MONGO_DATABASE" default:"siyu_order" desc:"database owned by this service"`
	NATSURL       string `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr      string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9103" desc:"gRPC listen address"`
	JWTPrivateKey string `env:"SIYU_JWT_PRIVATE_KEY" required:"true" desc:"Ed25519 private key (PEM) that signs the service's own short-lived token for saga calls to member and product"`
	MemberAddr    string `env:"SIYU_MEMBER_ADDR" default:"127.0.0.1:9101" desc:"member service gRPC address"`
	ProductAddr   string `env:"SIYU_PRODUCT_ADDR" default:"127.0.0.1:9102" desc:"product service gRPC address"`
	MarketingAddr string `env:"SIYU_MARKETING_ADDR" default:"127.0.0.1:9104" desc:"marketing service gRPC address (coupons at checkout)"`

	PayWithin        time.Duration `env:"SIYU_ORDER_PAY_WITHIN" default:"15m" desc:"payment deadline after an order is placed"`
	AutoReceiveAfter time.Duration `env:"SIYU_ORDER_AUTO_RECEIVE_AFTER" default:"240h" desc:"receipt is confirmed automatically this long after shipping"`
	AfterSalesWindow time.Duration `env:"SIYU_ORDER_AFTER_SALES_WINDOW" default:"168h" desc:"an order completes this long after receipt"`
	SweepEvery       time.Duration `env:"SIYU_ORDER_SWEEP_EVERY" default:"5s" desc:"how often deadlines are checked"`

	PointsPerYuan        int64  `env:"SIYU_ORDER_POINTS_PER_YUAN" default:"100" desc:"points that pay one yuan at checkout"`
	PointsMaxPermille    int64  `env:"SIYU_ORDER_POINTS_MAX_PERMILLE" default:"500" desc:"points pay at most this share of the goods after discounts, in thousandths"`
	FreeShippingOverFen  int64  `env:"SIYU_ORDER_FREE_SHIPPING_OVER_FEN" default:"9900" desc:"orders with goods of at least this many fen ship free (0: never)"`
	ShippingFeeFen       int64  `env:"SIYU_ORDER_SHIPPING_FEE_FEN" default:"1000" desc:"shipping fee in fen"`
	RegionShippingFeeFen string `env:"SIYU_ORDER_REGION_SHIPPING_FEES" desc:"per-province fees in fen, e.g. 新疆维吾尔自治区=2500,西藏自治区=2500"`

	// Providers are further payment providers (the sandbox is added when
	// on); none refuses payments with PAYMENT_PROVIDER_UNKNOWN.
	Providers []app.Provider `env:"-"`

	DevMode          bool          `env:"SIYU_DEV_MODE" desc:"development conveniences: the sandbox payment provider is on unless SIYU_PAY_SANDBOX=false"`
	PaySandbox       string        `env:"SIYU_PAY_SANDBOX" desc:"true or false: the sandbox payment provider (no real money), default true in dev mode and refused outside it"`
	PaySandboxSecret string        `env:"SIYU_PAY_SANDBOX_SECRET" desc:"HMAC key of the sandbox's callbacks; empty uses a fixed development key"`
	PaySandboxNotify string        `env:"SIYU_PAY_SANDBOX_NOTIFY_URL" default:"http://127.0.0.1:8080/v1/payments/sandbox/notify" desc:"where the sandbox posts its signed callbacks: the gateway's public notify route"`
	PaySandboxDelay  time.Duration `env:"SIYU_PAY_SANDBOX_DELAY" default:"200ms" desc:"how long after a confirmation the sandbox sends its callback"`

	WechatPayMchID       string `env:"SIYU_WECHATPAY_MCH_ID" desc:"WeChat Pay merchant id; setting it turns the wechatpay provider on (then every SIYU_WECHATPAY_ variable but the endpoint is required)"`
	WechatPayAppID       string `env:"SIYU_WECHATPAY_APP_ID" desc:"app id (mini-program or official account) that JSAPI payments are made in"`
	WechatPayCertSerial  string `env:"SIYU_WECHATPAY_MCH_CERT_SERIAL" desc:"serial number of the merchant API certificate"`
	WechatPayPrivateKey  string `env:"SIYU_WECHATPAY_MCH_PRIVATE_KEY" desc:"merchant API private key (PEM) that signs requests"`
	WechatPayPublicKeyID string `env:"SIYU_WECHATPAY_PUBLIC_KEY_ID" desc:"id of WeChat Pay's public key (PUB_KEY_ID_...)"`
	WechatPayPublicKey   string `env:"SIYU_WECHATPAY_PUBLIC_KEY" desc:"WeChat Pay's public key (PEM) that verifies answers and callbacks"`
	WechatPayAPIv3Key    string `env:"SIYU_WECHATPAY_API_V3_KEY" desc:"API v3 key (32 bytes) that decrypts callbacks"`
	WechatPayNotifyURL   string `env:"SIYU_WECHATPAY_NOTIFY_URL" desc:"public URL of the gateway's POST /v1/payments/wechatpay/notify"`
	WechatPayEndpoint    string `env:"SIYU_WECHATPAY_ENDPOINT" desc:"replaces https://api.mch.weixin.qq.com (a proxy or a test double)"`

	Logistics         string        `env:"SIYU_LOGISTICS_PROVIDER" desc:"parcel tracking: kuaidi100 or sandbox (made-up traces; the default in dev mode, refused outside it); empty outside dev mode answers TRACKING_UNAVAILABLE"`
	Kuaidi100Customer string        `env:"SIYU_KUAIDI100_CUSTOMER" desc:"Kuaidi100 customer id (with SIYU_LOGISTICS_PROVIDER=kuaidi100)"`
	Kuaidi100Key      string        `env:"SIYU_KUAIDI100_KEY" desc:"Kuaidi100 authorisation key that signs queries"`
	Kuaidi100URL      string        `env:"SIYU_KUAIDI100_URL" desc:"Kuaidi100 query endpoint; empty is https://poll.kuaidi100.com/poll/query.do"`
	TraceCacheFor     time.Duration `env:"SIYU_LOGISTICS_CACHE_FOR" default:"10m" desc:"how long a parcel's trace is reused before the provider is asked again"`
	SandboxTraceSpeed float64       `env:"SIYU_LOGISTICS_SANDBOX_SPEED" default:"1" desc:"how many times faster than real life sandbox parcels travel (about three days at 1)"`
}

// Policy is the access rule of every order RPC: who may call it, by role.
// The role-matrix test of the whole shop reads it.
var Policy = grpcapi.Policy

// devSandboxSecret signs sandbox callbacks when no secret is configured:
// the sandbox moves no money, and runs only in dev mode.
const devSandboxSecret = "siyu-sandbox-development-key"

// sandbox is the sandbox payment provider when it is on.
func (c Config) sandbox(db *mongo.Database, log *slog.Logger) (*sandbox.Sandbox, error) {
	on := c.DevMode
	switch c.PaySandbox {
	case "":
	case "true":
		on = true
	case "false":
		on = false
	default:
		return nil, fmt.Errorf("SIYU_PAY_SANDBOX must be true or false, not %q", c.PaySandbox)
	}
	if !on {
		return nil, nil
	}
	if !c.DevMode {
		// It settles payments without money: never in front of real shoppers.
		return nil, fmt.Errorf("SIYU_PAY_SANDBOX needs SIYU_DEV_MODE=true")
	}
	secret := c.PaySandboxSecret
	if secret == "" {
		secret = devSandboxSecret
	}
	return sandbox.New(db, sandbox.Options{Secret: []byte(secret), NotifyURL: c.PaySandboxNotify, Delay: c.PaySandboxDelay, Logger: log}), nil
}

// wechatPay is the WeChat Pay provider when a merchant id is configured.
func (c Config) wechatPay(ctx context.Context) (app.Provider, error) {
	if c.WechatPayMchID == "" {
		return nil, nil
	}
	p, err := wechatpay.New(ctx, wechatpay.Options{MchID: c.WechatPayMchID, AppID: c.WechatPayAppID, MchCertSerial: c.WechatPayCertSerial,
		MchPrivateKeyPEM: c.WechatPayPrivateKey, PublicKeyID: c.WechatPayPublicKeyID, PublicKeyPEM: c.WechatPayPublicKey,
		APIv3Key: c.WechatPayAPIv3Key, NotifyURL: c.WechatPayNotifyURL, Endpoint: c.WechatPayEndpoint})
	if err != nil {
		return nil, fmt.Errorf("SIYU_WECHATPAY_*: %w", err)
	}
	return p, nil
}

// noTracker answers when no logistics provider is configured.
type noTracker struct{}

func (noTracker) Trace(context.Context, app.TraceQuery) (app.Trace, error) {
	return app.Trace{}, fmt.Errorf("no logistics provider is configured")
}

// tracker is the configured logistics provider.
func (c Config) tracker(clk clock.Clock) (app.Tracker, error) {
	name := c.Logistics
	if name == "" && c.DevMode {
		name = "sandbox"
	}
	switch name {
	case "":
		return noTracker{}, nil
	case "sandbox":
		if !c.DevMode {
			return nil, fmt.Errorf("SIYU_LOGISTICS_PROVIDER=sandbox needs SIYU_DEV_MODE=true: it makes traces up")
		}
		return logisticssandbox.Tracker{Clock: clk, Speed: c.SandboxTraceSpeed}, nil
	case "kuaidi100":
		if c.Kuaidi100Customer == "" || c.Kuaidi100Key == "" {
			return nil, fmt.Errorf("SIYU_LOGISTICS_PROVIDER=kuaidi100 needs SIYU_KUAIDI100_CUSTOMER and SIYU_KUAIDI100_KEY")
		}
		return kuaidi100.New(c.Kuaidi100Customer, c.Kuaidi100Key, c.Kuaidi100URL), nil
	}
	return nil, fmt.Errorf("SIYU_LOGISTICS_PROVIDER must be kuaidi100 or sandbox, not %q", name)
}

func (c Config) settings() (app.Settings, error) {
	s := app.DefaultSettings()
	if c.PayWithin > 0 {
		s.Timing = domain.Timing{PayWithin: c.PayWithin, AutoReceiveAfter: c.AutoReceiveAfter, AfterSalesWindow: c.AfterSalesWindow}
	}
	if c.PointsPerYuan > 0 {
		s.Points = domain.PointsRule{PointsPerYuan: c.PointsPerYuan, MaxSharePermille: c.PointsMaxPermille}
		if c.PointsMaxPermille < 0 || c.PointsMaxPermille > 1000 {
			return s, fmt.Errorf("SIYU_ORDER_POINTS_MAX_PERMILLE: %d is not within 0-1000", c.PointsMaxPermille)
		}
	}
	if c.ShippingFeeFen > 0 || c.FreeShippingOverFen > 0 || c.RegionShippingFeeFen != "" {
		s.Shipping = domain.ShippingRule{FreeOverFen: c.FreeShippingOverFen, DefaultFeeFen: c.ShippingFeeFen, RegionFeeFen: map[string]int64{}}
		for _, kv := range strings.Split(c.RegionShippingFeeFen, ",") {
			if strings.TrimSpace(kv) == "" {
				continue
			}
			region, fee, ok := strings.Cut(kv, "=")
			n, err := strconv.ParseInt(strings.TrimSpace(fee), 10, 64)
			if !ok || err != nil || n < 0 || strings.TrimSpace(region) == "" {
				return s, fmt.Errorf("SIYU_ORDER_REGION_SHIPPING_FEES: %q is not province=fen", kv)
			}
			s.Shipping.RegionFeeFen[strings.TrimSpace(region)] = n
		}
	}
	return s, nil
}

// Run serves the order service until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := c.Common.Spec("order", c.GRPCAddr, c.Database)
	spec.NATSURL, spec.Stream, spec.Subjects, spec.Policy = c.NATSURL, events.Stream, events.Subjects, grpcapi.Policy
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		priv, err := auth.ParsePrivateKeyPEM(c.JWTPrivateKey)
		if err != nil {
			return fmt.Errorf("SIYU_JWT_PRIVATE_KEY: %w", err)
		}
		tokens := clients.NewTokens(auth.NewIssuer(priv, "siyu", in.Clock))
		productConn, err := grpcclient.Dial(c.ProductAddr)
		if err != nil {
			return err
		}
		in.OnStop(func() { _ = productConn.Close() })
		memberConn, err := grpcclient.Dial(c.MemberAddr)
		if err != nil {
			return err
		}
		in.OnStop(func() { _ = memberConn.Close() })
		marketingConn, err := grpcclient.Dial(c.MarketingAddr)
		if err != nil {
			return err
		}
		in.OnStop(func() { _ = marketingConn.Close() })
		promotions := clients.NewPromotions(marketingConn, tokens)

		relay := in.Relay(in.DB.Collection(mongostore.OrdersCollection))
		store := mongostore.New(in.DB, relay.FlushAsync)
		if err := store.EnsureIndexes(ctx); err != nil {
			return err
		}
		catalog, inventory, members := clients.NewCatalog(productConn, tokens), clients.NewInventory(productConn, tokens), clients.NewMembers(memberConn, tokens)
		set, err := c.settings()
		if err != nil {
			return err
		}
		clk := clock.System
		sb, err := c.sandbox(in.DB, in.Logger)
		if err != nil {
			return err
		}
		providers := c.Providers
		wx, err := c.wechatPay(ctx)
		if err != nil {
			return err
		}
		if wx != nil {
			providers = append(providers, wx)
		}
		if sb != nil {
			providers = append([]app.Provider{sb}, providers...)
			in.OnStop(sb.Close)
		}
		tracker, err := c.tracker(clk)
		if err != nil {
			return err
		}
		payments := app.NewPayments(store, inventory, members, providers, set.Timing, clk)
		orders := app.NewOrders(store, inventory, members, promotions, set.Timing, clk)
		svc := grpcapi.Services{
			Carts:      app.NewCarts(store, catalog, clk),
			Checkout:   app.NewCheckout(store, store, store, catalog, inventory, members, promotions, set, clk),
			Orders:     orders,
			Payments:   payments,
			AfterSales: app.NewAfterSales(store, payments, set.Timing, clk),
			Tracking:   app.NewTracking(tracker, c.TraceCacheFor, clk),
			Export:     app.NewExport(orders, 0),
		}
		grpcapi.Register(in.Server.GRPC(), svc)
		if sb != nil {
			grpcapi.RegisterSandbox(in.Server.GRPC(), svc.Orders, sb)
		}
		sweeper := app.NewSweeper(store, inventory, members, promotions, payments, set.Timing, clk)
		in.Every("order sweep", c.SweepEvery, func(ctx context.Context) error { _, err := sweeper.Sweep(ctx); return err })
		in.Every("quote clean-up", 10*time.Minute, func(ctx context.Context) error {
			_, err := store.DeleteExpiredQuotes(ctx, clk.Now().Add(-mongostore.QuoteKeep))
			return err
		})
		return nil
	})
}
