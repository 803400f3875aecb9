// Package consumers turns other services' events into notifications.
package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// DurableOrders is the consumer of order events that notifies shoppers.
const DurableOrders = "messaging-orders"

// StartOrders notifies members of their orders' payments, shipments and
// refunds.
func StartOrders(ctx context.Context, js jetstream.JetStream, n *app.Notifier, log *slog.Logger) (func(), error) {
	// The order service may start later: the stream is declared with the
	// order service's settings, so whoever comes first creates the same one.
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	return natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableOrders,
		Subjects: []string{orderv1.SubjectPaid, orderv1.SubjectShipped, orderv1.SubjectRefunded}, Logger: log}, OrderHandler(n))
}

// yuan writes fen as yuan with two decimals.
func yuan(fen int64) string {
	return strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
}

func title(lines []*orderv1.OrderLine) string {
	if len(lines) == 0 {
		return "订单商品"
	}
	t := []rune(lines[0].GetTitle())
	if len(t) > 14 {
		t = append(t[:13], '…')
	}
	if len(lines) > 1 {
		return string(t) + " 等"
	}
	return string(t)
}

// OrderHandler maps one order event to a notice.
func OrderHandler(n *app.Notifier) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		var notice app.Notice
		switch m.Subject {
		case orderv1.SubjectPaid:
			var e orderv1.OrderPaid
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order paid: %w", err))
			}
			notice = app.Notice{EventID: e.GetEventId(), EventType: domain.EventOrderPaid, MemberID: e.GetMemberId(), At: e.GetOccurredAt().AsTime(),
				Vars: map[string]string{"order_id": e.GetOrderId(), "amount": yuan(e.GetPaidFen()), "title": title(e.GetLines())}}
		case orderv1.SubjectShipped:
			var e orderv1.OrderShipped
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order shipped: %w", err))
			}
			notice = app.Notice{EventID: e.GetEventId(), EventType: domain.EventOrderShipped, MemberID: e.GetMemberId(), At: e.GetOccurredAt().AsTime(),
				Vars: map[string]string{"order_id": e.GetOrderId(), "amount": "", "title": title(e.GetLines()), "carrier": e.GetCarrier(), "tracking_no": e.GetTrackingNumber()}}
		case orderv1.SubjectRefunded:
			var e orderv1.OrderRefunded
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order refunded: %w", err))
			}
			notice = app.Notice{EventID: e.GetEventId(), EventType: domain.EventOrderRefunded, MemberID: e.GetMemberId(), At: e.GetOccurredAt().AsTime(),
				Vars: map[string]string{"order_id": e.GetOrderId(), "amount": yuan(e.GetRefundFen()), "title": title(e.GetLines())}}
		default:
			return nil
		}
		if notice.EventID == "" {
			return natsx.Permanent(errors.New("order event without an event id"))
		}
		return natsx.ByRule(n.Notify(ctx, notice))
	}
}
