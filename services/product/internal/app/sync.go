package app

import (
	"context"

	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// CatalogSync applies the product changes other instances stored (their
// product.* events) to this instance's read model.
type CatalogSync struct {
	model *readmodel.Model
	repo  domain.Repository
	// stock reads the levels of SKUs this instance has not seen; nil
	// leaves products without stock.
	stock domain.InventoryRepository
}

// NewCatalogSync builds the sync; stock may be nil.
func NewCatalogSync(model *readmodel.Model, repo domain.Repository, stock domain.InventoryRepository) *CatalogSync {
	return &CatalogSync{model: model, repo: repo, stock: stock}
}

// ApplyProduct puts a product as another instance stored it into this
// instance's read model and search index; an older version than the one
// held is ignored.
func (s *CatalogSync) ApplyProduct(ctx context.Context, p domain.Product) error {
	// A category or brand created on another instance is read before the
	// product that uses it, so listings and the index know its names.
	if _, ok := s.model.Category(p.CategoryID); !ok || (p.BrandID != "" && !s.model.HasBrand(p.BrandID)) {
		if err := s.reloadRefs(ctx); err != nil {
			return err
		}
	}
	if !s.model.PutProduct(p) {
		return nil
	}
	// Stock lives in its own documents; levels this instance has not seen
	// are read so the new SKUs show their stock.
	if s.stock == nil {
		return nil
	}
	var missing []domain.Sku
	for _, k := range p.Skus {
		if !s.model.HasStock(k.ID) {
			missing = append(missing, k)
		}
	}
	for _, k := range missing {
		st, err := s.stock.Stock(ctx, k.ID)
		if err != nil {
			continue // created a moment later by the writer; the next change or Load fills it
		}
		s.model.SetStock(st.StockLevel)
	}
	return nil
}

func (s *CatalogSync) reloadRefs(ctx context.Context) error {
	cats, err := s.repo.Categories(ctx)
	if err != nil {
		return err
	}
	brands, err := s.repo.Brands(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		s.model.PutCategory(c)
	}
	s.model.SetBrands(brands)
	return nil
}
