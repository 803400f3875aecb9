package seed

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

// Marketing are the marketing service's clients the demo uses.
type Marketing struct {
	Coupons    marketingv1.CouponAdminServiceClient
	Discounts  marketingv1.DiscountAdminServiceClient
	FlashSales marketingv1.FlashSaleAdminServiceClient
	GroupBuys  marketingv1.GroupBuyAdminServiceClient
	Bargains   marketingv1.BargainAdminServiceClient
}

// Promotions gives the demo shop something of every kind of promotion: a
// new-member gift, coupons in the coupon centre, a full reduction, a flash
// sale, a group-buy and a bargain on demo products, running for 30 days
// from the first seeding. Marketing assigns ids, so each is found by name:
// seeding again creates only what is missing. ctx must carry a service or
// operator token.
func Promotions(ctx context.Context, m Marketing, products productv1.ProductServiceClient, now time.Time) (Counts, error) {
	var c Counts
	start, end := timestamppb.New(now.Add(-time.Minute)), timestamppb.New(now.Add(30*24*time.Hour))
	sku := func(productID string) (*productv1.Sku, error) {
		p, err := products.GetProduct(ctx, &productv1.GetProductRequest{Id: productID})
		if err != nil {
			return nil, fmt.Errorf("demo product %s: %w", productID, err)
		}
		return p.GetProduct().GetSkus()[0], nil
	}
	have := func(names []string, name string) bool {
		for _, n := range names {
			if n == name {
				c.Existing++
				return true
			}
		}
		return false
	}

	templates, err := m.Coupons.ListCouponTemplates(ctx, &marketingv1.ListCouponTemplatesRequest{})
	if err != nil {
		return c, err
	}
	var names []string
	for _, t := range templates.GetTemplates() {
		names = append(names, t.GetName())
	}
	for _, t := range []*marketingv1.CouponTemplate{
		{Name: "新人专享10元券", Kind: "AMOUNT_OFF", AmountOffFen: 1000, ValidDays: 30, PerMemberLimit: 1, TotalQuantity: 100000, NewMemberGift: true},
		{Name: "满199减30", Kind: "AMOUNT_OFF", AmountOffFen: 3000, ThresholdFen: 19900, ValidDays: 14, PerMemberLimit: 1, TotalQuantity: 10000, Claimable: true},
		{Name: "全场9折券", Kind: "PERCENT_OFF", PercentOffPermille: 100, CapFen: 5000, ValidDays: 7, PerMemberLimit: 2, TotalQuantity: 10000, Claimable: true, Stackable: true},
	} {
		if have(names, t.GetName()) {
			continue
		}
		if _, err := m.Coupons.CreateCouponTemplate(ctx, &marketingv1.CreateCouponTemplateRequest{Template: t}); err != nil {
			return c, fmt.Errorf("coupon %s: %w", t.GetName(), err)
		}
		c.Created++
	}

	discounts, err := m.Discounts.AdminListDiscounts(ctx, &marketingv1.AdminListDiscountsRequest{})
	if err != nil {
		return c, err
	}
	names = nil
	for _, d := range discounts.GetDiscounts() {
		names = append(names, d.GetName())
	}
	if !have(names, "满300减40") {
		if _, err := m.Discounts.CreateDiscount(ctx, &marketingv1.CreateDiscountRequest{Discount: &marketingv1.Discount{Name: "满300减40", Type: "FULL_REDUCTION",
			Tiers: []*marketingv1.ReductionTier{{ThresholdFen: 30000, OffFen: 4000}}, StartTime: start, EndTime: end}}); err != nil {
			return c, fmt.Errorf("discount: %w", err)
		}
		c.Created++
	}

	flash, err := m.FlashSales.AdminListFlashSales(ctx, &marketingv1.AdminListFlashSalesRequest{})
	if err != nil {
		return c, err
	}
	names = nil
	for _, f := range flash.GetFlashSales() {
		names = append(names, f.GetFlashSale().GetName())
	}
	if !have(names, "限量秒杀") {
		s, err := sku("p-0002")
		if err != nil {
			return c, err
		}
		if _, err := m.FlashSales.CreateFlashSale(ctx, &marketingv1.CreateFlashSaleRequest{FlashSale: &marketingv1.FlashSale{Name: "限量秒杀",
			ProductId: "p-0002", SkuId: s.GetId(), PriceFen: s.GetPriceFen() / 2, Stock: 100, PerMemberLimit: 1, StartTime: start, EndTime: end}}); err != nil {
			return c, fmt.Errorf("flash sale: %w", err)
		}
		c.Created++
	}

	groups, err := m.GroupBuys.AdminListGroupBuys(ctx, &marketingv1.AdminListGroupBuysRequest{})
	if err != nil {
		return c, err
	}
	names = nil
	for _, g := range groups.GetGroupBuys() {
		names = append(names, g.GetName())
	}
	if !have(names, "2人团") {
		s, err := sku("p-0003")
		if err != nil {
			return c, err
		}
		if _, err := m.GroupBuys.CreateGroupBuy(ctx, &marketingv1.CreateGroupBuyRequest{GroupBuy: &marketingv1.GroupBuy{Name: "2人团", ProductId: "p-0003",
			Prices: []*marketingv1.GroupPrice{{SkuId: s.GetId(), PriceFen: s.GetPriceFen() * 7 / 10}}, GroupSize: 2, GroupTtl: durationpb.New(24 * time.Hour),
			PerMemberLimit: 1, StartTime: start, EndTime: end}}); err != nil {
			return c, fmt.Errorf("group-buy: %w", err)
		}
		c.Created++
	}

	bargains, err := m.Bargains.AdminListBargainActivities(ctx, &marketingv1.AdminListBargainActivitiesRequest{})
	if err != nil {
		return c, err
	}
	names = nil
	for _, b := range bargains.GetActivities() {
		names = append(names, b.GetName())
	}
	if !have(names, "好友砍价") {
		s, err := sku("p-0004")
		if err != nil {
			return c, err
		}
		if _, err := m.Bargains.CreateBargainActivity(ctx, &marketingv1.CreateBargainActivityRequest{Activity: &marketingv1.BargainActivity{Name: "好友砍价",
			ProductId: "p-0004", SkuId: s.GetId(), ListPriceFen: s.GetPriceFen(), FloorPriceFen: s.GetPriceFen() / 2, HelpersNeeded: 3,
			TimeLimit: durationpb.New(24 * time.Hour), StartTime: start, EndTime: end}}); err != nil {
			return c, fmt.Errorf("bargain: %w", err)
		}
		c.Created++
	}
	return c, nil
}
