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
