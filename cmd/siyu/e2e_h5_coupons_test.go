package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// TestCouponsInBrowser walks the storefront's coupon pages in headless
// Chromium against the whole suite (web/h5/e2e/coupons.mjs): an operator
// makes a claimable 满100减20 through the admin API, the shopper claims it in
// the coupon centre reached from the product page (after being told plainly
// that another offer's last coupon went to someone else), finds it in my
// coupons, redeems an exchange code there, checks out with the best coupon
// applied (taken off and put back in the picker), pays in the sandbox and
// sees the coupon used. The REST API then confirms what the pages showed.
func TestCouponsInBrowser(t *testing.T) {
	dist, node := requireStorefront(t)
	shop := startShop(t, "", map[string]string{"SIYU_WEB_DIR": dist})
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-h5cp", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	alice := api.login(t, "13900007201")
	bob := api.login(t, "13900007202")

	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"h5c-cat","category":{"name":"券页面"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"h5c-a","product":{"title":"羊毛开衫","category_id":"h5c-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":15000,"stock":5}]}}`, 200)
	offer := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"满100减20","kind":"AMOUNT_OFF","amount_off_fen":2000,"threshold_fen":10000,"valid_days":7,"per_member_limit":1,"total_quantity":10,"claimable":true,"category_ids":["h5c-cat"]}`, 200)
	scarce := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"限量1张","kind":"AMOUNT_OFF","amount_off_fen":3000,"threshold_fen":20000,"valid_days":7,"per_member_limit":1,"total_quantity":1,"claimable":true}`, 200)
	gift := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"无门槛减5","kind":"AMOUNT_OFF","amount_off_fen":500,"valid_days":7,"per_member_limit":1,"total_quantity":5}`, 200)
	codes := anySlice(api.expect(t, "POST", "/v1/admin/coupon-templates/"+gift["id"].(string)+"/codes", owner, `{"count":1}`, 200)["codes"])
	if len(codes) != 1 {
		t.Fatalf("codes: %v", codes)
	}
	api.expect(t, "POST", "/v1/members/me/addresses", alice.access, `{"receiver_name":"张三","phone":"13800138000","province":"上海市","city":"上海市","district":"浦东新区","detail":"世纪大道 1 号"}`, 200)
	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"h5c-a","sku_id":"h5c-a-A","quantity":1}`, 200)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e/coupons.mjs")
	cmd.Dir = h5Dir
	cmd.Env = append(os.Environ(), "BASE_URL=http://"+shop.HTTPAddr, "ACCESS="+alice.access, "REFRESH="+alice.refresh,
		"PRODUCT=h5c-a", "OFFER="+offer["id"].(string), "SCARCE="+scarce["id"].(string), "OTHER="+bob.access, "CODE="+codes[0].(string))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), `"ok":true`) {
		t.Fatalf("browser walk: %v\n%s%s", err, stderr.String(), stdout.String())
	}
	t.Logf("browser steps:\n%s", stderr.String())
	var walk struct {
		OrderID string `json:"order_id"`
		Total   string `json:"total"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout.String())), &walk); err != nil || walk.OrderID == "" {
		t.Fatalf("the walk reported no order: %v %s", err, stdout.String())
	}

	// What the pages did is what the API holds: the order paid with the
	// claimed coupon's 20 yuan off, the coupon used by that order, the
	// redeemed one still unused, the scarce one held by the other member.
	order := api.expect(t, "GET", "/v1/orders/"+walk.OrderID, alice.access, "", 200)
	used := anySlice(api.expect(t, "GET", "/v1/members/me/coupons?status=USED", alice.access, "", 200)["coupons"])
	if len(used) != 1 {
		t.Fatalf("used coupons: %v", used)
	}
	coupon := used[0].(map[string]any)
	if coupon["template_id"] != offer["id"] || coupon["order_id"] != walk.OrderID {
		t.Errorf("the used coupon %v is not the claimed one used by order %s", coupon, walk.OrderID)
	}
	if order["status"] != "ORDER_STATUS_PAID" || fmt.Sprint(order["total_fen"]) != "13000" || "¥"+yuanOf(order["total_fen"]) != walk.Total || !mentions(order["discounts"], coupon["id"].(string)) {
		t.Errorf("order %s: %v total %v discounts %v; the page showed %s with the coupon", walk.OrderID, order["status"], order["total_fen"], order["discounts"], walk.Total)
	}
	unused := anySlice(api.expect(t, "GET", "/v1/members/me/coupons?status=UNUSED", alice.access, "", 200)["coupons"])
	if len(unused) != 1 || unused[0].(map[string]any)["template_id"] != gift["id"] {
		t.Errorf("unused coupons after the walk: %v (the redeemed code's coupon)", unused)
	}
	if held := anySlice(api.expect(t, "GET", "/v1/members/me/coupons", bob.access, "", 200)["coupons"]); len(held) != 1 || held[0].(map[string]any)["template_id"] != scarce["id"] {
		t.Errorf("the other member's coupons: %v", held)
	}
	if got := api.expect(t, "GET", "/v1/admin/coupon-templates/"+offer["id"].(string), owner, "", 200); fmt.Sprint(got["issued"]) != "1" {
		t.Errorf("the offer issued %v coupons, the shopper claimed one", got["issued"])
	}
}
