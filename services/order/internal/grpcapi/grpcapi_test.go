package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/grpcapi"
	"siyu.dev/services/order/internal/mongostore"
)

// catalog knows one product with one SKU.
type catalog struct{}

func (catalog) Products(_ context.Context, ids []string) (map[string]app.ProductView, error) {
	out := map[string]app.ProductView{}
	for _, id := range ids {
		if id == "p1" {
			out[id] = app.ProductView{ID: "p1", Title: "T恤", OnShelf: true, SKUs: map[string]domain.SKUView{
				"s1": {SKUID: "s1", ProductID: "p1", Title: "T恤", PriceFen: 3990, OnShelf: true, Available: 5}}}
		}
	}
	return out, nil
}

// downstream holds everything and has points for everyone.
type downstream struct{}

func (downstream) Reserve(context.Context, string, []app.StockLine, time.Duration) error { return nil }
func (downstream) Release(context.Context, string) error                                 { return nil }
func (downstream) Restock(context.Context, string, []app.StockLine) error                { return nil }
func (downstream) Standing(context.Context, string) (app.MemberStanding, error) {
	return app.MemberStanding{Points: 100}, nil
}
func (downstream) FreezePoints(context.Context, string, string, int64) error { return nil }
func (downstream) ConfirmPoints(context.Context, string, string) error       { return nil }
func (downstream) ReleasePoints(context.Context, string, string) error       { return nil }

// refusing is a provider whose signature check always fails.
type refusing struct{}

func (refusing) Name() string { return "sandbox" }
func (refusing) Prepay(context.Context, app.PrepayRequest) (app.PrepayResult, error) {
	return app.PrepayResult{PayURL: "/pay"}, nil
}
func (refusing) ParseNotification(context.Context, http.Header, []byte) (app.Notification, error) {
	return app.Notification{}, fault.New(fault.Unauthenticated, domain.ReasonNotificationInvalid, "bad signature")
}
func (refusing) Query(context.Context, string) (app.Notification, error) {
	return app.Notification{}, nil
}
func (refusing) Refund(context.Context, app.RefundRequest) (app.RefundResult, error) {
	return app.RefundResult{}, nil
}

func expect(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v (%s), want %v %s", what, status.Code(err), errs.Reason(err), code, reason)
	}
}

func TestOrderAPI(t *testing.T) {
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	store := mongostore.New(testkit.DB(t), nil)
	set := app.DefaultSettings()
	d := downstream{}
	payments := app.NewPayments(store, d, d, []app.Provider{refusing{}}, set.Timing, clock.System)
	srv := grpcserver.New(grpcserver.Options{Service: "order", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), grpcapi.Services{
		Carts:    app.NewCarts(store, catalog{}, clock.System),
		Checkout: app.NewCheckout(store, store, store, catalog{}, d, d, domain.NoPromotions{}, set, clock.System),
		Orders:   app.NewOrders(store, d, d, domain.NoPromotions{}, set.Timing, clock.System),
		Payments: payments,
	})
	conn := testkit.BufconnServer(t, srv)
	iss := auth.NewIssuer(priv, "siyu", clock.System)
	as := func(id auth.Identity) context.Context {
		s, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(context.Background(), s)
	}
	alice := as(auth.Identity{Subject: "alice", Kind: auth.KindMember})
	bob := as(auth.Identity{Subject: "bob", Kind: auth.KindMember})
	op := as(auth.Identity{Subject: "op", Kind: auth.KindAdmin, Roles: []string{auth.RoleOperator}})
	carts, orders, admin := orderv1.NewCartServiceClient(conn), orderv1.NewOrderServiceClient(conn), orderv1.NewOrderAdminServiceClient(conn)
	callbacks := orderv1.NewPaymentCallbackServiceClient(conn)

	_, err := carts.GetMyCart(context.Background(), &orderv1.GetMyCartRequest{})
	expect(t, "no token", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = carts.GetMyCart(op, &orderv1.GetMyCartRequest{})
	expect(t, "operator on a member call", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = admin.AdminListOrders(alice, &orderv1.AdminListOrdersRequest{})
	expect(t, "member on an admin call", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = carts.AddCartLine(alice, &orderv1.AddCartLineRequest{ProductId: "p1", SkuId: "s1", Quantity: 0})
	expect(t, "zero quantity", err, codes.InvalidArgument, "QUANTITY_INVALID")
	_, err = carts.AddCartLine(alice, &orderv1.AddCartLineRequest{ProductId: "p1", SkuId: "s9", Quantity: 1})
	expect(t, "unknown SKU", err, codes.NotFound, "SKU_NOT_FOUND")
	got, err := carts.AddCartLine(alice, &orderv1.AddCartLineRequest{ProductId: "p1", SkuId: "s1", Quantity: 6})
	if err != nil || got.GetCart().GetLines()[0].GetProblem() != "OUT_OF_STOCK" {
		t.Fatalf("over stock: %v %v", got, err)
	}
	_, err = orders.QuoteCheckout(alice, &orderv1.QuoteCheckoutRequest{Address: &orderv1.ShippingAddress{Name: "a", Phone: "1", Province: "上海市", Detail: "x"}})
	expect(t, "quote with a line out of stock", err, codes.FailedPrecondition, "OUT_OF_STOCK")
	if _, err := carts.UpdateCartLine(alice, &orderv1.UpdateCartLineRequest{SkuId: "s1", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	q, err := orders.QuoteCheckout(alice, &orderv1.QuoteCheckoutRequest{Address: &orderv1.ShippingAddress{Name: "a", Phone: "1", Province: "上海市", Detail: "x"}, PointsToUse: 100})
	if err != nil || q.GetQuote().GetTotalFen() != 7980-100+1000 {
		t.Fatalf("quote %v %v", q, err)
	}
	_, err = orders.QuoteCheckout(alice, &orderv1.QuoteCheckoutRequest{Address: &orderv1.ShippingAddress{Name: "a", Phone: "1", Province: "上海市", Detail: "x"}, PointsToUse: 101})
	expect(t, "more points than the balance", err, codes.FailedPrecondition, "POINTS_INSUFFICIENT")
	placed, err := orders.CreateOrder(alice, &orderv1.CreateOrderRequest{RequestId: "r1", QuoteId: q.GetQuote().GetQuoteId()})
	if err != nil || placed.GetOrder().GetStatus() != orderv1.OrderStatus_ORDER_STATUS_PENDING_PAYMENT {
		t.Fatalf("create %v %v", placed, err)
	}
	id := placed.GetOrder().GetOrderId()
	_, err = orders.GetMyOrder(bob, &orderv1.GetMyOrderRequest{OrderId: id})
	expect(t, "another member's order", err, codes.NotFound, "ORDER_NOT_FOUND")
	_, err = orders.PayOrder(bob, &orderv1.PayOrderRequest{OrderId: id})
	expect(t, "paying another member's order", err, codes.NotFound, "ORDER_NOT_FOUND")
	_, err = orders.PayOrder(alice, &orderv1.PayOrderRequest{OrderId: id, Provider: "alipay"})
	expect(t, "unknown provider", err, codes.NotFound, "PAYMENT_PROVIDER_UNKNOWN")
	if p, err := orders.PayOrder(alice, &orderv1.PayOrderRequest{OrderId: id}); err != nil || p.GetAmountFen() != placed.GetOrder().GetTotalFen() {
		t.Fatalf("pay %v %v", p, err)
	}
	_, err = orders.ListMyOrders(alice, &orderv1.ListMyOrdersRequest{PageToken: "garbage"})
	expect(t, "bad page token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	_, err = admin.ShipOrder(op, &orderv1.ShipOrderRequest{OrderId: id, Carrier: "sf", TrackingNumber: "1"})
	expect(t, "shipping an unpaid order", err, codes.FailedPrecondition, "ORDER_STATE_INVALID")
	cs := as(auth.Identity{Subject: "kefu", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	_, err = admin.RefundOrder(cs, &orderv1.RefundOrderRequest{OrderId: id, Reason: "x", RequestId: "x"})
	expect(t, "customer service refunding", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = admin.RefundOrder(op, &orderv1.RefundOrderRequest{OrderId: id, Reason: "x", RequestId: "x"})
	expect(t, "refunding an unpaid order", err, codes.FailedPrecondition, "ORDER_STATE_INVALID")
	_, err = admin.AdminUpdateOrder(op, &orderv1.AdminUpdateOrderRequest{OrderId: id, OperatorNote: "x"})
	expect(t, "update without a mask", err, codes.InvalidArgument, "UPDATE_MASK_INVALID")
	_, err = admin.AdminUpdateOrder(op, &orderv1.AdminUpdateOrderRequest{OrderId: id, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"total_fen"}}})
	expect(t, "update of a fixed field", err, codes.InvalidArgument, "UPDATE_MASK_INVALID")
	_, err = admin.AdminUpdateOrder(op, &orderv1.AdminUpdateOrderRequest{OrderId: id, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address"}}})
	expect(t, "an empty address", err, codes.InvalidArgument, "ADDRESS_REQUIRED")
	up, err := admin.AdminUpdateOrder(op, &orderv1.AdminUpdateOrderRequest{OrderId: id, OperatorNote: "加急", Address: &orderv1.ShippingAddress{Name: "b", Phone: "2", Province: "浙江省", Detail: "y"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address", "operator_note"}}})
	if err != nil || up.GetOrder().GetAddress().GetProvince() != "浙江省" || up.GetOrder().GetOperatorNote() != "加急" {
		t.Fatalf("update: %v %v", up, err)
	}
	if mine, _ := orders.GetMyOrder(alice, &orderv1.GetMyOrderRequest{OrderId: id}); mine.GetOrder().GetOperatorNote() != "" {
		t.Error("the shopper never sees the operators' note")
	}

	res, err := callbacks.HandlePaymentNotification(context.Background(), &orderv1.HandlePaymentNotificationRequest{Provider: "sandbox", Body: []byte("forged")})
	if err != nil || res.GetHttpStatus() != http.StatusUnauthorized {
		t.Fatalf("forged callback: %v %v", res, err)
	}
	res, err = callbacks.HandlePaymentNotification(context.Background(), &orderv1.HandlePaymentNotificationRequest{Provider: "nobody"})
	if err != nil || res.GetHttpStatus() != http.StatusNotFound {
		t.Fatalf("unknown provider callback: %v %v", res, err)
	}
}
