package grpcapi

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeOf(p *timestamppb.Timestamp) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.AsTime()
}

func templateProto(t domain.Template) *marketingv1.CouponTemplate {
	return &marketingv1.CouponTemplate{Id: t.ID, Name: t.Name, Kind: string(t.Kind), AmountOffFen: t.AmountOffFen, PercentOffPermille: t.PercentOffPermille,
		CapFen: t.CapFen, ThresholdFen: t.ThresholdFen, CategoryIds: t.Scope.CategoryIDs, ProductIds: t.Scope.ProductIDs,
		ValidFrom: ts(t.ValidFrom), ValidTo: ts(t.ValidTo), ValidDays: int32(t.ValidDays), Stackable: t.Stackable,
		PerMemberLimit: t.PerMemberLimit, TotalQuantity: t.TotalQuantity, Claimable: t.Claimable, NewMemberGift: t.NewMemberGift,
		Issued: t.Issued, Ended: t.Ended, Version: t.Version, CreatedAt: ts(t.CreatedAt), Summary: t.Summary()}
}

// templateOf reads what an operator may set; the service keeps the rest.
func templateOf(p *marketingv1.CouponTemplate) domain.Template {
	return domain.Template{ID: p.GetId(), Name: p.GetName(), Kind: domain.DiscountKind(p.GetKind()), AmountOffFen: p.GetAmountOffFen(),
		PercentOffPermille: p.GetPercentOffPermille(), CapFen: p.GetCapFen(), ThresholdFen: p.GetThresholdFen(),
		Scope:     domain.Scope{CategoryIDs: p.GetCategoryIds(), ProductIDs: p.GetProductIds()},
		ValidFrom: timeOf(p.GetValidFrom()), ValidTo: timeOf(p.GetValidTo()), ValidDays: int(p.GetValidDays()), Stackable: p.GetStackable(),
		PerMemberLimit: p.GetPerMemberLimit(), TotalQuantity: p.GetTotalQuantity(), Claimable: p.GetClaimable(), NewMemberGift: p.GetNewMemberGift(),
		Version: p.GetVersion()}
}

func couponProto(c domain.Coupon) *marketingv1.Coupon {
	r := c.Rule
	return &marketingv1.Coupon{Id: c.ID, TemplateId: c.TemplateID, Name: r.Name, Status: string(c.Status), Kind: string(r.Kind),
		AmountOffFen: r.AmountOffFen, PercentOffPermille: r.PercentOffPermille, CapFen: r.CapFen, ThresholdFen: r.ThresholdFen,
		CategoryIds: r.Scope.CategoryIDs, ProductIds: r.Scope.ProductIDs, Stackable: r.Stackable,
		ValidFrom: ts(c.ValidFrom), ValidTo: ts(c.ValidTo), OrderId: c.OrderID, ClaimedAt: ts(c.ClaimedAt), Summary: r.Summary()}
}

func linesOf(ls []*marketingv1.CouponLine) []domain.Line {
	out := make([]domain.Line, len(ls))
	for i, l := range ls {
		out[i] = domain.Line{LineID: l.GetSkuId(), ProductID: l.GetProductId(), CategoryID: l.GetCategoryId(), PayableFen: l.GetPayableFen(),
			UnitPriceFen: l.GetUnitPriceFen(), Quantity: l.GetQuantity()}
	}
	return out
}

func flashSaleProto(l app.Listed) *marketingv1.FlashSale {
	f := l.FlashSale
	return &marketingv1.FlashSale{Id: f.ID, Name: f.Name, ProductId: f.ProductID, SkuId: f.SKUID, PriceFen: f.PriceFen, Stock: f.Stock,
		PerMemberLimit: f.PerMemberLimit, StartTime: ts(f.Start), EndTime: ts(f.End), Ended: f.Ended, Version: f.Version,
		Reserved: l.Reserved, Remaining: l.Remaining}
}

func flashSaleOf(p *marketingv1.FlashSale) domain.FlashSale {
	return domain.FlashSale{ID: p.GetId(), Name: p.GetName(), ProductID: p.GetProductId(), SKUID: p.GetSkuId(), PriceFen: p.GetPriceFen(),
		Stock: p.GetStock(), PerMemberLimit: p.GetPerMemberLimit(), Start: timeOf(p.GetStartTime()), End: timeOf(p.GetEndTime()), Version: p.GetVersion()}
}

func reservationProto(r domain.Reservation) *marketingv1.FlashReservation {
	return &marketingv1.FlashReservation{Id: r.ID, FlashSaleId: r.FlashSaleID, Status: string(r.Shown()), OrderId: r.OrderID, FailReason: r.FailReason,
		CreateTime: ts(r.CreatedAt)}
}

func resultsProto(r app.Results) *marketingv1.ActivityResults {
	return &marketingv1.ActivityResults{PaidOrders: r.Paid, PaidFen: r.PaidFen, DiscountFen: r.DiscountFen}
}
