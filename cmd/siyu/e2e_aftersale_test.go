package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"siyu.dev/pkg/auth"
)

// TestOrderToAfterSalesThroughGateway is the whole life of an order over
// REST: cart → quote → order → sandbox payment → two parcels → tracking →
// receipt → a return of one unit (approved, sent back, received, refunded
// through the provider) → completion once the request is closed → a
// review. At the end the stock, the sales counter, the member's points and
// growth and the review show every step; another member reaches none of
// the order, its tracking or its request.
func TestOrderToAfterSalesThroughGateway(t *testing.T) {
	shop := startShop(t, "", map[string]string{
		"SIYU_ORDER_AFTER_SALES_WINDOW": "3s",
		"SIYU_ORDER_SWEEP_EVERY":        "200ms",
		"SIYU_LOGISTICS_SANDBOX_SPEED":  "1000000", // parcels arrive at once
		"SIYU_LOGISTICS_CACHE_FOR":      "0s",
	})
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-as", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	cs := shop.token(t, auth.Identity{Subject: "cs-as", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"as-cat","category":{"name":"售后测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"as-a","product":{"title":"羊毛大衣","category_id":"as-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"M","price_fen":30000,"stock":10}]}}`, 200)
	alice := api.login(t, "13900000701")
	bob := api.login(t, "13900000702")

	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"as-a","sku_id":"as-a-M","quantity":3}`, 200)
	quote := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`}`, 200)
	order := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"as-1","quote_id":"`+quote["quote_id"].(string)+`"}`, 200)
	id := order["order_id"].(string)
	line := order["lines"].([]any)[0].(map[string]any)["line_id"].(string)
	pay := api.expect(t, "POST", "/v1/orders/"+id+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)
	waitUntil(t, "the order is paid", func() bool {
		return api.expect(t, "GET", "/v1/orders/"+id, alice.access, "", 200)["status"] == "ORDER_STATUS_PAID"
	})
	var paidPoints string
	waitUntil(t, "points are earned", func() bool {
		paidPoints = fmt.Sprint(api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)["available_points"])
		return paidPoints != "0"
	})

	// Two parcels: customer service may not ship; the first parcel leaves
	// the order PAID, the second ships it.
	api.expectReason(t, "POST", "/v1/admin/orders/"+id+":ship", cs, `{"carrier":"shunfeng","tracking_number":"SF1"}`, 403, "ROLE_REQUIRED")
	api.expectReason(t, "POST", "/v1/admin/orders/"+id+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF1","lines":[{"line_id":"`+line+`","quantity":4}]}`, 400, "SHIPMENT_INVALID")
	if o := api.expect(t, "POST", "/v1/admin/orders/"+id+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF1","lines":[{"line_id":"`+line+`","quantity":1}]}`, 200); o["status"] != "ORDER_STATUS_PAID" {
		t.Fatalf("one parcel of two: %v", o["status"])
	}
	if o := api.expect(t, "POST", "/v1/admin/orders/"+id+":ship", owner, `{"carrier":"yuantong","tracking_number":"YT2"}`, 200); o["status"] != "ORDER_STATUS_SHIPPED" || len(o["shipments"].([]any)) != 2 {
		t.Fatalf("the rest: %v %v", o["status"], o["shipments"])
	}
	waitUntil(t, "both parcels are signed for", func() bool {
		track := api.expect(t, "GET", "/v1/orders/"+id+"/tracking", alice.access, "", 200)
		parcels, _ := track["parcels"].([]any)
		return len(parcels) == 2 && parcels[0].(map[string]any)["state"] == "SIGNED" && parcels[1].(map[string]any)["state"] == "SIGNED" &&
			len(parcels[0].(map[string]any)["events"].([]any)) == 6
	})
	api.expectReason(t, "GET", "/v1/orders/"+id+"/tracking", bob.access, "", 404, "ORDER_NOT_FOUND")
	api.expect(t, "GET", "/v1/admin/orders/"+id+"/tracking", cs, "", 200)
	api.expect(t, "POST", "/v1/orders/"+id+":confirm-receipt", alice.access, `{}`, 200)

	// A return of one unit.
	apply := `{"request_id":"as-r1","kind":"AFTER_SALE_KIND_RETURN_REFUND","reason":"尺码偏大","photo_urls":["https://img.example.com/1.jpg"],"lines":[{"line_id":"` + line + `","quantity":1}]}`
	api.expectReason(t, "POST", "/v1/orders/"+id+"/after-sales", bob.access, apply, 404, "ORDER_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/orders/"+id+"/after-sales", alice.access, strings.Replace(apply, `"quantity":1`, `"quantity":9`, 1), 400, "AFTER_SALE_INVALID")
	as := api.expect(t, "POST", "/v1/orders/"+id+"/after-sales", alice.access, apply, 200)
	asID := as["after_sale_id"].(string)
	if again := api.expect(t, "POST", "/v1/orders/"+id+"/after-sales", alice.access, apply, 200); again["after_sale_id"] != asID {
		t.Fatalf("a retried request answers the first: %v", again)
	}
	api.expectReason(t, "GET", "/v1/after-sales/"+asID, bob.access, "", 404, "AFTER_SALE_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/after-sales/"+asID+":withdraw", bob.access, `{}`, 404, "AFTER_SALE_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/after-sales/"+asID+":send-back", alice.access, `{"carrier":"shunfeng","tracking_number":"SFR1"}`, 400, "AFTER_SALE_STATE_INVALID")
	if mine := api.expect(t, "GET", "/v1/after-sales", bob.access, "", 200); len(mine["after_sales"].([]any)) != 0 {
		t.Fatalf("bob lists alice's requests: %v", mine)
	}
	queue := api.expect(t, "GET", "/v1/admin/after-sales?status=AFTER_SALE_STATUS_REQUESTED", cs, "", 200)
	if !strings.Contains(fmt.Sprint(queue["after_sales"]), asID) {
		t.Fatalf("the queue shows the request: %v", queue)
	}
	api.expectReason(t, "POST", "/v1/admin/after-sales/"+asID+":decide", cs, `{"approve":true}`, 403, "ROLE_REQUIRED")
	api.expect(t, "POST", "/v1/admin/after-sales/"+asID+":decide", owner, `{"approve":true,"note":"请寄回"}`, 200)
	api.expect(t, "POST", "/v1/after-sales/"+asID+":send-back", alice.access, `{"carrier":"shunfeng","tracking_number":"SFR1"}`, 200)
	got := api.expect(t, "POST", "/v1/admin/after-sales/"+asID+":receive-return", owner, `{"note":"已验收"}`, 200)
	if got["status"] != "AFTER_SALE_STATUS_REFUNDED" || got["refund_settled"] != true || fmt.Sprint(got["refund_fen"]) != "30000" || len(got["timeline"].([]any)) != 4 {
		t.Fatalf("received and refunded: %v", got)
	}

	// The returned unit is back on sale (stock counts it as sold once);
	// points and growth are reversed for a third of the order.
	waitUntil(t, "the returned unit is back in stock", func() bool {
		s := api.expect(t, "GET", "/v1/admin/skus/as-a-M/stock", owner, "", 200)
		return fmt.Sprint(s["available"]) == "8" && fmt.Sprint(s["sold"]) == "3"
	})
	waitUntil(t, "points are reversed", func() bool {
		return fmt.Sprint(api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)["available_points"]) != paidPoints
	})

	// The closed request lets the order complete; its line becomes
	// reviewable.
	waitUntil(t, "the order completes", func() bool {
		return api.expect(t, "GET", "/v1/orders/"+id, alice.access, "", 200)["status"] == "ORDER_STATUS_COMPLETED"
	})
	waitUntil(t, "the line is reviewable", func() bool {
		r := api.expect(t, "GET", "/v1/members/me/reviewable-lines", alice.access, "", 200)
		return strings.Contains(fmt.Sprint(r["lines"]), line)
	})
	api.expect(t, "POST", "/v1/members/me/reviews", alice.access, `{"order_id":"`+id+`","line_id":"`+line+`","rating":5,"text":"面料很好"}`, 200)
	api.expectReason(t, "POST", "/v1/orders/"+id+"/after-sales", alice.access, strings.Replace(apply, "as-r1", "as-r2", 1), 400, "AFTER_SALE_NOT_ALLOWED")

	// The export has the order as CSV.
	resp, body := api.doHeaders("GET", "/v1/admin/orders:export?filter.product_id=as-a", "", map[string]string{"Authorization": "Bearer " + owner})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(body, id) || !strings.Contains(body, "羊毛大衣") {
		t.Fatalf("export: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	api.expectReason(t, "GET", "/v1/admin/orders:export", cs, "", 403, "ROLE_REQUIRED")
}
