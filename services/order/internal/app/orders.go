package app

import (
	"context"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/events"
)

// Orders are the order lifecycle use cases for shoppers and operators.
type Orders struct {
	store     OrderStore
	inventory Inventory
	members   Members
	coupons   domain.Promotions
	timing    domain.Timing
	clk       clock.Clock
}

// NewOrders builds the lifecycle use cases.
func NewOrders(store OrderStore, inventory Inventory, members Members, coupons domain.Promotions, timing domain.Timing, clk clock.Clock) *Orders {
	return &Orders{store: store, inventory: inventory, members: members, coupons: coupons, timing: timing, clk: clk}
}

var errNoOrder = fault.New(fault.NotFound, domain.ReasonOrderNotFound, "no such order")

// Mine returns the member's order; anyone else's is ORDER_NOT_FOUND.
func (s *Orders) Mine(ctx context.Context, memberID, id string) (domain.Order, error) {
	o, err := s.Any(ctx, id)
	if err != nil {
		return o, err
	}
	if o.MemberID != memberID {
		return domain.Order{}, errNoOrder.With("order_id", id)
	}
	return o, nil
}

// Any returns any visible order (operators).
func (s *Orders) Any(ctx context.Context, id string) (domain.Order, error) {
	if id == "" {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonOrderNotFound, "order_id is required", "field", "order_id")
	}
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return o, err
	}
	if !o.Status.Visible() {
		return domain.Order{}, errNoOrder.With("order_id", id)
	}
	return o, nil
}

// List pages through the orders f selects, newest first.
func (s *Orders) List(ctx context.Context, f domain.OrderFilter, after string, limit int) ([]domain.Order, error) {
	if f.MinFen < 0 || f.MaxFen < 0 || (f.MaxFen > 0 && f.MaxFen < f.MinFen) || (!f.To.IsZero() && f.To.Before(f.From)) {
		return nil, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "the ranges of the filter are empty or negative", "field", "filter")
	}
	return s.store.List(ctx, f, after, limit)
}

// Cancel cancels an unpaid order: the order turns CANCELLED first (so a
// payment landing later is refunded rather than selling released stock),
// then stock and points are released. memberID "" is an operator.
func (s *Orders) Cancel(ctx context.Context, memberID, id, by, reason string) (domain.Order, error) {
	if len(reason) > 200 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a reason is at most 200 bytes", "field", "reason")
	}
	o, err := s.transition(ctx, memberID, id, domain.ActionCancel, func(o *domain.Order) (bool, error) {
		if o.Status == domain.StatusCancelled {
			return false, nil
		}
		o.CancelledBy, o.CancelReason = by, reason
		return true, nil
	})
	if err != nil {
		return o, err
	}
	if err := release(ctx, s.store, s.inventory, s.members, s.coupons, o, s.clk); err != nil {
		// The order is cancelled; the sweeper finishes the release.
		return o, nil
	}
	return s.store.Order(ctx, id)
}

// Ship records a parcel of a paid order (want: units per line id, nil for
// every unit still to ship); order.shipped goes out with the parcel that
// leaves nothing to ship. The same parcel again answers the order.
func (s *Orders) Ship(ctx context.Context, id, carrier, tracking string, want map[string]int64) (domain.Order, error) {
	return modify(ctx, s.store, id, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if err := reachable(o, ""); err != nil {
			return nil, false, err
		}
		was := o.Status
		repeat, err := o.Ship(carrier, tracking, want, s.clk.Now(), s.timing)
		if err != nil || repeat {
			return nil, false, err
		}
		if o.Status == was {
			return nil, true, nil
		}
		evs, err := events.For(ctx, *o, domain.ActionShip)
		return evs, true, err
	})
}

// GroupFilled lets a group-buy order ship: its group succeeded. A repeat,
// or an order that waits for nothing, answers the order.
func (s *Orders) GroupFilled(ctx context.Context, id string) (domain.Order, error) {
	return modify(ctx, s.store, id, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if !o.AwaitingGroup {
			return nil, false, nil
		}
		o.AwaitingGroup, o.UpdatedAt = false, s.clk.Now()
		return nil, true, nil
	})
}

// ConfirmReceipt is the shopper confirming delivery; repeats answer the order.
func (s *Orders) ConfirmReceipt(ctx context.Context, memberID, id string) (domain.Order, error) {
	return s.transition(ctx, memberID, id, domain.ActionReceive, func(o *domain.Order) (bool, error) {
		return o.Status != domain.StatusReceived && o.Status != domain.StatusCompleted, nil
	})
}

// reachable is errNoOrder unless o is visible and, for a member (memberID
// not ""), theirs: another member's order is not found, never forbidden.
func reachable(o *domain.Order, memberID string) error {
	if !o.Status.Visible() || (memberID != "" && o.MemberID != memberID) {
		return errNoOrder.With("order_id", o.ID)
	}
	return nil
}

// transition applies a to the order with compare-and-set and its event in
// the outbox. prepare may say the order is already where a repeat would
// put it (false: answer it unchanged). memberID "" skips the ownership
// check (operators and the sweeper).
func (s *Orders) transition(ctx context.Context, memberID, id string, a domain.Action, prepare func(*domain.Order) (bool, error)) (domain.Order, error) {
	return modify(ctx, s.store, id, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if err := reachable(o, memberID); err != nil {
			return nil, false, err
		}
		change, err := prepare(o)
		if err != nil || !change {
			return nil, false, err
		}
		if err := o.Do(a, s.clk.Now(), s.timing); err != nil {
			return nil, false, err
		}
		evs, err := events.For(ctx, *o, a)
		return evs, true, err
	})
}

// OrderUpdate is what an operator changes; nil leaves a field alone.
type OrderUpdate struct {
	Address      *domain.Address
	OperatorNote *string
}

// Update applies an operator's change to an order.
func (s *Orders) Update(ctx context.Context, id string, u OrderUpdate) (domain.Order, error) {
	if u.OperatorNote != nil && len(*u.OperatorNote) > 500 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a note is at most 500 bytes", "field", "operator_note")
	}
	return modify(ctx, s.store, id, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if err := reachable(o, ""); err != nil {
			return nil, false, err
		}
		now := s.clk.Now()
		if u.Address != nil {
			if err := o.ChangeAddress(*u.Address, now); err != nil {
				return nil, false, err
			}
		}
		if u.OperatorNote != nil {
			o.OperatorNote, o.UpdatedAt = *u.OperatorNote, now
		}
		return nil, true, nil
	})
}

// Stats counts one Shanghai day's orders.
func (s *Orders) Stats(ctx context.Context, day string) (domain.Stats, error) {
	day, from, to, err := domain.DayRange(day, s.clk.Now())
	if err != nil {
		return domain.Stats{}, err
	}
	orders, err := s.store.Touched(ctx, from, to)
	if err != nil {
		return domain.Stats{}, err
	}
	return domain.CountDay(day, orders, from, to), nil
}
