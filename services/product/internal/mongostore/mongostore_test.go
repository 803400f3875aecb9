package mongostore

import (
	"context"
	"testing"
	"time"

	"siyu.dev/pkg/testkit"
	"siyu.dev/services/product/internal/domain"
)

func TestRoundTripAndUniqueness(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t))
	if err := s.CreateCategory(ctx, domain.Category{ID: "dress", Name: "连衣裙", Level: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCategory(ctx, domain.Category{ID: "dress", Name: "again", Level: 1}); err != domain.ErrCategoryExists {
		t.Fatalf("duplicate category: %v", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := domain.Product{ID: "p-1", Title: "碎花连衣裙", CategoryID: "dress", Status: domain.StatusOnSale, ImageURLs: []string{"/a.svg"}, CreatedAt: now, UpdatedAt: now,
		Skus: []domain.Sku{{ID: "p-1-A", Code: "A", Specs: map[string]string{"尺码": "M"}, PriceFen: 9900, ListPriceFen: 12900, Stock: 3}}}
	if err := s.ReserveSkuCodes(ctx, "p-1", []string{"A"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveSkuCodes(ctx, "p-1", []string{"A"}); err != nil {
		t.Fatalf("same product reclaiming its code: %v", err)
	}
	if err := s.ReserveSkuCodes(ctx, "p-2", []string{"B", "A"}); err == nil || err.(*domain.Error).Reason != "SKU_CODE_TAKEN" {
		t.Fatalf("code of another product: %v", err)
	}
	if err := s.CreateProduct(ctx, p, domain.Created{EventID: "e1", ProductID: "p-1", At: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProduct(ctx, p, domain.Created{EventID: "e2", ProductID: "p-1", At: now}); err != domain.ErrProductExists {
		t.Fatalf("duplicate product: %v", err)
	}
	got, err := s.Products(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("products: %v %v", got, err)
	}
	g := got[0]
	if g.Title != p.Title || g.Skus[0].Specs["尺码"] != "M" || g.Skus[0].PriceFen != 9900 || !g.CreatedAt.Equal(now) || g.Status != domain.StatusOnSale {
		t.Errorf("round trip: %+v", g)
	}
	cats, _ := s.Categories(ctx)
	if len(cats) != 1 || cats[0].Name != "连衣裙" {
		t.Errorf("categories: %+v", cats)
	}
}

func TestReplaceProductAndSales(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := domain.Product{ID: "p-v", Title: "旧", CategoryID: "c", Status: domain.StatusDraft, CreatedAt: now, UpdatedAt: now, Version: 1,
		Skus: []domain.Sku{{ID: "p-v-A", Code: "A", PriceFen: 100}}, SpecAttrs: []domain.SpecAttr{{Name: "色", Options: []string{"红"}}}, DescriptionHTML: "<p>x</p>"}
	if err := s.CreateProduct(ctx, p, domain.Created{EventID: "e1", ProductID: "p-v", At: now, Product: p}); err != nil {
		t.Fatal(err)
	}
	next := p
	next.Title, next.Version, next.Status = "新", 2, domain.StatusOnSale
	if err := s.ReplaceProduct(ctx, next, 1, domain.ProductEvent{EventID: "e2", Kind: domain.EventPublished, Product: next, At: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceProduct(ctx, next, 1, domain.ProductEvent{EventID: "e3", Kind: domain.EventUpdated, Product: next, At: now}); err != domain.ErrVersionMismatch {
		t.Fatalf("stale replace: %v", err)
	}
	if err := s.ReplaceProduct(ctx, domain.Product{ID: "p-none", Version: 2}, 1, domain.ProductEvent{EventID: "e4", Kind: domain.EventUpdated, At: now}); err != domain.ErrProductNotFound {
		t.Fatalf("replace unknown: %v", err)
	}
	got, err := s.Product(ctx, "p-v")
	if err != nil || got.Title != "新" || got.Version != 2 || got.Status != domain.StatusOnSale || got.SpecAttrs[0].Options[0] != "红" || got.DescriptionHTML != "<p>x</p>" {
		t.Fatalf("read back: %+v %v", got, err)
	}
	for i, c := range []struct {
		ev    string
		units int64
		fresh bool
	}{{"o1", 2, true}, {"o1", 2, false}, {"o2", 3, true}, {"o2", 3, false}} {
		fresh, err := s.CountSale(ctx, c.ev, "p-v", "2026-11-23", c.units)
		if err != nil || fresh != c.fresh {
			t.Errorf("count %d: %v %v", i, fresh, err)
		}
	}
	b, err := s.SalesBuckets(ctx)
	if err != nil || len(b) != 1 || b[0].Units != 5 || b[0].ProductID != "p-v" || b[0].Day != "2026-11-23" {
		t.Errorf("buckets: %+v %v", b, err)
	}
}
