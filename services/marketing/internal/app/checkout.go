package app

import (
	"context"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Checkout prices, locks and releases coupons for the order service, and
// follows orders' events: paid spends the coupons, cancelled gives them
// back, a refund of the whole order returns them while they are valid.
type Checkout struct {
	wallets  Wallets
	settings Settings
	clk      clock.Clock
}

// NewCheckout builds the checkout coupon use cases.
func NewCheckout(wallets Wallets, settings Settings, clk clock.Clock) *Checkout {
	return &Checkout{wallets: wallets, settings: settings, clk: clk}
}

// maxOrderCoupons bounds the coupons one order names.
const maxOrderCoupons = 10

func needMember(memberID string) error {
	if memberID == "" {
		return fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "member_id is required", "field", "member_id")
	}
	return nil
}

// Price says what coupons take off the lines: the ones named, or the best
// combination of the member's coupons.
func (c *Checkout) Price(ctx context.Context, memberID string, lines []domain.Line, couponIDs []string, best bool) (domain.Choice, error) {
	if err := needMember(memberID); err != nil {
		return domain.Choice{}, err
	}
	if len(couponIDs) > maxOrderCoupons {
		return domain.Choice{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "an order uses at most 10 coupons", "field", "coupon_ids")
	}
	if len(couponIDs) == 0 && !best {
		return domain.Choice{}, nil
	}
	w, err := c.wallets.Wallet(ctx, memberID)
	if err != nil {
		return domain.Choice{}, err
	}
	now := c.clk.Now()
	if len(couponIDs) == 0 {
		held := make([]domain.Held, len(w.Coupons))
		for i, cp := range w.Coupons {
			held[i] = cp.Held()
		}
		return domain.Best(held, lines, now), nil
	}
	picked, err := w.Pick(couponIDs)
	if err != nil {
		return domain.Choice{}, err
	}
	held := make([]domain.Held, len(picked))
	for i, cp := range picked {
		held[i] = cp.Held()
	}
	return domain.Choose(held, lines, now)
}

// Lock holds the coupons for the order, all or none.
func (c *Checkout) Lock(ctx context.Context, memberID, orderID string, couponIDs []string) error {
	if err := needMember(memberID); err != nil {
		return err
	}
	if orderID == "" || len(couponIDs) == 0 || len(couponIDs) > maxOrderCoupons {
		return fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "an order id and 1 to 10 coupons are required", "field", "coupon_ids")
	}
	_, err := modifyWallet(ctx, c.wallets, memberID, c.settings.RemindBefore, func(w *domain.Wallet) (bool, error) {
		return w.Lock(orderID, couponIDs, c.clk.Now())
	})
	return err
}

// Release gives back what the order locked.
func (c *Checkout) Release(ctx context.Context, memberID, orderID string) error {
	return c.follow(ctx, memberID, orderID, func(w *domain.Wallet) bool { return w.Release(orderID, c.clk.Now()) })
}

// Paid spends what the order locked.
func (c *Checkout) Paid(ctx context.Context, memberID, orderID string) error {
	return c.follow(ctx, memberID, orderID, func(w *domain.Wallet) bool { return w.Use(orderID) })
}

// Refunded returns what the order used, once it is refunded in full.
func (c *Checkout) Refunded(ctx context.Context, memberID, orderID string) error {
	return c.follow(ctx, memberID, orderID, func(w *domain.Wallet) bool { return w.Return(orderID, c.clk.Now()) })
}

func (c *Checkout) follow(ctx context.Context, memberID, orderID string, f func(w *domain.Wallet) bool) error {
	if err := needMember(memberID); err != nil {
		return err
	}
	if orderID == "" {
		return fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "order_id is required", "field", "order_id")
	}
	_, err := modifyWallet(ctx, c.wallets, memberID, c.settings.RemindBefore, func(w *domain.Wallet) (bool, error) { return f(w), nil })
	return err
}
