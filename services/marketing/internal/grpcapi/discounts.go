package grpcapi

import (
	"context"

	"siyu.dev/pkg/fault"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/domain"
)

func discountProto(d domain.Discount) *marketingv1.Discount {
	out := &marketingv1.Discount{Id: d.ID, Name: d.Name, Type: string(d.Type), CategoryIds: d.Scope.CategoryIDs, ProductIds: d.Scope.ProductIDs,
		StartTime: ts(d.Start), EndTime: ts(d.End), Ended: d.Ended, Version: d.Version, Summary: d.Summary()}
	for _, p := range d.Prices {
		out.Prices = append(out.Prices, &marketingv1.SkuPrice{SkuId: p.SKUID, PriceFen: p.PriceFen})
	}
	for _, t := range d.Tiers {
		out.Tiers = append(out.Tiers, &marketingv1.ReductionTier{ThresholdFen: t.ThresholdFen, OffFen: t.OffFen})
	}
	return out
}

func discountOf(p *marketingv1.Discount) (domain.Discount, error) {
	if p == nil {
		return domain.Discount{}, fault.New(fault.Invalid, domain.ReasonActivityInvalid, "discount is required", "field", "discount")
	}
	d := domain.Discount{ID: p.GetId(), Name: p.GetName(), Type: domain.DiscountType(p.GetType()),
		Scope: domain.Scope{CategoryIDs: p.GetCategoryIds(), ProductIDs: p.GetProductIds()},
		Start: timeOf(p.GetStartTime()), End: timeOf(p.GetEndTime()), Version: p.GetVersion()}
	for _, x := range p.GetPrices() {
		d.Prices = append(d.Prices, domain.SKUPrice{SKUID: x.GetSkuId(), PriceFen: x.GetPriceFen()})
	}
	for _, t := range p.GetTiers() {
		d.Tiers = append(d.Tiers, domain.Tier{ThresholdFen: t.GetThresholdFen(), OffFen: t.GetOffFen()})
	}
	return d, nil
}

type discountServer struct {
	marketingv1.UnimplementedDiscountServiceServer
	svc Services
}

func (s *discountServer) ListDiscounts(ctx context.Context, req *marketingv1.ListDiscountsRequest) (*marketingv1.ListDiscountsResponse, error) {
	list, err := s.svc.Discounts.Shown(ctx, req.GetProductId(), req.GetCategoryId())
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListDiscountsResponse{}
	for _, d := range list {
		out.Discounts = append(out.Discounts, discountProto(d))
	}
	return out, nil
}

type discountAdminServer struct {
	marketingv1.UnimplementedDiscountAdminServiceServer
	svc Services
}

func (s *discountAdminServer) CreateDiscount(ctx context.Context, req *marketingv1.CreateDiscountRequest) (*marketingv1.CreateDiscountResponse, error) {
	d, err := discountOf(req.GetDiscount())
	if err != nil {
		return nil, err
	}
	if req.GetValidateOnly() {
		err = d.Validate()
	} else {
		d, err = s.svc.Discounts.Create(ctx, d)
	}
	if err != nil {
		return nil, err
	}
	return &marketingv1.CreateDiscountResponse{Discount: discountProto(d)}, nil
}

func (s *discountAdminServer) UpdateDiscount(ctx context.Context, req *marketingv1.UpdateDiscountRequest) (*marketingv1.UpdateDiscountResponse, error) {
	d, err := discountOf(req.GetDiscount())
	if err != nil {
		return nil, err
	}
	if d, err = s.svc.Discounts.Update(ctx, d); err != nil {
		return nil, err
	}
	return &marketingv1.UpdateDiscountResponse{Discount: discountProto(d)}, nil
}

func (s *discountAdminServer) EndDiscount(ctx context.Context, req *marketingv1.EndDiscountRequest) (*marketingv1.EndDiscountResponse, error) {
	d, err := s.svc.Discounts.End(ctx, req.GetDiscountId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.EndDiscountResponse{Discount: discountProto(d)}, nil
}

func (s *discountAdminServer) AdminListDiscounts(ctx context.Context, _ *marketingv1.AdminListDiscountsRequest) (*marketingv1.AdminListDiscountsResponse, error) {
	list, err := s.svc.Discounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.AdminListDiscountsResponse{}
	for _, d := range list {
		r, err := s.svc.Discounts.Results(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		p := discountProto(d)
		p.Results = resultsProto(r)
		out.Discounts = append(out.Discounts, p)
	}
	return out, nil
}
