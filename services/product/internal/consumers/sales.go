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
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
)

// DurableSales counts paid and refunded units per product.
const DurableSales = "product-sales"

// StartSales consumes paid and refunded orders into the sales counters.
func StartSales(ctx context.Context, js jetstream.JetStream, sales *app.Sales, log *slog.Logger) (stop func(), err error) {
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	return natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableSales, Subjects: []string{orderv1.SubjectPaid, orderv1.SubjectRefunded}, Logger: log},
		SalesHandler(sales))
}

// SalesHandler counts an event's lines on the day it happened; the counters
// remember each event per product and day, so a redelivery counts nothing.
func SalesHandler(sales *app.Sales) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		var (
			id    string
			at    time.Time
			lines []*orderv1.OrderLine
			sign  int64
		)
		switch m.Subject {
		case orderv1.SubjectPaid:
			var e orderv1.OrderPaid
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order paid: %w", err))
			}
			id, at, lines, sign = e.GetEventId(), e.GetOccurredAt().AsTime(), e.GetLines(), 1
		case orderv1.SubjectRefunded:
			var e orderv1.OrderRefunded
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("order refunded: %w", err))
			}
			id, at, lines, sign = e.GetEventId(), e.GetOccurredAt().AsTime(), e.GetLines(), -1
		default:
			return nil
		}
		if id == "" {
			return natsx.Permanent(errors.New("order event without an event id"))
		}
		var sl []domain.SaleLine
		for _, l := range lines {
			sl = append(sl, domain.SaleLine{ProductID: l.GetProductId(), Units: l.GetQuantity()})
		}
		return sales.CountSales(ctx, id, domain.SalesDay(at), sl, sign)
	}
}
