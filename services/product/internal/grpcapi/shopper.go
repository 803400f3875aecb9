package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
)

// shopper serves members' own lists. The member is always the caller's
// token subject; the policy admits members only.
type shopper struct {
	productv1.UnimplementedShopperServiceServer
	svc Services
}

func caller(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindMember || id.Subject == "" {
		return "", toStatus(ctx, domain.ErrTokenMissing)
	}
	return id.Subject, nil
}

func savedProto(s app.Saved) *productv1.SavedProduct {
	out := &productv1.SavedProduct{ProductId: s.ProductID, Time: timestamppb.New(s.At)}
	if s.Product != nil {
		out.Product = toProto(*s.Product)
	}
	return out
}

func (s shopper) AddFavourite(ctx context.Context, req *productv1.AddFavouriteRequest) (*productv1.AddFavouriteResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	got, err := s.svc.Lists.AddFavourite(ctx, m, req.GetProductId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.AddFavouriteResponse{Favourite: savedProto(got)}, nil
}

func (s shopper) RemoveFavourite(ctx context.Context, req *productv1.RemoveFavouriteRequest) (*productv1.RemoveFavouriteResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Lists.RemoveFavourite(ctx, m, req.GetProductId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.RemoveFavouriteResponse{}, nil
}

func (s shopper) ListFavourites(ctx context.Context, req *productv1.ListFavouritesRequest) (*productv1.ListFavouritesResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.svc.Lists.ListSaved(ctx, domain.Favourites, m, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListFavouritesResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total)}
	for _, it := range page.Items {
		out.Favourites = append(out.Favourites, savedProto(it))
	}
	return out, nil
}

func (s shopper) RecordProductView(ctx context.Context, req *productv1.RecordProductViewRequest) (*productv1.RecordProductViewResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Lists.RecordView(ctx, m, req.GetProductId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.RecordProductViewResponse{}, nil
}

func (s shopper) ListBrowsingHistory(ctx context.Context, req *productv1.ListBrowsingHistoryRequest) (*productv1.ListBrowsingHistoryResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.svc.Lists.ListSaved(ctx, domain.History, m, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListBrowsingHistoryResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total)}
	for _, it := range page.Items {
		out.Views = append(out.Views, savedProto(it))
	}
	return out, nil
}

func (s shopper) ClearBrowsingHistory(ctx context.Context, _ *productv1.ClearBrowsingHistoryRequest) (*productv1.ClearBrowsingHistoryResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Lists.ClearHistory(ctx, m); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ClearBrowsingHistoryResponse{}, nil
}
