package domain

import (
	"testing"

	"siyu.dev/pkg/fault"
)

func TestStackingTable(t *testing.T) {
	cases := []struct {
		kind        PromotionKind
		coupons     bool
		memberLevel bool
		reason      fault.Reason
	}{
		{"", true, true, ""},
		{"", false, true, ""},
		{KindFlashSale, false, false, ""},
		{KindFlashSale, true, false, ReasonNotStackableWith},
		{KindGroupBuy, false, false, ""},
		{KindGroupBuy, true, false, ReasonNotStackableWith},
		{KindBargain, false, false, ""},
		{KindBargain, true, false, ReasonNotStackableWith},
		{KindCoupon, false, false, ReasonActivityInvalid},
		{"lottery", false, false, ReasonActivityInvalid},
		{KindTimedPrice, false, false, ReasonActivityInvalid},
	}
	for _, c := range cases {
		s, err := CheckStack(c.kind, c.coupons)
		if fault.ReasonOf(err) != c.reason {
			t.Errorf("%q with coupons %v: %v, want %q", c.kind, c.coupons, err, c.reason)
			continue
		}
		if err == nil && (s.MemberLevel != c.memberLevel || s.Discounts != (c.kind == "")) {
			t.Errorf("%q: %+v, want member level %v and discounts only without an activity", c.kind, s, c.memberLevel)
		}
	}
}
