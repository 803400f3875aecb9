package grpcapi

import (
	"context"

	"siyu.dev/pkg/auth"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
)

// recommendPolicy: personal recommendations need a member, the rest is public.
var recommendPolicy = auth.Policy{
	productv1.RecommendationService_RecordView_FullMethodName:              auth.MemberOnly,
	productv1.RecommendationService_ListRecommendedProducts_FullMethodName: auth.MemberOnly,
	productv1.RecommendationService_ListRelatedProducts_FullMethodName:     auth.Public,
	productv1.RecommendationService_ListHotProducts_FullMethodName:         auth.Public,
}

type recommendations struct {
	productv1.UnimplementedRecommendationServiceServer
	r *app.Recommender
}

func recommendationsProto(list []app.Recommended) []*productv1.Recommendation {
	out := make([]*productv1.Recommendation, len(list))
	for i, x := range list {
		out[i] = &productv1.Recommendation{Product: toProto(x.Product), Score: x.Score, Reason: x.Reason, Sales: x.Sales}
	}
	return out
}

func (s recommendations) RecordView(ctx context.Context, req *productv1.RecordViewRequest) (*productv1.RecordViewResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.r.RecordView(ctx, m, req.GetProductId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.RecordViewResponse{}, nil
}

func (s recommendations) ListRelatedProducts(ctx context.Context, req *productv1.ListRelatedProductsRequest) (*productv1.ListRelatedProductsResponse, error) {
	list, err := s.r.Related(req.GetProductId(), req.GetLimit())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ListRelatedProductsResponse{Recommendations: recommendationsProto(list)}, nil
}

func (s recommendations) ListRecommendedProducts(ctx context.Context, req *productv1.ListRecommendedProductsRequest) (*productv1.ListRecommendedProductsResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.r.ForYou(m, req.GetLimit())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ListRecommendedProductsResponse{Recommendations: recommendationsProto(list)}, nil
}

func (s recommendations) ListHotProducts(ctx context.Context, req *productv1.ListHotProductsRequest) (*productv1.ListHotProductsResponse, error) {
	list, err := s.r.Hot(req.GetCategoryId(), req.GetLimit())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ListHotProductsResponse{Recommendations: recommendationsProto(list)}, nil
}
