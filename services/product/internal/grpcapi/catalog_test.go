package grpcapi_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	productv1 "siyu.dev/proto/siyu/product/v1"
)

func TestCatalogAdminOverGRPC(t *testing.T) {
	e := setup(t)
	e.seed(t, 0)
	c := e.client
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

	_, err := c.CreateBrand(e.member, &productv1.CreateBrandRequest{Brand: &productv1.Brand{Name: "x"}})
	expect(t, "member creates a brand", err, codes.PermissionDenied, "ROLE_REQUIRED")
	if _, err := c.CreateBrand(e.admin, &productv1.CreateBrandRequest{BrandId: "huajian", Brand: &productv1.Brand{Name: "花间", Sort: 2}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateBrand(e.admin, &productv1.CreateBrandRequest{BrandId: "huajian", Brand: &productv1.Brand{Name: "again"}})
	expect(t, "duplicate brand", err, codes.AlreadyExists, "BRAND_EXISTS")
	_, err = c.CreateBrand(e.admin, &productv1.CreateBrandRequest{Brand: &productv1.Brand{Name: ""}})
	expect(t, "nameless brand", err, codes.InvalidArgument, "BRAND_NAME_INVALID")
	_, err = c.UpdateBrand(e.admin, &productv1.UpdateBrandRequest{Brand: &productv1.Brand{Id: "ghost", Name: "x"}})
	expect(t, "unknown brand", err, codes.NotFound, "BRAND_NOT_FOUND")
	if b, err := c.UpdateBrand(e.admin, &productv1.UpdateBrandRequest{Brand: &productv1.Brand{Id: "huajian", Name: "花间集", Sort: 9}, UpdateMask: mask("name")}); err != nil || b.Brand.Name != "花间集" || b.Brand.Sort != 2 {
		t.Fatalf("update brand: %v %v", b, err)
	}
	if list, err := c.ListBrands(context.Background(), &productv1.ListBrandsRequest{}); err != nil || len(list.Brands) != 1 {
		t.Fatalf("list brands: %v %v", list, err)
	}

	// A draft with a brand, declared specs and a description to sanitise.
	created, err := c.CreateProduct(e.admin, &productv1.CreateProductRequest{ProductId: "p-new", Product: &productv1.Product{Title: "碎花连衣裙", CategoryId: "dress", BrandId: "huajian",
		DescriptionHtml: `<p>真丝<script>alert(1)</script></p>`, PurchaseLimit: 2, Tags: []string{"new"},
		SpecAttributes: []*productv1.SpecAttribute{{Name: "尺码", Options: []string{"M", "L"}}},
		Skus:           []*productv1.Sku{{Code: "NEW-M", PriceFen: 19900, ListPriceFen: 29900, Specs: map[string]string{"尺码": "M"}, Stock: 5}}}})
	if err != nil {
		t.Fatal(err)
	}
	p := created.Product
	if p.Status != productv1.ProductStatus_PRODUCT_STATUS_DRAFT || p.Version != 1 || p.DescriptionHtml != "<p>真丝</p>" || p.PurchaseLimit != 2 || p.BrandId != "huajian" {
		t.Fatalf("created: %v", p)
	}
	_, err = c.CreateProduct(e.admin, &productv1.CreateProductRequest{Product: &productv1.Product{Title: "t", CategoryId: "dress",
		SpecAttributes: []*productv1.SpecAttribute{{Name: "尺码", Options: []string{"M"}}}, Skus: []*productv1.Sku{{Code: "BAD-XL", PriceFen: 1, Specs: map[string]string{"尺码": "XL"}}}}})
	expect(t, "value outside the options", err, codes.InvalidArgument, "SPEC_VALUE_INVALID")
	_, err = c.CreateProduct(e.admin, &productv1.CreateProductRequest{Product: &productv1.Product{Title: "t", CategoryId: "dress", BrandId: "ghost", Skus: []*productv1.Sku{{Code: "GB", PriceFen: 1}}}})
	expect(t, "unknown brand on a product", err, codes.FailedPrecondition, "BRAND_NOT_FOUND")

	_, err = c.GetProduct(context.Background(), &productv1.GetProductRequest{Id: "p-new"})
	expect(t, "shopper reads a draft", err, codes.NotFound, "PRODUCT_NOT_FOUND")
	if got, err := c.AdminGetProduct(e.admin, &productv1.AdminGetProductRequest{Id: "p-new"}); err != nil || got.Product.Version != 1 {
		t.Fatalf("admin get: %v %v", got, err)
	}
	_, err = c.AdminGetProduct(e.member, &productv1.AdminGetProductRequest{Id: "p-new"})
	expect(t, "member admin get", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = c.AdminGetProduct(e.admin, &productv1.AdminGetProductRequest{Id: "p-none"})
	expect(t, "admin get unknown", err, codes.NotFound, "PRODUCT_NOT_FOUND")

	upd := func(version int64, paths ...string) (*productv1.UpdateProductResponse, error) {
		return c.UpdateProduct(e.admin, &productv1.UpdateProductRequest{Product: &productv1.Product{Id: "p-new", Version: version, Title: "真丝碎花连衣裙", SortWeight: 50}, UpdateMask: mask(paths...)})
	}
	_, err = upd(0, "title")
	expect(t, "no version", err, codes.InvalidArgument, "VERSION_REQUIRED")
	_, err = upd(1)
	expect(t, "no mask", err, codes.InvalidArgument, "FIELD_MASK_REQUIRED")
	_, err = upd(1, "status")
	expect(t, "status in the mask", err, codes.InvalidArgument, "FIELD_MASK_INVALID")
	got, err := upd(1, "title", "sort_weight")
	if err != nil || got.Product.Version != 2 || got.Product.Title != "真丝碎花连衣裙" || got.Product.SortWeight != 50 {
		t.Fatalf("update: %v %v", got, err)
	}
	_, err = upd(1, "title")
	expect(t, "stale version", err, codes.Aborted, "PRODUCT_VERSION_MISMATCH")
	_, err = c.UpdateProduct(e.admin, &productv1.UpdateProductRequest{Product: &productv1.Product{Id: "p-none", Version: 1}, UpdateMask: mask("title")})
	expect(t, "update unknown", err, codes.NotFound, "PRODUCT_NOT_FOUND")
	_, err = c.UnpublishProduct(e.admin, &productv1.UnpublishProductRequest{Id: "p-new"})
	expect(t, "unpublish a draft", err, codes.FailedPrecondition, "STATUS_TRANSITION_INVALID")
	_, err = c.PublishProduct(e.admin, &productv1.PublishProductRequest{Id: "p-new", Version: 1})
	expect(t, "publish stale", err, codes.Aborted, "PRODUCT_VERSION_MISMATCH")
	if pub, err := c.PublishProduct(e.admin, &productv1.PublishProductRequest{Id: "p-new", Version: 2}); err != nil || pub.Product.Status != productv1.ProductStatus_PRODUCT_STATUS_ON_SALE {
		t.Fatalf("publish: %v %v", pub, err)
	}
	if shop, err := c.GetProduct(context.Background(), &productv1.GetProductRequest{Id: "p-new"}); err != nil || shop.Product.Title != "真丝碎花连衣裙" || shop.Product.Skus[0].Stock != 5 {
		t.Fatalf("shopper read after publish: %v %v", shop, err)
	}
	if found, _ := c.SearchProducts(context.Background(), &productv1.SearchProductsRequest{Query: "真丝"}); found.GetTotalSize() != 1 {
		t.Errorf("search after the update: %v", found)
	}
	if _, err := c.UnpublishProduct(e.admin, &productv1.UnpublishProductRequest{Id: "p-new"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.AdminListProducts(e.admin, &productv1.AdminListProductsRequest{Status: productv1.ProductStatus_PRODUCT_STATUS_OFF_SHELF}); list.GetTotalSize() != 1 {
		t.Errorf("admin list off shelf: %v", list)
	}
	if list, _ := c.ListProducts(context.Background(), &productv1.ListProductsRequest{}); list.GetTotalSize() != 0 {
		t.Errorf("shopper list shows an off-shelf product: %v", list)
	}

	_, err = c.DeleteBrand(e.admin, &productv1.DeleteBrandRequest{BrandId: "huajian"})
	expect(t, "delete a used brand", err, codes.FailedPrecondition, "BRAND_IN_USE")
	if _, err := c.CreateCategory(e.admin, &productv1.CreateCategoryRequest{CategoryId: "mini", Category: &productv1.Category{Name: "短裙", ParentId: "dress"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteCategory(e.admin, &productv1.DeleteCategoryRequest{CategoryId: "dress"})
	expect(t, "delete a parent", err, codes.FailedPrecondition, "CATEGORY_HAS_CHILDREN")
	_, err = c.DeleteCategory(e.admin, &productv1.DeleteCategoryRequest{CategoryId: "ghost"})
	expect(t, "delete unknown", err, codes.NotFound, "CATEGORY_NOT_FOUND")
	if cat, err := c.UpdateCategory(e.admin, &productv1.UpdateCategoryRequest{Category: &productv1.Category{Id: "mini", Sort: 3, IconUrl: "/icons/mini.svg"}, UpdateMask: mask("sort", "icon_url")}); err != nil || cat.Category.Name != "短裙" || cat.Category.Sort != 3 {
		t.Fatalf("update category: %v %v", cat, err)
	}
	if _, err := c.DeleteCategory(e.admin, &productv1.DeleteCategoryRequest{CategoryId: "mini"}); err != nil {
		t.Fatal(err)
	}

	csv := "product_id,title,category_id,status,sku_code,specs,price_fen,stock\n" +
		"p-csv-1,导入商品,dress,on_sale,CSV-1,,1990,3\n" +
		"p-csv-2,导入商品二,dress,on_sale,CSV-2,,0,3\n"
	rep, err := c.ImportProducts(e.admin, &productv1.ImportProductsRequest{Format: productv1.ImportFormat_IMPORT_FORMAT_CSV, Content: csv})
	if err != nil || len(rep.CreatedIds) != 1 || len(rep.Errors) != 1 || rep.Errors[0].Row != 3 || rep.Errors[0].Reason != "PRICE_INVALID" || rep.Errors[0].Field != "skus[0].price_fen" {
		t.Fatalf("import: %v %v", rep, err)
	}
	_, err = c.ImportProducts(e.admin, &productv1.ImportProductsRequest{Content: csv})
	expect(t, "import without a format", err, codes.InvalidArgument, "IMPORT_FORMAT_INVALID")
	_, err = c.ImportProducts(e.member, &productv1.ImportProductsRequest{Format: productv1.ImportFormat_IMPORT_FORMAT_CSV, Content: csv})
	expect(t, "member import", err, codes.PermissionDenied, "ROLE_REQUIRED")
}

// TestConcurrentUpdatesOneVersionWins sends 12 updates of the same version
// at once: exactly one is applied, the others answer ABORTED, and the
// product ends one version later with the winner's title.
func TestConcurrentUpdatesOneVersionWins(t *testing.T) {
	e := setup(t)
	e.seed(t, 1)
	const n = 12
	type result struct {
		title string
		err   error
	}
	out := make(chan result, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			title := fmt.Sprintf("并发标题 %d", i)
			_, err := e.client.UpdateProduct(e.admin, &productv1.UpdateProductRequest{Product: &productv1.Product{Id: "p-000", Version: 1, Title: title},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
			out <- result{title, err}
		}(i)
	}
	var winner string
	wins := 0
	for i := 0; i < n; i++ {
		r := <-out
		if r.err == nil {
			wins++
			winner = r.title
			continue
		}
		expect(t, "losing update", r.err, codes.Aborted, "PRODUCT_VERSION_MISMATCH")
	}
	got, err := e.client.AdminGetProduct(e.admin, &productv1.AdminGetProductRequest{Id: "p-000"})
	if wins != 1 || err != nil || got.Product.Version != 2 || got.Product.Title != winner {
		t.Fatalf("%d wins; product %v %v (winner %q)", wins, got, err, winner)
	}
}
