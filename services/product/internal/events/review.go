package events

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
)

// SubjectReviewed carries product.reviewed.
const SubjectReviewed = productv1.SubjectReviewed

// Reviewed builds siyu.product.reviewed.
func Reviewed(ctx context.Context, e domain.Reviewed) (natsx.Event, error) {
	r := e.Review
	return natsx.NewEvent(ctx, SubjectReviewed, e.EventID, &productv1.ProductReviewed{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), ReviewId: r.ID, ProductId: r.ProductID, SkuId: r.SkuID,
		OrderId: r.OrderID, MemberId: r.MemberID, Rating: r.Rating, HasImages: len(r.ImageURLs) > 0, Anonymous: r.Anonymous,
	})
}
