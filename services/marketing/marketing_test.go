package marketing_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/marketing"
)

// TestRunFollowsMemberAndOrderEvents runs the real service (embedded store
// and NATS): a registration brings the new-member gift, an order locks it,
// order.paid spends it and a full refund gives it back.
func TestRunFollowsMemberAndOrderEvents(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := marketing.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub, Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Database: testkit.DBName(t), NATSURL: ns.URL(), JWTPrivateKey: priv, MemberAddr: "127.0.0.1:1", CouponRemindBefore: time.Hour, SweepEvery: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- marketing.Run(ctx, cfg) }()
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
	for deadline := time.Now().Add(20 * time.Second); healthcheck.GRPC(lis.Addr().String(), time.Second) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("marketing never SERVING")
		}
	}
	key, _ := auth.ParsePrivateKeyPEM(priv)
	issuer := auth.NewIssuer(key, "siyu", clock.System)
	as := func(id auth.Identity) context.Context {
		tok, _, _ := issuer.Issue(id, time.Hour)
		return auth.OutgoingToken(ctx, tok)
	}
	owner := as(auth.Identity{Subject: "boss", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	member := as(auth.Identity{Subject: "m_new", Kind: auth.KindMember})
	service := as(auth.Identity{Subject: "order-service", Kind: auth.KindService})
	conn, _ := grpcclient.Dial(lis.Addr().String())
	defer conn.Close()
	admin, shop, checkout := marketingv1.NewCouponAdminServiceClient(conn), marketingv1.NewCouponServiceClient(conn), marketingv1.NewCheckoutPromotionServiceClient(conn)

	if _, err := admin.CreateCouponTemplate(owner, &marketingv1.CreateCouponTemplateRequest{Template: &marketingv1.CouponTemplate{
		Name: "新人券", Kind: "AMOUNT_OFF", AmountOffFen: 500, ValidDays: 30, PerMemberLimit: 1, TotalQuantity: 1000, NewMemberGift: true}}); err != nil {
		t.Fatal(err)
	}
	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	publish := func(subject, id string, m proto.Message) {
		e, err := natsx.NewEvent(ctx, subject, id, m)
		if err == nil {
			err = natsx.NewPublisher(js).Publish(ctx, e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	status := func(want string) *marketingv1.Coupon {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			resp, err := shop.ListMyCoupons(member, &marketingv1.ListMyCouponsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if cs := resp.GetCoupons(); len(cs) == 1 && cs[0].GetStatus() == want {
				return cs[0]
			}
		}
		t.Fatalf("the coupon never became %s", want)
		return nil
	}
	publish(memberv1.SubjectRegistered, "m_new.registered", &memberv1.MemberRegistered{EventId: "m_new.registered", MemberId: "m_new", OccurredAt: timestamppb.Now()})
	c := status("UNUSED")
	if c.GetSummary() != "无门槛减5" {
		t.Errorf("summary %q", c.GetSummary())
	}
	if _, err := checkout.HoldPromotions(member, &marketingv1.HoldPromotionsRequest{MemberId: "m_new", OrderId: "o1", CouponIds: []string{c.GetId()}}); err == nil {
		t.Fatal("a member cannot lock coupons: the call is service-only")
	}
	if _, err := checkout.HoldPromotions(service, &marketingv1.HoldPromotionsRequest{MemberId: "m_new", OrderId: "o1", CouponIds: []string{c.GetId()}}); err != nil {
		t.Fatal(err)
	}
	status("LOCKED")
	publish(orderv1.SubjectPaid, "o1.paid", &orderv1.OrderPaid{EventId: "o1.paid", OrderId: "o1", MemberId: "m_new", PromotionIds: []string{c.GetId()}})
	status("USED")
	publish(orderv1.SubjectRefunded, "o1.refunded.r1", &orderv1.OrderRefunded{EventId: "o1.refunded.r1", OrderId: "o1", MemberId: "m_new", RefundId: "r1", OrderFullyRefunded: false})
	status("USED")
	publish(orderv1.SubjectRefunded, "o1.refunded.r2", &orderv1.OrderRefunded{EventId: "o1.refunded.r2", OrderId: "o1", MemberId: "m_new", RefundId: "r2", OrderFullyRefunded: true})
	status("UNUSED")
}
