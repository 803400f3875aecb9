package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/natsx"
)

const shipTo = `{"name":"张三","phone":"13800138000","province":"上海市","city":"上海市","district":"浦东新区","detail":"世纪大道 1 号"}`

// TestCheckoutThroughGateway runs a shopper from cart to a placed order and
// back out by cancelling, checking stock and points in product and member at
// each step, and that another member can see or touch none of it.
func TestCheckoutThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-co", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"co-cat","category":{"name":"下单测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"co-a","product":{"title":"纯棉T恤","category_id":"co-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":3990,"stock":10}]}}`, 200)
	const sku = "co-a-A"
	alice := api.login(t, "13900000501")
	bob := api.login(t, "13900000502")
	api.expect(t, "POST", "/v1/admin/members/"+alice.memberID+"/points:adjust", owner, `{"request_id":"co-grant","points":1000,"reason":"测试"}`, 200)

	api.expectReason(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"co-a","sku_id":"nope","quantity":1}`, 404, "SKU_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/cart/lines", "", `{"product_id":"co-a","sku_id":"co-a-A","quantity":1}`, 401, "TOKEN_MISSING")
	cart := api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"co-a","sku_id":"co-a-A","quantity":2}`, 200)
	if fmt.Sprint(cart["selected_fen"]) != "7980" {
		t.Fatalf("cart %v", cart)
	}
	if lines, _ := api.expect(t, "GET", "/v1/cart", bob.access, "", 200)["lines"].([]any); len(lines) != 0 {
		t.Fatalf("bob sees lines %v", lines)
	}
	api.expectReason(t, "POST", "/v1/checkout/quotes", alice.access, `{"points_to_use":500}`, 400, "ADDRESS_REQUIRED")
	// Every member's tier takes 10% off, read from member at checkout.
	api.expect(t, "PUT", "/v1/admin/levels", owner, `{"tiers":[{"id":"v0","name":"普通","discount_permille":100}]}`, 200)
	quote := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`,"points_to_use":500}`, 200)
	// 7980 goods, 798 level discount, 500 points, 10 yuan shipping under 99 yuan.
	if fmt.Sprint(quote["total_fen"]) != "7682" || fmt.Sprint(quote["points_used"]) != "500" || fmt.Sprint(quote["shipping_fen"]) != "1000" || quote["level_id"] != "v0" {
		t.Fatalf("quote %v", quote)
	}
	qid := quote["quote_id"].(string)
	api.expectReason(t, "POST", "/v1/orders", bob.access, `{"request_id":"b1","quote_id":"`+qid+`"}`, 404, "QUOTE_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/orders", alice.access, `{"quote_id":"`+qid+`"}`, 400, "REQUEST_ID_REQUIRED")
	order := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"a1","quote_id":"`+qid+`","channel":"h5"}`, 200)
	id := order["order_id"].(string)
	if order["status"] != "ORDER_STATUS_PENDING_PAYMENT" || fmt.Sprint(order["total_fen"]) != "7682" {
		t.Fatalf("order %v", order)
	}
	again := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"a1","quote_id":"`+qid+`","channel":"h5"}`, 200)
	if again["order_id"] != id {
		t.Fatalf("a repeat placed another order: %v", again["order_id"])
	}
	api.expectReason(t, "POST", "/v1/orders", alice.access, `{"request_id":"a1","quote_id":"`+qid+`","channel":"mini_program"}`, 400, "REQUEST_ID_REUSED")

	stock := api.expect(t, "GET", "/v1/admin/skus/"+sku+"/stock", owner, "", 200)
	points := api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/points", owner, "", 200)
	if fmt.Sprint(stock["available"]) != "8" || fmt.Sprint(stock["reserved"]) != "2" || fmt.Sprint(points["available_points"]) != "500" || fmt.Sprint(points["frozen_points"]) != "500" {
		t.Fatalf("after placing: stock %v points %v", stock, points)
	}
	if lines, _ := api.expect(t, "GET", "/v1/cart", alice.access, "", 200)["lines"].([]any); len(lines) != 0 {
		t.Errorf("ordered lines stay in the cart: %v", lines)
	}

	api.expectReason(t, "GET", "/v1/orders/"+id, bob.access, "", 404, "ORDER_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/orders/"+id+":cancel", bob.access, `{}`, 404, "ORDER_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/orders/"+id+":confirm-receipt", bob.access, `{}`, 404, "ORDER_NOT_FOUND")
	if orders, _ := api.expect(t, "GET", "/v1/orders", bob.access, "", 200)["orders"].([]any); len(orders) != 0 {
		t.Errorf("bob lists %v", orders)
	}
	if orders, _ := api.expect(t, "GET", "/v1/orders", alice.access, "", 200)["orders"].([]any); len(orders) != 1 {
		t.Errorf("alice lists %v", orders)
	}
	api.expectReason(t, "GET", "/v1/admin/orders/"+id, alice.access, "", 403, "ROLE_REQUIRED")
	if got := api.expect(t, "GET", "/v1/admin/orders?member_id="+alice.memberID, owner, "", 200); len(got["orders"].([]any)) != 1 {
		t.Errorf("operator list %v", got)
	}
	if got := api.expect(t, "GET", "/v1/admin/orders?phone=13800138000&min_total_fen=7682&max_total_fen=7682", owner, "", 200); len(got["orders"].([]any)) != 1 {
		t.Errorf("operator filter by phone and total: %v", got)
	}
	if got := api.expect(t, "GET", "/v1/admin/orders?min_total_fen=7683", owner, "", 200); got["orders"] != nil && len(got["orders"].([]any)) != 0 {
		t.Errorf("operator filter above the total: %v", got)
	}
	api.expectReason(t, "POST", "/v1/admin/orders/"+id+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF1"}`, 400, "ORDER_STATE_INVALID")

	cancelled := api.expect(t, "POST", "/v1/orders/"+id+":cancel", alice.access, `{"reason":"不想要了"}`, 200)
	if cancelled["status"] != "ORDER_STATUS_CANCELLED" {
		t.Fatalf("cancel %v", cancelled)
	}
	stock = api.expect(t, "GET", "/v1/admin/skus/"+sku+"/stock", owner, "", 200)
	points = api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/points", owner, "", 200)
	if fmt.Sprint(stock["available"]) != "10" || fmt.Sprint(stock["reserved"]) != "0" || fmt.Sprint(points["available_points"]) != "1000" || fmt.Sprint(points["frozen_points"]) != "0" {
		t.Fatalf("after cancelling: stock %v points %v", stock, points)
	}
	stats := api.expect(t, "GET", "/v1/admin/order-stats", owner, "", 200)
	if fmt.Sprint(stats["placed"]) != "1" || fmt.Sprint(stats["cancelled"]) != "1" || stats["day"] == "" {
		t.Errorf("today's stats %v", stats)
	}
	api.expectReason(t, "GET", "/v1/admin/order-stats?day=yesterday", owner, "", 400, "ARGUMENT_INVALID")
	waitUntil(t, "order.created and order.cancelled on the ORDER stream", func() bool {
		return lastOrderEvent(t, shop, "siyu.order.created") == id+".created" && lastOrderEvent(t, shop, "siyu.order.cancelled") == id+".cancelled"
	})

	t.Run("points frozen by two orders at once never exceed the balance", func(t *testing.T) {
		var qids [2]string
		for i := range qids {
			api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"co-a","sku_id":"co-a-A","quantity":1}`, 200)
			// 3591 payable after the tier: at most 1795 points each.
			q := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`,"points_to_use":700}`, 200)
			qids[i] = q["quote_id"].(string)
		}
		outcomes := make([]string, 2)
		var wg sync.WaitGroup
		for i := range qids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, body := api.do("POST", "/v1/orders", alice.access, fmt.Sprintf(`{"request_id":"pts-%d","quote_id":%q}`, i, qids[i]))
				outcomes[i] = fmt.Sprint(resp.StatusCode, reasonOf(body))
			}()
		}
		wg.Wait()
		points := api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/points", owner, "", 200)
		stock := api.expect(t, "GET", "/v1/admin/skus/"+sku+"/stock", owner, "", 200)
		placed := map[string]int{}
		for _, o := range outcomes {
			placed[o]++
		}
		var avail, reserved int
		fmt.Sscan(fmt.Sprint(stock["available"]), &avail)
		fmt.Sscan(fmt.Sprint(stock["reserved"]), &reserved)
		if placed["200"] != 1 || placed["400POINTS_INSUFFICIENT"] != 1 || fmt.Sprint(points["available_points"]) != "300" || fmt.Sprint(points["frozen_points"]) != "700" || avail+reserved != 10 {
			t.Fatalf("outcomes %v points %v stock %v", outcomes, points, stock)
		}
	})
	t.Run("a line taken off the shelf says so", func(t *testing.T) {
		api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"co-a","sku_id":"co-a-A","quantity":1}`, 200)
		api.expect(t, "POST", "/v1/admin/products/co-a:unpublish", owner, `{}`, 200)
		cart := api.expect(t, "GET", "/v1/cart", alice.access, "", 200)
		lines, _ := cart["lines"].([]any)
		if len(lines) != 1 || lines[0].(map[string]any)["problem"] != "OFF_SHELF" || fmt.Sprint(cart["selected_fen"]) != "0" {
			t.Fatalf("cart %v", cart)
		}
		api.expectReason(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`}`, 400, "OFF_SHELF")
	})
}

// lastOrderEvent is the id of the last event on an ORDER subject, or "".
func lastOrderEvent(t *testing.T, shop *shop, subject string) string {
	t.Helper()
	nc, err := natsx.Connect(shop.NATSURL, "e2e-order-events")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "ORDER")
	if err != nil {
		return ""
	}
	m, err := st.GetLastMsgForSubject(context.Background(), subject)
	if err != nil {
		return ""
	}
	return m.Header.Get(nats.MsgIdHdr)
}

// TestNoOversellThroughGateway: 100 shoppers each order the one SKU that
// has 10 units, all at once: exactly 10 orders are placed and 90 answered
// OUT_OF_STOCK; the stock ends at 0 available and 10 reserved. (The app
// tests race 200 buyers; through the whole suite under the race detector
// on a loaded two-core machine, 200 placements on one SKU document can
// queue past the gateway's 60-second write timeout.)
func TestNoOversellThroughGateway(t *testing.T) {
	// 200 shoppers from one loopback address: the per-IP limit is lifted.
	shop := startShop(t, "", map[string]string{"SIYU_RATE_IP_RPS": "100000", "SIYU_RATE_IP_BURST": "100000"})
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-os", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"os-cat","category":{"name":"抢购"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"os-a","product":{"title":"限量款","category_id":"os-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":19900,"stock":10}]}}`, 200)
	const buyers = 100
	quotes := make([]string, buyers)
	tokens := make([]string, buyers)
	for i := range buyers {
		s := api.login(t, fmt.Sprintf("1390001%04d", i))
		tokens[i] = s.access
		api.expect(t, "POST", "/v1/cart/lines", s.access, `{"product_id":"os-a","sku_id":"os-a-A","quantity":1}`, 200)
		quotes[i] = api.expect(t, "POST", "/v1/checkout/quotes", s.access, `{"address":`+shipTo+`}`, 200)["quote_id"].(string)
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := api.do("POST", "/v1/orders", tokens[i], `{"request_id":"buy","quote_id":"`+quotes[i]+`"}`)
			key := fmt.Sprint(resp.StatusCode)
			if resp.StatusCode != 200 {
				key += " " + reasonOf(body)
			}
			mu.Lock()
			outcomes[key]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if outcomes["200"] != 10 || outcomes["400 OUT_OF_STOCK"] != buyers-10 {
		t.Fatalf("outcomes %v", outcomes)
	}
	stock := api.expect(t, "GET", "/v1/admin/skus/os-a-A/stock", owner, "", 200)
	if fmt.Sprint(stock["available"]) != "0" || fmt.Sprint(stock["reserved"]) != "10" {
		t.Fatalf("stock %v", stock)
	}
	if got := api.expect(t, "GET", "/v1/admin/orders?page_size=50", owner, "", 200); len(got["orders"].([]any)) != 10 {
		t.Fatalf("%d orders listed", len(got["orders"].([]any)))
	}
}

// reasonOf is the ErrorInfo reason of an error body, or "".
func reasonOf(body string) string {
	var st struct {
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	}
	_ = json.Unmarshal([]byte(body), &st)
	for _, d := range st.Details {
		if d.Reason != "" {
			return d.Reason
		}
	}
	return ""
}
