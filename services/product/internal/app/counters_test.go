package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"siyu.dev/services/product/internal/domain"
)

type memSales struct {
	seen    map[string]bool
	buckets map[string]*domain.SalesBucket
}

func (m *memSales) CountSale(_ context.Context, ev, pid, day string, units int64) (bool, error) {
	if m.seen[ev+pid+day] {
		return false, nil
	}
	m.seen[ev+pid+day] = true
	k := pid + "@" + day
	if m.buckets[k] == nil {
		m.buckets[k] = &domain.SalesBucket{ProductID: pid, Day: day}
	}
	m.buckets[k].Units += units
	return true, nil
}

func (m *memSales) SalesBuckets(context.Context) ([]domain.SalesBucket, error) {
	var out []domain.SalesBucket
	for _, b := range m.buckets {
		out = append(out, *b)
	}
	return out, nil
}

func TestSalesCountersAndHotSort(t *testing.T) {
	sales := &memSales{seen: map[string]bool{}, buckets: map[string]*domain.SalesBucket{}}
	s, _, clk := seededWith(t, stores{Sales: sales})
	ctx := context.Background()
	for _, id := range []string{"old", "new"} {
		if _, err := s.products.CreateProduct(ctx, product("dress", "S-"+id, 0), "p-"+id); err != nil {
			t.Fatal(err)
		}
	}
	longAgo := domain.SalesDay(clk.Now().Add(-30 * 24 * time.Hour))
	today := domain.SalesDay(clk.Now())
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.sales.CountSales(ctx, "e1", longAgo, []domain.SaleLine{{ProductID: "p-old", Units: 10}}, 1))
	must(s.sales.CountSales(ctx, "e2", today, []domain.SaleLine{{ProductID: "p-new", Units: 2}, {ProductID: "p-new", Units: 1}, {ProductID: "p-old", Units: 1}}, 1))
	must(s.sales.CountSales(ctx, "e2", today, []domain.SaleLine{{ProductID: "p-new", Units: 3}}, 1)) // redelivery
	must(s.sales.CountSales(ctx, "r1", today, []domain.SaleLine{{ProductID: "p-old", Units: 1}}, -1))
	if tot, rec := s.sales.Counters("p-new"); tot != 3 || rec != 3 {
		t.Errorf("p-new sales %d recent %d", tot, rec)
	}
	if tot, rec := s.sales.Counters("p-old"); tot != 10 || rec != 0 {
		t.Errorf("p-old sales %d recent %d", tot, rec)
	}
	order := func(o domain.SearchOrder) string {
		page, err := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "商品 S", Order: o}, 2, "")
		if err != nil || len(page.Products) < 2 {
			t.Fatalf("search: %+v %v", page, err)
		}
		return page.Products[0].ID + "," + page.Products[1].ID
	}
	if got := order(domain.OrderSales); got != "p-old,p-new" {
		t.Errorf("by sales: %s", got)
	}
	if got := order(domain.OrderHot); got != "p-new,p-old" {
		t.Errorf("hot: %s", got)
	}
	// A restart loads the same counters.
	s2 := newKit(s.repo, stores{Sales: sales}, clk)
	must(s2.loader.Load(ctx))
	if tot, _ := s2.sales.Counters("p-new"); tot != 3 {
		t.Errorf("after reload: %d", tot)
	}
}

type memRatings []domain.RatingSummary

func (m memRatings) Summaries(context.Context) ([]domain.RatingSummary, error) { return m, nil }

func TestRatingsInReadsAndTheRatingSort(t *testing.T) {
	// 4.5 stars from 2 reviews, 5 stars from 1, 4.5 stars from 4.
	s, _, _ := seededWith(t, stores{Ratings: memRatings{
		{ProductID: "p-good", Count: 2, Stars: [5]int64{0, 0, 0, 1, 1}},
		{ProductID: "p-best", Count: 1, Stars: [5]int64{0, 0, 0, 0, 1}},
	}})
	ctx := context.Background()
	for _, id := range []string{"none", "good", "best", "busy"} {
		if _, err := s.products.CreateProduct(ctx, product("dress", "R-"+id, 0), "p-"+id); err != nil {
			t.Fatal(err)
		}
	}
	// Ratings load with the catalogue, and again with the counters.
	if err := s.loader.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	s.model.SetRating(domain.RatingSummary{ProductID: "p-busy", Count: 4, Stars: [5]int64{0, 0, 0, 2, 2}})
	page, err := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "商品 R", Order: domain.OrderRating}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range page.Products {
		got = append(got, p.ID)
	}
	if strings.Join(got, ",") != "p-best,p-busy,p-good,p-none" {
		t.Errorf("by rating: %v (best average first, more reviews on a tie, unrated last)", got)
	}
	p, err := s.catalog.GetProduct("p-good")
	if err != nil || p.RatingX100 != 450 || p.ReviewCount != 2 {
		t.Errorf("product read: rating %d count %d %v", p.RatingX100, p.ReviewCount, err)
	}
}
