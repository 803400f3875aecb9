package app

import (
	"context"
	"errors"
	"testing"

	"siyu.dev/services/product/internal/domain"
)

// The catalogue's admin writes for memRepo: brands, category changes and
// version-checked product replacement.
func (m *memRepo) CreateBrand(_ context.Context, b domain.Brand) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.brands == nil {
		m.brands = map[string]domain.Brand{}
	}
	if _, ok := m.brands[b.ID]; ok {
		return domain.ErrBrandExists
	}
	m.brands[b.ID] = b
	return nil
}
func (m *memRepo) UpdateBrand(_ context.Context, b domain.Brand) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.brands[b.ID] = b
	return nil
}
func (m *memRepo) DeleteBrand(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.brands, id)
	return nil
}
func (m *memRepo) Brands(context.Context) ([]domain.Brand, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Brand
	for _, b := range m.brands {
		out = append(out, b)
	}
	return out, nil
}
func (m *memRepo) UpdateCategory(context.Context, domain.Category) error { return nil }
func (m *memRepo) DeleteCategory(context.Context, string) error          { return nil }
func (m *memRepo) Product(_ context.Context, id string) (domain.Product, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[id]
	if !ok {
		return p, domain.ErrProductNotFound
	}
	return p, nil
}
func (m *memRepo) ReplaceProduct(_ context.Context, p domain.Product, prev int64, ev domain.ProductEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.products[p.ID].Version != prev {
		return domain.ErrVersionMismatch
	}
	m.products[p.ID] = p
	m.changes = append(m.changes, ev)
	return nil
}

func reason(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return string(de.Reason)
	}
	return ""
}

func TestUpdatePublishAndReadModel(t *testing.T) {
	s, repo, _ := seeded(t)
	ctx := context.Background()
	draft := product("dress", "UPD-1", 0)
	draft.Status, draft.Title = domain.StatusDraft, "草稿连衣裙"
	p, err := s.products.CreateProduct(ctx, draft, "p-upd")
	if err != nil || p.Version != 1 {
		t.Fatalf("create: %+v %v", p, err)
	}
	if _, err := s.catalog.GetProduct("p-upd"); reason(err) != "PRODUCT_NOT_FOUND" {
		t.Errorf("a draft is served to shoppers: %v", err)
	}
	if got, err := s.products.AdminGetProduct("p-upd"); err != nil || got.Status != domain.StatusDraft {
		t.Errorf("admin get of a draft: %+v %v", got, err)
	}
	if _, err := s.products.UnpublishProduct(ctx, "p-upd", 0); reason(err) != "STATUS_TRANSITION_INVALID" {
		t.Errorf("unpublish a draft: %v", err)
	}
	up, err := s.products.UpdateProduct(ctx, domain.Product{ID: "p-upd", Version: 1, Title: "夏日碎花连衣裙", Subtitle: "ignored"}, []string{"title"})
	if err != nil || up.Version != 2 || up.Title != "夏日碎花连衣裙" || up.Subtitle != "" {
		t.Fatalf("update title: %+v %v", up, err)
	}
	if _, err := s.products.UpdateProduct(ctx, domain.Product{ID: "p-upd", Version: 1, Title: "stale"}, []string{"title"}); reason(err) != "PRODUCT_VERSION_MISMATCH" {
		t.Errorf("stale update: %v", err)
	}
	if _, err := s.products.UpdateProduct(ctx, domain.Product{ID: "p-upd", Version: 2}, []string{"status"}); reason(err) != "FIELD_MASK_INVALID" {
		t.Errorf("status through the mask: %v", err)
	}
	pub, err := s.products.PublishProduct(ctx, "p-upd", 2)
	if err != nil || pub.Status != domain.StatusOnSale || pub.Version != 3 {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	// The read model and the search index follow.
	if got, err := s.catalog.GetProduct("p-upd"); err != nil || got.Title != "夏日碎花连衣裙" {
		t.Errorf("shopper read after publish: %+v %v", got, err)
	}
	if page, _ := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "碎花"}, 10, ""); page.Total != 1 || page.Products[0].ID != "p-upd" {
		t.Errorf("search after publish: %+v", page)
	}
	again, err := s.products.PublishProduct(ctx, "p-upd", 0)
	if err != nil || again.Version != 3 {
		t.Errorf("publish twice changes nothing: %+v %v", again, err)
	}
	// A new SKU through the mask gets stock; the price change shows at once.
	skus := []domain.Sku{{Code: "UPD-1", PriceFen: 800, Specs: map[string]string{"尺码": "M"}}, {Code: "UPD-2", PriceFen: 900, Stock: 4, Specs: map[string]string{"尺码": "L"}}}
	up, err = s.products.UpdateProduct(ctx, domain.Product{ID: "p-upd", Version: 3, Skus: skus}, []string{"skus"})
	if err != nil || len(up.Skus) != 2 || len(up.SpecAttrs) != 1 || up.SpecAttrs[0].Name != "尺码" {
		t.Fatalf("update skus: %+v %v", up, err)
	}
	if page, _ := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "碎花", MaxPrice: 850}, 10, ""); page.Total != 1 {
		t.Errorf("price filter after the SKU change: %+v", page)
	}
	if _, err := s.products.UnpublishProduct(ctx, "p-upd", 4); err != nil {
		t.Fatal(err)
	}
	if page, _ := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "碎花"}, 10, ""); page.Total != 0 {
		t.Errorf("an off-shelf product is still found: %+v", page)
	}
	if page, _ := s.products.AdminListProducts("", domain.StatusOffShelf, 10, ""); page.Total != 1 {
		t.Errorf("admin list of off-shelf products: %+v", page)
	}
	kinds := []domain.EventKind{}
	for _, e := range repo.changes {
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 4 || kinds[0] != domain.EventUpdated || kinds[1] != domain.EventPublished || kinds[3] != domain.EventPublished {
		t.Errorf("events: %v", kinds)
	}
}

func TestBrandsAndCategoryRules(t *testing.T) {
	s, _, _ := seeded(t)
	ctx := context.Background()
	if _, err := s.products.CreateBrand(ctx, domain.Brand{Name: "花间"}, "huajian"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.products.CreateBrand(ctx, domain.Brand{Name: "again"}, "huajian"); reason(err) != "BRAND_EXISTS" {
		t.Errorf("duplicate brand: %v", err)
	}
	p := product("floral", "BR-1", 0)
	p.BrandID = "ghost"
	if _, err := s.products.CreateProduct(ctx, p, ""); reason(err) != "BRAND_NOT_FOUND" {
		t.Errorf("unknown brand: %v", err)
	}
	p.BrandID = "huajian"
	if _, err := s.products.CreateProduct(ctx, p, "p-br"); err != nil {
		t.Fatal(err)
	}
	if err := s.products.DeleteBrand(ctx, "huajian"); reason(err) != "BRAND_IN_USE" {
		t.Errorf("delete a used brand: %v", err)
	}
	if err := s.products.DeleteCategory(ctx, "dress"); reason(err) != "CATEGORY_HAS_CHILDREN" {
		t.Errorf("delete a parent: %v", err)
	}
	if err := s.products.DeleteCategory(ctx, "floral"); reason(err) != "CATEGORY_IN_USE" {
		t.Errorf("delete a used category: %v", err)
	}
	if _, err := s.products.CreateCategory(ctx, domain.Category{Name: "空", ParentID: "men"}, "empty"); err != nil {
		t.Fatal(err)
	}
	if err := s.products.DeleteCategory(ctx, "empty"); err != nil {
		t.Errorf("delete an empty leaf: %v", err)
	}
	if _, ok := s.model.Category("empty"); ok {
		t.Error("deleted category still in the read model")
	}
	c, err := s.products.UpdateCategory(ctx, domain.Category{ID: "women", Name: "女装", Sort: 9}, []string{"name"})
	if err != nil || c.Name != "女装" || c.Sort != 0 || c.Level != 1 {
		t.Errorf("update category: %+v %v", c, err)
	}
}
