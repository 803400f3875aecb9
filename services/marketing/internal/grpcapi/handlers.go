package grpcapi

import (
	"context"

	"siyu.dev/pkg/fault"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
)

type couponServer struct {
	marketingv1.UnimplementedCouponServiceServer
	svc Services
}

func (s *couponServer) ListCouponOffers(ctx context.Context, req *marketingv1.ListCouponOffersRequest) (*marketingv1.ListCouponOffersResponse, error) {
	offers, err := s.svc.Shop.Offers(ctx, visitor(ctx), req.GetProductId(), req.GetCategoryId())
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListCouponOffersResponse{}
	for _, o := range offers {
		out.Offers = append(out.Offers, &marketingv1.CouponOffer{Template: templateProto(o.Template), Held: o.Held, Remaining: o.Template.Left()})
	}
	return out, nil
}

func (s *couponServer) ClaimCoupon(ctx context.Context, req *marketingv1.ClaimCouponRequest) (*marketingv1.ClaimCouponResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Shop.Claim(ctx, me, req.GetTemplateId(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.ClaimCouponResponse{Coupon: couponProto(c)}, nil
}

func (s *couponServer) RedeemCouponCode(ctx context.Context, req *marketingv1.RedeemCouponCodeRequest) (*marketingv1.RedeemCouponCodeResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Shop.Redeem(ctx, me, req.GetCode())
	if err != nil {
		return nil, err
	}
	return &marketingv1.RedeemCouponCodeResponse{Coupon: couponProto(c)}, nil
}

func (s *couponServer) ListMyCoupons(ctx context.Context, req *marketingv1.ListMyCouponsRequest) (*marketingv1.ListMyCouponsResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.svc.Shop.Mine(ctx, me, domain.CouponStatus(req.GetStatus()))
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListMyCouponsResponse{}
	for _, c := range cs {
		out.Coupons = append(out.Coupons, couponProto(c))
	}
	return out, nil
}

type adminServer struct {
	marketingv1.UnimplementedCouponAdminServiceServer
	svc Services
}

func needTemplate(p *marketingv1.CouponTemplate) error {
	if p == nil {
		return fault.New(fault.Invalid, domain.ReasonTemplateInvalid, "template is required", "field", "template")
	}
	return nil
}

func (s *adminServer) CreateCouponTemplate(ctx context.Context, req *marketingv1.CreateCouponTemplateRequest) (*marketingv1.CreateCouponTemplateResponse, error) {
	if err := needTemplate(req.GetTemplate()); err != nil {
		return nil, err
	}
	t, err := s.svc.Admin.Create(ctx, templateOf(req.GetTemplate()))
	if err != nil {
		return nil, err
	}
	return &marketingv1.CreateCouponTemplateResponse{Template: templateProto(t)}, nil
}

func (s *adminServer) UpdateCouponTemplate(ctx context.Context, req *marketingv1.UpdateCouponTemplateRequest) (*marketingv1.UpdateCouponTemplateResponse, error) {
	if err := needTemplate(req.GetTemplate()); err != nil {
		return nil, err
	}
	t, err := s.svc.Admin.Update(ctx, templateOf(req.GetTemplate()))
	if err != nil {
		return nil, err
	}
	return &marketingv1.UpdateCouponTemplateResponse{Template: templateProto(t)}, nil
}

func (s *adminServer) EndCouponTemplate(ctx context.Context, req *marketingv1.EndCouponTemplateRequest) (*marketingv1.EndCouponTemplateResponse, error) {
	t, err := s.svc.Admin.End(ctx, req.GetTemplateId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.EndCouponTemplateResponse{Template: templateProto(t)}, nil
}

func (s *adminServer) GetCouponTemplate(ctx context.Context, req *marketingv1.GetCouponTemplateRequest) (*marketingv1.GetCouponTemplateResponse, error) {
	t, err := s.svc.Admin.Get(ctx, req.GetTemplateId())
	if err != nil {
		return nil, err
	}
	r, err := s.svc.Admin.Results(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	p := templateProto(t)
	p.Results = resultsProto(r)
	return &marketingv1.GetCouponTemplateResponse{Template: p}, nil
}

func (s *adminServer) ListCouponTemplates(ctx context.Context, _ *marketingv1.ListCouponTemplatesRequest) (*marketingv1.ListCouponTemplatesResponse, error) {
	ts, err := s.svc.Admin.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListCouponTemplatesResponse{}
	for _, t := range ts {
		r, err := s.svc.Admin.Results(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		p := templateProto(t)
		p.Results = resultsProto(r)
		out.Templates = append(out.Templates, p)
	}
	return out, nil
}

func (s *adminServer) PreviewCouponTemplate(_ context.Context, req *marketingv1.PreviewCouponTemplateRequest) (*marketingv1.PreviewCouponTemplateResponse, error) {
	if err := needTemplate(req.GetTemplate()); err != nil {
		return nil, err
	}
	t := templateOf(req.GetTemplate())
	eligible, off, err := s.svc.Admin.Preview(t, linesOf(req.GetLines()))
	if err != nil {
		return nil, err
	}
	return &marketingv1.PreviewCouponTemplateResponse{Summary: t.Summary(), EligibleFen: eligible, OffFen: off}, nil
}

func (s *adminServer) IssueCoupons(ctx context.Context, req *marketingv1.IssueCouponsRequest) (*marketingv1.IssueCouponsResponse, error) {
	r, err := s.svc.Admin.Issue(ctx, req.GetTemplateId(), req.GetRequestId(), req.GetMemberIds(), req.GetSegmentId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.IssueCouponsResponse{Issued: r.Issued, Repeated: r.Repeated, Skipped: r.Skipped}, nil
}

func (s *adminServer) CreateCouponCodes(ctx context.Context, req *marketingv1.CreateCouponCodesRequest) (*marketingv1.CreateCouponCodesResponse, error) {
	codes, err := s.svc.Admin.CreateCodes(ctx, req.GetTemplateId(), int(req.GetCount()))
	if err != nil {
		return nil, err
	}
	return &marketingv1.CreateCouponCodesResponse{Codes: codes}, nil
}

type checkoutServer struct {
	marketingv1.UnimplementedCheckoutPromotionServiceServer
	svc Services
}

func activityOf(a *marketingv1.Activity) app.Activity {
	return app.Activity{Kind: domain.PromotionKind(a.GetKind()), ID: a.GetActivityId(), Ref: a.GetRef(), SKUID: a.GetSkuId()}
}

func (s *checkoutServer) PricePromotions(ctx context.Context, req *marketingv1.PricePromotionsRequest) (*marketingv1.PricePromotionsResponse, error) {
	priced, err := s.svc.Checkout.Price(ctx, app.PriceInput{MemberID: req.GetMemberId(), Lines: linesOf(req.GetLines()), CouponIDs: req.GetCouponIds(),
		Best: req.GetBest(), Activity: activityOf(req.GetActivity())})
	if err != nil {
		return nil, err
	}
	out := &marketingv1.PricePromotionsResponse{MemberLevel: priced.MemberLevel}
	for _, d := range priced.Discounts {
		out.Discounts = append(out.Discounts, &marketingv1.PromotionDiscount{Kind: string(d.Kind), Id: d.ID, AmountFen: d.OffFen, SkuIds: d.LineIDs})
	}
	return out, nil
}

func (s *checkoutServer) HoldPromotions(ctx context.Context, req *marketingv1.HoldPromotionsRequest) (*marketingv1.HoldPromotionsResponse, error) {
	if err := s.svc.Checkout.Hold(ctx, req.GetMemberId(), req.GetOrderId(), req.GetCouponIds(), activityOf(req.GetActivity())); err != nil {
		return nil, err
	}
	return &marketingv1.HoldPromotionsResponse{}, nil
}

func (s *checkoutServer) ReleasePromotions(ctx context.Context, req *marketingv1.ReleasePromotionsRequest) (*marketingv1.ReleasePromotionsResponse, error) {
	if err := s.svc.Checkout.Release(ctx, req.GetMemberId(), req.GetOrderId(), activityOf(req.GetActivity())); err != nil {
		return nil, err
	}
	return &marketingv1.ReleasePromotionsResponse{}, nil
}
