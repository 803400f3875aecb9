package app

import (
	"context"
	"siyu.dev/pkg/fault"
	"slices"
	"sort"

	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
)

// checkRefs checks that a product's category and brand exist.
func (s *Service) checkRefs(p domain.Product) error {
	if _, ok := s.catalog.category(p.CategoryID); !ok {
		return domain.ErrCategoryNotFound
	}
	if p.BrandID != "" && !s.catalog.hasBrand(p.BrandID) {
		return domain.ErrBrandUnknown
	}
	return nil
}

// Brands lists the brands by sort order, then name.
func (s *Service) Brands() []domain.Brand { return s.catalog.brandList() }

// CreateBrand adds a brand; id is optional.
func (s *Service) CreateBrand(ctx context.Context, b domain.Brand, id string) (domain.Brand, error) {
	if id == "" {
		id = newID("b")
	} else if err := domain.ValidateID("brand_id", id); err != nil {
		return domain.Brand{}, err
	}
	b, err := domain.ValidateBrand(b)
	if err != nil {
		return domain.Brand{}, err
	}
	if s.catalog.hasBrand(id) {
		return domain.Brand{}, domain.ErrBrandExists
	}
	b.ID = id
	if err := s.repo.CreateBrand(ctx, b); err != nil {
		return domain.Brand{}, err
	}
	s.catalog.putBrand(b)
	return b, nil
}

// UpdateBrand changes the masked fields of a brand.
func (s *Service) UpdateBrand(ctx context.Context, patch domain.Brand, paths []string) (domain.Brand, error) {
	cur, ok := s.catalog.brand(patch.ID)
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
	s.catalog.putBrand(b)
	return b, nil
}

// DeleteBrand removes a brand no product uses, drafts included.
func (s *Service) DeleteBrand(ctx context.Context, id string) error {
	if !s.catalog.hasBrand(id) {
		return domain.ErrBrandNotFound
	}
	if s.catalog.brandInUse(id) {
		return domain.ErrBrandInUse
	}
	if err := s.repo.DeleteBrand(ctx, id); err != nil {
		return err
	}
	s.catalog.dropBrand(id)
	return nil
}

// UpdateCategory changes the masked fields of a category.
func (s *Service) UpdateCategory(ctx context.Context, patch domain.Category, paths []string) (domain.Category, error) {
	cur, ok := s.catalog.category(patch.ID)
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
	s.catalog.putCategory(c)
	return c, nil
}

// DeleteCategory removes an empty leaf category.
func (s *Service) DeleteCategory(ctx context.Context, id string) error {
	if _, ok := s.catalog.category(id); !ok {
		return domain.ErrCategoryMissing
	}
	if err := domain.CanDeleteCategory(s.catalog.categoryUsage(id)); err != nil {
		return err
	}
	if err := s.repo.DeleteCategory(ctx, id); err != nil {
		return err
	}
	s.catalog.dropCategory(id)
	return nil
}

// AdminGetProduct returns a product in any status.
func (s *Service) AdminGetProduct(id string) (domain.Product, error) {
	p, ok := s.catalog.product(id)
	if !ok {
		return domain.Product{}, domain.ErrProductNotFound
	}
	return p, nil
}

// AdminListProducts pages through every product, newest first, optionally
// in a category (and below) and in one status.
func (s *Service) AdminListProducts(categoryID string, status domain.Status, pageSize int32, pageToken string) (Page, error) {
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
	items, total := s.catalog.listAll(categoryID, status, tok.Offset, size)
	page := Page{Products: items, Total: total}
	if next := tok.Offset + len(items); next < total {
		page.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: next, Filter: filter})
	}
	return page, nil
}

// UpdateProduct applies the masked fields of patch to the stored product,
// if it is still at patch.Version. The current product is read from the
// database, not the read model, so an instance that has not yet seen
// another's change cannot overwrite it: the version condition rejects it.
func (s *Service) UpdateProduct(ctx context.Context, patch domain.Product, paths []string) (domain.Product, error) {
	if patch.ID == "" {
		return domain.Product{}, fault.New(domain.KindInvalid, "ID_REQUIRED", "product.id is required", "field", "product.id")
	}
	if patch.Version <= 0 {
		return domain.Product{}, domain.ErrVersionRequired
	}
	unlock := s.productLocks.lock(patch.ID)
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
func (s *Service) store(ctx context.Context, cur, next domain.Product, kind domain.EventKind, fields []string) (domain.Product, error) {
	now := s.clk.Now()
	next.Version, next.UpdatedAt = cur.Version+1, now
	next.Sales, next.RecentSales = 0, 0
	if err := s.repo.ReplaceProduct(ctx, next, cur.Version, domain.ProductEvent{EventID: newID("ev"), Kind: kind, Product: next, Fields: fields, At: now}); err != nil {
		return domain.Product{}, err
	}
	if err := s.ensureStock(ctx, newSkusOnly(cur, next)); err != nil {
		return domain.Product{}, err
	}
	s.catalog.putProduct(next)
	got, _ := s.catalog.product(next.ID)
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
func (s *Service) PublishProduct(ctx context.Context, id string, version int64) (domain.Product, error) {
	return s.transition(ctx, id, version, domain.Publish)
}

// UnpublishProduct takes a product off the shelf; version 0 skips the check.
func (s *Service) UnpublishProduct(ctx context.Context, id string, version int64) (domain.Product, error) {
	return s.transition(ctx, id, version, domain.Unpublish)
}

func (s *Service) transition(ctx context.Context, id string, version int64, rule func(domain.Product) (domain.Product, bool, error)) (domain.Product, error) {
	if id == "" {
		return domain.Product{}, fault.New(domain.KindInvalid, "ID_REQUIRED", "id is required", "field", "id")
	}
	unlock := s.productLocks.lock(id)
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
		s.catalog.putProduct(cur)
		got, _ := s.catalog.product(id)
		return got, nil
	}
	return s.store(ctx, cur, next, domain.EventPublished, []string{"status"})
}

// ApplyProduct puts a product as another instance stored it (from its
// product.* event) into this instance's read model and search index; an
// older version than the one held is ignored.
func (s *Service) ApplyProduct(ctx context.Context, p domain.Product) error {
	// A category or brand created on another instance is read before the
	// product that uses it, so listings and the index know its names.
	if _, ok := s.catalog.category(p.CategoryID); !ok || (p.BrandID != "" && !s.catalog.hasBrand(p.BrandID)) {
		if err := s.reloadRefs(ctx); err != nil {
			return err
		}
	}
	if !s.catalog.putProduct(p) {
		return nil
	}
	// Stock lives in its own documents; levels this instance has not seen
	// are read so the new SKUs show their stock.
	if s.inv == nil {
		return nil
	}
	var missing []domain.Sku
	for _, k := range p.Skus {
		if !s.catalog.hasStock(k.ID) {
			missing = append(missing, k)
		}
	}
	for _, k := range missing {
		st, err := s.inv.Stock(ctx, k.ID)
		if err != nil {
			continue // created a moment later by the writer; the next change or Load fills it
		}
		s.catalog.setStock(st.StockLevel)
	}
	return nil
}

func (s *Service) reloadRefs(ctx context.Context) error {
	cats, err := s.repo.Categories(ctx)
	if err != nil {
		return err
	}
	brands, err := s.repo.Brands(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		s.catalog.putCategory(c)
	}
	s.catalog.setBrands(brands)
	return nil
}

func (c *catalog) setBrands(list []domain.Brand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.brands = map[string]domain.Brand{}
	for _, b := range list {
		c.brands[b.ID] = b
	}
}

func (c *catalog) putBrand(b domain.Brand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.brands[b.ID] = b
}

func (c *catalog) dropBrand(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.brands, id)
}

func (c *catalog) brand(id string) (domain.Brand, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.brands[id]
	return b, ok
}

func (c *catalog) hasBrand(id string) bool {
	_, ok := c.brand(id)
	return ok
}

func (c *catalog) brandList() []domain.Brand {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]domain.Brand, 0, len(c.brands))
	for _, b := range c.brands {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sort != out[j].Sort {
			return out[i].Sort < out[j].Sort
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (c *catalog) brandInUse(id string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range c.products {
		if p.BrandID == id {
			return true
		}
	}
	return false
}

// categoryUsage counts a category's direct children and the products (in
// any status) filed directly under it.
func (c *catalog) categoryUsage(id string) (children, products int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, cat := range c.categories {
		if cat.ParentID == id {
			children++
		}
	}
	for _, p := range c.products {
		if p.CategoryID == id {
			products++
		}
	}
	return children, products
}

func (c *catalog) dropCategory(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.categories, id)
}

func (c *catalog) hasStock(skuID string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.stock[skuID]
	return ok
}

// productByCode is the product holding a SKU code.
func (c *catalog) productByCode(code string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.codes[code]
	return id, ok
}

// listAll is one page of every product in a status (0: any), newest first.
func (c *catalog) listAll(categoryID string, status domain.Status, offset, limit int) ([]domain.Product, int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var in map[string]bool
	if categoryID != "" {
		in = c.descendants(categoryID)
	}
	var all []domain.Product
	for _, p := range c.products {
		if (in == nil || in[p.CategoryID]) && (status == 0 || p.Status == status) {
			all = append(all, p)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].ID < all[j].ID
	})
	page := make([]domain.Product, 0, min(limit, max(len(all)-offset, 0)))
	for i := offset; i < len(all) && len(page) < limit; i++ {
		page = append(page, c.withStock(all[i]))
	}
	return page, len(all)
}
