package app

import (
	"context"
	"slices"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// Products are the operators' catalogue: categories, brands and products
// in any status. Writes go to the repository first, then into the read
// model (and the search index with it).
type Products struct {
	model *readmodel.Model
	repo  domain.Repository
	// stock creates the stock of new SKUs; nil keeps products without stock.
	stock domain.InventoryRepository
	clk   clock.Clock
	// locks serialise this instance's writers of one product, so an update
	// and a publish queue rather than fail each other's version check.
	locks keyLocks
}

// NewProducts builds the operators' catalogue use cases; stock may be nil.
func NewProducts(model *readmodel.Model, repo domain.Repository, stock domain.InventoryRepository, clk clock.Clock) *Products {
	return &Products{model: model, repo: repo, stock: stock, clk: clk}
}

// CreateCategory adds a category; id is optional.
func (s *Products) CreateCategory(ctx context.Context, c domain.Category, id string) (domain.Category, error) {
	if id == "" {
		id = newID("c")
	} else if err := domain.ValidateID("category_id", id); err != nil {
		return domain.Category{}, err
	}
	if _, ok := s.model.Category(id); ok {
		return domain.Category{}, domain.ErrCategoryExists
	}
	var parent *domain.Category
	if c.ParentID != "" {
		p, ok := s.model.Category(c.ParentID)
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
	s.model.PutCategory(c)
	return c, nil
}

// UpdateCategory changes the masked fields of a category.
func (s *Products) UpdateCategory(ctx context.Context, patch domain.Category, paths []string) (domain.Category, error) {
	cur, ok := s.model.Category(patch.ID)
	if !ok {
		return domain.Category{}, domain.ErrCategoryMissing
	}
	c, err := domain.ApplyCategoryMask(cur, patch, paths)
	if err != nil {
		return domain.Category{}, err
	}
	if err := s.repo.UpdateCategory(ctx, c); err != nil {
		return domain.Category{}, err
	}
	s.model.PutCategory(c)
	return c, nil
}

// DeleteCategory removes an empty leaf category.
func (s *Products) DeleteCategory(ctx context.Context, id string) error {
	if _, ok := s.model.Category(id); !ok {
		return domain.ErrCategoryMissing
	}
	if err := domain.CanDeleteCategory(s.model.CategoryUsage(id)); err != nil {
		return err
	}
	if err := s.repo.DeleteCategory(ctx, id); err != nil {
		return err
	}
	s.model.DropCategory(id)
	return nil
}

// CreateBrand adds a brand; id is optional.
func (s *Products) CreateBrand(ctx context.Context, b domain.Brand, id string) (domain.Brand, error) {
	if id == "" {
		id = newID("b")
	} else if err := domain.ValidateID("brand_id", id); err != nil {
		return domain.Brand{}, err
	}
	b, err := domain.ValidateBrand(b)
	if err != nil {
		return domain.Brand{}, err
	}
	if s.model.HasBrand(id) {
		return domain.Brand{}, domain.ErrBrandExists
	}
	b.ID = id
	if err := s.repo.CreateBrand(ctx, b); err != nil {
		return domain.Brand{}, err
	}
	s.model.PutBrand(b)
	return b, nil
}

// UpdateBrand changes the masked fields of a brand.
func (s *Products) UpdateBrand(ctx context.Context, patch domain.Brand, paths []string) (domain.Brand, error) {
	cur, ok := s.model.Brand(patch.ID)
	if !ok {
		return domain.Brand{}, domain.ErrBrandNotFound
	}
	b, err := domain.ApplyBrandMask(cur, patch, paths)
	if err != nil {
		return domain.Brand{}, err
	}
	if err := s.repo.UpdateBrand(ctx, b); err != nil {
		return domain.Brand{}, err
	}
	s.model.PutBrand(b)
	return b, nil
}

// DeleteBrand removes a brand no product uses, drafts included.
func (s *Products) DeleteBrand(ctx context.Context, id string) error {
	if !s.model.HasBrand(id) {
		return domain.ErrBrandNotFound
	}
	if s.model.BrandInUse(id) {
		return domain.ErrBrandInUse
	}
	if err := s.repo.DeleteBrand(ctx, id); err != nil {
		return err
	}
	s.model.DropBrand(id)
	return nil
}

// checkRefs checks that a product's category and brand exist.
func (s *Products) checkRefs(p domain.Product) error {
	if _, ok := s.model.Category(p.CategoryID); !ok {
		return domain.ErrCategoryNotFound
	}
	if p.BrandID != "" && !s.model.HasBrand(p.BrandID) {
		return domain.ErrBrandUnknown
	}
	return nil
}

// CreateProduct adds a product; id is optional. SKU codes are claimed
// before the product is written, so a crash in between leaves claimed codes
// but never a product whose codes someone else holds; a retry with the same
// id reclaims them.
func (s *Products) CreateProduct(ctx context.Context, p domain.Product, id string) (domain.Product, error) {
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
	if _, ok := s.model.Product(id); ok {
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
	s.model.PutProduct(p)
	return p, nil
}

// ensureStock creates the stock of p's SKUs with their initial units.
func (s *Products) ensureStock(ctx context.Context, p domain.Product) error {
	if s.stock == nil {
		return nil
	}
	levels := make([]domain.StockLevel, len(p.Skus))
	for i, k := range p.Skus {
		levels[i] = domain.StockLevel{SkuID: k.ID, ProductID: p.ID, Available: k.Stock, LowThreshold: domain.DefaultLowThreshold}
	}
	if err := s.stock.EnsureStock(ctx, levels); err != nil {
		return err
	}
	s.model.SetStock(levels...)
	return nil
}

// AdminGetProduct returns a product in any status.
func (s *Products) AdminGetProduct(id string) (domain.Product, error) {
	p, ok := s.model.Product(id)
	if !ok {
		return domain.Product{}, domain.ErrProductNotFound
	}
	return p, nil
}

// AdminListProducts pages through every product, newest first, optionally
// in a category (and below) and in one status.
func (s *Products) AdminListProducts(categoryID string, status domain.Status, pageSize int32, pageToken string) (Page, error) {
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return Page{}, err
	}
	if status < 0 || status > domain.StatusOffShelf {
		return Page{}, fault.New(domain.KindInvalid, "STATUS_INVALID", "unknown status", "field", "status")
	}
	filter := "admin|category=" + categoryID + "|status=" + status.String()
	tok, err := pagetoken.Decode(pageToken, filter)
	if err != nil {
		return Page{}, err
	}
	items, total := s.model.ListAll(categoryID, status, tok.Offset, size)
	return pageOf(items, total, tok.Offset, filter), nil
}

// UpdateProduct applies the masked fields of patch to the stored product,
// if it is still at patch.Version. The current product is read from the
// database, not the read model, so an instance that has not yet seen
// another's change cannot overwrite it: the version condition rejects it.
func (s *Products) UpdateProduct(ctx context.Context, patch domain.Product, paths []string) (domain.Product, error) {
	if patch.ID == "" {
		return domain.Product{}, fault.New(domain.KindInvalid, "ID_REQUIRED", "product.id is required", "field", "product.id")
	}
	if patch.Version <= 0 {
		return domain.Product{}, domain.ErrVersionRequired
	}
	unlock := s.locks.lock(patch.ID)
	defer unlock()
	cur, err := s.repo.Product(ctx, patch.ID)
	if err != nil {
		return domain.Product{}, err
	}
	if cur.Version != patch.Version {
		return domain.Product{}, domain.ErrVersionMismatch
	}
	next, err := domain.ApplyProductMask(cur, patch, paths)
	if err != nil {
		return domain.Product{}, err
	}
	if err := s.checkRefs(next); err != nil {
		return domain.Product{}, err
	}
	var newCodes []string
	old := map[string]bool{}
	for _, k := range cur.Skus {
		old[k.Code] = true
	}
	for i := range next.Skus {
		next.Skus[i].ID = next.ID + "-" + next.Skus[i].Code
		if !old[next.Skus[i].Code] {
			newCodes = append(newCodes, next.Skus[i].Code)
		}
	}
	// New codes are claimed first, as on create; codes a product drops stay
	// claimed by it, so a SKU id never changes hands.
	if len(newCodes) > 0 {
		if err := s.repo.ReserveSkuCodes(ctx, next.ID, newCodes); err != nil {
			return domain.Product{}, err
		}
	}
	return s.store(ctx, cur, next, domain.EventUpdated, paths)
}

// store writes next over cur (one version later) with its event, creates
// stock for new SKUs and updates the read model and search index.
func (s *Products) store(ctx context.Context, cur, next domain.Product, kind domain.EventKind, fields []string) (domain.Product, error) {
	now := s.clk.Now()
	next.Version, next.UpdatedAt = cur.Version+1, now
	next.Sales, next.RecentSales = 0, 0
	if err := s.repo.ReplaceProduct(ctx, next, cur.Version, domain.ProductEvent{EventID: newID("ev"), Kind: kind, Product: next, Fields: fields, At: now}); err != nil {
		return domain.Product{}, err
	}
	if err := s.ensureStock(ctx, newSkusOnly(cur, next)); err != nil {
		return domain.Product{}, err
	}
	s.model.PutProduct(next)
	got, _ := s.model.Product(next.ID)
	return got, nil
}

// newSkusOnly is next with only the SKUs cur did not have, whose stock is
// created; existing SKUs keep theirs (AdjustStock changes it).
func newSkusOnly(cur, next domain.Product) domain.Product {
	out := next
	out.Skus = nil
	for _, k := range next.Skus {
		if !slices.ContainsFunc(cur.Skus, func(o domain.Sku) bool { return o.ID == k.ID }) {
			out.Skus = append(out.Skus, k)
		}
	}
	return out
}

// PublishProduct puts a product on sale; version 0 skips the version check.
func (s *Products) PublishProduct(ctx context.Context, id string, version int64) (domain.Product, error) {
	return s.transition(ctx, id, version, domain.Publish)
}

// UnpublishProduct takes a product off the shelf; version 0 skips the check.
func (s *Products) UnpublishProduct(ctx context.Context, id string, version int64) (domain.Product, error) {
	return s.transition(ctx, id, version, domain.Unpublish)
}

func (s *Products) transition(ctx context.Context, id string, version int64, rule func(domain.Product) (domain.Product, bool, error)) (domain.Product, error) {
	if id == "" {
		return domain.Product{}, fault.New(domain.KindInvalid, "ID_REQUIRED", "id is required", "field", "id")
	}
	unlock := s.locks.lock(id)
	defer unlock()
	cur, err := s.repo.Product(ctx, id)
	if err != nil {
		return domain.Product{}, err
	}
	if version != 0 && cur.Version != version {
		return domain.Product{}, domain.ErrVersionMismatch
	}
	next, changed, err := rule(cur)
	if err != nil {
		return domain.Product{}, err
	}
	if !changed {
		// Already there: nothing to write, nothing to publish.
		s.model.PutProduct(cur)
		got, _ := s.model.Product(id)
		return got, nil
	}
	return s.store(ctx, cur, next, domain.EventPublished, []string{"status"})
}
