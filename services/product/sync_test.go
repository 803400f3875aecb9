package product_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product"
)

// TestInstancesKeepReadModelsInStep runs two instances over one database
// and one NATS: what an operator does on one instance (a product created
// in a new category, updated, published, taken off) shows on the other
// through the service's own product events, without a restart.
func TestInstancesKeepReadModelsInStep(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	key, _ := auth.ParsePrivateKeyPEM(priv)
	tok, _, _ := auth.NewIssuer(key, "siyu", clock.System).Issue(auth.Identity{Subject: "seed", Kind: auth.KindService}, time.Hour)
	admin := auth.OutgoingToken(context.Background(), tok)
	cfg := product.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub}, Database: testkit.DBName(t), NATSURL: ns.URL()}
	a, stopA := start(t, cfg)
	defer stopA()
	b, stopB := start(t, cfg)
	defer stopB()
	bg := context.Background()

	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("instance B never saw %s", what)
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	if _, err := a.CreateCategory(admin, &productv1.CreateCategoryRequest{CategoryId: "tea", Category: &productv1.Category{Name: "茶饮"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateProduct(admin, &productv1.CreateProductRequest{ProductId: "p-tea", Product: &productv1.Product{Title: "明前龙井", CategoryId: "tea",
		Status: productv1.ProductStatus_PRODUCT_STATUS_ON_SALE, Skus: []*productv1.Sku{{Code: "TEA-50", PriceFen: 12800, Stock: 7}}}}); err != nil {
		t.Fatal(err)
	}
	eventually("the created product", func() bool {
		got, err := b.GetProduct(bg, &productv1.GetProductRequest{Id: "p-tea"})
		return err == nil && got.Product.Skus[0].Stock == 7
	})
	if l, _ := b.ListProducts(bg, &productv1.ListProductsRequest{CategoryId: "tea"}); l.GetTotalSize() != 1 {
		t.Errorf("B's listing of the new category: %v", l)
	}
	eventually("the product in its search index", func() bool {
		r, _ := b.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "龙井"})
		return r.GetTotalSize() == 1
	})

	// Updated on B, seen on A; then taken off on A, gone on B.
	if _, err := b.UpdateProduct(admin, &productv1.UpdateProductRequest{Product: &productv1.Product{Id: "p-tea", Version: 1, Title: "西湖明前龙井"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}); err != nil {
		t.Fatal(err)
	}
	eventually("B's update on A", func() bool {
		got, err := a.GetProduct(bg, &productv1.GetProductRequest{Id: "p-tea"})
		return err == nil && got.Product.Title == "西湖明前龙井" && got.Product.Version == 2
	})
	if _, err := a.UnpublishProduct(admin, &productv1.UnpublishProductRequest{Id: "p-tea", Version: 2}); err != nil {
		t.Fatal(err)
	}
	eventually("the product taken off the shelf", func() bool {
		_, err := b.GetProduct(bg, &productv1.GetProductRequest{Id: "p-tea"})
		r, _ := b.SearchProducts(bg, &productv1.SearchProductsRequest{Query: "龙井"})
		return err != nil && r.GetTotalSize() == 0
	})
	got, err := b.AdminGetProduct(admin, &productv1.AdminGetProductRequest{Id: "p-tea"})
	if err != nil || got.Product.Version != 3 || got.Product.Status != productv1.ProductStatus_PRODUCT_STATUS_OFF_SHELF {
		t.Errorf("B's admin view: %v %v", got, err)
	}
}

// TestSalesFromOrderEvents publishes siyu.order.paid twice with the same
// event id (a redelivery JetStream does not deduplicate, as the message ids
// differ) and a refund: the counters count the payment once and take the
// refund back; the update events on the PRODUCT stream carry the change.
func TestSalesFromOrderEvents(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	key, _ := auth.ParsePrivateKeyPEM(priv)
	tok, _, _ := auth.NewIssuer(key, "siyu", clock.System).Issue(auth.Identity{Subject: "seed", Kind: auth.KindService}, time.Hour)
	admin := auth.OutgoingToken(context.Background(), tok)
	cfg := product.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub}, Database: testkit.DBName(t), NATSURL: ns.URL()}
	c, stop := start(t, cfg)
	defer stop()
	if _, err := c.CreateCategory(admin, &productv1.CreateCategoryRequest{CategoryId: "tea", Category: &productv1.Category{Name: "茶饮"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProduct(admin, &productv1.CreateProductRequest{ProductId: "p-tea", Product: &productv1.Product{Title: "明前龙井", CategoryId: "tea",
		Skus: []*productv1.Sku{{Code: "TEA-50", PriceFen: 12800, Stock: 7}}}}); err != nil {
		t.Fatal(err)
	}
	up, err := c.UpdateProduct(admin, &productv1.UpdateProductRequest{Product: &productv1.Product{Id: "p-tea", Version: 1, Tags: []string{"hot"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"tags"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishProduct(admin, &productv1.PublishProductRequest{Id: "p-tea", Version: up.Product.Version}); err != nil {
		t.Fatal(err)
	}
	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	line := []*orderv1.OrderLine{{LineId: "1", ProductId: "p-tea", SkuId: "p-tea-TEA-50", Quantity: 2}, {LineId: "2", ProductId: "p-tea", SkuId: "p-tea-TEA-50", Quantity: 1}}
	msgs := []struct {
		subject string
		msg     proto.Message
	}{
		{"siyu.order.paid", &orderv1.OrderPaid{EventId: "ev-paid", OccurredAt: timestamppb.Now(), OrderId: "o-1", Lines: line}},
		{"siyu.order.paid", &orderv1.OrderPaid{EventId: "ev-paid", OccurredAt: timestamppb.Now(), OrderId: "o-1", Lines: line}},
		{"siyu.order.refunded", &orderv1.OrderRefunded{EventId: "ev-refund", OccurredAt: timestamppb.Now(), OrderId: "o-1", RefundId: "r-1", Lines: line[:1]}},
	}
	for i, m := range msgs {
		data, _ := proto.Marshal(m.msg)
		if _, err := js.Publish(context.Background(), m.subject, data, jetstream.WithMsgID(fmt.Sprintf("m-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := c.GetProduct(context.Background(), &productv1.GetProductRequest{Id: "p-tea"})
		if err == nil && got.Product.Sales == 1 && got.Product.RecentSales == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sales never became 3 paid - 2 refunded: %v %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the repeat has had its chance
	if got, _ := c.GetProduct(context.Background(), &productv1.GetProductRequest{Id: "p-tea"}); got.Product.Sales != 1 {
		t.Errorf("after the repeat: %d", got.Product.Sales)
	}
	st, err := js.Stream(context.Background(), "PRODUCT")
	if err != nil {
		t.Fatal(err)
	}
	var updated productv1.ProductUpdated
	m, err := st.GetLastMsgForSubject(context.Background(), "siyu.product.updated")
	if err != nil || proto.Unmarshal(m.Data, &updated) != nil || updated.Version != 2 || updated.ChangedFields[0] != "tags" || updated.Product.Tags[0] != "hot" {
		t.Errorf("product.updated: %v %v", &updated, err)
	}
	var published productv1.ProductPublished
	m, err = st.GetLastMsgForSubject(context.Background(), "siyu.product.published")
	if err != nil || proto.Unmarshal(m.Data, &published) != nil || published.Version != 3 || published.Status != productv1.ProductStatus_PRODUCT_STATUS_ON_SALE {
		t.Errorf("product.published: %v %v", &published, err)
	}
}
