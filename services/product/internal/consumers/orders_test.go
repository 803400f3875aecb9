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
)

func isPermanent(err error) bool { return err != nil && fmt.Sprintf("%T", err) == "natsx.permanent" }

func TestPaidHandler(t *testing.T) {
	ctx := context.Background()
	store := mongostore.New(testkit.DB(t))
	svc := app.New(app.Ports{Catalog: store, Inventory: store}, clock.System)
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateCategory(ctx, domain.Category{Name: "茶饮"}, "tea"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateProduct(ctx, domain.Product{Title: "龙井", CategoryID: "tea", Status: domain.StatusOnSale, Skus: []domain.Sku{{Code: "T", PriceFen: 100, Stock: 5}}}, "p-tea"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"o-paid", "o-released"} {
		if _, err := svc.ReserveStock(ctx, id, []domain.Line{{SkuID: "p-tea-T", Qty: 1}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.ReleaseReservation(ctx, "o-released"); err != nil {
		t.Fatal(err)
	}
	h := Handler(svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	if l, _ := svc.GetStock(ctx, "p-tea-T"); l.Sold != 1 || l.Available != 4 || l.Reserved != 0 {
		t.Errorf("stock: %+v", l)
	}
}
