package app

import (
	"context"
	"time"

	"siyu.dev/services/product/internal/domain"
)

// UseSales turns on the sales counters; call it before Load.
func (s *Service) UseSales(r domain.SalesRepository) { s.sales = r }

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
		return &domain.Error{Kind: domain.KindInvalid, Reason: "EVENT_ID_REQUIRED", Msg: "an order event needs an event id"}
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

// RunSalesRefresh reloads the counters (and ratings, with UseRatings, and hot
// keywords, with UseKeywords) every interval until ctx is done: the durable
// consumers hand each event to one instance, and the others pick up its
// counts here.
func (s *Service) RunSalesRefresh(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.sales != nil {
				if err := s.loadSales(ctx); err != nil && ctx.Err() == nil {
					onErr(err)
				}
			}
			if s.keywords != nil {
				if err := s.refreshHotKeywords(ctx); err != nil && ctx.Err() == nil {
					onErr(err)
				}
			}
			if s.ratings == nil {
				continue
			}
			if err := s.loadRatings(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}
