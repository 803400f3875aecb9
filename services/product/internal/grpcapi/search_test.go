package grpcapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/mongostore"
)

func TestSearchOverGRPC(t *testing.T) {
	e := setup(t)
	e.seed(t, 3) // "测试商品 C000".."C002" in 连衣裙, prices 1000-1002
	bg := context.Background()
	if _, err := e.client.CreateProduct(e.admin, &productv1.CreateProductRequest{ProductId: "p-floral", Product: &productv1.Product{
		Title: "夏季碎花连衣裙", CategoryId: "dress", Status: productv1.ProductStatus_PRODUCT_STATUS_ON_SALE, Tags: []string{"hot"},
		Skus: []*productv1.Sku{{Code: "FLORAL", PriceFen: 19900, Stock: 2}}}}); err != nil {
		t.Fatal(err)
	}
	resp, err := e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "碎花连衣裙"})
	if err != nil || resp.TotalSize != 1 || resp.Products[0].Id != "p-floral" || resp.Products[0].Skus[0].Stock != 2 {
		t.Fatalf("anonymous search: %v %v", resp, err)
	}
	if len(resp.CategoryFacets) != 1 || resp.CategoryFacets[0].CategoryId != "dress" || resp.CategoryFacets[0].Count != 1 {
		t.Errorf("facets: %v", resp.CategoryFacets)
	}
	resp, err = e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "连衣裙", OrderBy: productv1.SearchOrder_SEARCH_ORDER_PRICE_DESC, PageSize: 2})
	if err != nil || resp.TotalSize != 4 || resp.Products[0].Id != "p-floral" || resp.NextPageToken == "" {
		t.Fatalf("by price: %v %v", resp, err)
	}
	next, err := e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "连衣裙", OrderBy: productv1.SearchOrder_SEARCH_ORDER_PRICE_DESC, PageSize: 2, PageToken: resp.NextPageToken})
	if err != nil || len(next.Products) != 2 || next.Products[1].Id != "p-000" || next.NextPageToken != "" {
		t.Fatalf("page 2: %v %v", next, err)
	}

	cases := []struct {
		name   string
		req    *productv1.SearchProductsRequest
		code   codes.Code
		reason string
	}{
		{"token of another query", &productv1.SearchProductsRequest{Query: "碎花", PageToken: resp.NextPageToken}, codes.InvalidArgument, "PAGE_TOKEN_INVALID"},
		{"negative page size", &productv1.SearchProductsRequest{PageSize: -1}, codes.InvalidArgument, "PAGE_SIZE_INVALID"},
		{"long query", &productv1.SearchProductsRequest{Query: string(make([]rune, 51))}, codes.InvalidArgument, "QUERY_TOO_LONG"},
		{"price range", &productv1.SearchProductsRequest{MinPriceFen: 500, MaxPriceFen: 100}, codes.InvalidArgument, "PRICE_RANGE_INVALID"},
		{"tag", &productv1.SearchProductsRequest{Tags: []string{"cheap"}}, codes.InvalidArgument, "TAG_INVALID"},
		{"order", &productv1.SearchProductsRequest{OrderBy: 42}, codes.InvalidArgument, "ORDER_INVALID"},
		{"category", &productv1.SearchProductsRequest{CategoryId: "ghost"}, codes.FailedPrecondition, "CATEGORY_NOT_FOUND"},
	}
	for _, c := range cases {
		_, err := e.client.SearchProducts(bg, c.req)
		expect(t, c.name, err, c.code, c.reason)
	}

	// Reserving the last units takes the product out of in-stock results.
	if _, err := e.inv.ReserveStock(e.service, &productv1.ReserveStockRequest{OrderId: "o-1", Lines: []*productv1.StockLine{{SkuId: "p-floral-FLORAL", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	resp, _ = e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "碎花", InStockOnly: true})
	if resp.TotalSize != 0 {
		t.Errorf("sold-out product in in-stock results: %v", resp.Products)
	}

	sug, err := e.client.SuggestKeywords(bg, &productv1.SuggestKeywordsRequest{Prefix: "连衣"})
	if err != nil || len(sug.Suggestions) == 0 || sug.Suggestions[0] != "连衣裙" {
		t.Errorf("suggestions: %v %v", sug, err)
	}
	_, err = e.client.SuggestKeywords(bg, &productv1.SuggestKeywordsRequest{Prefix: "x", Limit: -1})
	expect(t, "negative limit", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")
	hot, err := e.client.ListHotKeywords(bg, &productv1.ListHotKeywordsRequest{})
	// First pages that found something count; the sold-out search found nothing.
	if err != nil || len(hot.Keywords) != 2 || hot.Keywords[0].Keyword != "碎花连衣裙" || hot.Keywords[1].Keyword != "连衣裙" {
		t.Errorf("hot keywords: %v %v", hot, err)
	}
}

// recorder is a broker that keeps the search events it is handed.
type recorder struct {
	mu     sync.Mutex
	events []domain.Searched
}

func (r *recorder) Searched(_ context.Context, e domain.Searched) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// TestSearchEventsOverGRPC: with search events on, a search is published
// (normalised keyword, the member from the token, the result count) rather
// than counted in the instance; refused searches publish nothing; the hot
// list is what the consumer counted.
func TestSearchEventsOverGRPC(t *testing.T) {
	rec := &recorder{}
	e := setupWith(t, func(s *stores, store *mongostore.Store) {
		s.searchEvents, s.keywords = rec, store
	})
	svc := e.svc
	e.seed(t, 3)
	bg := context.Background()
	for _, c := range []struct {
		ctx context.Context
		req *productv1.SearchProductsRequest
	}{
		{bg, &productv1.SearchProductsRequest{Query: "连衣裙", PageSize: 2}},
		{e.member, &productv1.SearchProductsRequest{Query: "  Ｃ０００ "}},
		{bg, &productv1.SearchProductsRequest{Query: "咖啡"}},
		{bg, &productv1.SearchProductsRequest{CategoryId: "dress"}}, // no keyword: browsing, not a search
	} {
		if _, err := e.client.SearchProducts(c.ctx, c.req); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "连衣裙", PageSize: 2})
	if _, err := e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "连衣裙", PageSize: 2, PageToken: first.NextPageToken}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "连衣裙", MinPriceFen: 9, MaxPriceFen: 1})
	expect(t, "bad search", err, codes.InvalidArgument, "PRICE_RANGE_INVALID")

	var got []string
	for _, ev := range rec.events {
		if ev.EventID == "" || ev.At.IsZero() {
			t.Errorf("event without id or time: %+v", ev)
		}
		got = append(got, fmt.Sprintf("%s/%s/%d", ev.Query, ev.MemberID, ev.Results))
	}
	if fmt.Sprint(got) != "[连衣裙//3 c000/m_1/1 咖啡//0 连衣裙//3]" {
		t.Errorf("events: %v", got)
	}
	hot, err := e.client.ListHotKeywords(bg, &productv1.ListHotKeywordsRequest{})
	if err != nil || len(hot.Keywords) != 0 {
		t.Errorf("counted before any event was consumed: %v %v", hot, err)
	}
	for _, ev := range append(rec.events, rec.events[0]) { // the last one redelivered
		if err := svc.Keywords.CountSearch(bg, ev); err != nil {
			t.Fatal(err)
		}
	}
	hot, err = e.client.ListHotKeywords(bg, &productv1.ListHotKeywordsRequest{Limit: 1})
	if err != nil || len(hot.Keywords) != 1 || hot.Keywords[0].Keyword != "连衣裙" || hot.Keywords[0].Count != 2 {
		t.Errorf("hot keywords: %v %v", hot, err)
	}
	_, err = e.client.ListHotKeywords(bg, &productv1.ListHotKeywordsRequest{Limit: -1})
	expect(t, "negative limit", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")
}
