package main

import (
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// TestDiscountsThroughGateway: timed prices and full reductions apply at
// checkout by themselves, in the stacking table's order: the member level
// discount, then timed prices (the lower of the two), then full reductions,
// then coupons measured on what is left; a flash sale takes none of them.
func TestDiscountsThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-dc", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"dc-cat","category":{"name":"满减测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"dc-a","product":{"title":"羽绒服","category_id":"dc-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":30000,"stock":10}]}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"dc-b","product":{"title":"围巾","category_id":"dc-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"B","price_fen":10000,"stock":10}]}}`, 200)
	alice := api.login(t, "13900000951")
	now := time.Now().UTC()
	window := fmt.Sprintf(`"start_time":%q,"end_time":%q`, now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))

	api.expectReason(t, "POST", "/v1/admin/discounts", owner, `{"name":"坏","type":"FULL_REDUCTION","tiers":[{"threshold_fen":30000,"off_fen":4000},{"threshold_fen":20000,"off_fen":2000}],`+window+`}`, 400, "ACTIVITY_INVALID")
	api.expectReason(t, "POST", "/v1/admin/discounts", alice.access, `{"name":"x"}`, 403, "ROLE_REQUIRED")
	fr := api.expect(t, "POST", "/v1/admin/discounts", owner, `{"name":"冬季满减","type":"FULL_REDUCTION","tiers":[{"threshold_fen":20000,"off_fen":2000},{"threshold_fen":30000,"off_fen":4000}],`+window+`}`, 200)
	if fr["summary"] != "满200减20，满300减40" {
		t.Errorf("summary %v", fr["summary"])
	}
	api.expect(t, "POST", "/v1/admin/discounts", owner, `{"name":"羽绒服限时价","type":"TIMED_PRICE","prices":[{"sku_id":"dc-a-A","price_fen":25000}],`+window+`}`, 200)
	if shown := api.expect(t, "GET", "/v1/discounts?product_id=dc-a&category_id=dc-cat", "", "", 200)["discounts"].([]any); len(shown) != 2 {
		t.Fatalf("the product's discounts: %v", shown)
	}
	if shown := api.expect(t, "GET", "/v1/discounts?product_id=dc-b&category_id=dc-cat", "", "", 200)["discounts"].([]any); len(shown) != 1 {
		t.Fatalf("the scarf's discounts: %v", shown)
	}
	tpl := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"满250减30","kind":"AMOUNT_OFF","amount_off_fen":3000,"threshold_fen":25000,"valid_days":7,"per_member_limit":1,"total_quantity":10,"claimable":true}`, 200)
	api.expect(t, "POST", "/v1/coupons/offers/"+tpl["id"].(string)+":claim", alice.access, `{}`, 200)

	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"dc-a","sku_id":"dc-a-A","quantity":1}`, 200)
	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"dc-b","sku_id":"dc-b-B","quantity":1}`, 200)
	q := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`,"best_coupons":true}`, 200)
	// 400 yuan of goods; the coat's timed price takes 50 (350 left); 350
	// reaches the 300 tier: 40 off (310 left); the coupon's 250 threshold is
	// met on what is left: 30 off. 280 yuan, free shipping.
	bySource := map[string]int{}
	for _, d := range q["discounts"].([]any) {
		d := d.(map[string]any)
		var n int
		fmt.Sscan(fmt.Sprint(d["amount_fen"]), &n)
		bySource[d["source"].(string)] += n
	}
	if fmt.Sprint(q["total_fen"]) != "28000" || bySource["timed_price"] != 5000 || bySource["full_reduction"] != 4000 || bySource["coupon"] != 3000 {
		t.Fatalf("quote %v (by source %v)", q["total_fen"], bySource)
	}
	o := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"dc-1","quote_id":"`+q["quote_id"].(string)+`"}`, 200)
	if fmt.Sprint(o["total_fen"]) != "28000" {
		t.Fatalf("order %v", o["total_fen"])
	}
	pay := api.expect(t, "POST", "/v1/orders/"+o["order_id"].(string)+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)
	// Results per activity, from order.paid: the order counts once for each
	// discount and coupon template it used, with what each took off.
	results := func(list []any, id string) string {
		for _, x := range list {
			x := x.(map[string]any)
			if x["id"] == id {
				r, _ := x["results"].(map[string]any)
				return fmt.Sprint(r["paid_orders"], "/", r["paid_fen"], "/", r["discount_fen"])
			}
		}
		return "missing"
	}
	waitUntil(t, "the paid order in the activities' results", func() bool {
		ds := api.expect(t, "GET", "/v1/admin/discounts", owner, "", 200)["discounts"].([]any)
		ts := api.expect(t, "GET", "/v1/admin/coupon-templates", owner, "", 200)["templates"].([]any)
		return results(ds, fr["id"].(string)) == "1/28000/4000" && results(ts, tpl["id"].(string)) == "1/28000/3000"
	})
	cal := api.expect(t, "GET", fmt.Sprintf("/v1/admin/activity-calendar?from=%s&to=%s", now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)), owner, "", 200)
	if entries, _ := cal["entries"].([]any); len(entries) != 2 || entries[0].(map[string]any)["status"] != "RUNNING" {
		t.Errorf("calendar %v", cal)
	}
	api.expectReason(t, "GET", "/v1/admin/activity-calendar?from="+now.Format(time.RFC3339)+"&to="+now.AddDate(1, 0, 0).Format(time.RFC3339), owner, "", 400, "ARGUMENT_INVALID")
	api.expect(t, "POST", "/v1/admin/discounts/"+fr["id"].(string)+":end", owner, `{}`, 200)
	if shown := api.expect(t, "GET", "/v1/discounts?product_id=dc-b&category_id=dc-cat", "", "", 200)["discounts"]; shown != nil && len(shown.([]any)) != 0 {
		t.Fatalf("an ended discount is not shown: %v", shown)
	}
}
