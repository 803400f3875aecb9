package grpcapi

import (
	"context"

	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/domain"
)

func bannersProto(bs []domain.Banner) []*marketingv1.Banner {
	out := make([]*marketingv1.Banner, len(bs))
	for i, b := range bs {
		out[i] = &marketingv1.Banner{Title: b.Title, Link: b.Link, ImageUrl: b.ImageURL, Background: b.Background}
	}
	return out
}

type bannerServer struct {
	marketingv1.UnimplementedBannerServiceServer
	svc Services
}

func (s *bannerServer) ListBanners(ctx context.Context, _ *marketingv1.ListBannersRequest) (*marketingv1.ListBannersResponse, error) {
	bs, err := s.svc.Banners.List(ctx)
	if err != nil {
		return nil, err
	}
	return &marketingv1.ListBannersResponse{Banners: bannersProto(bs)}, nil
}

type bannerAdminServer struct {
	marketingv1.UnimplementedBannerAdminServiceServer
	svc Services
}

func (s *bannerAdminServer) SetBanners(ctx context.Context, req *marketingv1.SetBannersRequest) (*marketingv1.SetBannersResponse, error) {
	var bs []domain.Banner
	for _, b := range req.GetBanners() {
		bs = append(bs, domain.Banner{Title: b.GetTitle(), Link: b.GetLink(), ImageURL: b.GetImageUrl(), Background: b.GetBackground()})
	}
	bs, err := s.svc.Banners.Set(ctx, bs)
	if err != nil {
		return nil, err
	}
	return &marketingv1.SetBannersResponse{Banners: bannersProto(bs)}, nil
}
