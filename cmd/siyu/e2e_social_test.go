package main

import (
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// TestGroupBuyAndBargainThroughGateway: a group of two succeeds when the
// second member pays; a group whose activity ends before it fills fails
// and its paid order is refunded automatically; a bargain reaches its floor
// with its helpers exactly and the starter buys at it; nobody buys or
// joins through another member's bargain or a full group.
func TestGroupBuyAndBargainThroughGateway(t *testing.T) {
	shop := startShop(t, "", map[string]string{"SIYU_MARKETING_SWEEP_EVERY": "200ms"})
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-gb", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"gb-cat","category":{"name":"拼团测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"gb-a","product":{"title":"电饭煲","category_id":"gb-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"G","price_fen":29900,"stock":20}]}}`, 200)
	alice, bob, carol, dave := api.login(t, "13900001101"), api.login(t, "13900001102"), api.login(t, "13900001103"), api.login(t, "13900001104")
	now := time.Now().UTC()
	rfc := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	api.expectReason(t, "POST", "/v1/admin/group-buys", owner, `{"product_id":"gb-a","prices":[{"sku_id":"gb-a-G","price_fen":19900}],"group_size":1,"group_ttl":"3600s","per_member_limit":1,"start_time":"`+rfc(-time.Minute)+`","end_time":"`+rfc(time.Hour)+`"}`, 400, "ACTIVITY_INVALID")
	gb := api.expect(t, "POST", "/v1/admin/group-buys", owner, `{"name":"2人团","product_id":"gb-a","prices":[{"sku_id":"gb-a-G","price_fen":19900}],"group_size":2,"group_ttl":"3600s","per_member_limit":1,"start_time":"`+rfc(-time.Minute)+`","end_time":"`+rfc(time.Hour)+`"}`, 200)
	gbID := gb["id"].(string)
	buy := func(who session, kind, id, ref, req string) map[string]any {
		q := api.expect(t, "POST", "/v1/checkout/quotes", who.access, fmt.Sprintf(`{"address":%s,"activity":{"kind":%q,"activity_id":%q,"ref":%q},"buy_now":[{"product_id":"gb-a","sku_id":"gb-a-G","quantity":1}]}`, shipTo, kind, id, ref), 200)
		return api.expect(t, "POST", "/v1/orders", who.access, fmt.Sprintf(`{"request_id":%q,"quote_id":%q}`, req, q["quote_id"]), 200)
	}
	pay := func(who session, o map[string]any) {
		p := api.expect(t, "POST", "/v1/orders/"+o["order_id"].(string)+":pay", who.access, `{}`, 200)
		api.expect(t, "POST", "/v1/sandbox/payments/"+p["payment_id"].(string)+":confirm", who.access, `{}`, 200)
	}

	// Alice opens a group: 199 yuan, no level discount, free shipping.
	oa := buy(alice, "group_buy", gbID, "", "gb-a")
	if fmt.Sprint(oa["total_fen"]) != "19900" {
		t.Fatalf("group order %v", oa["total_fen"])
	}
	pay(alice, oa)
	var group map[string]any
	waitUntil(t, "alice's open group", func() bool {
		open, _ := api.expect(t, "GET", "/v1/group-buys/"+gbID, "", "", 200)["open_groups"].([]any)
		if len(open) == 1 {
			group = open[0].(map[string]any)
		}
		return group != nil && fmt.Sprint(group["paid"]) == "1"
	})
	gid := group["id"].(string)
	// Until the group fills, the paid order does not ship.
	api.expectReason(t, "POST", "/v1/admin/orders/"+oa["order_id"].(string)+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF-GB1"}`, 400, "ORDER_AWAITING_GROUP")
	api.expectReason(t, "POST", "/v1/checkout/quotes", alice.access, fmt.Sprintf(`{"address":%s,"activity":{"kind":"group_buy","activity_id":%q,"ref":%q},"buy_now":[{"product_id":"gb-a","sku_id":"gb-a-G","quantity":1}],"coupon_ids":["x"]}`, shipTo, gbID, gid), 400, "PROMOTION_NOT_STACKABLE")
	ob := buy(bob, "group_buy", gbID, gid, "gb-b")
	// The group is full while bob's order waits for payment.
	api.expectReason(t, "POST", "/v1/checkout/quotes", carol.access, fmt.Sprintf(`{"address":%s,"activity":{"kind":"group_buy","activity_id":%q,"ref":%q},"buy_now":[{"product_id":"gb-a","sku_id":"gb-a-G","quantity":1}]}`, shipTo, gbID, gid), 400, "GROUP_FULL")
	pay(bob, ob)
	waitUntil(t, "the group succeeded", func() bool {
		return api.expect(t, "GET", "/v1/groups/"+gid, "", "", 200)["status"] == "SUCCEEDED"
	})
	waitUntil(t, "alice's order may ship", func() bool {
		return api.expect(t, "GET", "/v1/orders/"+oa["order_id"].(string), alice.access, "", 200)["awaiting_group"] != true
	})
	api.expect(t, "POST", "/v1/admin/orders/"+oa["order_id"].(string)+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF-GB1"}`, 200)
	waitUntil(t, "the group-buy's results", func() bool {
		list := api.expect(t, "GET", "/v1/admin/group-buys", owner, "", 200)["group_buys"].([]any)
		for _, g := range list {
			g := g.(map[string]any)
			if r, _ := g["results"].(map[string]any); g["id"] == gbID && r != nil {
				return fmt.Sprint(r["paid_orders"], "/", r["paid_fen"], "/", r["discount_fen"]) == "2/39800/20000"
			}
		}
		return false
	})
	waitUntil(t, "alice told in her inbox", func() bool {
		msgs, _ := api.expect(t, "GET", "/v1/messages", alice.access, "", 200)["messages"].([]any)
		for _, m := range msgs {
			if m.(map[string]any)["title"] == "拼团成功" {
				return true
			}
		}
		return false
	})

	t.Run("a group that does not fill fails and is refunded", func(t *testing.T) {
		short := api.expect(t, "POST", "/v1/admin/group-buys", owner, `{"name":"限时团","product_id":"gb-a","prices":[{"sku_id":"gb-a-G","price_fen":19900}],"group_size":3,"group_ttl":"3600s","per_member_limit":1,"start_time":"`+rfc(-time.Minute)+`","end_time":"`+time.Now().UTC().Add(4*time.Second).Format(time.RFC3339Nano)+`"}`, 200)
		oc := buy(carol, "group_buy", short["id"].(string), "", "gb-c")
		pay(carol, oc)
		waitUntil(t, "carol's order refunded after the group failed", func() bool {
			o := api.expect(t, "GET", "/v1/orders/"+oc["order_id"].(string), carol.access, "", 200)
			refunds, _ := o["refunds"].([]any)
			return len(refunds) == 1 && fmt.Sprint(refunds[0].(map[string]any)["refund_fen"]) == "19900" && refunds[0].(map[string]any)["settled"] == true
		})
	})

	t.Run("bargain", func(t *testing.T) {
		ba := api.expect(t, "POST", "/v1/admin/bargain-activities", owner, `{"name":"砍价","product_id":"gb-a","sku_id":"gb-a-G","list_price_fen":29900,"floor_price_fen":9900,"helpers_needed":2,"time_limit":"3600s","start_time":"`+rfc(-time.Minute)+`","end_time":"`+rfc(time.Hour)+`"}`, 200)
		b := api.expect(t, "POST", "/v1/bargain-activities/"+ba["id"].(string)+":start", alice.access, `{}`, 200)
		bid := b["id"].(string)
		api.expectReason(t, "POST", "/v1/bargains/"+bid+":help", alice.access, `{}`, 400, "BARGAIN_SELF_HELP")
		c1 := api.expect(t, "POST", "/v1/bargains/"+bid+":help", bob.access, `{}`, 200)
		api.expectReason(t, "POST", "/v1/bargains/"+bid+":help", bob.access, `{}`, 409, "BARGAIN_ALREADY_HELPED")
		c2 := api.expect(t, "POST", "/v1/bargains/"+bid+":help", carol.access, `{}`, 200)
		var cut1, cut2 int
		fmt.Sscan(fmt.Sprint(c1["cut_fen"]), &cut1)
		fmt.Sscan(fmt.Sprint(c2["cut_fen"]), &cut2)
		if cut1 < 1 || cut2 < 1 || cut1+cut2 != 20000 {
			t.Fatalf("cuts %d + %d, want 20000 in all", cut1, cut2)
		}
		api.expectReason(t, "POST", "/v1/bargains/"+bid+":help", dave.access, `{}`, 400, "BARGAIN_FLOOR_REACHED")
		view := api.expect(t, "GET", "/v1/bargains/"+bid, "", "", 200)
		if view["status"] != "SUCCEEDED" || fmt.Sprint(view["price_fen"]) != "9900" {
			t.Fatalf("bargain %v", view)
		}
		api.expectReason(t, "POST", "/v1/checkout/quotes", bob.access, fmt.Sprintf(`{"address":%s,"activity":{"kind":"bargain","activity_id":%q,"ref":%q},"buy_now":[{"product_id":"gb-a","sku_id":"gb-a-G","quantity":1}]}`, shipTo, ba["id"], bid), 404, "BARGAIN_NOT_FOUND")
		// A preview checks without saving; ending stops new bargains.
		pre := api.expect(t, "POST", "/v1/admin/bargain-activities?validate_only=true", owner, `{"name":"预览","product_id":"gb-a","sku_id":"gb-a-G","list_price_fen":29900,"floor_price_fen":9900,"helpers_needed":2,"time_limit":"3600s","start_time":"`+rfc(-time.Minute)+`","end_time":"`+rfc(time.Hour)+`"}`, 200)
		if pre["id"] != "" && pre["id"] != nil {
			t.Errorf("a preview has no id: %v", pre)
		}
		api.expect(t, "POST", "/v1/admin/bargain-activities/"+ba["id"].(string)+":end", owner, `{}`, 200)
		api.expectReason(t, "POST", "/v1/bargain-activities/"+ba["id"].(string)+":start", bob.access, `{}`, 400, "ACTIVITY_ENDED")
		o := buy(alice, "bargain", ba["id"].(string), bid, "ba-a")
		// The floor of 99 yuan is all that is paid (99 yuan ships free).
		if fmt.Sprint(o["total_fen"]) != "9900" {
			t.Fatalf("bargain order %v", o["total_fen"])
		}
		pay(alice, o)
	})
}
