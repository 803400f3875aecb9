// Package events follows what other services publish: orders' payments,
// cancellations and refunds move coupons along; members' registrations
// bring new-member gifts and deletions forget wallets.
package events

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/marketing/internal/app"
)

// Durable consumers of the service.
const (
	DurableOrders  = "marketing-coupons-orders"
	DurableMembers = "marketing-coupons-members"
)

// Start consumes order and member events. The producers own the streams;
// declaring them here (same settings) lets marketing start first.
func Start(ctx context.Context, js jetstream.JetStream, checkout *app.Checkout, welcome *app.Welcome, log *slog.Logger) (stop func(), err error) {
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	if err := natsx.EnsureStream(ctx, js, memberv1.Stream, []string{memberv1.StreamSubjects}); err != nil {
		return nil, err
	}
	stopOrders, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableOrders, Logger: log,
		Subjects: []string{orderv1.SubjectPaid, orderv1.SubjectCancelled, orderv1.SubjectRefunded}}, Orders(checkout))
	if err != nil {
		return nil, err
	}
	stopMembers, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: memberv1.Stream, Durable: DurableMembers, Logger: log,
		Subjects: []string{memberv1.SubjectRegistered, memberv1.SubjectDeleted}}, Members(welcome))
	if err != nil {
		stopOrders()
		return nil, err
	}
	return func() { stopOrders(); stopMembers() }, nil
}

// orderEvent is what every order event the service reads carries.
type orderEvent interface {
	proto.Message
	GetOrderId() string
	GetMemberId() string
}

// Orders moves coupons and activity places along with their orders. Every
// step is idempotent by order id, so redeliveries are harmless; a
// malformed event is parked, a rule fault is permanent and anything else
// is retried.
func Orders(c *app.Checkout) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		var (
			e    orderEvent
			step func(ctx context.Context) error
		)
		switch m.Subject {
		case orderv1.SubjectPaid:
			p := &orderv1.OrderPaid{}
			e, step = p, func(ctx context.Context) error {
				var discounts []app.PaidDiscount
				for _, d := range p.GetDiscounts() {
					discounts = append(discounts, app.PaidDiscount{Kind: d.GetSource(), ID: d.GetId(), OffFen: d.GetAmountFen()})
				}
				return c.Paid(ctx, p.GetMemberId(), p.GetOrderId(), p.GetPaidFen(), discounts)
			}
		case orderv1.SubjectCancelled:
			x := &orderv1.OrderCancelled{}
			e, step = x, func(ctx context.Context) error { return c.Cancelled(ctx, x.GetMemberId(), x.GetOrderId()) }
		case orderv1.SubjectRefunded:
			r := &orderv1.OrderRefunded{}
			e, step = r, func(ctx context.Context) error {
				if !r.GetOrderFullyRefunded() {
					return nil // a partial refund keeps the coupons spent
				}
				return c.Refunded(ctx, r.GetMemberId(), r.GetOrderId())
			}
		default:
			return nil
		}
		if err := proto.Unmarshal(m.Data, e); err != nil || e.GetOrderId() == "" || e.GetMemberId() == "" {
			return natsx.Permanent(fmt.Errorf("%s without an order or member: %v", m.Subject, err))
		}
		return natsx.ByRule(step(ctx))
	}
}

// Members gives new members their gifts and forgets deleted ones.
func Members(w *app.Welcome) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		switch m.Subject {
		case memberv1.SubjectRegistered:
			var e memberv1.MemberRegistered
			if err := proto.Unmarshal(m.Data, &e); err != nil || e.GetMemberId() == "" {
				return natsx.Permanent(fmt.Errorf("%s without a member: %v", m.Subject, err))
			}
			return natsx.ByRule(w.Registered(ctx, e.GetMemberId()))
		case memberv1.SubjectDeleted:
			var e memberv1.MemberDeleted
			if err := proto.Unmarshal(m.Data, &e); err != nil || e.GetMemberId() == "" {
				return natsx.Permanent(fmt.Errorf("%s without a member: %v", m.Subject, err))
			}
			return w.Deleted(ctx, e.GetMemberId())
		}
		return nil
	}
}
