package app

import (
	"context"
	"fmt"
	"siyu.dev/pkg/fault"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
)

// Reviews are the review use cases. Eligibility is recorded from completed
// orders; everything else is the member's or an operator's request.
type Reviews struct {
	repo domain.ReviewRepository
	clk  clock.Clock
	// ratings hears a product's new rating summary; nil when nobody listens.
	ratings RatingListener
}

// RatingListener hears every rating summary a review on this instance
// changes; the read model is one, so products show the new rating at once.
type RatingListener interface {
	SetRating(domain.RatingSummary)
}

// summaryChanged passes productID's summary on. A failed read is left to
// the periodic reload: the review itself is stored.
func (r *Reviews) summaryChanged(ctx context.Context, productID string) {
	if r.ratings == nil {
		return
	}
	if sum, err := r.repo.Summary(ctx, productID); err == nil {
		r.ratings.SetRating(sum)
	}
}

// NewReviews builds the review use cases; ratings may be nil.
func NewReviews(repo domain.ReviewRepository, ratings RatingListener, clk clock.Clock) *Reviews {
	return &Reviews{repo: repo, ratings: ratings, clk: clk}
}

// OrderCompleted makes each line of a completed order reviewable by its member.
func (r *Reviews) OrderCompleted(ctx context.Context, memberID, orderID string, lines []domain.ReviewableLine) error {
	if memberID == "" || orderID == "" {
		return fault.New(domain.KindInvalid, "ORDER_INVALID", "a completed order needs a member and an order id")
	}
	out := make([]domain.ReviewableLine, 0, len(lines))
	for _, l := range lines {
		if l.LineID == "" || l.ProductID == "" || l.SkuID == "" {
			return fault.New(domain.KindInvalid, "ORDER_INVALID", fmt.Sprintf("order %s has a line without line, product or SKU id", orderID))
		}
		l.OrderID, l.MemberID = orderID, memberID
		if l.CompletedAt.IsZero() {
			l.CompletedAt = r.clk.Now()
		}
		out = append(out, l)
	}
	return r.repo.AddReviewableLines(ctx, out)
}

// Create reviews one of memberID's completed order lines.
func (r *Reviews) Create(ctx context.Context, memberID string, in domain.Review) (domain.Review, error) {
	if in.OrderID == "" || in.LineID == "" {
		return domain.Review{}, fault.New(domain.KindInvalid, "ORDER_LINE_REQUIRED", "order_id and line_id are required", "field", "line_id")
	}
	in, err := domain.ValidateReview(in)
	if err != nil {
		return domain.Review{}, err
	}
	line, err := r.repo.ReviewableLine(ctx, in.OrderID, in.LineID)
	if err != nil {
		return domain.Review{}, err
	}
	// Someone else's line looks exactly like a line that does not exist.
	if line.MemberID != memberID {
		return domain.Review{}, domain.ErrReviewNotEligible
	}
	now := r.clk.Now()
	in.ID = domain.ReviewID(in.OrderID, in.LineID)
	in.MemberID, in.ProductID, in.SkuID = memberID, line.ProductID, line.SkuID
	in.Hidden, in.Reply, in.CreatedAt = false, "", now
	if err := r.repo.CreateReview(ctx, in, domain.Reviewed{EventID: newID("ev"), Review: in, At: now}); err != nil {
		return domain.Review{}, err
	}
	r.summaryChanged(ctx, in.ProductID)
	return in, nil
}

// Edit changes memberID's own review.
func (r *Reviews) Edit(ctx context.Context, memberID, id string, e domain.ReviewEdit) (domain.Review, error) {
	if id == "" {
		return domain.Review{}, reviewIDRequired()
	}
	e, err := domain.ValidateEdit(e)
	if err != nil {
		return domain.Review{}, err
	}
	return r.repo.EditReview(ctx, id, memberID, e, r.clk.Now())
}

// SetHidden hides or shows a review; doing it twice changes nothing.
func (r *Reviews) SetHidden(ctx context.Context, id string, hidden bool) (domain.Review, error) {
	if id == "" {
		return domain.Review{}, reviewIDRequired()
	}
	rv, flipped, err := r.repo.SetHidden(ctx, id, hidden)
	if err == nil && flipped {
		r.summaryChanged(ctx, rv.ProductID)
	}
	return rv, err
}

// Reply sets the shop's reply to a review.
func (r *Reviews) Reply(ctx context.Context, id, text string) (domain.Review, error) {
	if id == "" {
		return domain.Review{}, reviewIDRequired()
	}
	text, err := domain.ValidateReply(text)
	if err != nil {
		return domain.Review{}, err
	}
	return r.repo.SetReply(ctx, id, text, r.clk.Now())
}

func reviewIDRequired() error {
	return fault.New(domain.KindInvalid, "REVIEW_ID_REQUIRED", "review_id is required", "field", "review_id")
}

// ReviewPage is one page of reviews.
type ReviewPage struct {
	Reviews       []domain.Review
	NextPageToken string
	Total         int
}

// List pages through reviews matching f (AIP-158). The token is bound to
// the whole filter, member included, so it cannot continue another listing.
func (r *Reviews) List(ctx context.Context, f domain.ReviewFilter, pageSize int32, pageToken string) (ReviewPage, error) {
	if f.ProductID == "" && f.MemberID == "" {
		return ReviewPage{}, fault.New(domain.KindInvalid, "PRODUCT_ID_REQUIRED", "product_id is required", "field", "product_id")
	}
	if err := domain.ValidateReviewFilter(f); err != nil {
		return ReviewPage{}, err
	}
	size, err := pagetoken.PageSize(pageSize, 10, 50)
	if err != nil {
		return ReviewPage{}, err
	}
	filter := fmt.Sprintf("reviews product=%q member=%q rating=%d images=%t hidden=%t", f.ProductID, f.MemberID, f.Rating, f.WithImages, f.IncludeHidden)
	tok, err := pagetoken.Decode(pageToken, filter)
	if err != nil {
		return ReviewPage{}, err
	}
	items, total, err := r.repo.ListReviews(ctx, f, tok.Offset, size)
	if err != nil {
		return ReviewPage{}, err
	}
	page := ReviewPage{Reviews: items, Total: total}
	if next := tok.Offset + len(items); next < total {
		page.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: next, Filter: filter})
	}
	return page, nil
}

// Summary is a product's rating summary.
func (r *Reviews) Summary(ctx context.Context, productID string) (domain.RatingSummary, error) {
	if productID == "" {
		return domain.RatingSummary{}, fault.New(domain.KindInvalid, "PRODUCT_ID_REQUIRED", "product_id is required", "field", "product_id")
	}
	return r.repo.Summary(ctx, productID)
}

// Reviewable lists memberID's completed lines without a review, newest first.
func (r *Reviews) Reviewable(ctx context.Context, memberID string) ([]domain.ReviewableLine, error) {
	lines, err := r.repo.MemberLines(ctx, memberID)
	if err != nil {
		return nil, err
	}
	// A line is reviewed when its review exists; asking the review store
	// (not a flag on the line) keeps the answer right after any crash.
	mine, _, err := r.repo.ListReviews(ctx, domain.ReviewFilter{MemberID: memberID, IncludeHidden: true}, 0, 1<<20)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, rv := range mine {
		done[rv.ID] = true
	}
	out := lines[:0]
	for _, l := range lines {
		if !done[domain.ReviewID(l.OrderID, l.LineID)] {
			out = append(out, l)
		}
	}
	return out, nil
}
