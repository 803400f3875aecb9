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
}

// Stacking is the one table of what combines with what. Activities sell
// at a fixed price the operator set for the occasion: nothing else comes
// off it. Coupons come off after the member level discount.
var Stacking = map[PromotionKind]Stack{
	KindCoupon:    {MemberLevel: true, Coupons: true},
	KindFlashSale: {MemberLevel: false, Coupons: false},
	KindGroupBuy:  {MemberLevel: false, Coupons: false},
	KindBargain:   {MemberLevel: false, Coupons: false},
}

// CheckStack says whether an order may use coupons with an activity of
// kind ("" for none); the result is what the kind's row allows.
func CheckStack(kind PromotionKind, withCoupons bool) (Stack, error) {
	if kind == "" {
		return Stacking[KindCoupon], nil
	}
	s, ok := Stacking[kind]
	if !ok || kind == KindCoupon {
		return Stack{}, fault.New(fault.Invalid, ReasonActivityInvalid, "activity kind is flash_sale, group_buy or bargain", "kind", string(kind))
	}
	if withCoupons && !s.Coupons {
		return Stack{}, fault.New(fault.Precondition, ReasonNotStackableWith, "coupons cannot be used with this activity", "kind", string(kind))
	}
	return s, nil
}
