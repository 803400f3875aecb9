package product_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product"
)

func start(t *testing.T, cfg product.Config) (productv1.ProductServiceClient, func()) {
	t.Helper()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg.Listener = lis
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- product.Run(ctx, cfg) }()
	deadline := time.Now().Add(20 * time.Second)
	for healthcheck.GRPC(lis.Addr().String(), time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("product never SERVING")
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, _ := grpcclient.Dial(lis.Addr().String())
	return productv1.NewProductServiceClient(conn), func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// TestRunPublishesAndReloads runs the real service twice on one database:
// product.created reaches the PRODUCT stream, and the second run serves the
// catalogue it loads from the database.
func TestRunPublishesAndReloads(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	key, _ := auth.ParsePrivateKeyPEM(priv)
	tok, _, _ := auth.NewIssuer(key, "siyu", clock.System).Issue(auth.Identity{Subject: "seed", Kind: auth.KindService}, time.Hour)
	admin := auth.OutgoingToken(context.Background(), tok)
	cfg := product.Config{MongoURI: testkit.Store(t).URI(), Database: testkit.DBName(t), NATSURL: ns.URL(), JWTPublicKey: pub}

	client, stop := start(t, cfg)
	if _, err := client.CreateCategory(admin, &productv1.CreateCategoryRequest{CategoryId: "tea", Category: &productv1.Category{Name: "茶饮"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateProduct(admin, &productv1.CreateProductRequest{ProductId: "p-tea", Product: &productv1.Product{Title: "明前龙井", CategoryId: "tea",
		Status: productv1.ProductStatus_PRODUCT_STATUS_ON_SALE, Skus: []*productv1.Sku{{Code: "TEA-50", PriceFen: 12800}}}}); err != nil {
		t.Fatal(err)
	}
	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := js.Stream(context.Background(), "PRODUCT")
		if err == nil {
			if info, _ := st.Info(context.Background()); info != nil && info.State.Msgs == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("product.created never reached the PRODUCT stream")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()

	client, stop = start(t, cfg)
	defer stop()
	got, err := client.GetProduct(context.Background(), &productv1.GetProductRequest{Id: "p-tea"})
	if err != nil || got.Product.Title != "明前龙井" || got.Product.PriceFen != 12800 {
		t.Fatalf("after restart: %v %v", got, err)
	}
}
