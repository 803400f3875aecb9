package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
	"siyu.dev/services/marketing/internal/flashq"
	"siyu.dev/services/marketing/internal/grpcapi"
	"siyu.dev/services/marketing/internal/mongostore"
)

type noSegments struct{}

func (noSegments) Segment(context.Context, string, func(string) error) error { return nil }

type noOrders struct{}

func (noOrders) PlaceFor(context.Context, app.PlaceFor) (string, error) { return "", nil }

func expect(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v (%s), want %v %s", what, status.Code(err), errs.Reason(err), code, reason)
	}
	// Refusals by role or token come from the auth interceptor's domain.
	want := "marketing.siyu.dev"
	if reason == "ROLE_REQUIRED" || reason == "TOKEN_MISSING" {
		want = "auth.siyu.dev"
	}
	if info, ok := errs.Info(err); err != nil && (!ok || info.Domain != want) {
		t.Errorf("%s: ErrorInfo %v, want domain %s", what, info, want)
	}
}

// TestMarketingAPI serves the marketing contract over bufconn with the real
// stores and checks codes, ErrorInfo reasons and who may call what.
func TestMarketingAPI(t *testing.T) {
	ctx := context.Background()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := clock.System
	db := testkit.DB(t)
	s, acts := mongostore.New(db), mongostore.NewActivities(db)
	nc, _ := natsx.Connect(testkit.NATS(t).URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	set := app.Settings{RemindBefore: time.Hour}
	flash := app.NewFlashSales(acts.FlashSales(), acts.Results(), flashq.New(js), acts.Reservations(), noOrders{}, clk, log)
	discounts := app.NewDiscounts(acts.Discounts(), acts.Results(), clk)
	srv := grpcserver.New(grpcserver.Options{Service: "marketing", Logger: log, Verifier: auth.NewVerifier(pub, "siyu", clk), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), grpcapi.Services{
		Shop:       app.NewShop(s.Templates(), s.Wallets(), s.Codes(), set, clk),
		Admin:      app.NewAdmin(s.Templates(), s.Wallets(), s.Codes(), noSegments{}, acts.Results(), set, clk),
		Checkout:   app.NewCheckout(s.Wallets(), acts.Holds(), discounts, acts.Results(), map[domain.PromotionKind]app.Desk{domain.KindFlashSale: flash}, set, clk),
		FlashSales: flash,
		Discounts:  discounts,
	})
	conn := testkit.BufconnServer(t, srv)
	iss := auth.NewIssuer(priv, "siyu", clk)
	as := func(id auth.Identity) context.Context {
		tok, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(ctx, tok)
	}
	alice := as(auth.Identity{Subject: "m_alice", Kind: auth.KindMember})
	bob := as(auth.Identity{Subject: "m_bob", Kind: auth.KindMember})
	op := as(auth.Identity{Subject: "op", Kind: auth.KindAdmin, Roles: []string{auth.RoleOperator}})
	cs := as(auth.Identity{Subject: "cs", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	svc := as(auth.Identity{Subject: "order-service", Kind: auth.KindService})
	coupons, admin := marketingv1.NewCouponServiceClient(conn), marketingv1.NewCouponAdminServiceClient(conn)
	checkout := marketingv1.NewCheckoutPromotionServiceClient(conn)
	flashes, flashAdmin := marketingv1.NewFlashSaleServiceClient(conn), marketingv1.NewFlashSaleAdminServiceClient(conn)

	tpl := &marketingv1.CouponTemplate{Name: "满100减20", Kind: "AMOUNT_OFF", AmountOffFen: 2000, ThresholdFen: 10000, ValidDays: 7, PerMemberLimit: 1, TotalQuantity: 1, Claimable: true}
	_, err := admin.CreateCouponTemplate(cs, &marketingv1.CreateCouponTemplateRequest{Template: tpl})
	expect(t, "customer service creating a template", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = admin.CreateCouponTemplate(op, &marketingv1.CreateCouponTemplateRequest{})
	expect(t, "no template", err, codes.InvalidArgument, "COUPON_TEMPLATE_INVALID")
	created, err := admin.CreateCouponTemplate(op, &marketingv1.CreateCouponTemplateRequest{Template: tpl})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetTemplate().GetId()
	_, err = admin.UpdateCouponTemplate(op, &marketingv1.UpdateCouponTemplateRequest{Template: &marketingv1.CouponTemplate{Id: id, Name: "x", Kind: "AMOUNT_OFF",
		AmountOffFen: 1, ValidDays: 1, PerMemberLimit: 1, TotalQuantity: 1, Version: 99}})
	expect(t, "stale version", err, codes.FailedPrecondition, "COUPON_TEMPLATE_VERSION_MISMATCH")
	_, err = admin.GetCouponTemplate(cs, &marketingv1.GetCouponTemplateRequest{TemplateId: "ct_nope"})
	expect(t, "unknown template", err, codes.NotFound, "COUPON_TEMPLATE_NOT_FOUND")

	_, err = coupons.ClaimCoupon(ctx, &marketingv1.ClaimCouponRequest{TemplateId: id})
	expect(t, "claim without a token", err, codes.Unauthenticated, "TOKEN_MISSING")
	c, err := coupons.ClaimCoupon(alice, &marketingv1.ClaimCouponRequest{TemplateId: id})
	if err != nil {
		t.Fatal(err)
	}
	_, err = coupons.ClaimCoupon(bob, &marketingv1.ClaimCouponRequest{TemplateId: id})
	expect(t, "sold out", err, codes.ResourceExhausted, "COUPON_SOLD_OUT")
	_, err = coupons.ListMyCoupons(alice, &marketingv1.ListMyCouponsRequest{Status: "GONE"})
	expect(t, "unknown status", err, codes.InvalidArgument, "ARGUMENT_INVALID")
	_, err = coupons.RedeemCouponCode(alice, &marketingv1.RedeemCouponCodeRequest{Code: "NOPE"})
	expect(t, "unknown code", err, codes.NotFound, "COUPON_CODE_NOT_FOUND")

	line := []*marketingv1.CouponLine{{SkuId: "s1", PayableFen: 12000, UnitPriceFen: 12000, Quantity: 1}}
	_, err = checkout.PricePromotions(alice, &marketingv1.PricePromotionsRequest{MemberId: "m_alice", Lines: line, Best: true})
	expect(t, "a member pricing at checkout", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = checkout.PricePromotions(svc, &marketingv1.PricePromotionsRequest{MemberId: "m_bob", Lines: line, CouponIds: []string{c.GetCoupon().GetId()}})
	expect(t, "another member's coupon", err, codes.NotFound, "COUPON_NOT_FOUND")
	_, err = checkout.PricePromotions(svc, &marketingv1.PricePromotionsRequest{MemberId: "m_alice", Lines: line, CouponIds: []string{c.GetCoupon().GetId()},
		Activity: &marketingv1.Activity{Kind: "flash_sale", ActivityId: "fs_1", Ref: "fs_1-r1"}})
	expect(t, "coupons with an activity", err, codes.FailedPrecondition, "PROMOTION_NOT_STACKABLE")
	_, err = checkout.PricePromotions(svc, &marketingv1.PricePromotionsRequest{MemberId: "m_alice", Lines: line, Activity: &marketingv1.Activity{Kind: "lottery", ActivityId: "x"}})
	expect(t, "unknown activity kind", err, codes.InvalidArgument, "ACTIVITY_INVALID")
	priced, err := checkout.PricePromotions(svc, &marketingv1.PricePromotionsRequest{MemberId: "m_alice", Lines: line, Best: true})
	if err != nil || len(priced.GetDiscounts()) != 1 || priced.GetDiscounts()[0].GetAmountFen() != 2000 || !priced.GetMemberLevel() {
		t.Fatalf("best coupons: %v %v", priced, err)
	}
	_, err = checkout.HoldPromotions(svc, &marketingv1.HoldPromotionsRequest{MemberId: "m_alice", OrderId: "o1"})
	expect(t, "hold nothing", err, codes.InvalidArgument, "ARGUMENT_INVALID")

	now := time.Now()
	fs := &marketingv1.FlashSale{Name: "秒杀", ProductId: "p1", SkuId: "p1-A", PriceFen: 100, Stock: 1, PerMemberLimit: 1,
		StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now.Add(time.Hour))}
	_, err = flashAdmin.CreateFlashSale(cs, &marketingv1.CreateFlashSaleRequest{FlashSale: fs})
	expect(t, "customer service scheduling", err, codes.PermissionDenied, "ROLE_REQUIRED")
	made, err := flashAdmin.CreateFlashSale(op, &marketingv1.CreateFlashSaleRequest{FlashSale: fs})
	if err != nil {
		t.Fatal(err)
	}
	addr := &orderv1.ShippingAddress{Name: "张三", Phone: "13800138000", Province: "上海市", Detail: "1 号"}
	r, err := flashes.ReserveFlashSale(alice, &marketingv1.ReserveFlashSaleRequest{FlashSaleId: made.GetFlashSale().GetId(), Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = flashes.ReserveFlashSale(bob, &marketingv1.ReserveFlashSaleRequest{FlashSaleId: made.GetFlashSale().GetId(), Address: addr})
	expect(t, "flash sold out", err, codes.ResourceExhausted, "FLASH_SALE_SOLD_OUT")
	_, err = flashes.GetMyFlashReservation(bob, &marketingv1.GetMyFlashReservationRequest{ReservationId: r.GetReservation().GetId()})
	expect(t, "another member's reservation", err, codes.NotFound, "RESERVATION_NOT_FOUND")
	_, err = flashes.GetFlashSale(ctx, &marketingv1.GetFlashSaleRequest{FlashSaleId: "fs_nope"})
	expect(t, "unknown flash sale", err, codes.NotFound, "ACTIVITY_NOT_FOUND")
}
