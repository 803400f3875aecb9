package grpcapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/grpcapi"
)

// generated is a read-only domain.Repository holding a generated catalogue,
// so the benchmark measures the read model and the index, not the store.
type generated struct {
	// The catalogue's admin writes are not benchmarked; only Brands is read.
	domain.CatalogRepository
	cats     []domain.Category
	products []domain.Product
}

func (g generated) Brands(context.Context) ([]domain.Brand, error) { return nil, nil }

func (g generated) CreateCategory(context.Context, domain.Category) error               { return nil }
func (g generated) Categories(context.Context) ([]domain.Category, error)               { return g.cats, nil }
func (g generated) ReserveSkuCodes(context.Context, string, []string) error             { return nil }
func (g generated) CreateProduct(context.Context, domain.Product, domain.Created) error { return nil }
func (g generated) Products(context.Context) ([]domain.Product, error)                  { return g.products, nil }

var (
	benchAdjectives = []string{"夏季", "复古", "法式", "纯棉", "加绒", "轻薄", "韩版", "宽松", "修身", "高腰", "国潮", "简约"}
	benchPatterns   = []string{"碎花", "条纹", "格纹", "纯色", "印花", "刺绣", "拼接", "波点"}
	benchNouns      = []struct{ cat, name string }{
		{"dress", "连衣裙"}, {"tshirt", "T恤"}, {"shirt", "衬衫"}, {"jeans", "牛仔裤"}, {"case", "手机壳"},
		{"charger", "充电器"}, {"cream", "面霜"}, {"lipstick", "口红"}, {"storage", "收纳箱"}, {"bedding", "四件套"},
	}
	benchQueries = []*productv1.SearchProductsRequest{
		{Query: "连衣裙"},
		{Query: "碎花连衣裙"},
		{Query: "手机壳", OrderBy: productv1.SearchOrder_SEARCH_ORDER_PRICE_ASC},
		{Query: "纯棉 T恤", InStockOnly: true},
		{Query: "充电器", MaxPriceFen: 10000},
		{Query: "iPhone 15"},
		{Query: "国潮", OrderBy: productv1.SearchOrder_SEARCH_ORDER_SALES},
		{Query: "裙"},
		{CategoryId: "women", OrderBy: productv1.SearchOrder_SEARCH_ORDER_NEWEST},
		{Query: "收纳箱", Tags: []string{"hot"}},
		{Query: "lianyiqun"}, // pinyin
		{Query: "sjk"},       // pinyin initials of 手机壳
	}
)

func generateCatalog(n int) generated {
	g := generated{cats: []domain.Category{
		{ID: "women", Name: "女装", Level: 1}, {ID: "digital", Name: "数码配件", Level: 1}, {ID: "beauty", Name: "美妆个护", Level: 1}, {ID: "home", Name: "家居生活", Level: 1},
	}}
	parent := map[string]string{"dress": "women", "tshirt": "women", "shirt": "women", "jeans": "women", "case": "digital", "charger": "digital",
		"cream": "beauty", "lipstick": "beauty", "storage": "home", "bedding": "home"}
	for _, noun := range benchNouns {
		g.cats = append(g.cats, domain.Category{ID: noun.cat, ParentID: parent[noun.cat], Name: noun.name, Level: 2})
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		noun := benchNouns[i%len(benchNouns)]
		title := fmt.Sprintf("%s%s%s %d号", benchAdjectives[(i/10)%len(benchAdjectives)], benchPatterns[(i/7)%len(benchPatterns)], noun.name, i)
		if noun.cat == "case" {
			title = "iPhone 15 " + title
		}
		id := fmt.Sprintf("g-%05d", i)
		p := domain.Product{ID: id, Title: title, Subtitle: "品牌直供 · 7天无理由退换", CategoryID: noun.cat, Status: domain.StatusOnSale,
			ImageURLs: []string{"/img/" + id + ".svg"}, CreatedAt: start.Add(time.Duration(i) * time.Minute)}
		if i%9 == 0 {
			p.Tags = []string{"hot"}
		}
		for k, size := range []string{"S", "M", "L"} {
			p.Skus = append(p.Skus, domain.Sku{ID: fmt.Sprintf("%s-%d", id, k), Code: fmt.Sprintf("G%05d-%d", i, k), Specs: map[string]string{"尺码": size},
				PriceFen: int64(1900 + (i*37)%30000 + k*500), Stock: int64((i + k) % 7)})
		}
		g.products = append(g.products, p)
	}
	return g
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSearch10k searches a generated 10,000-product catalogue through
// gRPC (bufconn, with the auth interceptor) and reports p50/p99 latency and
// the heap the read model and keyword index take for those products.
func BenchmarkSearch10k(b *testing.B) {
	const n = 10000
	g := generateCatalog(n)
	before := heapInUse()
	svc, _ := build(b, stores{catalog: g})
	after := heapInUse()
	_, pubPEM, _ := auth.GenerateKeyPEM()
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	srv := grpcserver.New(grpcserver.Options{Service: "product", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), svc)
	client := productv1.NewProductServiceClient(testkit.BufconnServer(b, srv))
	ctx := context.Background()
	for _, q := range benchQueries { // warm up, and check every query finds something
		if resp, err := client.SearchProducts(ctx, q); err != nil || resp.TotalSize == 0 {
			b.Fatalf("%v: %v %v", q, resp.GetTotalSize(), err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := client.SearchProducts(ctx, benchQueries[i%len(benchQueries)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(after-before)/(1<<20), "MB-per-10k-products")
	runtime.KeepAlive(svc)
}
