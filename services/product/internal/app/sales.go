package app

import (
	"context"
	"errors"
	"siyu.dev/pkg/fault"

	"siyu.dev/services/product/internal/domain"
)

func (s *Service) loadSales(ctx context.Context) error {
	buckets, err := s.sales.SalesBuckets(ctx)
	if err != nil {
		return err
	}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	s.catalog.sales = map[string]*domain.Sales{}
	for _, b := range buckets {
		s.catalog.addSaleLocked(b.ProductID, b.Day, b.Units)
	}
	return nil
}

// CountSales applies one order event's lines (sign +1 paid, -1 refunded) to
// the counters, once per event and product: a redelivered event, or one
// whose first delivery was cut short, counts only what was not counted.
func (s *Service) CountSales(ctx context.Context, eventID string, day string, lines []domain.SaleLine, sign int64) error {
	if eventID == "" {
		return fault.New(domain.KindInvalid, "EVENT_ID_REQUIRED", "an order event needs an event id")
	}
	for _, l := range domain.SaleLines(lines, sign) {
		fresh, err := s.sales.CountSale(ctx, eventID, l.ProductID, day, l.Units)
		if err != nil {
			return err
		}
		if fresh {
			s.catalog.mu.Lock()
			s.catalog.addSaleLocked(l.ProductID, day, l.Units)
			s.catalog.mu.Unlock()
		}
	}
	return nil
}

// Sales are a product's counters as the read model holds them.
func (s *Service) Sales(productID string) (total, recent int64) {
	s.catalog.mu.RLock()
	defer s.catalog.mu.RUnlock()
	if c := s.catalog.sales[productID]; c != nil {
		return c.Total, c.Recent(s.clk.Now())
	}
	return 0, 0
}

func (c *catalog) addSaleLocked(productID, day string, units int64) {
	sc := c.sales[productID]
	if sc == nil {
		sc = &domain.Sales{}
		c.sales[productID] = sc
	}
	sc.Add(day, units)
}

// RefreshCounters reloads the sales counters, and the hot keywords and
// ratings when they are used: the durable consumers hand each event to one
// instance, and the others pick up its counts here, once per interval.
func (s *Service) RefreshCounters(ctx context.Context) error {
	var errs []error
	if s.sales != nil {
		errs = append(errs, s.loadSales(ctx))
	}
	if s.keywords != nil {
		errs = append(errs, s.refreshHotKeywords(ctx))
	}
	if s.ratings != nil {
		errs = append(errs, s.loadRatings(ctx))
	}
	return errors.Join(errs...)
}
