package grpcapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/grpcapi"
	"siyu.dev/services/product/internal/mongostore"
	"siyu.dev/services/product/internal/readmodel"
)

type env struct {
	svc                    grpcapi.Services
	conn                   *grpc.ClientConn
	client                 productv1.ProductServiceClient
	inv                    productv1.InventoryServiceClient
	tokenFor               func(auth.Identity) context.Context
	admin, member, service context.Context
}

func setup(t testing.TB) *env { t.Helper(); return setupWith(t, nil) }

// stores are what a test's service is built over; a nil one leaves its
// part out, as production wiring without it would.
type stores struct {
	catalog      domain.Repository
	inventory    domain.InventoryRepository
	lists        domain.ShopperRepository
	keywords     domain.KeywordRepository
	searchEvents domain.SearchEvents
}

// build wires the use cases over s as product.Run does and loads the read
// model, which it returns for the use cases a test adds.
func build(t testing.TB, s stores) (grpcapi.Services, *readmodel.Model) {
	t.Helper()
	model := readmodel.New(clock.System.Now)
	keywords := app.NewKeywords(model, s.keywords, s.searchEvents, clock.System)
	catalog := app.NewCatalog(model, keywords)
	products := app.NewProducts(model, s.catalog, s.inventory, clock.System)
	svc := grpcapi.Services{Catalog: catalog, Products: products, Importer: app.NewImporter(products, model), Keywords: keywords}
	if s.inventory != nil {
		svc.Inventory = app.NewInventory(model, s.inventory, clock.System)
	}
	if s.lists != nil {
		svc.Lists = app.NewShopperLists(s.lists, catalog, clock.System)
	}
	if err := app.NewLoader(model, s.catalog, svc.Inventory, nil, keywords, nil).Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc, model
}

// setupWith lets a test give the service more stores before it loads.
func setupWith(t testing.TB, wire func(*stores, *mongostore.Store)) *env {
	t.Helper()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	store := mongostore.New(testkit.DB(t))
	s := stores{catalog: store, inventory: store, lists: store}
	if wire != nil {
		wire(&s, store)
	}
	svc, _ := build(t, s)
	srv := grpcserver.New(grpcserver.Options{Service: "product", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), svc)
	conn := testkit.BufconnServer(t, srv)
	iss := auth.NewIssuer(priv, "siyu", clock.System)
	tok := func(id auth.Identity) context.Context {
		s, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(context.Background(), s)
	}
	return &env{svc: svc, conn: conn, client: productv1.NewProductServiceClient(conn), inv: productv1.NewInventoryServiceClient(conn), tokenFor: tok,
		admin:   tok(auth.Identity{Subject: "admin:ops", Kind: auth.KindAdmin, Roles: []string{auth.RoleOperator}}),
		member:  tok(auth.Identity{Subject: "m_1", Kind: auth.KindMember}),
		service: tok(auth.Identity{Subject: "seed", Kind: auth.KindService})}
}

func expect(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v %q, want %v %q", what, status.Code(err), errs.Reason(err), code, reason)
	}
}

func newProduct(code string, price int64) *productv1.Product {
	return &productv1.Product{Title: "测试商品 " + code, CategoryId: "dress", Status: productv1.ProductStatus_PRODUCT_STATUS_ON_SALE,
		Skus: []*productv1.Sku{{Code: code, PriceFen: price, Stock: 3}}}
}

func (e *env) seed(t testing.TB, n int) {
	t.Helper()
	if _, err := e.client.CreateCategory(e.admin, &productv1.CreateCategoryRequest{CategoryId: "dress", Category: &productv1.Category{Name: "连衣裙"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := e.client.CreateProduct(e.service, &productv1.CreateProductRequest{ProductId: fmt.Sprintf("p-%03d", i), Product: newProduct(fmt.Sprintf("C%03d", i), 1000+int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccessAndErrors(t *testing.T) {
	e := setup(t)
	e.seed(t, 1)
	bg := context.Background()

	_, err := e.client.CreateProduct(bg, &productv1.CreateProductRequest{Product: newProduct("X", 100)})
	expect(t, "anonymous create", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = e.client.CreateProduct(e.member, &productv1.CreateProductRequest{Product: newProduct("X", 100)})
	expect(t, "member create", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.client.CreateCategory(e.member, &productv1.CreateCategoryRequest{Category: &productv1.Category{Name: "x"}})
	expect(t, "member category", err, codes.PermissionDenied, "ROLE_REQUIRED")

	cases := []struct {
		name   string
		req    *productv1.CreateProductRequest
		code   codes.Code
		reason string
	}{
		{"no product", &productv1.CreateProductRequest{}, codes.InvalidArgument, "PRODUCT_REQUIRED"},
		{"zero price", &productv1.CreateProductRequest{Product: newProduct("Z", 0)}, codes.InvalidArgument, "PRICE_INVALID"},
		{"no skus", &productv1.CreateProductRequest{Product: &productv1.Product{Title: "t", CategoryId: "dress"}}, codes.InvalidArgument, "SKU_REQUIRED"},
		{"unknown category", &productv1.CreateProductRequest{Product: &productv1.Product{Title: "t", CategoryId: "nope", Skus: []*productv1.Sku{{Code: "Q", PriceFen: 1}}}}, codes.FailedPrecondition, "CATEGORY_NOT_FOUND"},
		{"taken sku code", &productv1.CreateProductRequest{Product: newProduct("C000", 100)}, codes.AlreadyExists, "SKU_CODE_TAKEN"},
		{"existing id", &productv1.CreateProductRequest{ProductId: "p-000", Product: newProduct("NEW", 100)}, codes.AlreadyExists, "PRODUCT_EXISTS"},
		{"bad status", &productv1.CreateProductRequest{Product: &productv1.Product{Title: "t", CategoryId: "dress", Status: 42, Skus: []*productv1.Sku{{Code: "S", PriceFen: 1}}}}, codes.InvalidArgument, "STATUS_INVALID"},
	}
	for _, c := range cases {
		_, err := e.client.CreateProduct(e.admin, c.req)
		expect(t, c.name, err, c.code, c.reason)
	}
	_, err = e.client.CreateCategory(e.admin, &productv1.CreateCategoryRequest{CategoryId: "dress", Category: &productv1.Category{Name: "again"}})
	expect(t, "existing category", err, codes.AlreadyExists, "CATEGORY_EXISTS")
	_, err = e.client.CreateCategory(e.admin, &productv1.CreateCategoryRequest{Category: &productv1.Category{Name: "x", ParentId: "ghost"}})
	expect(t, "unknown parent", err, codes.FailedPrecondition, "CATEGORY_NOT_FOUND")

	_, err = e.client.GetProduct(bg, &productv1.GetProductRequest{Id: "p-999"})
	expect(t, "unknown product", err, codes.NotFound, "PRODUCT_NOT_FOUND")
	_, err = e.client.GetProduct(bg, &productv1.GetProductRequest{})
	expect(t, "no id", err, codes.InvalidArgument, "ID_REQUIRED")
	_, err = e.client.ListProducts(bg, &productv1.ListProductsRequest{PageSize: -5})
	expect(t, "negative page size", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")
	_, err = e.client.ListProducts(bg, &productv1.ListProductsRequest{PageToken: "forged"})
	expect(t, "forged token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")

	got, err := e.client.GetProduct(bg, &productv1.GetProductRequest{Id: "p-000"})
	if err != nil || got.Product.PriceFen != 1000 || len(got.Product.Skus) != 1 || got.Product.Skus[0].Id == "" {
		t.Fatalf("anonymous get: %v %v", got, err)
	}
	cats, err := e.client.ListCategories(bg, &productv1.ListCategoriesRequest{})
	if err != nil || len(cats.Categories) != 1 || cats.Categories[0].Level != 1 {
		t.Fatalf("categories: %v %v", cats, err)
	}
}

func TestPagingOverGRPC(t *testing.T) {
	e := setup(t)
	e.seed(t, 23)
	seen := map[string]bool{}
	req := &productv1.ListProductsRequest{PageSize: 5}
	for pages := 1; ; pages++ {
		resp, err := e.client.ListProducts(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalSize != 23 {
			t.Errorf("total_size %d", resp.TotalSize)
		}
		for _, p := range resp.Products {
			if seen[p.Id] {
				t.Fatalf("%s twice", p.Id)
			}
			seen[p.Id] = true
		}
		if resp.NextPageToken == "" {
			if pages != 5 {
				t.Errorf("%d pages, want 5", pages)
			}
			break
		}
		req.PageToken = resp.NextPageToken
	}
	if len(seen) != 23 {
		t.Errorf("saw %d products", len(seen))
	}
	big, _ := e.client.ListProducts(context.Background(), &productv1.ListProductsRequest{PageSize: 1 << 30})
	if len(big.Products) != 23 {
		t.Errorf("huge page size returned %d", len(big.Products))
	}
}

// The two benchmarks share a setup so `go test -bench` prints comparable
// numbers: GetProduct against the empty-RPC baseline of the same server.
func BenchmarkEmptyRPC(b *testing.B) {
	e := setup(b)
	h := healthpb.NewHealthClient(e.conn)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetProduct(b *testing.B) {
	e := setup(b)
	e.seed(b, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.client.GetProduct(context.Background(), &productv1.GetProductRequest{Id: "p-007"}); err != nil {
			b.Fatal(err)
		}
	}
}
