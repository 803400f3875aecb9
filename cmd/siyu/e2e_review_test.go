package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

// TestReviewsAndRecommendationsThroughGateway: completed and paid orders
// arrive as events on the ORDER stream; members review what they received,
// operators moderate, product.reviewed leaves through the outbox, and
// related, hot and "for you" lists follow the orders and views.
func TestReviewsAndRecommendationsThroughGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	shop := startShop(t, "")
	s := shop.Suite
	api := shop.api
	issue := func(id auth.Identity) string { return shop.token(t, id) }
	owner := issue(auth.Identity{Subject: "owner-zhang", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	cs := issue(auth.Identity{Subject: "kefu-li", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"rv-cat","category":{"name":"评价测试"}}`, 200)
	for _, p := range []string{"rv-a", "rv-b", "rv-c", "rv-d"} {
		api.expect(t, "POST", "/v1/admin/products", owner, fmt.Sprintf(`{"product_id":%q,"product":{"title":"评价商品 %s","category_id":"rv-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"K-%s","price_fen":1990,"stock":10}]}}`, p, p, p), 200)
	}
	alice := api.login(t, "13900000401")
	bob := api.login(t, "13900000402")
	carol := api.login(t, "13900000403")

	nc, err := natsx.Connect(s.NATSURL, "e2e-reviews")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	pub := natsx.NewPublisher(js)
	publish := func(subject, id string, msg proto.Message) {
		t.Helper()
		ev, err := natsx.NewEvent(ctx, subject, id, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	line := func(id, product string) *orderv1.OrderLine {
		return &orderv1.OrderLine{LineId: id, ProductId: product, SkuId: product + "-K-" + product, CategoryId: "rv-cat", Quantity: 1, UnitPriceFen: 1990}
	}
	num := func(v any) string { return fmt.Sprint(v) }

	t.Run("reviews", func(t *testing.T) {
		publish("siyu.order.completed", "e2e-done-1", &orderv1.OrderCompleted{EventId: "e2e-done-1", OccurredAt: timestamppb.Now(), OrderId: "o-rv-1",
			MemberId: alice.memberID, Lines: []*orderv1.OrderLine{line("l-1", "rv-a"), line("l-2", "rv-b")}})
		waitUntil(t, "alice's lines to become reviewable", func() bool {
			r := api.expect(t, "GET", "/v1/members/me/reviewable-lines", alice.access, "", 200)
			lines, _ := r["lines"].([]any)
			return len(lines) == 2
		})
		body := `{"order_id":"o-rv-1","line_id":"l-1","rating":%d,"text":"很合身","image_urls":["/static/demo/review.svg"],"nickname":"小爱"}`
		api.expectReason(t, "POST", "/v1/members/me/reviews", "", fmt.Sprintf(body, 5), 401, "TOKEN_MISSING")
		api.expectReason(t, "POST", "/v1/members/me/reviews", bob.access, fmt.Sprintf(body, 5), 400, "REVIEW_NOT_ELIGIBLE")
		api.expectReason(t, "POST", "/v1/members/me/reviews", alice.access, fmt.Sprintf(body, 9), 400, "RATING_INVALID")
		rv := api.expect(t, "POST", "/v1/members/me/reviews", alice.access, fmt.Sprintf(body, 5), 200)
		if rv["product_id"] != "rv-a" || rv["display_name"] != "小爱" {
			t.Fatalf("review %v", rv)
		}
		id := rv["id"].(string)
		api.expectReason(t, "POST", "/v1/members/me/reviews", alice.access, fmt.Sprintf(body, 4), 409, "REVIEW_ALREADY_EXISTS")
		api.expect(t, "POST", "/v1/members/me/reviews", alice.access, `{"order_id":"o-rv-1","line_id":"l-2","rating":2,"anonymous":true}`, 200)

		list := api.expect(t, "GET", "/v1/products/rv-a/reviews?with_images_only=true", "", "", 200)
		reviews, _ := list["reviews"].([]any)
		if len(reviews) != 1 || reviews[0].(map[string]any)["member_id"] != "" {
			t.Fatalf("public list %v", list)
		}
		if b := api.expect(t, "GET", "/v1/products/rv-b/reviews", "", "", 200); b["reviews"].([]any)[0].(map[string]any)["display_name"] != "匿名用户" {
			t.Errorf("anonymous review shows %v", b)
		}
		sum := api.expect(t, "GET", "/v1/products/rv-a/review-summary", "", "", 200)
		if num(sum["review_count"]) != "1" || num(sum["average_rating_x100"]) != "500" || num(sum["with_images_count"]) != "1" {
			t.Errorf("summary %v", sum)
		}
		// Ratings reach the catalogue: product reads and the search's rating order.
		if p := api.expect(t, "GET", "/v1/products/rv-a", "", "", 200); num(p["rating_x100"]) != "500" || num(p["review_count"]) != "1" {
			t.Errorf("product rv-a rating %v, %v reviews", p["rating_x100"], p["review_count"])
		}
		byRating := api.expect(t, "GET", "/v1/products:search?category_id=rv-cat&order_by=SEARCH_ORDER_RATING", "", "", 200)
		var ids []string
		for _, p := range anySlice(byRating["products"]) {
			ids = append(ids, p.(map[string]any)["id"].(string))
		}
		if len(ids) != 4 || ids[0] != "rv-a" || ids[1] != "rv-b" {
			t.Errorf("search by rating: %v, want rv-a (5 stars) then rv-b (2 stars) then the unrated", ids)
		}
		api.expectReason(t, "POST", "/v1/admin/reviews/"+id+":hide", alice.access, "{}", 403, "ROLE_REQUIRED")
		api.expectReason(t, "POST", "/v1/admin/reviews/"+id+":hide", cs, "{}", 403, "ROLE_REQUIRED")
		api.expectReason(t, "POST", "/v1/admin/reviews/rv-none:hide", owner, "{}", 404, "REVIEW_NOT_FOUND")
		if h := api.expect(t, "POST", "/v1/admin/reviews/"+id+":hide", owner, "{}", 200); h["hidden"] != true {
			t.Errorf("hide %v", h)
		}
		if sum := api.expect(t, "GET", "/v1/products/rv-a/review-summary", "", "", 200); num(sum["review_count"]) != "0" {
			t.Errorf("summary after hiding %v", sum)
		}
		api.expect(t, "POST", "/v1/admin/reviews/"+id+":unhide", owner, "{}", 200)
		if r := api.expect(t, "POST", "/v1/admin/reviews/"+id+":reply", cs, `{"text":"感谢支持"}`, 200); r["reply"] != "感谢支持" {
			t.Errorf("reply %v", r)
		}
		api.expectReason(t, "PATCH", "/v1/members/me/reviews/"+id, bob.access, `{"text":"差评"}`, 404, "REVIEW_NOT_FOUND")
		if ed := api.expect(t, "PATCH", "/v1/members/me/reviews/"+id, alice.access, `{"text":"追评：洗了也不变形","update_mask":"text"}`, 200); ed["text"] != "追评：洗了也不变形" || ed["display_name"] != "小爱" {
			t.Errorf("edit %v", ed)
		}
		mine := api.expect(t, "GET", "/v1/members/me/reviews", alice.access, "", 200)
		if num(mine["total_size"]) != "2" {
			t.Errorf("alice's reviews %v", mine)
		}
		if theirs := api.expect(t, "GET", "/v1/members/me/reviews", bob.access, "", 200); num(theirs["total_size"]) != "0" {
			t.Errorf("bob sees %v", theirs)
		}
		waitUntil(t, "product.reviewed on the PRODUCT stream", func() bool {
			st, err := js.Stream(ctx, "PRODUCT")
			if err != nil {
				return false
			}
			m, err := st.GetLastMsgForSubject(ctx, "siyu.product.reviewed")
			if err != nil {
				return false
			}
			var ev productv1.ProductReviewed
			return proto.Unmarshal(m.Data, &ev) == nil && ev.ProductId != "" && ev.MemberId == alice.memberID
		})
	})

	t.Run("recommendations", func(t *testing.T) {
		paid := func(order, member string, lines ...*orderv1.OrderLine) {
			publish("siyu.order.paid", "e2e-paid-"+order, &orderv1.OrderPaid{EventId: "e2e-paid-" + order, OccurredAt: timestamppb.Now(), OrderId: order,
				MemberId: member, PaidFen: 1990 * int64(len(lines)), Lines: lines})
		}
		paid("o-rc-1", alice.memberID, line("a", "rv-a"), line("b", "rv-b"))
		paid("o-rc-2", bob.memberID, line("a", "rv-a"), line("b", "rv-b"))
		paid("o-rc-3", bob.memberID, line("a", "rv-a"), line("c", "rv-c"))
		waitUntil(t, "sales counted from paid orders", func() bool {
			hot := api.expect(t, "GET", "/v1/hot-products?category_id=rv-cat", "", "", 200)
			recs, _ := hot["recommendations"].([]any)
			return len(recs) > 0 && num(recs[0].(map[string]any)["sales"]) == "3"
		})
		rel := api.expect(t, "GET", "/v1/products/rv-a/related?limit=3", "", "", 200)
		recs, _ := rel["recommendations"].([]any)
		if len(recs) == 0 || recs[0].(map[string]any)["product"].(map[string]any)["id"] != "rv-b" {
			t.Errorf("related to rv-a: %v", rel)
		}
		api.expectReason(t, "POST", "/v1/members/me/product-views", "", `{"product_id":"rv-d"}`, 401, "TOKEN_MISSING")
		api.expectReason(t, "POST", "/v1/members/me/product-views", carol.access, `{"product_id":"nope"}`, 404, "PRODUCT_NOT_FOUND")
		api.expect(t, "POST", "/v1/members/me/product-views", carol.access, `{"product_id":"rv-a"}`, 200)
		if h := api.expect(t, "GET", "/v1/members/me/browsing-history", carol.access, "", 200); num(h["total_size"]) != "1" {
			t.Errorf("history after a view: %v", h)
		}
		fy := api.expect(t, "GET", "/v1/members/me/recommendations?limit=3", carol.access, "", 200)
		if recs, _ := fy["recommendations"].([]any); len(recs) == 0 {
			t.Errorf("for you: %v", fy)
		}
		api.expectReason(t, "GET", "/v1/members/me/recommendations", "", "", 401, "TOKEN_MISSING")
		api.expectReason(t, "GET", "/v1/products/rv-a/related?limit=-1", "", "", 400, "LIMIT_INVALID")
	})
}
