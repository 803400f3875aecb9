package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"siyu.dev/pkg/auth"
)

// TestSandboxPaymentThroughGateway: an order is paid in the sandbox, whose
// signed callback reaches the order service through the gateway's public
// notify route; the order is PAID, the stock sold, the member's points and
// growth earned from order.paid; the operator ships and the shopper confirms
// receipt. A forged or replayed callback changes nothing, and another
// member cannot settle the payment.
func TestSandboxPaymentThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-pay", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"pay-cat","category":{"name":"支付测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"pay-a","product":{"title":"真丝围巾","category_id":"pay-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":12800,"stock":5}]}}`, 200)
	alice := api.login(t, "13900000601")
	bob := api.login(t, "13900000602")

	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"pay-a","sku_id":"pay-a-A","quantity":1}`, 200)
	quote := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`}`, 200)
	order := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"pay-1","quote_id":"`+quote["quote_id"].(string)+`"}`, 200)
	id := order["order_id"].(string)

	api.expectReason(t, "POST", "/v1/orders/"+id+":pay", bob.access, `{}`, 404, "")
	pay := api.expect(t, "POST", "/v1/orders/"+id+":pay", alice.access, `{}`, 200)
	paymentID, _ := pay["payment_id"].(string)
	if paymentID == "" || !strings.Contains(fmt.Sprint(pay["pay_url"]), paymentID) || fmt.Sprint(pay["amount_fen"]) != fmt.Sprint(order["total_fen"]) {
		t.Fatalf("pay: %v", pay)
	}

	// A callback without the sandbox's signature is refused at the edge of
	// the order service and changes nothing.
	forged := `{"payment_id":"` + paymentID + `","txn_id":"x","amount_fen":1,"currency":"CNY","status":"paid"}`
	resp, body := api.doHeaders("POST", "/v1/payments/sandbox/notify", forged, map[string]string{"X-Sandbox-Signature": strings.Repeat("0", 64)})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "NOTIFICATION_INVALID") {
		t.Fatalf("forged callback: %d %s", resp.StatusCode, body)
	}
	if resp, _ := api.doHeaders("POST", "/v1/payments/nobody/notify", forged, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown provider: %d", resp.StatusCode)
	}
	if got := api.expect(t, "GET", "/v1/orders/"+id, alice.access, "", 200); got["status"] != "ORDER_STATUS_PENDING_PAYMENT" {
		t.Fatalf("a forged callback changed the order: %v", got["status"])
	}

	// Bob cannot settle Alice's payment; Alice pays in the sandbox.
	api.expectReason(t, "POST", "/v1/sandbox/payments/"+paymentID+":confirm", bob.access, `{}`, 404, "PAYMENT_NOT_FOUND")
	if r := api.expect(t, "POST", "/v1/sandbox/payments/"+paymentID+":confirm", alice.access, `{}`, 200); r["status"] != "paid" {
		t.Fatalf("confirm: %v", r)
	}
	api.expectReason(t, "POST", "/v1/sandbox/payments/"+paymentID+":confirm", alice.access, `{}`, 400, "SANDBOX_PAYMENT_SETTLED")
	waitUntil(t, "the order is paid", func() bool {
		return api.expect(t, "GET", "/v1/orders/"+id, alice.access, "", 200)["status"] == "ORDER_STATUS_PAID"
	})
	// order.paid reaches product (stock sold) and member (points, growth).
	waitUntil(t, "the stock is sold", func() bool {
		s := api.expect(t, "GET", "/v1/admin/skus/pay-a-A/stock", owner, "", 200)
		return fmt.Sprint(s["sold"]) == "1" && fmt.Sprint(s["reserved"]) == "0"
	})
	waitUntil(t, "points and growth are earned", func() bool {
		l := api.expect(t, "GET", "/v1/members/me/level", alice.access, "", 200)
		p := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)
		lv, _ := l["level"].(map[string]any)
		return fmt.Sprint(lv["growth"]) != "0" && fmt.Sprint(p["available_points"]) != "0"
	})

	// A replay of the sandbox's own (correctly signed) callback is
	// acknowledged and changes nothing: no second earning.
	before := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)["available_points"]
	replay := fmt.Sprintf(`{"payment_id":%q,"txn_id":"sbx_%s","amount_fen":%v,"currency":"CNY","status":"paid","paid_at":"2026-12-02T00:00:00Z"}`, paymentID, paymentID, order["total_fen"])
	mac := hmac.New(sha256.New, []byte("siyu-sandbox-development-key")) // the dev-mode key
	mac.Write([]byte(replay))
	if resp, body := api.doHeaders("POST", "/v1/payments/sandbox/notify", replay, map[string]string{"X-Sandbox-Signature": hex.EncodeToString(mac.Sum(nil))}); resp.StatusCode/100 != 2 {
		t.Fatalf("replayed callback: %d %s", resp.StatusCode, body)
	}
	if after := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)["available_points"]; fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a replay changed the points: %v → %v", before, after)
	}

	api.expect(t, "POST", "/v1/admin/orders/"+id+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF1234567890"}`, 200)
	if got := api.expect(t, "POST", "/v1/orders/"+id+":confirm-receipt", alice.access, `{}`, 200); got["status"] != "ORDER_STATUS_RECEIVED" {
		t.Fatalf("confirm receipt: %v", got["status"])
	}
}
