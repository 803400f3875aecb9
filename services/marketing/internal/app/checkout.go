package app

import (
	"context"
	"slices"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Activity names the activity an order buys through.
type Activity struct {
	Kind    domain.PromotionKind
	ID, Ref string
	// SKUID is the SKU the order buys through it.
	SKUID string
}

// Desk is one kind of activity at checkout: it prices the activity's
// lines, holds and releases its place for an order, and hears of payment.
type Desk interface {
	Price(ctx context.Context, memberID string, a Activity, lines []domain.Line) (domain.Applied, error)
	// Hold answers the activity as held: an activity can settle its ref
	// there (a new group gets its id).
	Hold(ctx context.Context, memberID, orderID string, a Activity) (Activity, error)
	Release(ctx context.Context, memberID, orderID string, a Activity) error
	Paid(ctx context.Context, memberID, orderID string, a Activity, paidFen, discountFen int64) error
}

// Hold is what an order holds in marketing beyond coupons, by order id,
// so order events find the activity they concern.
type Hold struct {
	OrderID, MemberID string
	Activity          Activity
}

// Holds keeps orders' activity holds by order id.
type Holds interface {
	Put(ctx context.Context, h Hold) error
	// Get is found false when the order holds no activity.
	Get(ctx context.Context, orderID string) (h Hold, found bool, err error)
}

// Checkout prices, holds and releases promotions for the order service,
// and follows orders' events: paid spends coupons and tells the activity,
// cancelled gives everything back, a refund of the whole order returns
// the coupons while they are valid.
type Checkout struct {
	wallets   Wallets
	holds     Holds
	discounts RunningDiscounts
	results   ResultStore
	desks     map[domain.PromotionKind]Desk
	settings  Settings
	clk       clock.Clock
}

// RunningDiscounts are the timed prices and full reductions running now.
type RunningDiscounts interface {
	Running(ctx context.Context) ([]domain.Discount, error)
}

// NewCheckout builds the checkout use cases with a desk per activity kind.
func NewCheckout(wallets Wallets, holds Holds, discounts RunningDiscounts, results ResultStore, desks map[domain.PromotionKind]Desk, settings Settings, clk clock.Clock) *Checkout {
	return &Checkout{wallets: wallets, holds: holds, discounts: discounts, results: results, desks: desks, settings: settings, clk: clk}
}

// maxOrderCoupons bounds the coupons one order names.
const maxOrderCoupons = 10

func needMember(memberID string) error {
	if memberID == "" {
		return fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "member_id is required", "field", "member_id")
	}
	return nil
}

// PriceInput is what an order asks to be priced.
type PriceInput struct {
	MemberID  string
	Lines     []domain.Line
	CouponIDs []string
	Best      bool
	Activity  Activity
}

// Discount is one promotion's part of a price.
type Discount struct {
	Kind    domain.PromotionKind
	ID      string
	OffFen  int64
	LineIDs []string
}

// Priced is what promotions take off an order.
type Priced struct {
	Discounts   []Discount
	MemberLevel bool
}

// desk returns the desk of an activity kind.
func (c *Checkout) desk(a Activity) (Desk, error) {
	d, ok := c.desks[a.Kind]
	if !ok || a.ID == "" {
		return nil, fault.New(fault.Invalid, domain.ReasonActivityInvalid, "an activity needs a known kind and an id", "kind", string(a.Kind))
	}
	return d, nil
}

// Price says what the activity and the coupons (named, or the best ones)
// take off the lines, and whether the member level discount applies.
func (c *Checkout) Price(ctx context.Context, in PriceInput) (Priced, error) {
	if err := needMember(in.MemberID); err != nil {
		return Priced{}, err
	}
	if len(in.CouponIDs) > maxOrderCoupons {
		return Priced{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "an order uses at most 10 coupons", "field", "coupon_ids")
	}
	stack, err := domain.CheckStack(in.Activity.Kind, len(in.CouponIDs) > 0)
	if err != nil {
		return Priced{}, err
	}
	out := Priced{MemberLevel: stack.MemberLevel}
	if in.Activity.Kind != "" {
		d, err := c.desk(in.Activity)
		if err != nil {
			return Priced{}, err
		}
		a, err := d.Price(ctx, in.MemberID, in.Activity, in.Lines)
		if err != nil {
			return Priced{}, err
		}
		if a.OffFen > 0 {
			out.Discounts = append(out.Discounts, Discount{Kind: in.Activity.Kind, ID: in.Activity.Ref, OffFen: a.OffFen, LineIDs: a.LineIDs})
		}
	}
	if stack.Discounts {
		running, err := c.discounts.Running(ctx)
		if err != nil {
			return Priced{}, err
		}
		applied, left := domain.ApplyDiscounts(running, in.Lines)
		for _, a := range applied {
			kind := domain.KindFullReduction
			if i := slices.IndexFunc(running, func(d domain.Discount) bool { return d.ID == a.ID }); i >= 0 && running[i].Type == domain.TimedPrice {
				kind = domain.KindTimedPrice
			}
			out.Discounts = append(out.Discounts, Discount{Kind: kind, ID: a.ID, OffFen: a.OffFen, LineIDs: a.LineIDs})
		}
		// Coupons weigh what the discounts left.
		in.Lines = left
	}
	if !stack.Coupons || (len(in.CouponIDs) == 0 && !in.Best) {
		return out, nil
	}
	choice, err := c.coupons(ctx, in)
	for _, a := range choice.Applied {
		out.Discounts = append(out.Discounts, Discount{Kind: domain.KindCoupon, ID: a.ID, OffFen: a.OffFen, LineIDs: a.LineIDs})
	}
	return out, err
}

func (c *Checkout) coupons(ctx context.Context, in PriceInput) (domain.Choice, error) {
	w, err := c.wallets.Wallet(ctx, in.MemberID)
	if err != nil {
		return domain.Choice{}, err
	}
	now := c.clk.Now()
	if len(in.CouponIDs) == 0 {
		held := make([]domain.Held, len(w.Coupons))
		for i, cp := range w.Coupons {
			held[i] = cp.Held()
		}
		return domain.Best(held, in.Lines, now), nil
	}
	picked, err := w.Pick(in.CouponIDs)
	if err != nil {
		return domain.Choice{}, err
	}
	held := make([]domain.Held, len(picked))
	for i, cp := range picked {
		held[i] = cp.Held()
	}
	return domain.Choose(held, in.Lines, now)
}

// Hold holds the coupons and the activity's place for the order. The
// activity is recorded first, so a release after a crash finds it.
func (c *Checkout) Hold(ctx context.Context, memberID, orderID string, couponIDs []string, a Activity) error {
	if err := needMember(memberID); err != nil {
		return err
	}
	if orderID == "" || len(couponIDs) > maxOrderCoupons || (len(couponIDs) == 0 && a.Kind == "") {
		return fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "an order id and coupons (at most 10) or an activity are required", "field", "coupon_ids")
	}
	if _, err := domain.CheckStack(a.Kind, len(couponIDs) > 0); err != nil {
		return err
	}
	if a.Kind != "" {
		d, err := c.desk(a)
		if err != nil {
			return err
		}
		if err := c.holds.Put(ctx, Hold{OrderID: orderID, MemberID: memberID, Activity: a}); err != nil {
			return err
		}
		held, err := d.Hold(ctx, memberID, orderID, a)
		if err != nil {
			return err
		}
		if held != a {
			if err := c.holds.Put(ctx, Hold{OrderID: orderID, MemberID: memberID, Activity: held}); err != nil {
				return err
			}
		}
	}
	if len(couponIDs) == 0 {
		return nil
	}
	_, err := modifyWallet(ctx, c.wallets, memberID, c.settings.RemindBefore, func(w *domain.Wallet) (bool, error) {
		return w.Lock(orderID, couponIDs, c.clk.Now())
	})
	return err
}

// Release gives back what the order holds: its coupons and its activity's
// place (as recorded at hold, which knows a new group's id; else as the
// caller names it).
func (c *Checkout) Release(ctx context.Context, memberID, orderID string, a Activity) error {
	if err := c.follow(ctx, memberID, orderID, func(w *domain.Wallet) bool { return w.Release(orderID, c.clk.Now()) }); err != nil {
		return err
	}
	h, found, err := c.holds.Get(ctx, orderID)
	if err != nil {
		return err
	}
	if found {
		a = h.Activity
	}
	if a.Kind == "" {
		return nil
	}
	d, err := c.desk(a)
	if err != nil {
		return err
	}
	return d.Release(ctx, memberID, orderID, a)
}

// Paid spends what the order locked, counts the order in the results of
// what it used, and tells its activity.
func (c *Checkout) Paid(ctx context.Context, memberID, orderID string, paidFen int64, discounts []PaidDiscount) error {
	if err := c.follow(ctx, memberID, orderID, func(w *domain.Wallet) bool { return w.Use(orderID) }); err != nil {
		return err
	}
	h, found, err := c.holds.Get(ctx, orderID)
	if err != nil {
		return err
	}
	var held *Hold
	if found {
		held = &h
	}
	if err := c.countPaid(ctx, memberID, orderID, paidFen, discounts, held); err != nil {
		return err
	}
	if !found {
		return nil
	}
	d, err := c.desk(h.Activity)
	if err != nil {
		return err
	}
	var off int64
	for _, x := range discounts {
		if domain.PromotionKind(x.Kind) == h.Activity.Kind {
			off += x.OffFen
		}
	}
	return d.Paid(ctx, memberID, orderID, h.Activity, paidFen, off)
}

// Cancelled gives back what an unpaid order held.
func (c *Checkout) Cancelled(ctx context.Context, memberID, orderID string) error {
	return c.Release(ctx, memberID, orderID, Activity{})
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
