package marketingv1

// Where the marketing service publishes the events of events.proto
// (DESIGN.md §5). Written by hand, beside the generated code.
const (
	Stream                 = "MARKETING"
	StreamSubjects         = "siyu.marketing.>"
	SubjectCouponsExpiring = "siyu.marketing.coupons_expiring"
	SubjectGroupBuySettled = "siyu.marketing.group_buy_settled"
)
