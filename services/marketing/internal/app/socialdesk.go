package app

import (
	"context"
	"log/slog"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/domain"
)

// Refunder has the order service act on group-buy orders (service-only,
// idempotent): refund one in full, or let one ship.
type Refunder interface {
	RefundFor(ctx context.Context, orderID, requestID, reason string) error
	ReleaseGroupOrder(ctx context.Context, orderID string) error
}

// oneLine checks an activity's order line: one line of the activity's SKU.
func oneLine(lines []domain.Line, skuID string) (domain.Line, error) {
	if len(lines) != 1 || (skuID != "" && lines[0].LineID != skuID) || lines[0].Quantity < 1 {
		return domain.Line{}, fault.New(fault.Invalid, domain.ReasonActivitySKUExcluded, "an activity buys one line of its SKU", "sku_id", skuID)
	}
	return lines[0], nil
}

// GroupDesk is group-buy at checkout: it prices a line at the group price,
// opens or joins a group when the order is placed, leaves it when the
// order is cancelled, and hands settled groups to the order service.
type GroupDesk struct {
	groups  *GroupBuys
	refunds Refunder
	events  Publisher
	log     *slog.Logger
}

// NewGroupDesk builds the group-buy desk.
func NewGroupDesk(groups *GroupBuys, refunds Refunder, events Publisher, log *slog.Logger) *GroupDesk {
	if log == nil {
		log = slog.Default()
	}
	return &GroupDesk{groups: groups, refunds: refunds, events: events, log: log}
}

// Price takes the line to the group price: a new group's (ref empty) or
// the group's the member joins.
func (d *GroupDesk) Price(ctx context.Context, memberID string, a Activity, lines []domain.Line) (domain.Applied, error) {
	l, err := oneLine(lines, a.SKUID)
	if err != nil {
		return domain.Applied{}, err
	}
	act, err := d.groups.Activity(ctx, a.ID)
	if err != nil {
		return domain.Applied{}, err
	}
	if a.Ref != "" {
		g, err := d.groups.Group(ctx, a.Ref)
		if err != nil || g.ActivityID != act.ID {
			return domain.Applied{}, errGroupNotFound
		}
		// A refusal the group shows now (full, closed, the member in it
		// already) is answered at the quote rather than at placing.
		if _, in := g.Member(memberID); !in {
			if _, err := g.Join(memberID, "quote", d.groups.clk.Now()); err != nil {
				return domain.Applied{}, err
			}
		}
	} else if err := act.Active(d.groups.clk.Now()); err != nil {
		return domain.Applied{}, err
	}
	price, err := act.Price(l.LineID)
	if err != nil {
		return domain.Applied{}, err
	}
	return domain.Applied{ID: a.Ref, OffFen: max(0, l.UnitPriceFen-price) * l.Quantity, LineIDs: []string{l.LineID}}, nil
}

// Hold opens the member's group (answering its id) or seats them in one.
func (d *GroupDesk) Hold(ctx context.Context, memberID, orderID string, a Activity) (Activity, error) {
	if a.Ref == "" {
		seat, err := d.groups.Open(ctx, memberID, a.ID, a.SKUID, orderID)
		if err != nil {
			return a, err
		}
		a.Ref = seat.Group.ID
		return a, nil
	}
	_, err := d.groups.Join(ctx, memberID, a.Ref, a.SKUID, orderID)
	return a, err
}

// Release frees the seat of an order cancelled before payment.
func (d *GroupDesk) Release(ctx context.Context, memberID, orderID string, a Activity) error {
	if a.Ref == "" {
		return nil
	}
	_, err := d.groups.Leave(ctx, a.Ref, memberID, orderID)
	if fault.ReasonOf(err) == domain.ReasonGroupNotFound {
		return nil
	}
	return err
}

// Paid counts the payment; a group it completes, or one that failed
// before it came, is handed off at once.
func (d *GroupDesk) Paid(ctx context.Context, memberID, orderID string, a Activity, _, _ int64) error {
	s, err := d.groups.Paid(ctx, a.Ref, memberID, orderID)
	if err != nil {
		return err
	}
	return d.handOff(ctx, s)
}

// Sweep settles groups whose time is up and hands off every settled group
// with orders still to report; it returns how many groups it saw.
func (d *GroupDesk) Sweep(ctx context.Context, limit int) (int, error) {
	settled, err := d.groups.Sweep(ctx, limit)
	for _, s := range settled {
		if herr := d.handOff(ctx, s); herr != nil && err == nil {
			err = herr
		}
	}
	return len(settled), err
}

// handOff lets a succeeded group's orders ship or has a failed group's
// orders refunded, tells each paid member how their group ended, then
// records the orders reported. Event ids and
// refund request ids derive from group and order, so a repeat after a
// crash sends nothing twice.
func (d *GroupDesk) handOff(ctx context.Context, s Settled) error {
	orders := append(append([]string{}, s.Fulfil...), s.Refunds...)
	if len(orders) == 0 {
		return nil
	}
	succeeded := len(s.Fulfil) > 0
	for _, orderID := range orders {
		var err error
		if succeeded {
			err = d.refunds.ReleaseGroupOrder(ctx, orderID)
		} else {
			err = d.refunds.RefundFor(ctx, orderID, "group-"+s.Group.ID, "拼团未成团，自动退款")
		}
		if err != nil {
			return err
		}
		memberID := ""
		for _, m := range s.Group.Members {
			if m.OrderID == orderID {
				memberID = m.MemberID
			}
		}
		id := "group-" + s.Group.ID + "-" + orderID
		e, err := natsx.NewEvent(ctx, marketingv1.SubjectGroupBuySettled, id, &marketingv1.GroupBuySettled{EventId: id,
			OccurredAt: timestamppb.New(d.groups.clk.Now()), MemberId: memberID, GroupId: s.Group.ID, GroupBuyId: s.Group.ActivityID,
			Succeeded: succeeded, OrderId: orderID})
		if err != nil {
			return err
		}
		if err := d.events.Publish(ctx, e); err != nil {
			return err
		}
	}
	if _, err := d.groups.Reported(ctx, s.Group.ID, orders); err != nil {
		return err
	}
	d.log.InfoContext(ctx, "group-buy settled", "group_id", s.Group.ID, "succeeded", succeeded, "orders", len(orders))
	return nil
}

// BargainDesk is bargain at checkout: the starter buys at the price the
// helpers reached, and the order holds that price while it waits.
type BargainDesk struct{ bargains *Bargains }

// NewBargainDesk builds the bargain desk.
func NewBargainDesk(bargains *Bargains) *BargainDesk { return &BargainDesk{bargains: bargains} }

// Price takes the line to the bargain's price now.
func (d *BargainDesk) Price(ctx context.Context, memberID string, a Activity, lines []domain.Line) (domain.Applied, error) {
	b, err := d.bargains.Get(ctx, a.Ref)
	if err != nil {
		return domain.Applied{}, err
	}
	if b.StarterID != memberID || b.ActivityID != a.ID {
		return domain.Applied{}, errBargainNotFound
	}
	if b.Status == domain.BargainExpired {
		return domain.Applied{}, fault.New(fault.Precondition, domain.ReasonBargainExpired, "the bargain's time is up", "bargain_id", b.ID)
	}
	l, err := oneLine(lines, b.SKUID)
	if err != nil || l.Quantity != 1 {
		return domain.Applied{}, fault.New(fault.Invalid, domain.ReasonActivitySKUExcluded, "a bargain buys one unit of its SKU", "sku_id", b.SKUID)
	}
	return domain.Applied{ID: b.ID, OffFen: max(0, l.UnitPriceFen-b.PriceFen), LineIDs: []string{l.LineID}}, nil
}

// Hold locks the bargain's price for the order.
func (d *BargainDesk) Hold(ctx context.Context, memberID, orderID string, a Activity) (Activity, error) {
	_, err := d.bargains.Lock(ctx, a.Ref, memberID, orderID)
	return a, err
}

// Release lets the bargain go again.
func (d *BargainDesk) Release(ctx context.Context, _, orderID string, a Activity) error {
	_, err := d.bargains.Release(ctx, a.Ref, orderID)
	return err
}

// Paid needs nothing more: the order holds the bargain for good.
func (d *BargainDesk) Paid(context.Context, string, string, Activity, int64, int64) error { return nil }
