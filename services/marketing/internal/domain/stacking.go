package domain

import "siyu.dev/pkg/fault"

// PromotionKind names a kind of promotion at checkout.
type PromotionKind string

const (
	KindCoupon    PromotionKind = "coupon"
	KindFlashSale PromotionKind = "flash_sale"
	KindGroupBuy  PromotionKind = "group_buy"
	KindBargain   PromotionKind = "bargain"
)

// Stack says what a kind of promotion combines with.
type Stack struct {
	// MemberLevel: the member level discount applies too.
	MemberLevel bool
	// Coupons may be used on the same order (each coupon's own stackable
	// flag still decides whether coupons combine with each other).
	Coupons bool
	// Discounts: running timed prices and full reductions apply too.
	Discounts bool
}

// Stacking is the one table of what combines with what. Activities sell
// at a fixed price the operator set for the occasion: nothing else comes
// off it. Otherwise, in this order: the member level discount; timed
// prices (a line keeps the lower of its level price and its timed price,
// never both); full reductions on what lines still cost; coupons last,
// their thresholds measured on what is left.
var Stacking = map[PromotionKind]Stack{
	KindTimedPrice:    {MemberLevel: true, Coupons: true, Discounts: true},
	KindFullReduction: {MemberLevel: true, Coupons: true, Discounts: true},
	KindCoupon:        {MemberLevel: true, Coupons: true, Discounts: true},
	KindFlashSale:     {},
	KindGroupBuy:      {},
	KindBargain:       {},
}

// activityKinds are the kinds an order buys through.
var activityKinds = map[PromotionKind]bool{KindFlashSale: true, KindGroupBuy: true, KindBargain: true}

// CheckStack says whether an order may use coupons with an activity of
// kind ("" for none); the result is what the kind's row allows.
func CheckStack(kind PromotionKind, withCoupons bool) (Stack, error) {
	if kind == "" {
		return Stacking[KindCoupon], nil
	}
	s, ok := Stacking[kind]
	if !ok || !activityKinds[kind] {
		return Stack{}, fault.New(fault.Invalid, ReasonActivityInvalid, "activity kind is flash_sale, group_buy or bargain", "kind", string(kind))
	}
	if withCoupons && !s.Coupons {
		return Stack{}, fault.New(fault.Precondition, ReasonNotStackableWith, "coupons cannot be used with this activity", "kind", string(kind))
	}
	return s, nil
}
