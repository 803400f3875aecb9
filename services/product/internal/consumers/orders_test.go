package consumers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/mongostore"
	"siyu.dev/services/product/internal/readmodel"
)

func isPermanent(err error) bool { return err != nil && fmt.Sprintf("%T", err) == "natsx.permanent" }

func TestPaidHandler(t *testing.T) {
	ctx := context.Background()
	store := mongostore.New(testkit.DB(t))
	model := readmodel.New(clock.System.Now)
	products := app.NewProducts(model, store, store, clock.System)
	inventory := app.NewInventory(model, store, clock.System)
	if err := app.NewLoader(model, store, inventory, nil, nil, nil).Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := products.CreateCategory(ctx, domain.Category{Name: "茶饮"}, "tea"); err != nil {
		t.Fatal(err)
	}
	if _, err := products.CreateProduct(ctx, domain.Product{Title: "龙井", CategoryID: "tea", Status: domain.StatusOnSale, Skus: []domain.Sku{{Code: "T", PriceFen: 100, Stock: 5}}}, "p-tea"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"o-paid", "o-released"} {
		if _, err := inventory.ReserveStock(ctx, id, []domain.Line{{SkuID: "p-tea-T", Qty: 1}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inventory.ReleaseReservation(ctx, "o-released"); err != nil {
		t.Fatal(err)
	}
	h := Handler(inventory, slog.New(slog.NewTextHandler(io.Discard, nil)))
	paid := func(order string) []byte {
		b, _ := proto.Marshal(&orderv1.OrderPaid{EventId: "e-" + order, OrderId: order})
		return b
	}
	cases := []struct {
		name      string
		msg       natsx.Message
		permanent bool
		reason    string
	}{
		{"garbage", natsx.Message{Subject: orderv1.SubjectPaid, Data: []byte{0xff, 0x01}}, true, ""},
		{"no order id", natsx.Message{Subject: orderv1.SubjectPaid, Data: paid("")}, true, ""},
		{"order that reserved nothing", natsx.Message{Subject: orderv1.SubjectPaid, Data: paid("o-none")}, false, ""},
		{"reserved order", natsx.Message{Subject: orderv1.SubjectPaid, Data: paid("o-paid")}, false, ""},
		{"redelivered", natsx.Message{Subject: orderv1.SubjectPaid, Data: paid("o-paid")}, false, ""},
		{"released before payment", natsx.Message{Subject: orderv1.SubjectPaid, Data: paid("o-released")}, true, "RESERVATION_RELEASED"},
		{"other subject", natsx.Message{Subject: "siyu.order.refunded", Data: []byte{0xff}}, false, ""},
	}
	for _, c := range cases {
		err := h(ctx, c.msg)
		var de *domain.Error
		if isPermanent(err) != c.permanent || (c.reason != "" && (!errors.As(err, &de) || string(de.Reason) != c.reason)) || (!c.permanent && err != nil) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if l, _ := inventory.GetStock(ctx, "p-tea-T"); l.Sold != 1 || l.Available != 4 || l.Reserved != 0 {
		t.Errorf("stock: %+v", l)
	}
}
