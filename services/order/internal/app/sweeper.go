package app

import (
	"context"
	"errors"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/events"
)

// Sweeper acts on orders whose deadline passed. Deadlines live in the
// order documents, so they survive restarts; every instance may sweep, and
// each action is a compare-and-set on the order's version, so exactly one
// instance's change lands (the releases and confirmations it calls first
// are idempotent downstream, so a loser repeating them changes nothing).
type Sweeper struct {
	store     OrderStore
	inventory Inventory
	members   Members
	coupons   domain.Promotions
	payments  *Payments
	timing    domain.Timing
	clk       clock.Clock
}

// NewSweeper builds the sweeper.
func NewSweeper(store OrderStore, inventory Inventory, members Members, coupons domain.Promotions, payments *Payments, timing domain.Timing, clk clock.Clock) *Sweeper {
	return &Sweeper{store: store, inventory: inventory, members: members, coupons: coupons, payments: payments, timing: timing, clk: clk}
}

// reconcileGrace is how long past the payment deadline an unpaid order
// waits for a provider that cannot be asked.
const reconcileGrace = 10 * time.Minute

// sweepBatch bounds one pass.
const sweepBatch = 200

// Sweep acts on every order due now and reports how many it changed. It
// goes on past a failing order and returns the first error.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	due, err := s.store.Due(ctx, s.clk.Now(), sweepBatch)
	if err != nil {
		return 0, err
	}
	var first error
	n := 0
	for _, o := range due {
		err := s.act(ctx, o)
		if errors.Is(err, ErrStale) {
			continue // another instance or a request acted first
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		n++
	}
	return n, first
}

func (s *Sweeper) act(ctx context.Context, o domain.Order) error {
	a, ok := o.DueAction(s.clk.Now())
	if !ok {
		return nil
	}
	switch a {
	case domain.ActionRelease:
		return release(ctx, s.store, s.inventory, s.members, s.coupons, o, s.clk)
	case domain.ActionConfirmPoints:
		return confirmPoints(ctx, s.store, s.members, o, s.clk, s.timing)
	case domain.ActionSettleRefund:
		_, err := s.payments.Settle(ctx, o)
		return err
	case domain.ActionRestock:
		return restock(ctx, s.store, s.inventory, o, s.clk, s.timing)
	case domain.ActionFail:
		o.FailReason, o.FailMsg = domain.ReasonServiceBusy, "placing the order did not finish in time: try again"
	case domain.ActionCancel:
		// A provider that cannot be asked holds the cancellation back for a
		// while; after that the order is cancelled anyway, since a payment
		// landing later is refunded automatically.
		paid, err := s.payments.Reconcile(ctx, o)
		if paid || (err != nil && s.clk.Now().Sub(o.PayDeadline) < reconcileGrace) {
			return err
		}
		o.CancelledBy, o.CancelReason = "deadline", "not paid in time"
	case domain.ActionReceive:
		o.AutoReceived = true
	}
	if err := o.Do(a, s.clk.Now(), s.timing); err != nil {
		return err
	}
	evs, err := events.For(ctx, o, a)
	if err != nil {
		return err
	}
	saved, err := s.store.Update(ctx, o, evs...)
	if err != nil {
		return err
	}
	return release(ctx, s.store, s.inventory, s.members, s.coupons, saved, s.clk)
}
