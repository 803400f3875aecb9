package product_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product"
)

// TestHotKeywordsSharedAcrossInstances runs two instances over one database
// and one NATS: searches on either become product.searched events, the
// durable consumer counts each once, both instances show the same hot list,
// and a restarted instance still has it.
func TestHotKeywordsSharedAcrossInstances(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	key, _ := auth.ParsePrivateKeyPEM(priv)
	iss := auth.NewIssuer(key, "siyu", clock.System)
	tok, _, _ := iss.Issue(auth.Identity{Subject: "seed", Kind: auth.KindService}, time.Hour)
	admin := auth.OutgoingToken(context.Background(), tok)
	mtok, _, _ := iss.Issue(auth.Identity{Subject: "m_7", Kind: auth.KindMember}, time.Hour)
	member := auth.OutgoingToken(context.Background(), mtok)
	cfg := product.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub}, Database: testkit.DBName(t), NATSURL: ns.URL(), Refresh: 200 * time.Millisecond}
	a, stopA := start(t, cfg)
	b, stopB := start(t, cfg)
	bg := context.Background()
	if _, err := a.CreateCategory(admin, &productv1.CreateCategoryRequest{CategoryId: "tea", Category: &productv1.Category{Name: "茶饮"}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ id, title string }{{"p-lj", "明前龙井"}, {"p-pe", "云南古树普洱"}} {
		if _, err := a.CreateProduct(admin, &productv1.CreateProductRequest{ProductId: p.id, Product: &productv1.Product{Title: p.title, CategoryId: "tea",
			Status: productv1.ProductStatus_PRODUCT_STATUS_ON_SALE, Skus: []*productv1.Sku{{Code: p.id, PriceFen: 12800, Stock: 7}}}}); err != nil {
			t.Fatal(err)
		}
	}
	hot := func(c productv1.ProductServiceClient) string {
		r, err := c.ListHotKeywords(bg, &productv1.ListHotKeywordsRequest{})
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, k := range r.Keywords {
			out = append(out, fmt.Sprintf("%s=%d", k.Keyword, k.Count))
		}
		return fmt.Sprint(out)
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s (A %s, B %s)", what, hot(a), hot(b))
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	eventually("B loads the products", func() bool {
		r, _ := b.ListProducts(bg, &productv1.ListProductsRequest{CategoryId: "tea"})
		return r.GetTotalSize() == 2
	})
	// count is the larger of the two instances' counts of kw: the instance
	// whose consumer counted a search shows it at once.
	count := func(kw string) int64 {
		var n int64
		for _, c := range []productv1.ProductServiceClient{a, b} {
			r, _ := c.ListHotKeywords(bg, &productv1.ListHotKeywordsRequest{})
			for _, k := range r.GetKeywords() {
				if k.Keyword == kw {
					n = max(n, k.Count)
				}
			}
		}
		return n
	}
	// Each search is counted before the next: the embedded store loses
	// concurrent updates from two clients (DESIGN.md §6), and both instances
	// consume. On MongoDB the $inc is atomic and needs no such care.
	search := func(c productv1.ProductServiceClient, ctx context.Context, q, kw string, n int64) {
		t.Helper()
		if _, err := c.SearchProducts(ctx, &productv1.SearchProductsRequest{Query: q}); err != nil {
			t.Fatal(err)
		}
		eventually(fmt.Sprintf("%s counted %d", kw, n), func() bool { return count(kw) == n })
	}
	search(a, bg, "龙井", "龙井", 1)
	search(b, bg, "  龙井 ", "龙井", 2)
	search(a, bg, "龙井", "龙井", 3)
	search(b, bg, "龙井", "龙井", 4)
	search(b, bg, "普洱", "普洱", 1)
	// A first page counts; the next page reads on the same search and does not.
	first, err := a.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "茶饮", PageSize: 1})
	if err != nil || first.NextPageToken == "" {
		t.Fatalf("first page: %v %v", first, err)
	}
	eventually("茶饮 counted", func() bool { return count("茶饮") == 1 })
	if _, err := a.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "茶饮", PageSize: 1, PageToken: first.NextPageToken}); err != nil {
		t.Fatal(err)
	}
	// A member's search that finds nothing is published, with the member, but is not hot.
	if _, err := b.SearchProducts(member, &productv1.SearchProductsRequest{Query: "咖啡"}); err != nil {
		t.Fatal(err)
	}
	const want = "[龙井=4 普洱=1 茶饮=1]"
	eventually("A and B show "+want, func() bool { return hot(a) == want && hot(b) == want })

	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(bg, "PRODUCT")
	if err != nil {
		t.Fatal(err)
	}
	var last productv1.ProductSearched
	m, err := st.GetLastMsgForSubject(bg, "siyu.product.searched")
	if err != nil || proto.Unmarshal(m.Data, &last) != nil || last.Query != "咖啡" || last.ResultCount != 0 || last.MemberId != "m_7" || last.EventId == "" || last.OccurredAt == nil {
		t.Errorf("last product.searched: %v %v", &last, err)
	}

	stopA()
	stopB()
	c, stopC := start(t, cfg)
	defer stopC()
	if h := hot(c); h != want {
		t.Errorf("after a restart: %s", h)
	}
}
