// Package marketing is the marketing service: coupon templates, the coupon
// centre, claims, exchange codes, issues to members and segments,
// new-member gifts, flash sales counted by JetStream, and the promotions
// checkout prices, holds and releases.
package marketing

import (
	"context"
	"fmt"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/clients"
	"siyu.dev/services/marketing/internal/domain"
	"siyu.dev/services/marketing/internal/events"
	"siyu.dev/services/marketing/internal/flashq"
	"siyu.dev/services/marketing/internal/grpcapi"
	"siyu.dev/services/marketing/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	lifecycle.Common

	Database      string `env:"SIYU_MONGO_DATABASE" default:"siyu_marketing" desc:"database owned by this service"`
	NATSURL       string `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr      string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9104" desc:"gRPC listen address"`
	JWTPrivateKey string `env:"SIYU_JWT_PRIVATE_KEY" required:"true" desc:"Ed25519 private key (PEM) that signs the service's own short-lived token for streaming member segments"`
	MemberAddr    string `env:"SIYU_MEMBER_ADDR" default:"127.0.0.1:9101" desc:"member service gRPC address"`
	OrderAddr     string `env:"SIYU_ORDER_ADDR" default:"127.0.0.1:9103" desc:"order service gRPC address (flash-sale orders)"`

	CouponRemindBefore time.Duration `env:"SIYU_COUPON_REMIND_BEFORE" default:"72h" desc:"how long before an unused coupon expires its about-to-expire event goes out"`
	SweepEvery         time.Duration `env:"SIYU_MARKETING_SWEEP_EVERY" default:"1m" desc:"how often coupons due to expire or be reminded of, and group-buys past their deadline, are looked at"`
}

// Policy is the access rule of every marketing RPC, by role. The
// role-matrix test of the whole shop reads it.
var Policy = grpcapi.Policy

// Run serves the marketing service until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := c.Common.Spec("marketing", c.GRPCAddr, c.Database)
	spec.NATSURL, spec.Policy = c.NATSURL, grpcapi.Policy
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		if c.CouponRemindBefore <= 0 || c.SweepEvery <= 0 {
			return fmt.Errorf("SIYU_COUPON_REMIND_BEFORE and SIYU_MARKETING_SWEEP_EVERY must be positive")
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
		orderConn, err := grpcclient.Dial(c.OrderAddr)
		if err != nil {
			return err
		}
		in.OnStop(func() { _ = orderConn.Close() })
		tokens := auth.NewServiceToken(auth.NewIssuer(priv, "siyu", in.Clock), "marketing-service")
		members := clients.NewMembers(memberConn, tokens)
		if err := natsx.EnsureStream(ctx, in.JS, marketingv1.Stream, []string{marketingv1.StreamSubjects}); err != nil {
			return err
		}
		store := mongostore.New(in.DB)
		if err := store.EnsureIndexes(ctx); err != nil {
			return err
		}
		clk := in.Clock
		settings := app.Settings{RemindBefore: c.CouponRemindBefore}
		templates, wallets, codes := store.Templates(), store.Wallets(), store.Codes()
		activities := mongostore.NewActivities(in.DB)
		discounts := app.NewDiscounts(activities.Discounts(), activities.Results(), clk)
		social := mongostore.NewSocial(in.DB)
		if err := social.EnsureIndexes(ctx); err != nil {
			return err
		}
		orders := clients.NewOrders(orderConn, tokens)
		flash := app.NewFlashSales(activities.FlashSales(), activities.Results(), flashq.New(in.JS), activities.Reservations(), orders, clk, in.Logger)
		publisher := natsx.NewPublisher(in.JS)
		groupBuys, bargains := app.NewGroupBuys(social.Groups(), clk), app.NewBargains(social.Bargains(), clk, nil)
		groupDesk := app.NewGroupDesk(groupBuys, orders, publisher, in.Logger)
		checkout := app.NewCheckout(wallets, activities.Holds(), discounts, activities.Results(), map[domain.PromotionKind]app.Desk{
			domain.KindFlashSale: flash, domain.KindGroupBuy: groupDesk, domain.KindBargain: app.NewBargainDesk(bargains)}, settings, clk)
		grpcapi.Register(in.Server.GRPC(), grpcapi.Services{
			Shop:       app.NewShop(templates, wallets, codes, settings, clk),
			Admin:      app.NewAdmin(templates, wallets, codes, members, activities.Results(), settings, clk),
			Checkout:   checkout,
			FlashSales: flash,
			Discounts:  discounts,
			Calendar: app.NewCalendar(clk, app.TemplateEntries(templates), app.FlashSaleEntries(activities.FlashSales()),
				app.DiscountEntries(activities.Discounts()), app.GroupBuyEntries(groupBuys), app.BargainEntries(bargains)),
			GroupBuys: groupBuys,
			Bargains:  bargains,
			Results:   activities.Results(),
			Banners:   app.NewBanners(activities.Banners()),
		})
		stop, err := events.Start(ctx, in.JS, checkout, app.NewWelcome(templates, wallets, settings, clk), in.Logger)
		if err != nil {
			return err
		}
		in.OnStop(stop)
		// Every reserved unit becomes an order: a consumer per activity,
		// started on every instance within a second of the activity.
		workers := flashq.NewWorkers(in.JS, flash.PlaceOrder, in.Logger)
		in.OnStop(workers.Stop)
		in.Every("flash-sale workers", time.Second, func(ctx context.Context) error {
			ids, err := flash.Recent(ctx)
			for _, id := range ids {
				if err := workers.Start(ctx, id); err != nil {
					return err
				}
			}
			return err
		})
		// Groups whose time is up fail (their paid orders refunded) or
		// complete virtually; settled groups are handed to the order service.
		in.Every("group-buy sweep", c.SweepEvery, func(ctx context.Context) error {
			for {
				n, err := groupDesk.Sweep(ctx, 100)
				if err != nil || n < 100 {
					return err
				}
			}
		})
		sweeper := app.NewSweeper(wallets, publisher, settings, clk, in.Logger)
		in.Every("coupon sweep", c.SweepEvery, func(ctx context.Context) error {
			for {
				n, err := sweeper.Sweep(ctx, 100)
				if err != nil || n < 100 {
					return err
				}
			}
		})
		return nil
	})
}
