package clients

import (
	"context"

	"google.golang.org/grpc"

	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/order/internal/domain"
)

// Promotions asks the marketing service what coupons and activities take
// off, and holds and releases them for orders (service-only calls, with
// the order service's token).
type Promotions struct {
	checkout marketingv1.CheckoutPromotionServiceClient
	tokens   *Tokens
}

// NewPromotions uses conn to the marketing service.
func NewPromotions(conn grpc.ClientConnInterface, tokens *Tokens) *Promotions {
	return &Promotions{checkout: marketingv1.NewCheckoutPromotionServiceClient(conn), tokens: tokens}
}

func activityProto(a domain.Activity) *marketingv1.Activity {
	if a.None() {
		return nil
	}
	return &marketingv1.Activity{Kind: string(a.Kind), ActivityId: a.ID, Ref: a.Ref, SkuId: a.SKUID}
}

// Discounts prices the coupons chosen (or the best ones) and the activity.
func (p *Promotions) Discounts(ctx context.Context, in domain.PromotionInput) (domain.Granted, error) {
	if len(in.CouponIDs) == 0 && !in.BestCoupons && in.Activity.None() {
		return domain.Granted{}, nil
	}
	ctx, err := p.tokens.As(ctx)
	if err != nil {
		return domain.Granted{}, err
	}
	req := &marketingv1.PricePromotionsRequest{MemberId: in.MemberID, CouponIds: in.CouponIDs, Best: in.BestCoupons, Activity: activityProto(in.Activity)}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, &marketingv1.CouponLine{SkuId: l.SKUID, ProductId: l.ProductID, CategoryId: l.CategoryID, PayableFen: l.PayableFen,
			UnitPriceFen: l.UnitPriceFen, Quantity: l.Quantity})
	}
	resp, err := p.checkout.PricePromotions(ctx, req)
	if err != nil {
		return domain.Granted{}, remote(err)
	}
	g := domain.Granted{NoMemberLevel: !resp.GetMemberLevel()}
	for _, d := range resp.GetDiscounts() {
		g.Discounts = append(g.Discounts, domain.PromotionDiscount{Kind: domain.DiscountSource(d.GetKind()), ID: d.GetId(), AmountFen: d.GetAmountFen(), SKUIDs: d.GetSkuIds()})
	}
	return g, nil
}

// Hold holds the coupons and the activity's place for the order.
func (p *Promotions) Hold(ctx context.Context, memberID, orderID string, couponIDs []string, a domain.Activity) error {
	ctx, err := p.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = p.checkout.HoldPromotions(ctx, &marketingv1.HoldPromotionsRequest{MemberId: memberID, OrderId: orderID, CouponIds: couponIDs, Activity: activityProto(a)})
	return remote(err)
}

// Release gives back what the order holds.
func (p *Promotions) Release(ctx context.Context, memberID, orderID string, a domain.Activity) error {
	ctx, err := p.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = p.checkout.ReleasePromotions(ctx, &marketingv1.ReleasePromotionsRequest{MemberId: memberID, OrderId: orderID, Activity: activityProto(a)})
	return remote(err)
}
