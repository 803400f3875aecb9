package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
)

// Subjects and durables of review eligibility and recommendations.
const (
	DurableReviews   = "product-reviews"
	DurableRecommend = "product-recommend"
)

// StartReviews records completed order lines as reviewable, and feeds paid
// and refunded orders to the recommender (co-purchase, sales, hot ranking),
// each with its own durable consumer so one falling behind does not hold
// back the other.
func StartReviews(ctx context.Context, js jetstream.JetStream, reviews *app.Reviews, rec *app.Recommender, log *slog.Logger) (stop func(), err error) {
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	stopReviews, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableReviews, Subjects: []string{orderv1.SubjectCompleted}, Logger: log},
		ReviewHandler(reviews))
	if err != nil {
		return nil, err
	}
	stopRec, err := natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableRecommend, Subjects: []string{orderv1.SubjectPaid, orderv1.SubjectRefunded}, Logger: log},
		RecommendHandler(rec))
	if err != nil {
		stopReviews()
		return nil, err
	}
	return func() { stopReviews(); stopRec() }, nil
}

// occurred is an event's time; zero (meaning "now") when unset.
func occurred(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// ReviewHandler makes a completed order's lines reviewable. Lines are
// stored once each, so a redelivered event changes nothing.
func ReviewHandler(reviews *app.Reviews) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		if m.Subject != orderv1.SubjectCompleted {
			return nil
		}
		var e orderv1.OrderCompleted
		if err := proto.Unmarshal(m.Data, &e); err != nil {
			return natsx.Permanent(fmt.Errorf("order completed: %w", err))
		}
		at := occurred(e.GetOccurredAt())
		lines := make([]domain.ReviewableLine, len(e.GetLines()))
		for i, l := range e.GetLines() {
			lines[i] = domain.ReviewableLine{LineID: l.GetLineId(), ProductID: l.GetProductId(), SkuID: l.GetSkuId(), CompletedAt: at}
		}
		return natsx.ByRule(reviews.OrderCompleted(ctx, e.GetMemberId(), e.GetOrderId(), lines))
	}
}

func purchaseLines(lines []*orderv1.OrderLine) []domain.PurchaseLine {
	out := make([]domain.PurchaseLine, 0, len(lines))
	for _, l := range lines {
		if l.GetProductId() != "" && l.GetQuantity() > 0 {
			out = append(out, domain.PurchaseLine{ProductID: l.GetProductId(), CategoryID: l.GetCategoryId(), Quantity: l.GetQuantity()})
		}
	}
	return out
}

// RecommendHandler stores each paid order and refund once (keyed by order
// and refund id) and applies it to the recommender.
func RecommendHandler(rec *app.Recommender) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		var p domain.Purchase
		switch m.Subject {
		case orderv1.SubjectPaid:
			var e orderv1.OrderPaid
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order paid: %w", err))
			}
			p = domain.Purchase{ID: "paid:" + e.GetOrderId(), OrderID: e.GetOrderId(), MemberID: e.GetMemberId(),
				At: occurred(e.GetOccurredAt()), Lines: purchaseLines(e.GetLines())}
		case orderv1.SubjectRefunded:
			var e orderv1.OrderRefunded
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order refunded: %w", err))
			}
			if e.GetRefundId() == "" {
				return natsx.Permanent(errors.New("order refunded without a refund id"))
			}
			p = domain.Purchase{ID: "refund:" + e.GetOrderId() + ":" + e.GetRefundId(), OrderID: e.GetOrderId(), MemberID: e.GetMemberId(),
				At: occurred(e.GetOccurredAt()), Lines: purchaseLines(e.GetLines()), Refund: true}
		default:
			return nil
		}
		if p.OrderID == "" {
			return natsx.Permanent(errors.New("order event without an order id"))
		}
		return natsx.ByRule(rec.AddPurchase(ctx, p))
	}
}
