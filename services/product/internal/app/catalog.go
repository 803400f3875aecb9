package app

import (
	"context"

	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// SearchRecorder hears every keyword search shoppers make, for the hot
// keywords. Keywords is one.
type SearchRecorder interface {
	Searched(ctx context.Context, memberID, client, query string, results int)
}

// CatalogReader is what the recommender and the shopper lists need of the
// catalogue: a product as shoppers may buy it now (on sale, with current
// stock). Catalog is one.
type CatalogReader interface {
	GetProduct(id string) (domain.Product, error)
}

// Catalog is what shoppers read: products on sale, listings, the category
// tree, brands and search, all from the read model.
type Catalog struct {
	model    *readmodel.Model
	searches SearchRecorder
}

// NewCatalog builds the shoppers' reads; searches may be nil (no search
// is counted).
func NewCatalog(model *readmodel.Model, searches SearchRecorder) *Catalog {
	return &Catalog{model: model, searches: searches}
}

// GetProduct returns a product on sale.
func (c *Catalog) GetProduct(id string) (domain.Product, error) {
	p, ok := c.model.Product(id)
	if !ok || p.Status != domain.StatusOnSale {
		return domain.Product{}, domain.ErrProductNotFound
	}
	return p, nil
}

// ListProducts pages through products on sale (AIP-158).
func (c *Catalog) ListProducts(categoryID string, pageSize int32, pageToken string) (Page, error) {
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return Page{}, err
	}
	filter := "category=" + categoryID
	tok, err := pagetoken.Decode(pageToken, filter)
	if err != nil {
		return Page{}, err
	}
	items, total := c.model.List(categoryID, tok.Offset, size)
	return pageOf(items, total, tok.Offset, filter), nil
}

// Categories returns the category tree, parents first.
func (c *Catalog) Categories() []domain.Category { return c.model.Categories() }

// Brands lists the brands by sort order, then name.
func (c *Catalog) Brands() []domain.Brand { return c.model.Brands() }

// SearchPage is one page of search results.
type SearchPage struct {
	Page
	Facets []readmodel.Facet
}

// SearchProducts finds products on sale (AIP-158 paging; the token is bound
// to the whole query). The first page of a keyword search goes to the
// search recorder (later pages are the same search read on). memberID is
// the signed-in shopper, empty for guests; client names who searched (the
// member or the network) so a keyword counts once per client and day.
func (c *Catalog) SearchProducts(ctx context.Context, memberID, client string, q domain.SearchQuery, pageSize int32, pageToken string) (SearchPage, error) {
	q, err := domain.NormalizeSearch(q)
	if err != nil {
		return SearchPage{}, err
	}
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return SearchPage{}, err
	}
	tok, err := pagetoken.Decode(pageToken, q.Key())
	if err != nil {
		return SearchPage{}, err
	}
	if q.CategoryID != "" {
		if _, ok := c.model.Category(q.CategoryID); !ok {
			return SearchPage{}, domain.ErrCategoryNotFound
		}
	}
	items, total, facets := c.model.Search(q, tok.Offset, size)
	page := SearchPage{Page: pageOf(items, total, tok.Offset, q.Key()), Facets: facets}
	if pageToken == "" && q.Query != "" && c.searches != nil {
		c.searches.Searched(ctx, memberID, client, q.Query, total)
	}
	return page, nil
}
