package product_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product"
)

func start(t *testing.T, cfg product.Config) (productv1.ProductServiceClient, func()) {
	conn, stop := startConn(t, cfg)
	return productv1.NewProductServiceClient(conn), stop
}

func startConn(t *testing.T, cfg product.Config) (*grpc.ClientConn, func()) {
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
	return conn, func() {
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
	cfg := product.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub}, Database: testkit.DBName(t), NATSURL: ns.URL()}

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

// TestPaidOrderSellsItsReservation publishes siyu.order.paid on the ORDER
// stream, twice (a redelivery), and expects the reservation confirmed once;
// a paid order that reserved nothing here is skipped.
func TestPaidOrderSellsItsReservation(t *testing.T) {
	ns := testkit.NATS(t)
	priv, pub, _ := auth.GenerateKeyPEM()
	key, _ := auth.ParsePrivateKeyPEM(priv)
	tok, _, _ := auth.NewIssuer(key, "siyu", clock.System).Issue(auth.Identity{Subject: "order", Kind: auth.KindService}, time.Hour)
	svcCtx := auth.OutgoingToken(context.Background(), tok)
	cfg := product.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub}, Database: testkit.DBName(t), NATSURL: ns.URL()}
	conn, stop := startConn(t, cfg)
	defer stop()
	client, inv := productv1.NewProductServiceClient(conn), productv1.NewInventoryServiceClient(conn)
	if _, err := client.CreateCategory(svcCtx, &productv1.CreateCategoryRequest{CategoryId: "tea", Category: &productv1.Category{Name: "茶饮"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateProduct(svcCtx, &productv1.CreateProductRequest{ProductId: "p-tea", Product: &productv1.Product{Title: "明前龙井", CategoryId: "tea",
		Status: productv1.ProductStatus_PRODUCT_STATUS_ON_SALE, Skus: []*productv1.Sku{{Code: "TEA-50", PriceFen: 12800, Stock: 10}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.ReserveStock(svcCtx, &productv1.ReserveStockRequest{OrderId: "o-paid", Lines: []*productv1.StockLine{{SkuId: "p-tea-TEA-50", Quantity: 3}}}); err != nil {
		t.Fatal(err)
	}
	nc, _ := natsx.Connect(ns.URL(), "t")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for i, order := range []string{"o-unknown", "o-paid", "o-paid"} {
		data, _ := proto.Marshal(&orderv1.OrderPaid{EventId: "ev-" + order, OrderId: order, MemberId: "m_1", PaidFen: 38400})
		// Distinct message ids so JetStream keeps the repeat, as a redelivery would.
		if _, err := js.Publish(context.Background(), "siyu.order.paid", data, jetstream.WithMsgID(fmt.Sprintf("ev-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := inv.GetStock(svcCtx, &productv1.GetStockRequest{SkuId: "p-tea-TEA-50"})
		if err == nil && st.Stock.Sold == 3 {
			if st.Stock.Available != 7 || st.Stock.Reserved != 0 {
				t.Fatalf("after payment: %v", st.Stock)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the paid order never sold its reservation: %v %v", st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The stock changes went out through the outbox: the last one is the sale.
	deadline = time.Now().Add(15 * time.Second)
	for {
		var last productv1.StockChanged
		if st, err := js.Stream(context.Background(), "PRODUCT"); err == nil {
			if m, err := st.GetLastMsgForSubject(context.Background(), "siyu.product.stock_changed"); err == nil && proto.Unmarshal(m.Data, &last) == nil && last.Cause == "confirm" {
				if last.Sold != 3 || last.Available != 7 || last.Ref != "o-paid" || last.SkuId != "p-tea-TEA-50" {
					t.Fatalf("stock_changed: %v", &last)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("product.stock_changed for the sale never reached the PRODUCT stream")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the repeat arrive
	st, _ := inv.GetStock(svcCtx, &productv1.GetStockRequest{SkuId: "p-tea-TEA-50"})
	r, _ := inv.GetReservation(svcCtx, &productv1.GetReservationRequest{OrderId: "o-paid"})
	if st.Stock.Sold != 3 || r.Reservation.State != productv1.ReservationState_RESERVATION_STATE_CONFIRMED {
		t.Errorf("after the repeat: %v %v", st.Stock, r.Reservation.State)
	}
}
