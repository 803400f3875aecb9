package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// TestMessagesInBrowser walks the storefront's message pages in headless
// Chromium against the whole suite: a paid order's message in the inbox
// (unread badge, read on opening), in-app marketing consent turned on in
// message settings, an FAQ answer and a conversation with customer service
// whose reply an operator posts through the admin API while the page waits.
func TestMessagesInBrowser(t *testing.T) {
	dist, node := requireStorefront(t)
	shop := startShop(t, "", map[string]string{"SIYU_WEB_DIR": dist})
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-h5msg", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	cs := shop.token(t, auth.Identity{Subject: "cs-h5", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	alice := api.login(t, "13900007101")

	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"h5m-cat","category":{"name":"消息页"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"h5m-a","product":{"title":"棉麻衬衫","category_id":"h5m-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":9900,"stock":5}]}}`, 200)
	api.expect(t, "POST", "/v1/cart/lines", alice.access, `{"product_id":"h5m-a","sku_id":"h5m-a-A","quantity":1}`, 200)
	quote := api.expect(t, "POST", "/v1/checkout/quotes", alice.access, `{"address":`+shipTo+`}`, 200)
	order := api.expect(t, "POST", "/v1/orders", alice.access, `{"request_id":"h5m-1","quote_id":"`+quote["quote_id"].(string)+`"}`, 200)
	pay := api.expect(t, "POST", "/v1/orders/"+order["order_id"].(string)+":pay", alice.access, `{}`, 200)
	api.expect(t, "POST", "/v1/sandbox/payments/"+pay["payment_id"].(string)+":confirm", alice.access, `{}`, 200)
	waitUntil(t, "the paid order's message", func() bool {
		return fmt.Sprint(api.expect(t, "GET", "/v1/messages", alice.access, "", 200)["unread_count"]) == "1"
	})
	api.expect(t, "PUT", "/v1/admin/faqs/return", owner, `{"question":"如何退货？","answer":"收货 7 天内在订单页申请退货"}`, 200)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Customer service answers as soon as the shopper's message is queued.
	replied := make(chan error, 1)
	go func() {
		replied <- replyWhenAsked(ctx, "http://"+shop.HTTPAddr, cs, "请问什么时候发货？", "今天发货")
	}()

	cmd := exec.CommandContext(ctx, node, "e2e/messages.mjs")
	cmd.Dir = h5Dir
	cmd.Env = append(os.Environ(), "BASE_URL=http://"+shop.HTTPAddr, "ACCESS="+alice.access, "REFRESH="+alice.refresh)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	cancel()
	if rerr := <-replied; rerr != nil && err == nil {
		t.Errorf("replying: %v", rerr)
	}
	if err != nil || !strings.Contains(stdout.String(), `"ok":true`) {
		t.Fatalf("browser walk: %v\n%s%s", err, stderr.String(), stdout.String())
	}
	t.Logf("browser steps:\n%s", stderr.String())

	// What the pages did is what the API holds.
	if got := api.expect(t, "GET", "/v1/messages", alice.access, "", 200); fmt.Sprint(got["unread_count"]) != "0" {
		t.Errorf("unread after reading in the browser: %v", got["unread_count"])
	}
	me := api.expect(t, "GET", "/v1/members/me", alice.access, "", 200)
	if c, _ := me["marketing_consent"].(map[string]any); c["in_app"] != true {
		t.Errorf("in-app consent after the settings page: %v", me["marketing_consent"])
	}
}

// replyWhenAsked waits for an open conversation whose last message is ask
// and replies to it as customer service.
func replyWhenAsked(ctx context.Context, base, token, ask, reply string) error {
	call := func(method, path, body string) (int, map[string]any, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, nil
	}
	for {
		status, queue, err := call("GET", "/v1/admin/conversations", "")
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("queue: HTTP %d %v", status, queue)
		}
		for _, c := range anySlice(queue["conversations"]) {
			conv, _ := c.(map[string]any)
			last, _ := conv["last_message"].(map[string]any)
			if last["text"] == ask {
				path := "/v1/admin/conversations/" + fmt.Sprint(conv["conversation_id"]) + "/messages"
				if status, got, err := call("POST", path, `{"message":{"text":"`+reply+`"}}`); err != nil || status != http.StatusOK {
					return fmt.Errorf("reply: HTTP %d %v %v", status, got, err)
				}
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nobody asked %q: %w", ask, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
