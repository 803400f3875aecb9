// Package consumers applies events to the member service's loyalty
// accounts: paid and refunded orders move points, growth and order facts;
// the service's own registrations and logins feed tag rules and segments.
package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/member/internal/app"
)

// The durable consumer of paid and refunded orders.
const (
	DurableLoyalty = "member-loyalty"
)

// StartOrders consumes paid and refunded orders with a durable consumer.
// Handlers are idempotent per order (payments) and per refund id (refunds):
// the account remembers the source ids it applied, in the same write.
func StartOrders(ctx context.Context, js jetstream.JetStream, l *app.Loyalty, log *slog.Logger) (stop func(), err error) {
	// The order service owns the stream; declaring it here (same settings)
	// lets the member service start first.
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	return natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableLoyalty, Subjects: []string{orderv1.SubjectPaid, orderv1.SubjectRefunded}, Logger: log},
		Handler(l))
}

// Handler applies one order event.
func Handler(l *app.Loyalty) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		switch m.Subject {
		case orderv1.SubjectPaid:
			var e orderv1.OrderPaid
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order paid: %w", err))
			}
			if e.GetMemberId() == "" || e.GetOrderId() == "" || e.GetPaidFen() < 0 {
				return natsx.Permanent(errors.New("order paid without member, order or with a negative amount"))
			}
			var at time.Time
			if e.GetOccurredAt() != nil {
				at = e.GetOccurredAt().AsTime()
			}
			return natsx.ByRule(l.OrderPaid(ctx, e.GetMemberId(), e.GetOrderId(), e.GetPaidFen(), at, e.GetPromotions()))
		case orderv1.SubjectRefunded:
			var e orderv1.OrderRefunded
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order refunded: %w", err))
			}
			return natsx.ByRule(l.OrderRefunded(ctx, e.GetMemberId(), e.GetOrderId(), e.GetRefundId(), e.GetRefundFen(), e.GetPaidFen()))
		}
		return nil
	}
}
