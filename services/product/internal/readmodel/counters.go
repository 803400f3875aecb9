package readmodel

import "siyu.dev/services/product/internal/domain"

// SetSales replaces the sales counters with the stored buckets.
func (c *Model) SetSales(buckets []domain.SalesBucket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sales = map[string]*domain.Sales{}
	for _, b := range buckets {
		c.addSaleLocked(b.ProductID, b.Day, b.Units)
	}
}

// AddSale adds units (negative for a refund) to a product's counter of day.
func (c *Model) AddSale(productID, day string, units int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addSaleLocked(productID, day, units)
}

func (c *Model) addSaleLocked(productID, day string, units int64) {
	sc := c.sales[productID]
	if sc == nil {
		sc = &domain.Sales{}
		c.sales[productID] = sc
	}
	sc.Add(day, units)
}

// Sales are a product's counters: all time and recent.
func (c *Model) Sales(productID string) (total, recent int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if s := c.sales[productID]; s != nil {
		return s.Total, s.Recent(c.now())
	}
	return 0, 0
}

// SetRatings replaces the rating summaries.
func (c *Model) SetRatings(list []domain.RatingSummary) {
	byProduct := make(map[string]domain.RatingSummary, len(list))
	for _, r := range list {
		byProduct[r.ProductID] = r
	}
	c.mu.Lock()
	c.ratings = byProduct
	c.mu.Unlock()
}

// SetRating replaces one product's rating summary.
func (c *Model) SetRating(r domain.RatingSummary) {
	c.mu.Lock()
	c.ratings[r.ProductID] = r
	c.mu.Unlock()
}
