// Package events consumes what other services publish and hands it to the
// notifier as event types of the notification rules: paid, shipped,
// received and refunded orders, members' level changes, points and coupons
// about to expire, and group-buys that succeeded or failed.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Durable consumers of the service.
const (
	DurableOrders  = "messaging-notify-orders"
	DurableMembers = "messaging-notify-members"
	// DurableMarketing follows coupons about to expire and settled group-buys.
	DurableMarketing = "messaging-notify-marketing"
)

// The member subjects the service consumes, named by member's contract.
const (
	memberStream          = memberv1.Stream
	memberStreamSubjects  = memberv1.StreamSubjects
	SubjectLevelChanged   = memberv1.SubjectLevelChanged
	SubjectDeleted        = memberv1.SubjectDeleted
	SubjectPointsExpiring = memberv1.SubjectPointsExpiring
)

// Start consumes the order and member events the notifier acts on. The
// producers own the streams; declaring them here (same settings) lets the
// messaging service start first.
func Start(ctx context.Context, js jetstream.JetStream, n *app.Notifier, forget Forget, log *slog.Logger) (stop func(), err error) {
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	if err := natsx.EnsureStream(ctx, js, memberStream, []string{memberStreamSubjects}); err != nil {
		return nil, err
	}
	stopOrders, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableOrders, Logger: log,
		Subjects: []string{orderv1.SubjectPaid, orderv1.SubjectShipped, orderv1.SubjectReceived, orderv1.SubjectRefunded}}, Handler(n, forget))
	if err != nil {
		return nil, err
	}
	stopMembers, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: memberStream, Durable: DurableMembers, Logger: log,
		Subjects: []string{SubjectLevelChanged, SubjectDeleted, SubjectPointsExpiring}}, Handler(n, forget))
	if err != nil {
		stopOrders()
		return nil, err
	}
	if err := natsx.EnsureStream(ctx, js, marketingv1.Stream, []string{marketingv1.StreamSubjects}); err != nil {
		stopOrders()
		stopMembers()
		return nil, err
	}
	stopMarketing, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: marketingv1.Stream, Durable: DurableMarketing, Logger: log,
		Subjects: []string{marketingv1.SubjectCouponsExpiring, marketingv1.SubjectGroupBuySettled}}, Handler(n, forget))
	if err != nil {
		stopOrders()
		stopMembers()
		return nil, err
	}
	return func() { stopOrders(); stopMembers(); stopMarketing() }, nil
}

// shanghai is where the shop's members read dates.
var shanghai = time.FixedZone("CST", 8*3600)

// yuan formats fen as yuan with two decimals: 12800 → "128.00".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// Translate turns one message into the notifier's event; ok is false for a
// subject the service does not notify.
func Translate(m natsx.Message) (e app.Event, ok bool, err error) {
	switch m.Subject {
	case orderv1.SubjectPaid:
		var p orderv1.OrderPaid
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventOrderPaid, MemberID: p.GetMemberId(), Vars: map[string]string{"order_id": p.GetOrderId(), "amount": yuan(p.GetPaidFen())}}
	case orderv1.SubjectShipped:
		var p orderv1.OrderShipped
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventOrderShipped, MemberID: p.GetMemberId(),
			Vars: map[string]string{"order_id": p.GetOrderId(), "carrier": p.GetCarrier(), "tracking_number": p.GetTrackingNumber()}}
	case orderv1.SubjectReceived:
		var p orderv1.OrderReceived
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventOrderReceived, MemberID: p.GetMemberId(), Vars: map[string]string{"order_id": p.GetOrderId()}}
	case orderv1.SubjectRefunded:
		var p orderv1.OrderRefunded
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventOrderRefunded, MemberID: p.GetMemberId(),
			Vars: map[string]string{"order_id": p.GetOrderId(), "refund_amount": yuan(p.GetRefundFen())}}
	case SubjectLevelChanged:
		var p memberv1.MemberLevelChanged
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventMemberLevelChange, MemberID: p.GetMemberId(),
			Vars: map[string]string{"tier_id": p.GetTierId(), "previous_tier_id": p.GetPreviousTierId()}}
	case SubjectPointsExpiring:
		var p memberv1.MemberPointsExpiring
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventPointsExpiring, MemberID: p.GetMemberId(),
			Vars: map[string]string{"points": strconv.FormatInt(p.GetPoints(), 10), "expires_at": p.GetExpiresAt().AsTime().In(shanghai).Format("1月2日 15:04")}}
	case marketingv1.SubjectGroupBuySettled:
		var p marketingv1.GroupBuySettled
		err = proto.Unmarshal(m.Data, &p)
		typ := domain.EventGroupFailed
		if p.GetSucceeded() {
			typ = domain.EventGroupSucceeded
		}
		e = app.Event{ID: p.GetEventId(), Type: typ, MemberID: p.GetMemberId(), Vars: map[string]string{"order_id": p.GetOrderId(), "group_id": p.GetGroupId()}}
	case marketingv1.SubjectCouponsExpiring:
		var p marketingv1.CouponsExpiring
		err = proto.Unmarshal(m.Data, &p)
		e = app.Event{ID: p.GetEventId(), Type: domain.EventCouponExpiring, MemberID: p.GetMemberId(),
			Vars: map[string]string{"coupon_name": p.GetCouponName(), "expires_at": p.GetExpiresAt().AsTime().In(shanghai).Format("1月2日 15:04")}}
	default:
		return app.Event{}, false, nil
	}
	if err != nil {
		return app.Event{}, false, err
	}
	if e.ID == "" {
		e.ID = m.ID // the Nats-Msg-Id header carries the same id
	}
	return e, true, nil
}

// Forget deletes what the service keeps about a member who deleted their account.
type Forget func(ctx context.Context, memberID string) error

// Handler hands each event to the notifier. A malformed payload or one
// without a member is parked at once; anything else the notifier fails on
// is retried by redelivery, which the deliveries' ids make harmless.
func Handler(n *app.Notifier, forget Forget) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		if m.Subject == SubjectDeleted {
			var d memberv1.MemberDeleted
			if err := proto.Unmarshal(m.Data, &d); err != nil || d.GetMemberId() == "" {
				return natsx.Permanent(fmt.Errorf("%s without a member: %v", m.Subject, err))
			}
			return forget(ctx, d.GetMemberId())
		}
		e, ok, err := Translate(m)
		if err != nil {
			return natsx.Permanent(fmt.Errorf("%s: %w", m.Subject, err))
		}
		if !ok {
			return nil
		}
		if e.MemberID == "" || e.ID == "" {
			return natsx.Permanent(errors.New(m.Subject + " without a member or event id"))
		}
		return n.Handle(ctx, e)
	}
}
