package app

import (
	"context"

	"siyu.dev/services/product/internal/domain"
)

// RatingSource lists the rating summaries of reviewed products.
type RatingSource interface {
	Summaries(ctx context.Context) ([]domain.RatingSummary, error)
}

func (s *Service) loadRatings(ctx context.Context) error {
	list, err := s.ratings.Summaries(ctx)
	if err != nil {
		return err
	}
	byProduct := make(map[string]domain.RatingSummary, len(list))
	for _, r := range list {
		byProduct[r.ProductID] = r
	}
	s.catalog.mu.Lock()
	s.catalog.ratings = byProduct
	s.catalog.mu.Unlock()
	return nil
}

// SetRating shows a product's new summary at once, after a review on this
// instance changed it.
func (s *Service) SetRating(r domain.RatingSummary) {
	s.catalog.mu.Lock()
	s.catalog.ratings[r.ProductID] = r
	s.catalog.mu.Unlock()
}
