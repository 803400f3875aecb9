// Package consumers applies other services' events to the product service:
// a paid order sells the stock its reservation holds.
package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
)

// The durable consumer of paid orders.
const (
	DurableStock = "product-stock"
)

// StartOrders consumes paid orders with a durable consumer.
func StartOrders(ctx context.Context, js jetstream.JetStream, inventory *app.Inventory, log *slog.Logger) (stop func(), err error) {
	// The order service owns the stream; declaring it here (same settings)
	// lets the product service start first.
	if err := natsx.EnsureStream(ctx, js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		return nil, err
	}
	return natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: orderv1.Stream, Durable: DurableStock, Subjects: []string{orderv1.SubjectPaid}, Logger: log},
		Handler(inventory, log))
}

// Handler confirms the reservation of a paid order. Confirming is
// idempotent, so a redelivered event changes nothing. An order that
// reserved nothing here is skipped; a paid order whose reservation was
// released or expired cannot be sold from it and is parked on the
// dead-letter stream for an operator, since retrying cannot help.
func Handler(inventory *app.Inventory, log *slog.Logger) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		if m.Subject != orderv1.SubjectPaid {
			return nil
		}
		var e orderv1.OrderPaid
		if err := proto.Unmarshal(m.Data, &e); err != nil {
			return natsx.Permanent(fmt.Errorf("order paid: %w", err))
		}
		if e.GetOrderId() == "" {
			return natsx.Permanent(errors.New("order paid without an order id"))
		}
		_, err := inventory.ConfirmReservation(ctx, e.GetOrderId())
		var de *domain.Error
		switch {
		case err == nil:
			return nil
		case errors.As(err, &de) && de.Reason == domain.ErrReservationNotFound.Reason:
			return nil
		case errors.As(err, &de) && de.Reason == domain.ErrReservationPending.Reason:
			return err // still being placed: retry later
		case errors.As(err, &de):
			log.Warn("paid order cannot take its reserved stock", "order_id", e.GetOrderId(), "reason", de.Reason)
			return natsx.Permanent(err)
		}
		return err
	}
}
