package main

import (
	"fmt"
	"strings"
	"testing"

	"siyu.dev/pkg/auth"
)

// TestPaidOrderNotifiesThroughGateway: a paid order puts exactly one
// message in the shopper's inbox and sends one sandbox WeChat subscribe
// message (the shopper granted its template), even though the event
// reaches messaging at least once; the shopper reads and deletes it;
// another member reaches none of it; customer service sees the delivery
// log.
func TestPaidOrderNotifiesThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-msg", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	cs := shop.token(t, auth.Identity{Subject: "cs-msg", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"msg-cat","category":{"name":"通知测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"msg-a","product":{"title":"香薰蜡烛","category_id":"msg-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":6800,"stock":5}]}}`, 200)
	alice := api.login(t, "13900000801")
	bob := api.login(t, "13900000802")

	api.expectReason(t, "POST", "/v1/inbox/subscriptions", alice.access, `{"template_ids":[]}`, 400, "SUBSCRIPTION_INVALID")
	if q := api.expect(t, "POST", "/v1/inbox/subscriptions", alice.access, `{"template_ids":["order_paid"]}`, 200); fmt.Sprint(q["quota"]) != "map[order_paid:1]" {
		t.Fatalf("grant: %v", q)
	}
	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"msg-a","sku_id":"msg-a-A","quantity":1}`, 200)
	quote := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`}`, 200)
	order := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"msg-1","quote_id":"`+quote["quote_id"].(string)+`"}`, 200)
	id := order["order_id"].(string)
	pay := api.expect(t, "POST", "/v1/orders/"+id+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)

	var msg map[string]any
	waitUntil(t, "the payment notice in the inbox", func() bool {
		in := api.expect(t, "GET", "/v1/inbox/messages", alice.access, "", 200)
		list, _ := in["messages"].([]any)
		if len(list) == 0 {
			return false
		}
		msg = list[0].(map[string]any)
		return true
	})
	if msg["title"] != "支付成功" || !strings.Contains(fmt.Sprint(msg["body"]), id) || msg["link"] != "/orders/"+id || msg["event_type"] != "order.paid" {
		t.Fatalf("message: %v", msg)
	}
	var sent map[string]string
	waitUntil(t, "both deliveries sent", func() bool {
		log := api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/deliveries", cs, "", 200)
		sent = map[string]string{}
		for _, d := range log["deliveries"].([]any) {
			dm := d.(map[string]any)
			sent[dm["channel"].(string)] = dm["status"].(string)
		}
		return sent["in_app"] == "sent" && sent["wechat_subscribe"] == "sent"
	})
	in := api.expect(t, "GET", "/v1/inbox/messages", alice.access, "", 200)
	if len(in["messages"].([]any)) != 1 || fmt.Sprint(in["unread_count"]) != "1" {
		t.Fatalf("exactly one message: %v", in)
	}
	if q := api.expect(t, "POST", "/v1/inbox/subscriptions", alice.access, `{"template_ids":["order_shipped"]}`, 200); fmt.Sprint(q["quota"]) != "map[order_paid:0 order_shipped:1]" {
		t.Fatalf("the grant was spent: %v", q)
	}

	// Bob sees an empty inbox and reaches none of Alice's messages.
	msgID := msg["message_id"].(string)
	if b := api.expect(t, "GET", "/v1/inbox/messages", bob.access, "", 200); len(b["messages"].([]any)) != 0 {
		t.Fatalf("bob's inbox: %v", b)
	}
	api.expectReason(t, "POST", "/v1/inbox/messages:read", bob.access, `{"message_ids":["`+msgID+`"]}`, 404, "MESSAGE_NOT_FOUND")
	api.expectReason(t, "DELETE", "/v1/inbox/messages/"+msgID, bob.access, "", 404, "MESSAGE_NOT_FOUND")
	api.expectReason(t, "GET", "/v1/admin/members/"+alice.memberID+"/deliveries", bob.access, "", 403, "")
	api.expectReason(t, "GET", "/v1/inbox/messages", "", "", 401, "")

	if r := api.expect(t, "POST", "/v1/inbox/messages:read", alice.access, `{"message_ids":["`+msgID+`"]}`, 200); fmt.Sprint(r["unread_count"]) != "0" {
		t.Fatalf("read: %v", r)
	}
	api.expect(t, "DELETE", "/v1/inbox/messages/"+msgID, alice.access, "", 200)
	if in := api.expect(t, "GET", "/v1/inbox/messages", alice.access, "", 200); len(in["messages"].([]any)) != 0 {
		t.Fatalf("deleted: %v", in)
	}

	// Shipping notifies too (in-app, and WeChat with the new grant).
	api.expect(t, "POST", "/v1/admin/orders/"+id+":ship", owner, `{"carrier":"shunfeng","tracking_number":"SF900"}`, 200)
	waitUntil(t, "the shipping notice", func() bool {
		in := api.expect(t, "GET", "/v1/inbox/messages", alice.access, "", 200)
		list, _ := in["messages"].([]any)
		return len(list) == 1 && list[0].(map[string]any)["title"] == "订单已发货" && strings.Contains(fmt.Sprint(list[0].(map[string]any)["body"]), "SF900")
	})
}

// TestBroadcastThroughGateway: an operator broadcasts to a tagged segment;
// only members who consent to in-app marketing and did not unsubscribe
// receive it, and a second broadcast the same day is held back by the
// daily cap; the counts on the broadcast say so.
func TestBroadcastThroughGateway(t *testing.T) {
	shop := startShop(t, "", map[string]string{"SIYU_BROADCAST_CHECK_EVERY": "200ms"})
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-bc", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	cs := shop.token(t, auth.Identity{Subject: "cs-bc", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	var members []session
	for i := range 4 {
		m := api.login(t, fmt.Sprintf("139000009%02d", i))
		members = append(members, m)
		api.expect(t, "POST", "/v1/admin/members/"+m.memberID+"/tags", owner, `{"tag_id":"bc-vip"}`, 200)
	}
	// 0 and 1 consent to in-app marketing, 1 then unsubscribes in the
	// mall; 2 never consented; 3 consents to SMS only.
	api.expect(t, "PATCH", "/v1/members/me", members[0].access, `{"marketing_consent":{"in_app":true}}`, 200)
	api.expect(t, "PATCH", "/v1/members/me", members[1].access, `{"marketing_consent":{"in_app":true}}`, 200)
	api.expect(t, "PATCH", "/v1/members/me", members[3].access, `{"marketing_consent":{"sms":true}}`, 200)
	api.expectReason(t, "POST", "/v1/inbox/preferences", members[1].access, `{"channel":"pigeon","unsubscribed":true}`, 400, "CHANNEL_INVALID")
	if p := api.expect(t, "POST", "/v1/inbox/preferences", members[1].access, `{"channel":"in_app","unsubscribed":true}`, 200); fmt.Sprint(p["unsubscribed"]) != "[in_app]" {
		t.Fatalf("unsubscribe: %v", p)
	}
	seg := api.expect(t, "POST", "/v1/admin/segments", owner, `{"name":"广播 VIP","filter":{"tags":["bc-vip"]}}`, 200)["id"].(string)

	body := `{"request_id":"%s","broadcast":{"name":"春季上新","segment_id":"` + seg + `","title":"%s","body":"会员专享 8 折","link":"/sale","channels":["in_app"]}}`
	api.expectReason(t, "POST", "/v1/admin/broadcasts", cs, fmt.Sprintf(body, "bc-1", "春季新品"), 403, "ROLE_REQUIRED")
	api.expectReason(t, "POST", "/v1/admin/broadcasts", owner, `{"request_id":"bc-0","broadcast":{"name":"x","segment_id":"`+seg+`","title":"t","channels":["fax"]}}`, 400, "BROADCAST_INVALID")
	first := api.expect(t, "POST", "/v1/admin/broadcasts", owner, fmt.Sprintf(body, "bc-1", "春季新品"), 200)
	done := func(id string) map[string]any {
		var b map[string]any
		waitUntil(t, "broadcast "+id+" done", func() bool {
			b = api.expect(t, "GET", "/v1/admin/broadcasts/"+id, cs, "", 200)
			return b["status"] == "DONE"
		})
		return b
	}
	b := done(first["broadcast_id"].(string))
	// The member service streams the consenting members only (0 and 1);
	// 1 unsubscribed.
	if fmt.Sprint(b["targeted"]) != "2" || fmt.Sprint(b["sent"]) != "1" || fmt.Sprint(b["suppressed"]) != "map[CHANNEL_UNSUBSCRIBED:1]" {
		t.Fatalf("first broadcast: %v", b)
	}
	for i, m := range members {
		in := api.expect(t, "GET", "/v1/inbox/messages", m.access, "", 200)
		if got := len(in["messages"].([]any)); got != map[int]int{0: 1}[i] {
			t.Errorf("member %d has %d messages", i, got)
		}
	}
	second := api.expect(t, "POST", "/v1/admin/broadcasts", owner, fmt.Sprintf(body, "bc-2", "再来一波"), 200)
	b = done(second["broadcast_id"].(string))
	if fmt.Sprint(b["sent"]) != "0" || fmt.Sprint(b["suppressed"]) != "map[CHANNEL_UNSUBSCRIBED:1 FREQUENCY_CAP_DAILY:1]" {
		t.Fatalf("second broadcast: %v", b)
	}
	if list := api.expect(t, "GET", "/v1/admin/broadcasts", cs, "", 200); len(list["broadcasts"].([]any)) != 2 {
		t.Fatalf("list: %v", list)
	}
	api.expectReason(t, "POST", "/v1/admin/broadcasts/"+second["broadcast_id"].(string)+":cancel", owner, `{}`, 400, "BROADCAST_STATE_INVALID")
}
