package grpcapi_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/errs"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

func TestInventoryOverGRPC(t *testing.T) {
	e := setup(t)
	e.seed(t, 2) // SKUs p-000-C000 and p-001-C001, 3 units each
	bg := context.Background()
	line := func(sku string, n int64) []*productv1.StockLine {
		return []*productv1.StockLine{{SkuId: sku, Quantity: n}}
	}

	_, err := e.inv.ReserveStock(bg, &productv1.ReserveStockRequest{OrderId: "o-1", Lines: line("p-000-C000", 1)})
	expect(t, "anonymous reserve", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = e.inv.ReserveStock(e.member, &productv1.ReserveStockRequest{OrderId: "o-1", Lines: line("p-000-C000", 1)})
	expect(t, "member reserve", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.inv.ReserveStock(e.admin, &productv1.ReserveStockRequest{OrderId: "o-1", Lines: line("p-000-C000", 1)})
	expect(t, "operator reserve (the saga's call)", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.inv.ReleaseReservation(e.admin, &productv1.ReleaseReservationRequest{OrderId: "o-1"})
	expect(t, "operator release (the saga's call)", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.inv.AdjustStock(e.member, &productv1.AdjustStockRequest{SkuId: "p-000-C000", Delta: 100, Reason: "x", RequestId: "r"})
	expect(t, "member adjust", err, codes.PermissionDenied, "ROLE_REQUIRED")

	cases := []struct {
		name   string
		req    *productv1.ReserveStockRequest
		code   codes.Code
		reason string
	}{
		{"bad order id", &productv1.ReserveStockRequest{OrderId: "a.b", Lines: line("p-000-C000", 1)}, codes.InvalidArgument, "ORDER_ID_INVALID"},
		{"no lines", &productv1.ReserveStockRequest{OrderId: "o-x"}, codes.InvalidArgument, "LINES_REQUIRED"},
		{"zero quantity", &productv1.ReserveStockRequest{OrderId: "o-x", Lines: line("p-000-C000", 0)}, codes.InvalidArgument, "QUANTITY_INVALID"},
		{"no sku id", &productv1.ReserveStockRequest{OrderId: "o-x", Lines: line("", 1)}, codes.InvalidArgument, "SKU_ID_REQUIRED"},
		{"bad ttl", &productv1.ReserveStockRequest{OrderId: "o-x", Lines: line("p-000-C000", 1), TtlSeconds: -1}, codes.InvalidArgument, "TTL_INVALID"},
		{"unknown sku", &productv1.ReserveStockRequest{OrderId: "o-x", Lines: line("ghost", 1)}, codes.NotFound, "SKU_NOT_FOUND"},
		{"too many", &productv1.ReserveStockRequest{OrderId: "o-big", Lines: line("p-000-C000", 4)}, codes.FailedPrecondition, "OUT_OF_STOCK"},
	}
	for _, c := range cases {
		_, err := e.inv.ReserveStock(e.service, c.req)
		expect(t, c.name, err, c.code, c.reason)
	}
	_, err = e.inv.ReserveStock(e.service, &productv1.ReserveStockRequest{OrderId: "o-big2", Lines: line("p-001-C001", 9)})
	if info, _ := errs.Info(err); info == nil || info.Metadata["sku_id"] != "p-001-C001" {
		t.Errorf("OUT_OF_STOCK names the SKU: %v", err)
	}

	r, err := e.inv.ReserveStock(e.service, &productv1.ReserveStockRequest{OrderId: "o-1", Lines: append(line("p-000-C000", 2), line("p-001-C001", 1)...)})
	if err != nil || r.Reservation.State != productv1.ReservationState_RESERVATION_STATE_RESERVED || r.Reservation.ExpireTime == nil {
		t.Fatalf("reserve: %v %v", r, err)
	}
	_, err = e.inv.ReserveStock(e.service, &productv1.ReserveStockRequest{OrderId: "o-1", Lines: line("p-000-C000", 2)})
	expect(t, "same order, other lines", err, codes.FailedPrecondition, "RESERVATION_MISMATCH")
	got, _ := e.client.GetProduct(bg, &productv1.GetProductRequest{Id: "p-000"})
	if got.GetProduct().GetSkus()[0].GetStock() != 1 {
		t.Errorf("shoppers see the held units gone: %v", got.GetProduct().GetSkus())
	}
	c, err := e.inv.ConfirmReservation(e.service, &productv1.ConfirmReservationRequest{OrderId: "o-1"})
	if err != nil || c.Reservation.State != productv1.ReservationState_RESERVATION_STATE_CONFIRMED {
		t.Fatalf("confirm: %v %v", c, err)
	}
	_, err = e.inv.ReleaseReservation(e.service, &productv1.ReleaseReservationRequest{OrderId: "o-1"})
	expect(t, "release confirmed", err, codes.FailedPrecondition, "RESERVATION_CONFIRMED")
	_, err = e.inv.ConfirmReservation(e.service, &productv1.ConfirmReservationRequest{OrderId: "o-404"})
	expect(t, "confirm unknown", err, codes.NotFound, "RESERVATION_NOT_FOUND")
	_, err = e.inv.GetReservation(e.admin, &productv1.GetReservationRequest{OrderId: "o-404"})
	expect(t, "get unknown", err, codes.NotFound, "RESERVATION_NOT_FOUND")
	_, err = e.inv.ConfirmReservation(e.service, &productv1.ConfirmReservationRequest{OrderId: "o-big"})
	expect(t, "confirm failed", err, codes.FailedPrecondition, "OUT_OF_STOCK")

	st, err := e.inv.GetStock(e.admin, &productv1.GetStockRequest{SkuId: "p-000-C000"})
	if err != nil || st.Stock.Available != 1 || st.Stock.Sold != 2 || st.Stock.Reserved != 0 || st.Stock.ProductId != "p-000" {
		t.Fatalf("stock: %v %v", st, err)
	}
	_, err = e.inv.GetStock(e.admin, &productv1.GetStockRequest{SkuId: "ghost"})
	expect(t, "stock of unknown sku", err, codes.NotFound, "SKU_NOT_FOUND")

	adj, err := e.inv.AdjustStock(e.admin, &productv1.AdjustStockRequest{SkuId: "p-000-C000", Delta: 20, Reason: "补货到仓", RequestId: "adj-1"})
	if err != nil || adj.Stock.Available != 21 || adj.Adjustment.Operator != "admin:ops" || adj.Adjustment.AvailableBefore != 1 || adj.Adjustment.AvailableAfter != 21 {
		t.Fatalf("adjust: %v %v", adj, err)
	}
	adjCases := []struct {
		name   string
		req    *productv1.AdjustStockRequest
		code   codes.Code
		reason string
	}{
		{"zero delta", &productv1.AdjustStockRequest{SkuId: "p-000-C000", Reason: "x", RequestId: "a"}, codes.InvalidArgument, "DELTA_INVALID"},
		{"no reason", &productv1.AdjustStockRequest{SkuId: "p-000-C000", Delta: 1, RequestId: "a"}, codes.InvalidArgument, "REASON_REQUIRED"},
		{"no request id", &productv1.AdjustStockRequest{SkuId: "p-000-C000", Delta: 1, Reason: "x"}, codes.InvalidArgument, "REQUEST_ID_REQUIRED"},
		{"no sku", &productv1.AdjustStockRequest{Delta: 1, Reason: "x", RequestId: "a"}, codes.InvalidArgument, "SKU_ID_REQUIRED"},
		{"below zero", &productv1.AdjustStockRequest{SkuId: "p-000-C000", Delta: -100, Reason: "x", RequestId: "a"}, codes.FailedPrecondition, "STOCK_NEGATIVE"},
		{"reused request id", &productv1.AdjustStockRequest{SkuId: "p-000-C000", Delta: 5, Reason: "补货到仓", RequestId: "adj-1"}, codes.FailedPrecondition, "REQUEST_ID_REUSED"},
	}
	for _, c := range adjCases {
		_, err := e.inv.AdjustStock(e.admin, c.req)
		expect(t, c.name, err, c.code, c.reason)
	}
	list, err := e.inv.ListStockAdjustments(e.admin, &productv1.ListStockAdjustmentsRequest{SkuId: "p-000-C000"})
	if err != nil || len(list.Adjustments) != 1 || list.Adjustments[0].Reason != "补货到仓" {
		t.Fatalf("adjustments: %v %v", list, err)
	}
	_, err = e.inv.ListStockAdjustments(e.admin, &productv1.ListStockAdjustmentsRequest{SkuId: "p-000-C000", PageToken: "forged"})
	expect(t, "forged token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
}
