package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

func TestImport(t *testing.T) {
	s, _, _ := seeded(t)
	ctx := context.Background()
	csv := "product_id,title,category_id,status,tags,sku_code,specs,price_fen,stock\n" +
		"p-imp-1,导入连衣裙,dress,on_sale,new;hot,IMP-1-M,尺码:M,9900,5\n" +
		"p-imp-1,导入连衣裙,dress,on_sale,,IMP-1-L,尺码:L,9900,5\n" +
		"p-imp-2,没有价格,dress,on_sale,,IMP-2,,0,1\n" +
		"p-imp-3,数量不对,dress,draft,,IMP-3,,abc,1\n" +
		"p-imp-4,未知分类,nowhere,draft,,IMP-4,,100,1\n"
	rep, err := s.importFile(ctx, "csv", csv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Created, ",") != "p-imp-1" || len(rep.Errors) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	want := []domain.ImportRowError{{Row: 4, ProductID: "p-imp-2", Field: "skus[0].price_fen", Reason: "PRICE_INVALID"},
		{Row: 5, ProductID: "p-imp-3", Field: "price_fen", Reason: "NUMBER_INVALID"}, {Row: 6, ProductID: "p-imp-4", Reason: "CATEGORY_NOT_FOUND"}}
	for i, w := range want {
		g := rep.Errors[i]
		if g.Row != w.Row || g.ProductID != w.ProductID || g.Field != w.Field || g.Reason != w.Reason {
			t.Errorf("error %d: %+v, want %+v", i, g, w)
		}
	}
	again, _ := s.importFile(ctx, "csv", csv)
	if len(again.Created) != 0 || strings.Join(again.Existing, ",") != "p-imp-1" {
		t.Errorf("re-run: %+v", again)
	}
	js := `[{"title":"无编号商品","category_id":"dress","status":"on_sale","skus":[{"code":"JS-1","price_fen":500}]},
		{"id":"p-js-2","title":"重复编码","category_id":"dress","skus":[{"code":"IMP-1-M","price_fen":500}]},
		{"id":"p-js-3","title":"bad","unknown":1}]`
	rep, err = s.importFile(ctx, "json", js)
	if err != nil || len(rep.Created) != 1 || len(rep.Errors) != 2 || rep.Errors[0].Row != 2 || rep.Errors[0].Reason != "SKU_CODE_TAKEN" || rep.Errors[1].Row != 3 {
		t.Fatalf("json: %+v %v", rep, err)
	}
	again, _ = s.importFile(ctx, "json", js)
	if len(again.Created) != 0 || len(again.Existing) != 1 || again.Existing[0] != rep.Created[0] {
		t.Errorf("json re-run (idempotent by SKU code): %+v", again)
	}
	if _, err := s.importFile(ctx, "json", "{"); reason(err) != "IMPORT_FILE_INVALID" {
		t.Errorf("broken file: %v", err)
	}
	if _, err := s.importFile(ctx, "xml", ""); reason(err) != "IMPORT_FORMAT_INVALID" {
		t.Errorf("format: %v", err)
	}
}

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
	s, _, clk := seededWith(t, Ports{Sales: sales})
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
	s2 := newKit(s.repo, Ports{Sales: sales}, clk)
	must(s2.loader.Load(ctx))
	if tot, _ := s2.sales.Counters("p-new"); tot != 3 {
		t.Errorf("after reload: %d", tot)
	}
}

type memRatings []domain.RatingSummary

func (m memRatings) Summaries(context.Context) ([]domain.RatingSummary, error) { return m, nil }

func TestRatingsInReadsAndTheRatingSort(t *testing.T) {
	// 4.5 stars from 2 reviews, 5 stars from 1, 4.5 stars from 4.
	s, _, _ := seededWith(t, Ports{Ratings: memRatings{
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
