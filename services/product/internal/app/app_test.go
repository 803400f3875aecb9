package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/product/internal/domain"
)

// memRepo is an in-memory domain.Repository for use-case tests.
type memRepo struct {
	mu       sync.Mutex
	cats     []domain.Category
	products map[string]domain.Product
	codes    map[string]string
	events   []domain.Created
	brands   map[string]domain.Brand
	changes  []domain.ProductEvent
}

func newMemRepo() *memRepo {
	return &memRepo{products: map[string]domain.Product{}, codes: map[string]string{}}
}

func (m *memRepo) CreateCategory(_ context.Context, c domain.Category) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cats = append(m.cats, c)
	return nil
}
func (m *memRepo) Categories(context.Context) ([]domain.Category, error) { return m.cats, nil }
func (m *memRepo) ReserveSkuCodes(_ context.Context, id string, codes []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range codes {
		if owner, ok := m.codes[c]; ok && owner != id {
			return domain.SkuCodeTaken(c)
		}
	}
	for _, c := range codes {
		m.codes[c] = id
	}
	return nil
}
func (m *memRepo) CreateProduct(_ context.Context, p domain.Product, ev domain.Created) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.products[p.ID]; ok {
		return domain.ErrProductExists
	}
	m.products[p.ID] = p
	m.events = append(m.events, ev)
	return nil
}
func (m *memRepo) Products(context.Context) ([]domain.Product, error) {
	var out []domain.Product
	for _, p := range m.products {
		out = append(out, p)
	}
	return out, nil
}

func product(cat, code string, weight int32) domain.Product {
	return domain.Product{Title: "商品 " + code, CategoryID: cat, Status: domain.StatusOnSale, SortWeight: weight,
		Skus: []domain.Sku{{Code: code, PriceFen: 1000, Stock: 5}}}
}

func seeded(t *testing.T) (*kit, *memRepo, *clock.Fake) {
	t.Helper()
	return seededWith(t, stores{})
}

// seededWith seeds a catalogue in memory with the ports p gives besides.
func seededWith(t *testing.T, p stores) (*kit, *memRepo, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	repo := newMemRepo()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newKit(repo, p, clk)
	for _, c := range []struct{ id, parent string }{{"women", ""}, {"dress", "women"}, {"floral", "dress"}, {"men", ""}} {
		if _, err := s.products.CreateCategory(ctx, domain.Category{Name: c.id, ParentID: c.parent}, c.id); err != nil {
			t.Fatal(err)
		}
	}
	for i, cat := range []string{"women", "dress", "floral", "men", "men"} {
		clk.Advance(time.Minute)
		if _, err := s.products.CreateProduct(ctx, product(cat, fmt.Sprintf("S%d", i), 0), fmt.Sprintf("p-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return s, repo, clk
}

func ids(ps []domain.Product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestListingOrderAndCategoryDescendants(t *testing.T) {
	s, _, _ := seeded(t)
	page, err := s.catalog.ListProducts("", 0, "")
	if err != nil || fmt.Sprint(ids(page.Products)) != "[p-4 p-3 p-2 p-1 p-0]" || page.Total != 5 {
		t.Fatalf("newest first: %v %v", ids(page.Products), err)
	}
	page, _ = s.catalog.ListProducts("women", 0, "")
	if fmt.Sprint(ids(page.Products)) != "[p-2 p-1 p-0]" {
		t.Errorf("women and below: %v", ids(page.Products))
	}
	if _, err := s.products.CreateProduct(context.Background(), product("men", "W", 10), "p-weighted"); err != nil {
		t.Fatal(err)
	}
	page, _ = s.catalog.ListProducts("men", 0, "")
	if fmt.Sprint(ids(page.Products)) != "[p-weighted p-4 p-3]" {
		t.Errorf("sort weight first: %v", ids(page.Products))
	}
}

func TestPagingWalksEverythingOnce(t *testing.T) {
	s, _, _ := seeded(t)
	seen := map[string]int{}
	tok := ""
	for pages := 0; pages < 10; pages++ {
		page, err := s.catalog.ListProducts("", 2, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Products {
			seen[p.ID]++
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("saw %v", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
	first, _ := s.catalog.ListProducts("", 2, "")
	if _, err := s.catalog.ListProducts("men", 2, first.NextPageToken); fault.ReasonOf(err) != "PAGE_TOKEN_INVALID" {
		t.Errorf("token reused with another filter: %v", err)
	}
	if _, err := s.catalog.ListProducts("", -1, ""); fault.ReasonOf(err) != "PAGE_SIZE_INVALID" {
		t.Errorf("negative page size: %v", err)
	}
}

func TestCreateRules(t *testing.T) {
	s, repo, _ := seeded(t)
	ctx := context.Background()
	cases := []struct {
		name   string
		p      domain.Product
		id     string
		reason string
	}{
		{"existing id", product("men", "NEW1", 0), "p-1", "PRODUCT_EXISTS"},
		{"unknown category", product("kids", "NEW2", 0), "", "CATEGORY_NOT_FOUND"},
		{"code of another product", product("men", "S1", 0), "p-new", "SKU_CODE_TAKEN"},
		{"bad id", product("men", "NEW3", 0), "Bad Id", "ID_INVALID"},
	}
	for _, c := range cases {
		_, err := s.products.CreateProduct(ctx, c.p, c.id)
		var de *domain.Error
		if !errors.As(err, &de) || string(de.Reason) != c.reason {
			t.Errorf("%s: %v, want %s", c.name, err, c.reason)
		}
	}
	draft := product("men", "D1", 0)
	draft.Status = 0
	p, err := s.products.CreateProduct(ctx, draft, "")
	if err != nil || p.Status != domain.StatusDraft {
		t.Fatalf("draft: %+v %v", p, err)
	}
	if _, err := s.catalog.GetProduct(p.ID); err != domain.ErrProductNotFound {
		t.Errorf("draft visible to shoppers: %v", err)
	}
	if _, err := s.products.CreateCategory(ctx, domain.Category{Name: "deep", ParentID: "floral"}, "deep"); err != domain.ErrCategoryTooDeep {
		t.Errorf("fourth level: %v", err)
	}
	if len(repo.events) != 6 {
		t.Errorf("%d product.created events, want 6", len(repo.events))
	}
	// A restarted service sees the same catalogue.
	again := newKit(repo, stores{}, clock.System)
	if err := again.loader.Load(ctx); err != nil {
		t.Fatal(err)
	}
	a, _ := s.catalog.ListProducts("", 100, "")
	b, _ := again.catalog.ListProducts("", 100, "")
	if fmt.Sprint(ids(a.Products)) != fmt.Sprint(ids(b.Products)) || len(again.catalog.Categories()) != 4 {
		t.Errorf("reloaded catalogue differs: %v vs %v", ids(a.Products), ids(b.Products))
	}
}
