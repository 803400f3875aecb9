package main

import (
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// TestMessagingThroughGateway: a paid order produces exactly one in-app
// message and one sandbox WeChat subscribe message (the shopper granted one
// subscription in the mini-program); another member's message ids are
// NOT_FOUND; a broadcast to a segment reaches only members who consented
// and did not unsubscribe, and a second one the same day meets the daily
// cap — counts asserted on the broadcast and in the inboxes.
func TestMessagingThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-msg", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"msg-cat","category":{"name":"消息测试"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"msg-a","product":{"title":"羊绒毛衣","category_id":"msg-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":12800,"stock":5}]}}`, 200)

	// Alice shops in the mini-program: WeChat-bound, and she accepted one
	// "order paid" subscription when she paid.
	wx := api.expect(t, "POST", "/v1/auth/wechat-login", "", `{"code":"wx-msg-alice","phone_code":"phone-13900000801"}`, 200)
	alice := session{access: fmt.Sprint(wx["access_token"])}
	alice.memberID, _ = wx["member"].(map[string]any)["id"].(string)
	bob := api.login(t, "13900000802")
	carol := api.login(t, "13900000803")
	set := api.expect(t, "POST", "/v1/members/me/message-settings:grant-wechat", alice.access, `{"wechat_template_ids":["order-paid-notice"]}`, 200)
	if fmt.Sprint(set["wechat_subscriptions"]) != "map[order-paid-notice:1]" {
		t.Fatalf("grant: %v", set)
	}

	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"msg-a","sku_id":"msg-a-A","quantity":1}`, 200)
	quote := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`}`, 200)
	order := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"msg-1","quote_id":"`+quote["quote_id"].(string)+`"}`, 200)
	orderID := order["order_id"].(string)
	pay := api.expect(t, "POST", "/v1/orders/"+orderID+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)

	var inbox map[string]any
	waitUntil(t, "the paid order's inbox message", func() bool {
		inbox = api.expect(t, "GET", "/v1/messages", alice.access, "", 200)
		msgs, _ := inbox["messages"].([]any)
		return len(msgs) > 0
	})
	waitUntil(t, "both deliveries of order.paid", func() bool {
		d := api.expect(t, "GET", "/v1/admin/deliveries?cause="+orderID+".paid", owner, "", 200)
		ds, _ := d["deliveries"].([]any)
		done := 0
		for _, x := range ds {
			if x.(map[string]any)["status"] == "sent" {
				done++
			}
		}
		return done == 2
	})
	time.Sleep(500 * time.Millisecond) // room for a duplicate, were there one
	inbox = api.expect(t, "GET", "/v1/messages", alice.access, "", 200)
	msgs := inbox["messages"].([]any)
	first := msgs[0].(map[string]any)
	if len(msgs) != 1 || fmt.Sprint(inbox["unread_count"]) != "1" || first["title"] != "支付成功" {
		t.Fatalf("alice's inbox after paying: %v", inbox)
	}
	deliveries := api.expect(t, "GET", "/v1/admin/deliveries?member_id="+alice.memberID, owner, "", 200)["deliveries"].([]any)
	channels := map[string]int{}
	for _, x := range deliveries {
		d := x.(map[string]any)
		if d["status"] == "sent" {
			channels[d["channel"].(string)]++
		}
	}
	if len(deliveries) != 2 || channels["in_app"] != 1 || channels["wechat_subscribe"] != 1 {
		t.Fatalf("alice's deliveries: %v", deliveries)
	}
	if got := api.expect(t, "GET", "/v1/members/me/message-settings", alice.access, "", 200); fmt.Sprint(got["wechat_subscriptions"]) != "map[]" {
		t.Errorf("the subscription was not spent: %v", got)
	}

	// BOLA: Bob names Alice's message.
	msgID := first["message_id"].(string)
	api.expectReason(t, "DELETE", "/v1/messages/"+msgID, bob.access, "", 404, "MESSAGE_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/messages:mark-read", bob.access, `{"message_ids":["`+msgID+`"]}`, 404, "MESSAGE_NOT_FOUND")
	api.expectReason(t, "GET", "/v1/admin/deliveries", alice.access, "", 403, "ROLE_REQUIRED")
	if r := api.expect(t, "POST", "/v1/messages:mark-read", alice.access, `{"message_ids":["`+msgID+`"]}`, 200); fmt.Sprint(r["unread_count"]) != "0" {
		t.Fatalf("mark read: %v", r)
	}

	// Shipping and receipt notify too, each once.
	api.expect(t, "POST", "/v1/admin/orders/"+orderID+":ship", owner, `{"carrier":"顺丰速运","tracking_number":"SF9876543210"}`, 200)
	api.expect(t, "POST", "/v1/orders/"+orderID+":confirm-receipt", alice.access, `{}`, 200)
	waitUntil(t, "the shipped and received messages", func() bool {
		msgs, _ := api.expect(t, "GET", "/v1/messages", alice.access, "", 200)["messages"].([]any)
		return len(msgs) == 3
	})
	latest := api.expect(t, "GET", "/v1/messages?page_size=2", alice.access, "", 200)
	lm := latest["messages"].([]any)
	if lm[0].(map[string]any)["title"] != "已确认收货" || lm[1].(map[string]any)["body"] != "订单 "+orderID+" 已由顺丰速运发出，运单号 SF9876543210。" || fmt.Sprint(latest["unread_count"]) != "2" || latest["next_page_token"] == "" {
		t.Fatalf("after shipping and receipt: %v", latest)
	}

	// A broadcast to a tagged segment: Alice consented to in-app marketing,
	// Bob did not, Carol consented but unsubscribed from the inbox.
	api.expect(t, "PATCH", "/v1/members/me", alice.access, `{"marketing_consent":{"in_app":true}}`, 200)
	api.expect(t, "PATCH", "/v1/members/me", carol.access, `{"marketing_consent":{"in_app":true}}`, 200)
	api.expect(t, "POST", "/v1/members/me/message-settings/channels/in_app", carol.access, `{"subscribed":false}`, 200)
	for _, m := range []string{alice.memberID, bob.memberID, carol.memberID} {
		api.expect(t, "POST", "/v1/admin/members/"+m+"/tags", owner, `{"tag_id":"msg-e2e"}`, 200)
	}
	seg := api.expect(t, "POST", "/v1/admin/segments", owner, `{"name":"消息 e2e","filter":{"tags":["msg-e2e"]}}`, 200)
	api.expect(t, "POST", "/v1/admin/message-templates", owner, `{"id":"winter-sale","name":"冬季促销","category":"marketing",
		"variables":[{"name":"discount","sample":"8折"}],"in_app":{"title":"冬季 {{discount}}","body":"羊绒全场 {{discount}}，回复 T 退订"}}`, 200)
	api.expectReason(t, "POST", "/v1/admin/broadcasts", owner, `{"request_id":"b0","broadcast":{"segment_id":"`+seg["id"].(string)+`","template_id":"order_paid","channels":["in_app"],"per_minute":600}}`, 400, "BROADCAST_INVALID")
	broadcast := func(req string) map[string]any {
		b := api.expect(t, "POST", "/v1/admin/broadcasts", owner, `{"request_id":"`+req+`","broadcast":{"segment_id":"`+seg["id"].(string)+`","template_id":"winter-sale","channels":["in_app"],"variables":{"discount":"7折"},"per_minute":600}}`, 200)
		id := b["broadcast_id"].(string)
		waitUntil(t, "broadcast "+req+" to finish", func() bool {
			b = api.expect(t, "GET", "/v1/admin/broadcasts/"+id, owner, "", 200)
			return b["status"] == "done"
		})
		return b
	}
	b1 := broadcast("msg-e2e-1")
	if fmt.Sprint(b1["members"], b1["sent"], b1["suppressed"]) != "3 1 2" {
		t.Fatalf("first broadcast: %v", b1)
	}
	b2 := broadcast("msg-e2e-2")
	if fmt.Sprint(b2["members"], b2["sent"], b2["suppressed"]) != "3 0 3" {
		t.Fatalf("second broadcast (daily cap): %v", b2)
	}
	for who, want := range map[string]struct {
		s session
		n int
	}{"alice": {alice, 4}, "bob": {bob, 0}, "carol": {carol, 0}} {
		got, _ := api.expect(t, "GET", "/v1/messages", want.s.access, "", 200)["messages"].([]any)
		if len(got) != want.n {
			t.Errorf("%s has %d messages, want %d: %v", who, len(got), want.n, got)
		}
	}
	capped := api.expect(t, "GET", "/v1/admin/deliveries?member_id="+alice.memberID+"&cause="+b2["broadcast_id"].(string), owner, "", 200)["deliveries"].([]any)
	if len(capped) != 1 || fmt.Sprint(capped[0].(map[string]any)["log"]) == "" {
		t.Fatalf("alice's capped delivery: %v", capped)
	}
	if log := capped[0].(map[string]any)["log"].([]any); log[len(log)-1].(map[string]any)["detail"] != "FREQUENCY_CAP_DAILY" {
		t.Errorf("the second broadcast's reason for alice: %v", log)
	}
}

// TestConversationThroughGateway: a member opens a conversation with an
// order card, customer service answers from the queue, the member reads
// the reply (unread counts on both sides), another member gets NOT_FOUND,
// an operator closes it, and FAQ search is open to anyone.
func TestConversationThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-cs", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	cs := shop.token(t, auth.Identity{Subject: "cs-e2e", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	alice := api.login(t, "13900000811")
	bob := api.login(t, "13900000812")

	conv := api.expect(t, "POST", "/v1/conversations", alice.access, `{"message":{"kind":"order","ref_id":"ord-123","text":"这个订单什么时候发货？"}}`, 200)
	id := conv["conversation_id"].(string)
	if fmt.Sprint(conv["unread_by_staff"]) != "1" || conv["status"] != "open" {
		t.Fatalf("open: %v", conv)
	}
	api.expectReason(t, "GET", "/v1/conversations/"+id, bob.access, "", 404, "CONVERSATION_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/conversations/"+id+"/messages", bob.access, `{"message":{"text":"x"}}`, 404, "CONVERSATION_NOT_FOUND")
	api.expectReason(t, "GET", "/v1/admin/conversations", alice.access, "", 403, "ROLE_REQUIRED")

	queue := api.expect(t, "GET", "/v1/admin/conversations?assignee=none", cs, "", 200)["conversations"].([]any)
	found := false
	for _, q := range queue {
		found = found || q.(map[string]any)["conversation_id"] == id
	}
	if !found {
		t.Fatalf("the conversation is not in the queue: %v", queue)
	}
	api.expect(t, "PUT", "/v1/admin/quick-replies/ship", owner, `{"title":"发货时间","text":"付款后 48 小时内发货"}`, 200)
	replies := api.expect(t, "GET", "/v1/admin/quick-replies", cs, "", 200)["quick_replies"].([]any)
	text := replies[0].(map[string]any)["text"].(string)
	r := api.expect(t, "POST", "/v1/admin/conversations/"+id+"/messages", cs, `{"message":{"text":"`+text+`"}}`, 200)
	if r["assignee"] != "cs-e2e" || fmt.Sprint(r["unread_by_member"]) != "1" {
		t.Fatalf("reply: %v", r)
	}
	mine := api.expect(t, "GET", "/v1/conversations", alice.access, "", 200)
	if fmt.Sprint(mine["unread_count"]) != "1" {
		t.Fatalf("alice's unread: %v", mine)
	}
	got := api.expect(t, "GET", "/v1/conversations/"+id, alice.access, "", 200)
	msgs := got["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["text"] != "付款后 48 小时内发货" || msgs[0].(map[string]any)["ref_id"] != "ord-123" {
		t.Fatalf("alice reads: %v", got)
	}
	if mine = api.expect(t, "GET", "/v1/conversations", alice.access, "", 200); fmt.Sprint(mine["unread_count"]) != "0" {
		t.Fatalf("unread after reading: %v", mine)
	}
	api.expect(t, "POST", "/v1/admin/conversations/"+id+":transfer", cs, `{"operator_id":"owner-cs"}`, 200)
	api.expect(t, "POST", "/v1/admin/conversations/"+id+":close", owner, `{}`, 200)
	api.expectReason(t, "POST", "/v1/conversations/"+id+"/messages", alice.access, `{"message":{"text":"谢谢"}}`, 400, "CONVERSATION_CLOSED")

	api.expect(t, "PUT", "/v1/admin/faqs/return", owner, `{"question":"如何退货？","answer":"收货 7 天内在订单页申请退货","keywords":["退款"]}`, 200)
	faqs := api.expect(t, "GET", "/v1/faqs?query=退款", "", "", 200)["faqs"].([]any)
	if len(faqs) != 1 || faqs[0].(map[string]any)["faq_id"] != "return" {
		t.Fatalf("faq search: %v", faqs)
	}
}
