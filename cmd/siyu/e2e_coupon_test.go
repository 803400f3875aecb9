package main

import (
	"fmt"
	"sync"
	"testing"

	"siyu.dev/pkg/auth"
)

// TestCouponsThroughGateway: an operator makes a coupon, a shopper claims it
// in the coupon centre, checkout applies the best coupons, the order locks
// the coupon, cancelling gives it back, paying spends it and a full refund
// returns it; another member can neither see nor use it; concurrent claims
// never exceed the template's quantity.
func TestCouponsThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-cp", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"cp-cat","category":{"name":"券测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"cp-a","product":{"title":"羊绒围巾","category_id":"cp-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":15000,"stock":20}]}}`, 200)
	alice := api.login(t, "13900000701")
	bob := api.login(t, "13900000702")

	api.expectReason(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"坏券","kind":"AMOUNT_OFF","amount_off_fen":0,"valid_days":7,"per_member_limit":1,"total_quantity":10}`, 400, "COUPON_TEMPLATE_INVALID")
	api.expectReason(t, "POST", "/v1/admin/coupon-templates", alice.access, `{"name":"券"}`, 403, "ROLE_REQUIRED")
	preview := api.expect(t, "POST", "/v1/admin/coupon-templates:preview", owner, `{"template":{"name":"满100减20","kind":"AMOUNT_OFF","amount_off_fen":2000,"threshold_fen":10000,"valid_days":7,"per_member_limit":1,"total_quantity":10}}`, 200)
	if preview["summary"] != "满100减20" || fmt.Sprint(preview["off_fen"]) != "2000" {
		t.Fatalf("preview %v", preview)
	}
	tpl := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"满100减20","kind":"AMOUNT_OFF","amount_off_fen":2000,"threshold_fen":10000,"valid_days":7,"per_member_limit":1,"total_quantity":10,"claimable":true,"category_ids":["cp-cat"]}`, 200)
	tid := tpl["id"].(string)
	offers := api.expect(t, "GET", "/v1/coupons/offers?product_id=cp-a&category_id=cp-cat", "", "", 200)
	if list, _ := offers["offers"].([]any); len(list) != 1 {
		t.Fatalf("the product's offers: %v", offers)
	}
	api.expectReason(t, "POST", "/v1/coupons/offers/"+tid+":claim", "", `{}`, 401, "TOKEN_MISSING")
	coupon := api.expect(t, "POST", "/v1/coupons/offers/"+tid+":claim", alice.access, `{"request_id":"c1"}`, 200)
	cid := coupon["id"].(string)
	if coupon["status"] != "UNUSED" || coupon["summary"] != "满100减20" {
		t.Fatalf("coupon %v", coupon)
	}
	api.expectReason(t, "POST", "/v1/coupons/offers/"+tid+":claim", alice.access, `{"request_id":"c2"}`, 400, "COUPON_LIMIT_REACHED")
	if mine, _ := api.expect(t, "GET", "/v1/members/me/coupons", bob.access, "", 200)["coupons"].([]any); len(mine) != 0 {
		t.Fatalf("bob sees alice's coupons: %v", mine)
	}

	quote := func(who session, body string) map[string]any {
		return api.expect(t, "POST", "/v1/checkout/quotes", who.access, `{"address":`+shipTo+body+`}`, 200)
	}
	api.expect(t, "POST", "/v1/cart/lines", bob.access, `{"product_id":"cp-a","sku_id":"cp-a-A","quantity":1}`, 200)
	api.expectReason(t, "POST", "/v1/checkout/quotes", bob.access, `{"address":`+shipTo+`,"coupon_ids":["`+cid+`"]}`, 404, "COUPON_NOT_FOUND")

	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"cp-a","sku_id":"cp-a-A","quantity":1}`, 200)
	q := quote(alice, `,"best_coupons":true`)
	// 150 yuan goods, 20 off, free shipping over 99.
	if fmt.Sprint(q["total_fen"]) != "13000" || !mentions(q["discounts"], cid) {
		t.Fatalf("quote with the best coupons: %v", q)
	}
	place := func(req string, q map[string]any) string {
		o := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"`+req+`","quote_id":"`+q["quote_id"].(string)+`"}`, 200)
		return o["order_id"].(string)
	}
	status := func() string {
		mine := api.expect(t, "GET", "/v1/members/me/coupons", alice.access, "", 200)["coupons"].([]any)
		return mine[0].(map[string]any)["status"].(string)
	}
	first := place("cp-1", q)
	if s := status(); s != "LOCKED" {
		t.Fatalf("placing locks the coupon: %s", s)
	}
	// A second checkout cannot use the coupon the first order holds.
	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"cp-a","sku_id":"cp-a-A","quantity":1}`, 200)
	api.expectReason(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`,"coupon_ids":["`+cid+`"]}`, 400, "COUPON_STATE_INVALID")
	api.expect(t, "POST", "/v1/orders/"+first+":cancel", alice.access, `{"reason":"换个颜色"}`, 200)
	if s := status(); s != "UNUSED" {
		t.Fatalf("cancelling gives the coupon back: %s", s)
	}

	second := place("cp-2", quote(alice, `,"coupon_ids":["`+cid+`"]`))
	pay := api.expect(t, "POST", "/v1/orders/"+second+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)
	waitUntil(t, "the paid order's coupon USED", func() bool { return status() == "USED" })
	api.expect(t, "POST", "/v1/admin/orders/"+second+":refund", owner, `{"reason":"缺货","request_id":"cp-refund"}`, 200)
	waitUntil(t, "the refunded order's coupon UNUSED again", func() bool { return status() == "UNUSED" })

	t.Run("concurrent claims never exceed the quantity", func(t *testing.T) {
		few := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"无门槛5元","kind":"AMOUNT_OFF","amount_off_fen":500,"valid_days":3,"per_member_limit":1,"total_quantity":3,"claimable":true}`, 200)
		members := make([]session, 8)
		for i := range members {
			members[i] = api.login(t, fmt.Sprintf("139000008%02d", i))
		}
		outcomes := make([]string, len(members))
		var wg sync.WaitGroup
		for i, m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, body := api.do("POST", "/v1/coupons/offers/"+few["id"].(string)+":claim", m.access, `{}`)
				outcomes[i] = fmt.Sprint(resp.StatusCode, reasonOf(body))
			}()
		}
		wg.Wait()
		count := map[string]int{}
		for _, o := range outcomes {
			count[o]++
		}
		got := api.expect(t, "GET", "/v1/admin/coupon-templates/"+few["id"].(string), owner, "", 200)
		if count["200"] != 3 || count["429COUPON_SOLD_OUT"] != 5 || fmt.Sprint(got["issued"]) != "3" {
			t.Fatalf("outcomes %v, template %v", count, got)
		}
	})
	t.Run("codes and issues", func(t *testing.T) {
		gift := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"9折券","kind":"PERCENT_OFF","percent_off_permille":100,"cap_fen":3000,"valid_days":3,"per_member_limit":1,"total_quantity":5}`, 200)
		gid := gift["id"].(string)
		codes := api.expect(t, "POST", "/v1/admin/coupon-templates/"+gid+"/codes", owner, `{"count":2}`, 200)["codes"].([]any)
		c := api.expect(t, "POST", "/v1/members/me/coupons:redeem", bob.access, `{"code":"`+codes[0].(string)+`"}`, 200)
		if c["summary"] != "无门槛9折 最多减30" {
			t.Errorf("redeemed %v", c)
		}
		api.expectReason(t, "POST", "/v1/members/me/coupons:redeem", alice.access, `{"code":"`+codes[0].(string)+`"}`, 400, "COUPON_CODE_USED")
		r := api.expect(t, "POST", "/v1/admin/coupon-templates/"+gid+":issue", owner, `{"request_id":"vip-1","member_ids":["`+alice.memberID+`","`+bob.memberID+`"]}`, 200)
		again := api.expect(t, "POST", "/v1/admin/coupon-templates/"+gid+":issue", owner, `{"request_id":"vip-1","member_ids":["`+alice.memberID+`","`+bob.memberID+`"]}`, 200)
		if fmt.Sprint(r["issued"]) != "1" || fmt.Sprint(r["skipped"]) != "1" || fmt.Sprint(again["repeated"]) != "1" {
			t.Errorf("issue %v, again %v (bob is at his limit from the code)", r, again)
		}
		// A saved member segment: both tagged members get one, once.
		for _, m := range []string{alice.memberID, bob.memberID} {
			api.expect(t, "POST", "/v1/admin/members/"+m+"/tags", owner, `{"tag_id":"coupon-e2e"}`, 200)
		}
		seg := api.expect(t, "POST", "/v1/admin/segments", owner, `{"name":"券 e2e","filter":{"tags":["coupon-e2e"]}}`, 200)
		segTpl := api.expect(t, "POST", "/v1/admin/coupon-templates", owner, `{"name":"会员专享5元","kind":"AMOUNT_OFF","amount_off_fen":500,"valid_days":3,"per_member_limit":1,"total_quantity":10}`, 200)
		bySeg := api.expect(t, "POST", "/v1/admin/coupon-templates/"+segTpl["id"].(string)+":issue", owner, `{"request_id":"seg-1","segment_id":"`+seg["id"].(string)+`"}`, 200)
		againSeg := api.expect(t, "POST", "/v1/admin/coupon-templates/"+segTpl["id"].(string)+":issue", owner, `{"request_id":"seg-1","segment_id":"`+seg["id"].(string)+`"}`, 200)
		if fmt.Sprint(bySeg["issued"]) != "2" || fmt.Sprint(againSeg["repeated"]) != "2" {
			t.Errorf("segment issue %v, again %v", bySeg, againSeg)
		}
		api.expect(t, "POST", "/v1/admin/coupon-templates/"+gid+":end", owner, `{}`, 200)
		api.expectReason(t, "POST", "/v1/admin/coupon-templates/"+gid+"/codes", owner, `{"count":1}`, 400, "COUPON_TEMPLATE_ENDED")
	})
}

// mentions reports whether a quote's discounts name id.
func mentions(discounts any, id string) bool {
	list, _ := discounts.([]any)
	for _, p := range list {
		if p.(map[string]any)["id"] == id {
			return true
		}
	}
	return false
}
