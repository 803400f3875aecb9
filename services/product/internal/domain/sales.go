package domain

import (
	"context"
	"time"
)

// HotWindow is how far back the "hot" ranking counts sales.
const HotWindow = 7 * 24 * time.Hour

// SalesDay is the UTC day a sale is counted on, as "2006-01-02".
func SalesDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// SaleLine is the units of one product an order event adds (paid) or takes
// back (refunded, negative).
type SaleLine struct {
	ProductID string
	Units     int64
}

// SalesBucket is one product's units on one day.
type SalesBucket struct {
	ProductID string
	Day       string
	Units     int64
}

// Sales is one product's counters.
type Sales struct {
	Total int64
	// Daily units by SalesDay, for the hot ranking.
	Daily map[string]int64
}

// Add counts units on day.
func (s *Sales) Add(day string, units int64) {
	if s.Daily == nil {
		s.Daily = map[string]int64{}
	}
	s.Total += units
	s.Daily[day] += units
}

// Recent is the units of the HotWindow up to now (days after now count too:
// they are clock skew, not the future).
func (s Sales) Recent(now time.Time) int64 {
	from := SalesDay(now.Add(-HotWindow))
	var n int64
	for day, u := range s.Daily {
		if day > from {
			n += u
		}
	}
	return n
}

// SaleLines folds an order's lines into units per product, dropping empty
// ones; sign is +1 for a payment and -1 for a refund.
func SaleLines(lines []SaleLine, sign int64) []SaleLine {
	units := map[string]int64{}
	var order []string
	for _, l := range lines {
		if l.ProductID == "" || l.Units <= 0 {
			continue
		}
		if _, ok := units[l.ProductID]; !ok {
			order = append(order, l.ProductID)
		}
		units[l.ProductID] += l.Units
	}
	out := make([]SaleLine, len(order))
	for i, id := range order {
		out[i] = SaleLine{ProductID: id, Units: sign * units[id]}
	}
	return out
}

// SalesRepository keeps the sales counters.
type SalesRepository interface {
	// CountSale adds units to productID's bucket of day unless eventID was
	// counted there already; fresh says whether it counted now.
	CountSale(ctx context.Context, eventID, productID, day string, units int64) (fresh bool, err error)
	SalesBuckets(ctx context.Context) ([]SalesBucket, error)
}
