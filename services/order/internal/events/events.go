// Package events turns order transitions into the contract's events
// (proto/siyu/order/v1/events.proto). Event ids are the order id and the
// event name, so a transition repeated after a crash publishes an event
// JetStream already has, and the server drops it.
package events

import (
	"context"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/domain"
)

// Stream and subjects of the service's own stream.
var (
	Stream   = orderv1.Stream
	Subjects = []string{orderv1.StreamSubjects}
)

// For returns the events a transition by a publishes.
func For(ctx context.Context, o domain.Order, a domain.Action) ([]natsx.Event, error) {
	at := timestamppb.New(o.UpdatedAt)
	lines := Lines(o)
	var (
		subject string
		msg     proto.Message
	)
	switch a {
	case domain.ActionPlaced:
		subject = orderv1.SubjectCreated
		msg = &orderv1.OrderCreated{EventId: eventID(o, orderv1.SubjectCreated), OccurredAt: at, OrderId: o.ID, MemberId: o.MemberID, TotalFen: o.TotalFen,
			PointsUsed: o.PointsUsed, Lines: lines, Discounts: Discounts(o), PromotionIds: promotionIDs(o), Channel: o.Channel, PayDeadline: timestamppb.New(o.PayDeadline)}
	case domain.ActionPay:
		subject = orderv1.SubjectPaid
		msg = &orderv1.OrderPaid{EventId: eventID(o, orderv1.SubjectPaid), OccurredAt: at, OrderId: o.ID, MemberId: o.MemberID, PaidFen: o.PaidFen, PointsUsed: o.PointsUsed,
			Lines: lines, Promotions: promotionKinds(o), Channel: o.Channel, Discounts: Discounts(o), PromotionIds: promotionIDs(o),
			PaymentProvider: o.Provider, PaymentId: o.PaymentID}
	case domain.ActionCancel:
		subject = orderv1.SubjectCancelled
		msg = &orderv1.OrderCancelled{EventId: eventID(o, orderv1.SubjectCancelled), OccurredAt: at, OrderId: o.ID, MemberId: o.MemberID, CancelledBy: o.CancelledBy,
			Reason: o.CancelReason, TotalFen: o.TotalFen, PointsUsed: o.PointsUsed, Lines: lines, PromotionIds: promotionIDs(o)}
	case domain.ActionShip:
		subject = orderv1.SubjectShipped
		msg = &orderv1.OrderShipped{EventId: eventID(o, orderv1.SubjectShipped), OccurredAt: at, OrderId: o.ID, MemberId: o.MemberID, Carrier: o.Carrier, TrackingNumber: o.TrackingNo, Lines: lines}
	case domain.ActionReceive:
		subject = orderv1.SubjectReceived
		msg = &orderv1.OrderReceived{EventId: eventID(o, orderv1.SubjectReceived), OccurredAt: at, OrderId: o.ID, MemberId: o.MemberID, Lines: lines, Automatic: o.AutoReceived}
	case domain.ActionComplete:
		subject = orderv1.SubjectCompleted
		msg = &orderv1.OrderCompleted{EventId: eventID(o, orderv1.SubjectCompleted), OccurredAt: at, OrderId: o.ID, MemberId: o.MemberID, Lines: lines}
	default:
		return nil, nil
	}
	e, err := natsx.NewEvent(ctx, subject, eventID(o, subject), msg)
	if err != nil {
		return nil, err
	}
	return []natsx.Event{e}, nil
}

// Lines are the order's lines as events carry them.
func Lines(o domain.Order) []*orderv1.OrderLine {
	out := make([]*orderv1.OrderLine, 0, len(o.Lines))
	for _, l := range o.Lines {
		out = append(out, &orderv1.OrderLine{LineId: l.LineID, ProductId: l.ProductID, SkuId: l.SKUID, CategoryId: l.CategoryID, Quantity: l.Quantity,
			UnitPriceFen: l.PayableFen / l.Quantity, PayableFen: l.PayableFen, Title: l.Title, ListUnitPriceFen: l.UnitPriceFen, Discounts: lineDiscounts(l.PricedLine)})
	}
	return out
}

func lineDiscounts(l domain.PricedLine) []*orderv1.Discount {
	var out []*orderv1.Discount
	for src, fen := range l.Discounts {
		if fen > 0 {
			out = append(out, &orderv1.Discount{Source: string(src), AmountFen: fen})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// Discounts are the order-level discounts by source: member level and
// points, and each promotion with its id.
func Discounts(o domain.Order) []*orderv1.Discount {
	var level, points int64
	for _, l := range o.Lines {
		level += l.Discounts[domain.SourceMemberLevel]
		points += l.Discounts[domain.SourcePoints]
	}
	var out []*orderv1.Discount
	if level > 0 {
		out = append(out, &orderv1.Discount{Source: string(domain.SourceMemberLevel), AmountFen: level})
	}
	for _, p := range o.Promotions {
		out = append(out, &orderv1.Discount{Source: string(p.Kind), Id: p.ID, AmountFen: p.AmountFen})
	}
	if points > 0 {
		out = append(out, &orderv1.Discount{Source: string(domain.SourcePoints), AmountFen: points})
	}
	return out
}

func promotionIDs(o domain.Order) []string {
	var out []string
	for _, p := range o.Promotions {
		out = append(out, p.ID)
	}
	return out
}

func promotionKinds(o domain.Order) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range o.Promotions {
		if !seen[string(p.Kind)] {
			seen[string(p.Kind)] = true
			out = append(out, string(p.Kind))
		}
	}
	return out
}

// eventID is the order id and the event name (".paid"): at most one of
// each per order, so JetStream drops a repeat after a crash.
func eventID(o domain.Order, subject string) string {
	return o.ID + strings.TrimPrefix(subject, "siyu.order")
}

// Refunded is the event of one refund: its lines with the refunded units,
// its money and what the order paid, so consumers reverse proportionally.
func Refunded(ctx context.Context, o domain.Order, r domain.Refund) (natsx.Event, error) {
	id := o.ID + ".refunded." + r.ID
	var lines []*orderv1.OrderLine
	for _, rl := range r.Lines {
		for _, l := range o.Lines {
			if l.LineID == rl.LineID {
				lines = append(lines, &orderv1.OrderLine{LineId: l.LineID, ProductId: l.ProductID, SkuId: l.SKUID, CategoryId: l.CategoryID, Quantity: rl.Quantity,
					UnitPriceFen: rl.Fen / rl.Quantity, PayableFen: rl.Fen, Title: l.Title, ListUnitPriceFen: l.UnitPriceFen})
			}
		}
	}
	// Fully refunded once the settled refunds, this one included, return
	// all that was paid (marketing then gives the coupons back).
	var settled int64
	for _, x := range o.Refunds {
		if x.Settled || x.ID == r.ID {
			settled += x.Fen
		}
	}
	return natsx.NewEvent(ctx, orderv1.SubjectRefunded, id, &orderv1.OrderRefunded{EventId: id, OccurredAt: timestamppb.New(r.At), OrderId: o.ID,
		MemberId: o.MemberID, RefundId: r.ID, RefundFen: r.Fen, PaidFen: o.PaidFen, Lines: lines,
		OrderFullyRefunded: o.PaidFen > 0 && settled >= o.PaidFen, PromotionIds: promotionIDs(o)})
}
