package app

import (
	"context"

	"siyu.dev/services/marketing/internal/domain"
)

// Results are what an activity's orders came to: orders placed through it
// (flash sales), and the paid ones, what they paid and what the activity
// took off them.
type Results struct {
	Orders, Paid, PaidFen, DiscountFen int64
}

// ResultStore keeps activities' results by activity id.
type ResultStore interface {
	// Claim marks an order as counted; false when it was before.
	Claim(ctx context.Context, orderID string) (bool, error)
	Add(ctx context.Context, activityID string, r Results) error
	Results(ctx context.Context, activityID string) (Results, error)
}

// PaidDiscount is one promotion's part of a paid order.
type PaidDiscount struct {
	Kind   string
	ID     string
	OffFen int64
}

// countPaid adds a paid order to the results of the coupon templates and
// discounts, group-buys and bargains it used, once per order (the claim
// comes first: a crash loses a count rather than doubling it). Flash sales
// count their own, orders placed included.
func (c *Checkout) countPaid(ctx context.Context, memberID, orderID string, paidFen int64, discounts []PaidDiscount, held *Hold) error {
	by := map[string]int64{}
	var order []string
	var w *domain.Wallet
	for _, d := range discounts {
		id := d.ID
		switch domain.PromotionKind(d.Kind) {
		case domain.KindCoupon:
			if w == nil {
				wl, err := c.wallets.Wallet(ctx, memberID)
				if err != nil {
					return err
				}
				w = &wl
			}
			id = ""
			if cp, ok := w.Coupon(d.ID); ok {
				id = cp.TemplateID
			}
		case domain.KindTimedPrice, domain.KindFullReduction:
		case domain.KindGroupBuy, domain.KindBargain:
			// Counted under the activity, not the group or bargain.
			id = ""
			if held != nil && held.Activity.Kind == domain.PromotionKind(d.Kind) {
				id = held.Activity.ID
			}
		default:
			continue
		}
		if id == "" {
			continue
		}
		if _, ok := by[id]; !ok {
			order = append(order, id)
		}
		by[id] += d.OffFen
	}
	if len(order) == 0 {
		return nil
	}
	first, err := c.results.Claim(ctx, orderID)
	if err != nil || !first {
		return err
	}
	for _, id := range order {
		if err := c.results.Add(ctx, id, Results{Paid: 1, PaidFen: paidFen, DiscountFen: by[id]}); err != nil {
			return err
		}
	}
	return nil
}
