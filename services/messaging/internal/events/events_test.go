package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/messaging/internal/domain"
)

func msg(t *testing.T, subject string, m proto.Message) natsx.Message {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return natsx.Message{Subject: subject, ID: "hdr-id", Data: b}
}

func TestTranslate(t *testing.T) {
	cases := []struct {
		name  string
		m     natsx.Message
		typ   string
		id    string
		vars  map[string]string
		known bool
	}{
		{"paid", msg(t, orderv1.SubjectPaid, &orderv1.OrderPaid{EventId: "o1.paid", OrderId: "o1", MemberId: "m1", PaidFen: 12805}),
			domain.EventOrderPaid, "o1.paid", map[string]string{"order_id": "o1", "amount": "128.05"}, true},
		{"shipped", msg(t, orderv1.SubjectShipped, &orderv1.OrderShipped{EventId: "o1.shipped", OrderId: "o1", MemberId: "m1", Carrier: "顺丰", TrackingNumber: "SF1"}),
			domain.EventOrderShipped, "o1.shipped", map[string]string{"order_id": "o1", "carrier": "顺丰", "tracking_number": "SF1"}, true},
		{"received", msg(t, orderv1.SubjectReceived, &orderv1.OrderReceived{EventId: "o1.received", OrderId: "o1", MemberId: "m1"}),
			domain.EventOrderReceived, "o1.received", map[string]string{"order_id": "o1"}, true},
		{"refunded", msg(t, orderv1.SubjectRefunded, &orderv1.OrderRefunded{EventId: "o1.refunded.r1", OrderId: "o1", MemberId: "m1", RefundFen: 5}),
			domain.EventOrderRefunded, "o1.refunded.r1", map[string]string{"order_id": "o1", "refund_amount": "0.05"}, true},
		{"level changed, id from the header", msg(t, SubjectLevelChanged, &memberv1.MemberLevelChanged{MemberId: "m1", TierId: "gold", PreviousTierId: "silver"}),
			domain.EventMemberLevelChange, "hdr-id", map[string]string{"tier_id": "gold", "previous_tier_id": "silver"}, true},
		{"coupon expiring, Shanghai time", msg(t, marketingv1.SubjectCouponsExpiring, &marketingv1.CouponsExpiring{EventId: "expiring-m1-c1", MemberId: "m1", CouponName: "满100减20",
			ExpiresAt: timestamppb.New(time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC))}),
			domain.EventCouponExpiring, "expiring-m1-c1", map[string]string{"coupon_name": "满100减20", "expires_at": "12月31日 23:59"}, true},
		{"points expiring", msg(t, SubjectPointsExpiring, &memberv1.MemberPointsExpiring{EventId: "m1:expiring:1", MemberId: "m1", Points: 320,
			ExpiresAt: timestamppb.New(time.Date(2027, 12, 31, 15, 59, 0, 0, time.UTC))}),
			domain.EventPointsExpiring, "m1:expiring:1", map[string]string{"points": "320", "expires_at": "12月31日 23:59"}, true},
		{"group failed", msg(t, marketingv1.SubjectGroupBuySettled, &marketingv1.GroupBuySettled{EventId: "group-g1-o1", MemberId: "m1", GroupId: "g1", OrderId: "o1"}),
			domain.EventGroupFailed, "group-g1-o1", map[string]string{"order_id": "o1", "group_id": "g1"}, true},
		{"not notified", msg(t, orderv1.SubjectCreated, &orderv1.OrderCreated{}), "", "", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok, err := Translate(c.m)
			if err != nil || ok != c.known {
				t.Fatalf("ok %v err %v", ok, err)
			}
			if !ok {
				return
			}
			if e.Type != c.typ || e.ID != c.id || e.MemberID != "m1" {
				t.Fatalf("event %+v", e)
			}
			for k, v := range c.vars {
				if e.Vars[k] != v {
					t.Errorf("%s = %q, want %q", k, e.Vars[k], v)
				}
			}
		})
	}
}

func TestHandlerParksMalformedEvents(t *testing.T) {
	h := Handler(nil, nil) // the notifier is never reached
	for _, m := range []natsx.Message{
		{Subject: orderv1.SubjectPaid, Data: []byte{0xff, 0xff}},
		msg(t, orderv1.SubjectPaid, &orderv1.OrderPaid{EventId: "o1.paid"}), // no member
	} {
		err := h(context.Background(), m)
		var target interface{ Unwrap() error }
		if err == nil || !errors.As(err, &target) {
			t.Errorf("%v: %v, want a permanent error", m.Subject, err)
		}
	}
}

func TestHandlerForgetsDeletedMembers(t *testing.T) {
	var forgot []string
	h := Handler(nil, func(_ context.Context, id string) error { forgot = append(forgot, id); return nil })
	if err := h(context.Background(), msg(t, SubjectDeleted, &memberv1.MemberDeleted{EventId: "e", MemberId: "m1"})); err != nil || len(forgot) != 1 || forgot[0] != "m1" {
		t.Fatalf("forget: %v %v", forgot, err)
	}
}
