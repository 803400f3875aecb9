package app

import (
	"context"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// Sales count the units of paid and refunded orders per product and day,
// for the sales and hot sorts and the counters products show.
type Sales struct {
	model *readmodel.Model
	repo  domain.SalesRepository
}

// NewSales builds the sales counters.
func NewSales(model *readmodel.Model, repo domain.SalesRepository) *Sales {
	return &Sales{model: model, repo: repo}
}

// CountSales applies one order event's lines (sign +1 paid, -1 refunded) to
// the counters, once per event and product: a redelivered event, or one
// whose first delivery was cut short, counts only what was not counted.
func (s *Sales) CountSales(ctx context.Context, eventID string, day string, lines []domain.SaleLine, sign int64) error {
	if eventID == "" {
		return fault.New(domain.KindInvalid, "EVENT_ID_REQUIRED", "an order event needs an event id")
	}
	for _, l := range domain.SaleLines(lines, sign) {
		fresh, err := s.repo.CountSale(ctx, eventID, l.ProductID, day, l.Units)
		if err != nil {
			return err
		}
		if fresh {
			s.model.AddSale(l.ProductID, day, l.Units)
		}
	}
	return nil
}

// Counters are a product's sales, all time and recent, as the read model
// holds them.
func (s *Sales) Counters(productID string) (total, recent int64) { return s.model.Sales(productID) }

// load replaces the read model's counters with the stored ones, which
// every instance's consumers wrote.
func (s *Sales) load(ctx context.Context) error {
	buckets, err := s.repo.SalesBuckets(ctx)
	if err != nil {
		return err
	}
	s.model.SetSales(buckets)
	return nil
}
