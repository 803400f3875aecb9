package main

import (
	"fmt"
	"testing"

	"siyu.dev/pkg/auth"
)

// TestTrackingThroughGateway: the storefront's batches reach the analytics
// service through the gateway, anonymous or signed in, and staff read the
// day's counts.
func TestTrackingThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	alice := api.login(t, "13900001201")
	api.expect(t, "POST", "/v1/events:batch", "", `{"device_id":"dev_tracking01","events":[{"type":"page_view","path":"/"},{"type":"search","query":"连衣裙"}]}`, 200)
	api.expect(t, "POST", "/v1/events:batch", alice.access, `{"device_id":"dev_tracking01","events":[{"type":"product_view","product_id":"p-0001"},{"type":"add_to_cart","product_id":"p-0001"},{"type":"share","product_id":"p-0001"}]}`, 200)
	api.expectReason(t, "POST", "/v1/events:batch", "", `{"device_id":"x","events":[{"type":"page_view"}]}`, 400, "EVENT_INVALID")
	api.expectReason(t, "GET", "/v1/admin/event-counts", alice.access, "", 403, "ROLE_REQUIRED")
	staff := shop.token(t, auth.Identity{Subject: "cs-track", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	counts := api.expect(t, "GET", "/v1/admin/event-counts", staff, "", 200)["counts"].(map[string]any)
	for _, typ := range []string{"page_view", "search", "product_view", "add_to_cart", "share"} {
		if fmt.Sprint(counts[typ]) != "1" {
			t.Errorf("%s counted %v", typ, counts[typ])
		}
	}
}
