package grpcapi_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	orderv1 "siyu.dev/proto/siyu/order/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/consumers"
)

func ids(list []*productv1.Recommendation) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.Product.GetId()
	}
	return out
}

func contains(list []string, id string) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

func TestRecommendations(t *testing.T) {
	e := setupReviews(t)
	e.category(t, "phone")
	e.category(t, "dress")
	on := productv1.ProductStatus_PRODUCT_STATUS_ON_SALE
	e.product(t, "phone-1", "phone", 5, on)
	e.product(t, "case-1", "phone", 5, on)
	e.product(t, "case-2", "phone", 5, on)
	e.product(t, "case-gone", "phone", 5, productv1.ProductStatus_PRODUCT_STATUS_OFF_SHELF)
	e.product(t, "case-empty", "phone", 0, on)
	e.product(t, "dress-1", "dress", 5, on)
	e.product(t, "dress-2", "dress", 5, on)
	h := consumers.RecommendHandler(e.rec)
	paid := func(order, member string, products ...string) {
		ev := &orderv1.OrderPaid{EventId: "ev-" + order, OccurredAt: timestamppb.Now(), OrderId: order, MemberId: member}
		for i, p := range products {
			cat := "phone"
			if p[0] == 'd' {
				cat = "dress"
			}
			ev.Lines = append(ev.Lines, &orderv1.OrderLine{LineId: string(rune('a' + i)), ProductId: p, SkuId: p + "-S" + p, CategoryId: cat, Quantity: 1})
		}
		deliver(t, h, orderv1.SubjectPaid, ev)
		deliver(t, h, orderv1.SubjectPaid, ev) // redelivered: counted once
	}
	paid("o-1", "m_1", "phone-1", "case-1", "case-gone", "case-empty")
	paid("o-2", "m_2", "phone-1", "case-1")
	paid("o-3", "m_3", "phone-1", "case-2")
	paid("o-4", "m_4", "dress-1")
	paid("o-5", "m_5", "dress-1")
	paid("o-6", "m_6", "dress-1")
	paid("o-7", "m_6", "dress-2")
	bg := context.Background()

	rel, err := e.recs.ListRelatedProducts(bg, &productv1.ListRelatedProductsRequest{ProductId: "phone-1", Limit: 5})
	if err != nil || len(rel.Recommendations) == 0 || rel.Recommendations[0].Product.Id != "case-1" || rel.Recommendations[0].Reason != "co_purchase" {
		t.Fatalf("related to the phone: %v %v", rel, err)
	}
	got := ids(rel.Recommendations)
	if contains(got, "case-gone") || contains(got, "case-empty") || contains(got, "phone-1") {
		t.Errorf("off-shelf, out-of-stock or the product itself recommended: %v", got)
	}
	if !contains(got, "case-2") {
		t.Errorf("case-2 was bought with the phone too: %v", got)
	}
	_, err = e.recs.ListRelatedProducts(bg, &productv1.ListRelatedProductsRequest{ProductId: "nope"})
	expect(t, "related to unknown", err, codes.NotFound, "PRODUCT_NOT_FOUND")
	_, err = e.recs.ListRelatedProducts(bg, &productv1.ListRelatedProductsRequest{})
	expect(t, "related without id", err, codes.InvalidArgument, "PRODUCT_ID_REQUIRED")
	_, err = e.recs.ListRelatedProducts(bg, &productv1.ListRelatedProductsRequest{ProductId: "phone-1", Limit: -1})
	expect(t, "negative limit", err, codes.InvalidArgument, "LIMIT_INVALID")

	hot, err := e.recs.ListHotProducts(bg, &productv1.ListHotProductsRequest{})
	if err != nil || len(hot.Recommendations) < 2 || hot.Recommendations[0].Sales != 3 {
		t.Fatalf("hot: %v %v", hot, err)
	}
	if top := hot.Recommendations[0].Product.Id; top != "dress-1" && top != "phone-1" {
		t.Errorf("hot top %s", top)
	}
	dress, _ := e.recs.ListHotProducts(bg, &productv1.ListHotProductsRequest{CategoryId: "dress"})
	if g := ids(dress.GetRecommendations()); len(g) != 2 || g[0] != "dress-1" || g[1] != "dress-2" {
		t.Errorf("hot dresses %v", g)
	}
	// A refund takes sales back; redelivery changes nothing more.
	refund := &orderv1.OrderRefunded{EventId: "ev-r", OrderId: "o-4", MemberId: "m_4", RefundId: "rf-1",
		Lines: []*orderv1.OrderLine{{LineId: "a", ProductId: "dress-1", Quantity: 1}}}
	deliver(t, h, orderv1.SubjectRefunded, refund)
	deliver(t, h, orderv1.SubjectRefunded, refund)
	dress, _ = e.recs.ListHotProducts(bg, &productv1.ListHotProductsRequest{CategoryId: "dress"})
	if dress.Recommendations[0].Sales != 2 {
		t.Errorf("sales after a refund: %v", dress)
	}

	// Views: members only, products on sale only, and they land in history too.
	_, err = e.recs.RecordView(bg, &productv1.RecordViewRequest{ProductId: "dress-2"})
	expect(t, "guest view", err, codes.Unauthenticated, "TOKEN_MISSING")
	viewer := e.member("m_new")
	_, err = e.recs.RecordView(viewer, &productv1.RecordViewRequest{ProductId: "case-gone"})
	expect(t, "view of off-shelf", err, codes.NotFound, "PRODUCT_NOT_FOUND")
	_, err = e.recs.ListRecommendedProducts(bg, &productv1.ListRecommendedProductsRequest{})
	expect(t, "guest for-you", err, codes.Unauthenticated, "TOKEN_MISSING")

	// Cold start: the hot list.
	cold, err := e.recs.ListRecommendedProducts(viewer, &productv1.ListRecommendedProductsRequest{Limit: 3})
	if err != nil || len(cold.Recommendations) != 3 || cold.Recommendations[0].Reason != "popular" {
		t.Fatalf("cold start: %v %v", cold, err)
	}
	for _, p := range []string{"dress-2", "dress-1"} {
		if _, err := e.recs.RecordView(viewer, &productv1.RecordViewRequest{ProductId: p}); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := productv1.NewShopperServiceClient(e.conn).ListBrowsingHistory(viewer, &productv1.ListBrowsingHistoryRequest{})
	if err != nil || hist.TotalSize != 2 || hist.Views[0].ProductId != "dress-1" {
		t.Errorf("history: %v %v", hist, err)
	}
	fy, err := e.recs.ListRecommendedProducts(viewer, &productv1.ListRecommendedProductsRequest{Limit: 2})
	if err != nil || len(fy.Recommendations) != 2 {
		t.Fatalf("for you: %v %v", fy, err)
	}
	for _, r := range fy.Recommendations {
		if r.Product.CategoryId != "dress" {
			t.Errorf("a dress browser gets %v", fy)
		}
	}
	// A buyer of the phone gets a case they did not buy, never the phone again.
	buyer, err := e.recs.ListRecommendedProducts(e.member("m_3"), &productv1.ListRecommendedProductsRequest{Limit: 3})
	if err != nil || len(buyer.Recommendations) == 0 || buyer.Recommendations[0].Product.Id != "case-1" || contains(ids(buyer.Recommendations), "phone-1") {
		t.Errorf("for the phone buyer: %v %v", buyer, err)
	}
	// A fresh model from the stored facts gives the same answers.
	if err := e.rec.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	again, _ := e.recs.ListRecommendedProducts(e.member("m_3"), &productv1.ListRecommendedProductsRequest{Limit: 3})
	if ids(again.GetRecommendations())[0] != "case-1" {
		t.Errorf("after refresh: %v", again)
	}
	dress, _ = e.recs.ListHotProducts(bg, &productv1.ListHotProductsRequest{CategoryId: "dress"})
	if dress.Recommendations[0].Sales != 2 {
		t.Errorf("sales after refresh: %v", dress)
	}
}
