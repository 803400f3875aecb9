// Package app holds the product service's use cases. Shopper reads come
// from the in-memory catalog; operator writes go to the repository first
// and then into the catalog.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
)

// Ports are what the use cases read and write through. Catalog is
// required; a nil port turns its part off (tests build only what they
// exercise): without Inventory there is no stock, without Lists no
// favourites or history, without Sales no counters or hot order, without
// Keywords and SearchEvents hot keywords stay in this instance, without
// Ratings products show no review summary.
type Ports struct {
	Catalog      domain.Repository
	Inventory    domain.InventoryRepository
	Lists        domain.ShopperRepository
	Sales        domain.SalesRepository
	Keywords     domain.KeywordRepository
	SearchEvents domain.SearchEvents
	Ratings      RatingSource
}

// Service is the product service's application layer.
type Service struct {
	repo         domain.Repository
	clk          clock.Clock
	catalog      *catalog
	inv          domain.InventoryRepository
	locks        skuLocks
	hot          hotKeywords
	lists        domain.ShopperRepository
	sales        domain.SalesRepository
	ratings      RatingSource
	searchEvents domain.SearchEvents
	keywords     domain.KeywordRepository
	// productLocks serialises this instance's writers of one product, so an
	// update and a publish queue rather than fail each other's version check.
	productLocks skuLocks
}

// New wires the use cases over their ports; call Load before serving.
func New(p Ports, clk clock.Clock) *Service {
	c := newCatalog()
	c.now = clk.Now
	return &Service{repo: p.Catalog, clk: clk, catalog: c, inv: p.Inventory, lists: p.Lists, sales: p.Sales, keywords: p.Keywords,
		searchEvents: p.SearchEvents, ratings: p.Ratings}
}

// Load fills the read model from the database.
func (s *Service) Load(ctx context.Context) error {
	cats, err := s.repo.Categories(ctx)
	if err != nil {
		return err
	}
	products, err := s.repo.Products(ctx)
	if err != nil {
		return err
	}
	brands, err := s.repo.Brands(ctx)
	if err != nil {
		return err
	}
	s.catalog.load(cats, products)
	s.catalog.setBrands(brands)
	if s.sales != nil {
		if err := s.loadSales(ctx); err != nil {
			return err
		}
	}
	if s.keywords != nil {
		if err := s.loadHotKeywords(ctx); err != nil {
			return err
		}
	}
	if s.ratings != nil {
		if err := s.loadRatings(ctx); err != nil {
			return err
		}
	}
	if s.inv != nil {
		return s.loadStock(ctx, products)
	}
	return nil
}

// CreateCategory adds a category; id is optional.
func (s *Service) CreateCategory(ctx context.Context, c domain.Category, id string) (domain.Category, error) {
	if id == "" {
		id = newID("c")
	} else if err := domain.ValidateID("category_id", id); err != nil {
		return domain.Category{}, err
	}
	if _, ok := s.catalog.category(id); ok {
		return domain.Category{}, domain.ErrCategoryExists
	}
	var parent *domain.Category
	if c.ParentID != "" {
		p, ok := s.catalog.category(c.ParentID)
		if !ok {
			return domain.Category{}, domain.ErrCategoryNotFound
		}
		parent = &p
	}
	c, err := domain.ValidateCategory(c, parent)
	if err != nil {
		return domain.Category{}, err
	}
	c.ID = id
	if err := s.repo.CreateCategory(ctx, c); err != nil {
		return domain.Category{}, err
	}
	s.catalog.putCategory(c)
	return c, nil
}

// CreateProduct adds a product; id is optional. SKU codes are claimed
// before the product is written, so a crash in between leaves claimed codes
// but never a product whose codes someone else holds; a retry with the same
// id reclaims them.
func (s *Service) CreateProduct(ctx context.Context, p domain.Product, id string) (domain.Product, error) {
	if p.Status == 0 {
		p.Status = domain.StatusDraft
	}
	if id == "" {
		id = newID("p")
	} else if err := domain.ValidateID("product_id", id); err != nil {
		return domain.Product{}, err
	}
	p = domain.NormalizeProduct(p)
	if err := domain.ValidateProduct(p); err != nil {
		return domain.Product{}, err
	}
	if _, ok := s.catalog.product(id); ok {
		return domain.Product{}, domain.ErrProductExists
	}
	if err := s.checkRefs(p); err != nil {
		return domain.Product{}, err
	}
	now := s.clk.Now()
	p.ID, p.CreatedAt, p.UpdatedAt, p.Version = id, now, now, 1
	p.Sales, p.RecentSales = 0, 0
	codes := make([]string, len(p.Skus))
	for i := range p.Skus {
		p.Skus[i].ID = id + "-" + p.Skus[i].Code
		codes[i] = p.Skus[i].Code
	}
	if err := s.repo.ReserveSkuCodes(ctx, id, codes); err != nil {
		return domain.Product{}, err
	}
	if err := s.repo.CreateProduct(ctx, p, domain.Created{EventID: newID("ev"), ProductID: id, Title: p.Title, Category: p.CategoryID, At: now, Product: p}); err != nil {
		return domain.Product{}, err
	}
	// A crash before the stock exists is repaired by the next Load.
	if err := s.ensureStock(ctx, p); err != nil {
		return domain.Product{}, err
	}
	s.catalog.putProduct(p)
	return p, nil
}

// GetProduct returns a product on sale.
func (s *Service) GetProduct(id string) (domain.Product, error) {
	p, ok := s.catalog.product(id)
	if !ok || p.Status != domain.StatusOnSale {
		return domain.Product{}, domain.ErrProductNotFound
	}
	return p, nil
}

// Page is one page of a listing.
type Page struct {
	Products      []domain.Product
	NextPageToken string
	Total         int
}

// ListProducts pages through products on sale (AIP-158).
func (s *Service) ListProducts(categoryID string, pageSize int32, pageToken string) (Page, error) {
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return Page{}, err
	}
	filter := "category=" + categoryID
	tok, err := pagetoken.Decode(pageToken, filter)
	if err != nil {
		return Page{}, err
	}
	items, total := s.catalog.list(categoryID, tok.Offset, size)
	page := Page{Products: items, Total: total}
	if next := tok.Offset + len(items); next < total {
		page.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: next, Filter: filter})
	}
	return page, nil
}

// Categories returns the category tree, parents first.
func (s *Service) Categories() []domain.Category { return s.catalog.allCategories() }

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
