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

// TestBannersThroughGateway: the home page's banners are the defaults
// until an operator sets them; links stay inside the storefront.
func TestBannersThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	if bs := api.expect(t, "GET", "/v1/banners", "", "", 200)["banners"].([]any); len(bs) != 3 {
		t.Fatalf("default banners %v", bs)
	}
	owner := shop.token(t, auth.Identity{Subject: "owner-bn", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expectReason(t, "PUT", "/v1/admin/banners", owner, `{"banners":[{"title":"外链","link":"https://evil.example.com"}]}`, 400, "BANNER_INVALID")
	api.expect(t, "PUT", "/v1/admin/banners", owner, `{"banners":[{"title":"双十二","link":"/flash-sales","background":"#ee0a24"}]}`, 200)
	bs := api.expect(t, "GET", "/v1/banners", "", "", 200)["banners"].([]any)
	if len(bs) != 1 || bs[0].(map[string]any)["title"] != "双十二" {
		t.Fatalf("banners %v", bs)
	}
}
