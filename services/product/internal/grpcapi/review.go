package grpcapi

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
)

// reviewPolicy: members write and list their own reviews, anyone reads a
// product's, operators moderate.
var reviewPolicy = auth.Policy{
	productv1.ReviewService_CreateReview_FullMethodName:        auth.MemberOnly,
	productv1.ReviewService_UpdateReview_FullMethodName:        auth.MemberOnly,
	productv1.ReviewService_ListMyReviews_FullMethodName:       auth.MemberOnly,
	productv1.ReviewService_ListReviewableLines_FullMethodName: auth.MemberOnly,
	productv1.ReviewService_ListProductReviews_FullMethodName:  auth.Public,
	productv1.ReviewService_GetReviewSummary_FullMethodName:    auth.Public,
	// Moderation also checks operator roles in the handler.
	productv1.ReviewService_HideReview_FullMethodName:   auth.Operators,
	productv1.ReviewService_UnhideReview_FullMethodName: auth.Operators,
	productv1.ReviewService_ReplyReview_FullMethodName:  auth.Staff,
}

// Roles that may moderate and answer reviews.
var (
	moderatorRoles = []string{auth.RoleOwner, auth.RoleOperator}
	replierRoles   = []string{auth.RoleOwner, auth.RoleOperator, auth.RoleCustomerService}
)

type reviews struct {
	productv1.UnimplementedReviewServiceServer
	r *app.Reviews
}

// operatorWith admits operators holding one of roles; service tokens do
// not moderate.
func operatorWith(ctx context.Context, roles []string) error {
	id, _ := auth.FromContext(ctx)
	if id.Kind == auth.KindAdmin && slices.ContainsFunc(roles, id.HasRole) {
		return nil
	}
	return toStatus(ctx, domain.ErrRoleRequired.WithMsg("this needs one of the roles "+strings.Join(roles, ", ")))
}

// reviewProto shows a review; full is for its author and operators, the
// public view never names the member or the order.
func reviewProto(r domain.Review, full bool) *productv1.Review {
	out := &productv1.Review{Id: r.ID, ProductId: r.ProductID, SkuId: r.SkuID, DisplayName: r.DisplayName(), Anonymous: r.Anonymous,
		Rating: r.Rating, Text: r.Text, ImageUrls: r.ImageURLs, Hidden: r.Hidden, Reply: r.Reply, CreateTime: timestamppb.New(r.CreatedAt)}
	if !r.ReplyAt.IsZero() {
		out.ReplyTime = timestamppb.New(r.ReplyAt)
	}
	if !r.UpdatedAt.IsZero() {
		out.UpdateTime = timestamppb.New(r.UpdatedAt)
	}
	if full {
		out.OrderId, out.LineId, out.MemberId = r.OrderID, r.LineID, r.MemberID
	}
	return out
}

func (s reviews) CreateReview(ctx context.Context, req *productv1.CreateReviewRequest) (*productv1.CreateReviewResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	got, err := s.r.Create(ctx, m, domain.Review{OrderID: req.GetOrderId(), LineID: req.GetLineId(), Rating: req.GetRating(), Text: req.GetText(),
		ImageURLs: req.GetImageUrls(), Anonymous: req.GetAnonymous(), Nickname: req.GetNickname()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.CreateReviewResponse{Review: reviewProto(got, true)}, nil
}

func (s reviews) UpdateReview(ctx context.Context, req *productv1.UpdateReviewRequest) (*productv1.UpdateReviewResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		paths = []string{"text", "anonymous"}
	}
	var e domain.ReviewEdit
	for _, p := range paths {
		switch p {
		case "text":
			t := req.GetText()
			e.Text = &t
		case "anonymous":
			a := req.GetAnonymous()
			e.Anonymous = &a
		default:
			return nil, toStatus(ctx, domain.ErrUpdateMaskInvalid.WithMsg("only text and anonymous can be changed"))
		}
	}
	got, err := s.r.Edit(ctx, m, req.GetReviewId(), e)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.UpdateReviewResponse{Review: reviewProto(got, true)}, nil
}

func (s reviews) ListProductReviews(ctx context.Context, req *productv1.ListProductReviewsRequest) (*productv1.ListProductReviewsResponse, error) {
	full := false
	if req.GetIncludeHidden() {
		if err := operatorWith(ctx, replierRoles); err != nil {
			return nil, err
		}
		full = true
	}
	page, err := s.r.List(ctx, domain.ReviewFilter{ProductID: req.GetProductId(), Rating: req.GetRating(), WithImages: req.GetWithImagesOnly(),
		IncludeHidden: req.GetIncludeHidden()}, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListProductReviewsResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total)}
	for _, r := range page.Reviews {
		out.Reviews = append(out.Reviews, reviewProto(r, full))
	}
	return out, nil
}

func (s reviews) GetReviewSummary(ctx context.Context, req *productv1.GetReviewSummaryRequest) (*productv1.GetReviewSummaryResponse, error) {
	sm, err := s.r.Summary(ctx, req.GetProductId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ReviewSummary{ProductId: sm.ProductID, ReviewCount: int32(sm.Count), AverageRatingX100: sm.AverageX100(), WithImagesCount: int32(sm.WithImages)}
	for _, n := range sm.Stars {
		out.StarCounts = append(out.StarCounts, int32(n))
	}
	return &productv1.GetReviewSummaryResponse{Summary: out}, nil
}

func (s reviews) ListMyReviews(ctx context.Context, req *productv1.ListMyReviewsRequest) (*productv1.ListMyReviewsResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.r.List(ctx, domain.ReviewFilter{MemberID: m, IncludeHidden: true}, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListMyReviewsResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total)}
	for _, r := range page.Reviews {
		out.Reviews = append(out.Reviews, reviewProto(r, true))
	}
	return out, nil
}

func (s reviews) ListReviewableLines(ctx context.Context, _ *productv1.ListReviewableLinesRequest) (*productv1.ListReviewableLinesResponse, error) {
	m, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.r.Reviewable(ctx, m)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListReviewableLinesResponse{}
	for _, l := range lines {
		out.Lines = append(out.Lines, &productv1.ReviewableLine{OrderId: l.OrderID, LineId: l.LineID, ProductId: l.ProductID, SkuId: l.SkuID,
			CompleteTime: timestamppb.New(l.CompletedAt)})
	}
	return out, nil
}

func (s reviews) hide(ctx context.Context, id string, hidden bool) (*productv1.Review, error) {
	if err := operatorWith(ctx, moderatorRoles); err != nil {
		return nil, err
	}
	got, err := s.r.SetHidden(ctx, id, hidden)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return reviewProto(got, true), nil
}

func (s reviews) HideReview(ctx context.Context, req *productv1.HideReviewRequest) (*productv1.HideReviewResponse, error) {
	r, err := s.hide(ctx, req.GetReviewId(), true)
	if err != nil {
		return nil, err
	}
	return &productv1.HideReviewResponse{Review: r}, nil
}

func (s reviews) UnhideReview(ctx context.Context, req *productv1.UnhideReviewRequest) (*productv1.UnhideReviewResponse, error) {
	r, err := s.hide(ctx, req.GetReviewId(), false)
	if err != nil {
		return nil, err
	}
	return &productv1.UnhideReviewResponse{Review: r}, nil
}

func (s reviews) ReplyReview(ctx context.Context, req *productv1.ReplyReviewRequest) (*productv1.ReplyReviewResponse, error) {
	if err := operatorWith(ctx, replierRoles); err != nil {
		return nil, err
	}
	got, err := s.r.Reply(ctx, req.GetReviewId(), req.GetText())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ReplyReviewResponse{Review: reviewProto(got, true)}, nil
}
