package clients

import (
	"context"

	"google.golang.org/grpc"

	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/order/internal/domain"
)

// Promotions asks the marketing service what coupons take off, and holds
// and releases them for orders (service-only calls, with the order
// service's token).
type Promotions struct {
	coupons marketingv1.CheckoutCouponServiceClient
	tokens  *Tokens
}

// NewPromotions uses conn to the marketing service.
func NewPromotions(conn grpc.ClientConnInterface, tokens *Tokens) *Promotions {
	return &Promotions{coupons: marketingv1.NewCheckoutCouponServiceClient(conn), tokens: tokens}
}

// Discounts prices the coupons chosen, or the best ones.
func (p *Promotions) Discounts(ctx context.Context, in domain.PromotionInput) ([]domain.PromotionDiscount, error) {
	if len(in.CouponIDs) == 0 && !in.BestCoupons {
		return nil, nil
	}
	ctx, err := p.tokens.As(ctx)
	if err != nil {
		return nil, err
	}
	req := &marketingv1.PriceCouponsRequest{MemberId: in.MemberID, CouponIds: in.CouponIDs, Best: in.BestCoupons}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, &marketingv1.CouponLine{SkuId: l.SKUID, ProductId: l.ProductID, CategoryId: l.CategoryID, PayableFen: l.PayableFen})
	}
	resp, err := p.coupons.PriceCoupons(ctx, req)
	if err != nil {
		return nil, remote(err)
	}
	var out []domain.PromotionDiscount
	for _, d := range resp.GetDiscounts() {
		out = append(out, domain.PromotionDiscount{Kind: domain.SourceCoupon, ID: d.GetCouponId(), AmountFen: d.GetAmountFen(), SKUIDs: d.GetSkuIds()})
	}
	return out, nil
}

// LockCoupons holds the coupons for the order.
func (p *Promotions) LockCoupons(ctx context.Context, memberID, orderID string, couponIDs []string) error {
	ctx, err := p.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = p.coupons.LockCoupons(ctx, &marketingv1.LockCouponsRequest{MemberId: memberID, OrderId: orderID, CouponIds: couponIDs})
	return remote(err)
}

// ReleaseCoupons gives back what the order holds.
func (p *Promotions) ReleaseCoupons(ctx context.Context, memberID, orderID string) error {
	ctx, err := p.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = p.coupons.ReleaseCoupons(ctx, &marketingv1.ReleaseCouponsRequest{MemberId: memberID, OrderId: orderID})
	return remote(err)
}
