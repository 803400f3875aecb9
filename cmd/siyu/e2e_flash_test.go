package main

import (
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// TestFlashSaleThroughGateway: an operator schedules a flash sale; members
// reserve through the gateway, the order follows at the flash price (no
// level discount, no coupons), paying marks the reservation PAID, an
// unpaid order cancelled gives the unit back; sold out, the member limit,
// another member's reservation and the window are answered with reasons;
// the operator sees the results.
func TestFlashSaleThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-fs", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"fs-cat","category":{"name":"秒杀测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"fs-a","product":{"title":"保温杯","category_id":"fs-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":19900,"stock":50}]}}`, 200)
	api.expect(t, "PUT", "/v1/admin/levels", owner, `{"tiers":[{"id":"v0","name":"普通","discount_permille":100}]}`, 200)
	alice, bob, carol, dave := api.login(t, "13900000901"), api.login(t, "13900000902"), api.login(t, "13900000903"), api.login(t, "13900000904")

	now := time.Now().UTC()
	window := fmt.Sprintf(`"start_time":%q,"end_time":%q`, now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	api.expectReason(t, "POST", "/v1/admin/flash-sales", owner, `{"name":"坏","product_id":"fs-a","sku_id":"fs-a-A","price_fen":0,"stock":2,"per_member_limit":1,`+window+`}`, 400, "ACTIVITY_INVALID")
	api.expectReason(t, "POST", "/v1/admin/flash-sales", alice.access, `{"name":"x"}`, 403, "ROLE_REQUIRED")
	fs := api.expect(t, "POST", "/v1/admin/flash-sales", owner, `{"name":"保温杯秒杀","product_id":"fs-a","sku_id":"fs-a-A","price_fen":9900,"stock":2,"per_member_limit":1,`+window+`}`, 200)
	id := fs["id"].(string)
	later := fmt.Sprintf(`"start_time":%q,"end_time":%q`, now.Add(time.Hour).Format(time.RFC3339), now.Add(2*time.Hour).Format(time.RFC3339))
	soon := api.expect(t, "POST", "/v1/admin/flash-sales", owner, `{"name":"晚场","product_id":"fs-a","sku_id":"fs-a-A","price_fen":9900,"stock":5,"per_member_limit":1,`+later+`}`, 200)
	if list := api.expect(t, "GET", "/v1/flash-sales", "", "", 200)["flash_sales"].([]any); len(list) != 2 {
		t.Fatalf("running and upcoming: %v", list)
	}

	reserve := func(who session, body string) map[string]any {
		return api.expect(t, "POST", "/v1/flash-sales/"+id+":reserve", who.access, body, 200)
	}
	// Each member has a burst of three reservation calls at the gateway.
	api.expectReason(t, "POST", "/v1/flash-sales/"+id+":reserve", dave.access, `{}`, 400, "ADDRESS_REQUIRED")
	api.expectReason(t, "POST", "/v1/flash-sales/"+id+":reserve", "", `{"address":`+shipTo+`}`, 401, "TOKEN_MISSING")
	api.expectReason(t, "POST", "/v1/flash-sales/"+soon["id"].(string)+":reserve", dave.access, `{"address":`+shipTo+`}`, 400, "ACTIVITY_NOT_OPEN")
	ra := reserve(alice, `{"address":`+shipTo+`,"request_id":"a1"}`)
	if again := reserve(alice, `{"address":`+shipTo+`,"request_id":"a1"}`); again["id"] != ra["id"] {
		t.Fatalf("a retry answers the first reservation: %v %v", again["id"], ra["id"])
	}
	// Past the member limit the stream refuses.
	api.expectReason(t, "POST", "/v1/flash-sales/"+id+":reserve", alice.access, `{"address":`+shipTo+`,"request_id":"a2"}`, 400, "FLASH_SALE_LIMIT_REACHED")
	rb := reserve(bob, `{"address":`+shipTo+`}`)
	api.expectReason(t, "POST", "/v1/flash-sales/"+id+":reserve", carol.access, `{"address":`+shipTo+`}`, 429, "FLASH_SALE_SOLD_OUT")
	api.expectReason(t, "GET", "/v1/members/me/flash-reservations/"+ra["id"].(string), bob.access, "", 404, "RESERVATION_NOT_FOUND")

	ordered := func(who session, r map[string]any) map[string]any {
		var got map[string]any
		waitUntil(t, "the reservation's order", func() bool {
			got = api.expect(t, "GET", "/v1/members/me/flash-reservations/"+r["id"].(string), who.access, "", 200)
			return got["status"] == "ORDERED"
		})
		return got
	}
	oa := ordered(alice, ra)["order_id"].(string)
	order := api.expect(t, "GET", "/v1/orders/"+oa, alice.access, "", 200)
	// The flash price of 99 yuan is all that is paid: the tier's 10% does not
	// apply, and 99 yuan of goods ships free.
	if fmt.Sprint(order["total_fen"]) != "9900" || fmt.Sprint(order["goods_fen"]) != "19900" {
		t.Fatalf("flash order %v", order)
	}
	pay := api.expect(t, "POST", "/v1/orders/"+oa+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)
	waitUntil(t, "alice's reservation PAID", func() bool {
		return api.expect(t, "GET", "/v1/members/me/flash-reservations/"+ra["id"].(string), alice.access, "", 200)["status"] == "PAID"
	})

	ob := ordered(bob, rb)["order_id"].(string)
	api.expect(t, "POST", "/v1/orders/"+ob+":cancel", bob.access, `{"reason":"不要了"}`, 200)
	waitUntil(t, "bob's unit back", func() bool {
		r := api.expect(t, "GET", "/v1/members/me/flash-reservations/"+rb["id"].(string), bob.access, "", 200)
		got := api.expect(t, "GET", "/v1/flash-sales/"+id, "", "", 200)
		return r["status"] == "RELEASED" && fmt.Sprint(got["remaining"]) == "1"
	})
	time.Sleep(1100 * time.Millisecond) // the sold-out answer from memory lapses
	rc := reserve(carol, `{"address":`+shipTo+`}`)
	ordered(carol, rc)

	stats := api.expect(t, "GET", "/v1/admin/flash-sales", owner, "", 200)["flash_sales"].([]any)
	for _, s := range stats {
		s := s.(map[string]any)
		if s["flash_sale"].(map[string]any)["id"] != id {
			continue
		}
		if fmt.Sprint(s["orders"]) != "3" || fmt.Sprint(s["paid"]) != "1" || fmt.Sprint(s["paid_fen"]) != "9900" || fmt.Sprint(s["discount_fen"]) != "10000" {
			t.Errorf("results %v", s)
		}
	}
	api.expect(t, "POST", "/v1/admin/flash-sales/"+id+":end", owner, `{}`, 200)
	api.expectReason(t, "POST", "/v1/flash-sales/"+id+":reserve", bob.access, `{"address":`+shipTo+`}`, 400, "ACTIVITY_NOT_OPEN")
}
