package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

// TestProductThroughGateway runs the suite with the demo shop and walks the
// product service through the REST edge: Chinese search with filters,
// suggestions and hot keywords; members' own favourites and history; and
// inventory, where the order service reserves, confirms and releases stock,
// operators adjust it, and shoppers see the effect on the product.
func TestProductThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	res := shop.seed(t)
	api := shop.api
	admin := shop.operator(t, res)
	shopper := api.login(t, "13900000031")

	skuStock := func(t *testing.T, productID string) (string, int64) {
		t.Helper()
		p := api.expect(t, "GET", "/v1/products/"+productID, "", "", 200)
		skus, _ := p["skus"].([]any)
		if len(skus) == 0 {
			t.Fatalf("product %s has no SKUs: %v", productID, p)
		}
		k := skus[0].(map[string]any)
		var n int64
		fmt.Sscan(fmt.Sprint(k["stock"]), &n)
		return k["id"].(string), n
	}

	t.Run("search", func(t *testing.T) {
		titles := func(r map[string]any) []string {
			var out []string
			items, _ := r["products"].([]any)
			for _, it := range items {
				out = append(out, it.(map[string]any)["title"].(string))
			}
			return out
		}
		r := api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("连衣裙"), "", "", 200)
		if got := titles(r); len(got) != 5 || !strings.Contains(strings.Join(got, ","), "夏季碎花连衣裙") {
			t.Errorf("连衣裙: %v", got)
		}
		r = api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("手机壳")+"&page_size=2", "", "", 200)
		if fmt.Sprint(r["total_size"]) != "5" || len(titles(r)) != 2 || r["next_page_token"] == "" {
			t.Errorf("手机壳 first page: %v", r)
		}
		r = api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("iPhone 15 手机壳"), "", "", 200)
		if got := titles(r); len(got) == 0 || got[0] != "iPhone 15 手机壳 磁吸透明款" {
			t.Errorf("iPhone 15 手机壳: %v", got)
		}
		r = api.expect(t, "GET", "/v1/products:search?category_id=cat-digital&order_by=SEARCH_ORDER_PRICE_ASC&tags=hot", "", "", 200)
		facets, _ := r["category_facets"].([]any)
		if fmt.Sprint(r["total_size"]) != "2" || len(facets) < 3 {
			t.Errorf("digital hot by price: %v", r)
		}
		api.expectReason(t, "GET", "/v1/products:search?min_price_fen=500&max_price_fen=100", "", "", 400, "PRICE_RANGE_INVALID")
		api.expectReason(t, "GET", "/v1/products:search?page_token=forged", "", "", 400, "PAGE_TOKEN_INVALID")
		sug := api.expect(t, "GET", "/v1/search/suggestions?prefix="+url.QueryEscape("手机"), "", "", 200)
		if list, _ := sug["suggestions"].([]any); len(list) == 0 || list[0] != "手机壳" {
			t.Errorf("suggestions: %v", sug)
		}
		// Each first page above is a product.searched event; the durable
		// consumer counts it in the database shortly after.
		want := "[iphone 15 手机壳=1 手机壳=1 连衣裙=1]"
		if got := hotKeywords(t, api, want); got != want {
			t.Errorf("hot keywords: %s, want %s", got, want)
		}
	})

	t.Run("hot keywords from search events", func(t *testing.T) {
		// A keyword counts once per client and day: the shopper's repeat
		// does not count again, another member's search does.
		for _, q := range []string{"连衣裙", "  连衣裙 ", "ＩＰＨＯＮＥ  15 手机壳"} {
			api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape(q), shopper.access, "", 200)
		}
		other := api.login(t, "13900000033")
		api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("连衣裙"), other.access, "", 200)
		// Words the catalogue does not have never reach the public lists.
		api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("连衣裙 <b>probe</b>"), "", "", 200)
		api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("不存在的商品"), shopper.access, "", 200) // finds nothing: not hot
		want := "[连衣裙=3 iphone 15 手机壳=2 手机壳=1]"
		if got := hotKeywords(t, api, want); got != want {
			t.Errorf("hot keywords: %s, want %s", got, want)
		}
		hot := api.expect(t, "GET", "/v1/search/hot-keywords?limit=1", "", "", 200)
		if list, _ := hot["keywords"].([]any); len(list) != 1 {
			t.Errorf("limit 1: %v", hot)
		}
		api.expectReason(t, "GET", "/v1/search/hot-keywords?limit=-1", "", "", 400, "PAGE_SIZE_INVALID")

		// The last search is on the PRODUCT stream with the signed-in member.
		nc, err := natsx.Connect(shop.NATSURL, "e2e-product")
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		st, err := js.Stream(context.Background(), "PRODUCT")
		if err != nil {
			t.Fatal(err)
		}
		var last productv1.ProductSearched
		m, err := st.GetLastMsgForSubject(context.Background(), "siyu.product.searched")
		if err != nil || proto.Unmarshal(m.Data, &last) != nil || last.Query != "不存在的商品" || last.ResultCount != 0 || last.MemberId != shopper.memberID || last.MemberId == "" {
			t.Errorf("last product.searched: %v %v", &last, err)
		}
		sug := api.expect(t, "GET", "/v1/search/suggestions", "", "", 200)
		if list, _ := sug["suggestions"].([]any); len(list) == 0 || list[0] != "连衣裙" {
			t.Errorf("an empty prefix suggests the hottest keyword first: %v", sug)
		}
		if sug := api.expect(t, "GET", "/v1/search/suggestions?prefix="+url.QueryEscape("连衣裙 <"), "", "", 200); len(anySlice(sug["suggestions"])) != 0 {
			t.Errorf("a probe reached the suggestions: %v", sug)
		}

		// Operators block a keyword and remove another's counts.
		api.expectReason(t, "POST", "/v1/admin/search/blocked-keywords", shopper.access, `{"keyword":"手机壳"}`, 403, "ROLE_REQUIRED")
		api.expectReason(t, "POST", "/v1/admin/search/blocked-keywords", admin, `{"keyword":"  "}`, 400, "KEYWORD_INVALID")
		api.expect(t, "POST", "/v1/admin/search/blocked-keywords", admin, `{"keyword":"手机壳"}`, 200)
		if got := hotKeywords(t, api, "[连衣裙=3 iphone 15 手机壳=2]"); got != "[连衣裙=3 iphone 15 手机壳=2]" {
			t.Errorf("after blocking 手机壳: %s", got)
		}
		if b := api.expect(t, "GET", "/v1/admin/search/blocked-keywords", admin, "", 200); fmt.Sprint(b["keywords"]) != "[手机壳]" {
			t.Errorf("block list: %v", b)
		}
		api.expect(t, "POST", "/v1/admin/search/hot-keywords:remove", admin, `{"keyword":"iphone 15 手机壳"}`, 200)
		if got := hotKeywords(t, api, "[连衣裙=3]"); got != "[连衣裙=3]" {
			t.Errorf("after removing iphone 15 手机壳: %s", got)
		}
		api.expect(t, "DELETE", "/v1/admin/search/blocked-keywords/"+url.PathEscape("手机壳"), admin, "", 200)
		if b := api.expect(t, "GET", "/v1/admin/search/blocked-keywords", admin, "", 200); len(anySlice(b["keywords"])) != 0 {
			t.Errorf("block list after unblocking: %v", b)
		}
	})

	t.Run("favourites and history are the member's own", func(t *testing.T) {
		bob := api.login(t, "13900000032")
		api.expectReason(t, "GET", "/v1/members/me/favourites", "", "", 401, "")
		api.expectReason(t, "POST", "/v1/members/me/favourites", admin, `{"product_id":"p-0001"}`, 403, "ROLE_REQUIRED")
		fav := api.expect(t, "POST", "/v1/members/me/favourites", shopper.access, `{"product_id":"p-0001"}`, 200)
		if fav["product_id"] != "p-0001" || fav["product"].(map[string]any)["title"] == "" {
			t.Errorf("favourite: %v", fav)
		}
		api.expect(t, "POST", "/v1/members/me/favourites", shopper.access, `{"product_id":"p-0001"}`, 200)
		api.expect(t, "POST", "/v1/members/me/favourites", shopper.access, `{"product_id":"p-0002"}`, 200)
		api.expectReason(t, "POST", "/v1/members/me/favourites", shopper.access, `{"product_id":"p-9999"}`, 404, "PRODUCT_NOT_FOUND")
		mine := api.expect(t, "GET", "/v1/members/me/favourites?page_size=1", shopper.access, "", 200)
		if fmt.Sprint(mine["total_size"]) != "2" || mine["next_page_token"] == "" {
			t.Errorf("my favourites: %v", mine)
		}
		theirs := api.expect(t, "GET", "/v1/members/me/favourites", bob.access, "", 200)
		if fmt.Sprint(theirs["total_size"]) != "0" {
			t.Errorf("bob sees another member's favourites: %v", theirs)
		}
		api.expectReason(t, "GET", "/v1/members/me/favourites?page_size=1&page_token="+url.QueryEscape(mine["next_page_token"].(string)), bob.access, "", 400, "PAGE_TOKEN_INVALID")
		api.expectReason(t, "DELETE", "/v1/members/me/favourites/p-0001", bob.access, "", 404, "FAVOURITE_NOT_FOUND")
		api.expect(t, "DELETE", "/v1/members/me/favourites/p-0001", shopper.access, "", 200)
		if mine = api.expect(t, "GET", "/v1/members/me/favourites", shopper.access, "", 200); fmt.Sprint(mine["total_size"]) != "1" {
			t.Errorf("after removing: %v", mine)
		}

		for _, id := range []string{"p-0003", "p-0004", "p-0003"} {
			api.expect(t, "POST", "/v1/members/me/browsing-history", shopper.access, fmt.Sprintf(`{"product_id":%q}`, id), 200)
		}
		h := api.expect(t, "GET", "/v1/members/me/browsing-history", shopper.access, "", 200)
		views, _ := h["views"].([]any)
		if len(views) != 2 || views[0].(map[string]any)["product_id"] != "p-0003" {
			t.Errorf("history: %v", h)
		}
		api.expect(t, "DELETE", "/v1/members/me/browsing-history", bob.access, "", 200)
		if h = api.expect(t, "GET", "/v1/members/me/browsing-history", shopper.access, "", 200); fmt.Sprint(h["total_size"]) != "2" {
			t.Errorf("bob's clear reached another member's history: %v", h)
		}
	})

	t.Run("inventory", func(t *testing.T) {
		sku, before := skuStock(t, "p-0001")
		// Reservations are the checkout saga's: no REST route, service tokens only.
		reserve := fmt.Sprintf(`{"order_id":"e2e-o-1","lines":[{"sku_id":%q,"quantity":2}]}`, sku)
		api.expectReason(t, "POST", "/v1/admin/reservations", admin, reserve, 404, "")
		conn, svc := shop.asService(t, "product")
		inv := productv1.NewInventoryServiceClient(conn)
		req := &productv1.ReserveStockRequest{OrderId: "e2e-o-1", Lines: []*productv1.StockLine{{SkuId: sku, Quantity: 2}}}
		if _, err := inv.ReserveStock(auth.OutgoingToken(context.Background(), admin), req); errs.Reason(err) != "ROLE_REQUIRED" {
			t.Errorf("an operator reserving: %v", err)
		}
		r, err := inv.ReserveStock(svc, req)
		if err != nil || r.GetReservation().GetState() != productv1.ReservationState_RESERVATION_STATE_RESERVED {
			t.Fatalf("reserve: %v %v", r, err)
		}
		if _, err := inv.ReserveStock(svc, req); err != nil { // a repeat changes nothing
			t.Fatal(err)
		}
		if _, now := skuStock(t, "p-0001"); now != before-2 {
			t.Errorf("shopper sees %d after reserving 2 of %d", now, before)
		}
		_, err = inv.ReserveStock(svc, &productv1.ReserveStockRequest{OrderId: "e2e-o-2", Lines: []*productv1.StockLine{{SkuId: sku, Quantity: 9999}}})
		if errs.Reason(err) != "OUT_OF_STOCK" {
			t.Errorf("reserving too many: %v", err)
		}
		_, err = inv.ReserveStock(svc, &productv1.ReserveStockRequest{OrderId: "e2e-o-3", Lines: []*productv1.StockLine{{SkuId: "ghost", Quantity: 1}}})
		if errs.Reason(err) != "SKU_NOT_FOUND" {
			t.Errorf("reserving a ghost: %v", err)
		}
		c, err := inv.ConfirmReservation(svc, &productv1.ConfirmReservationRequest{OrderId: "e2e-o-1"})
		if err != nil || c.GetReservation().GetState() != productv1.ReservationState_RESERVATION_STATE_CONFIRMED {
			t.Fatalf("confirm: %v %v", c, err)
		}
		if _, err := inv.ReleaseReservation(svc, &productv1.ReleaseReservationRequest{OrderId: "e2e-o-1"}); errs.Reason(err) != "RESERVATION_CONFIRMED" {
			t.Errorf("releasing a sold reservation: %v", err)
		}
		got := api.expect(t, "GET", "/v1/admin/reservations/e2e-o-1", admin, "", 200)
		if got["state"] != "RESERVATION_STATE_CONFIRMED" {
			t.Errorf("get reservation: %v", got)
		}
		st := api.expect(t, "GET", "/v1/admin/skus/"+sku+"/stock", admin, "", 200)
		if fmt.Sprint(st["sold"]) != "2" || fmt.Sprint(st["available"]) != fmt.Sprint(before-2) {
			t.Errorf("stock after confirm: %v", st)
		}

		adj := api.expect(t, "POST", "/v1/admin/skus/"+sku+"/stock:adjust", admin, `{"delta":10,"reason":"仓库到货","request_id":"e2e-adj-1"}`, 200)
		a := adj["adjustment"].(map[string]any)
		if fmt.Sprint(a["available_before"]) != fmt.Sprint(before-2) || fmt.Sprint(a["available_after"]) != fmt.Sprint(before+8) || a["operator"] == "" {
			t.Errorf("adjustment: %v", adj)
		}
		api.expectReason(t, "POST", "/v1/admin/skus/"+sku+"/stock:adjust", admin, `{"delta":0,"reason":"x","request_id":"e2e-adj-2"}`, 400, "DELTA_INVALID")
		list := api.expect(t, "GET", "/v1/admin/skus/"+sku+"/stock/adjustments?page_size=5", admin, "", 200)
		if items, _ := list["adjustments"].([]any); len(items) != 1 {
			t.Errorf("adjustments: %v", list)
		}
		if _, now := skuStock(t, "p-0001"); now != before+8 {
			t.Errorf("shopper sees %d after the adjustment, want %d", now, before+8)
		}

		if _, err := inv.ReserveStock(svc, &productv1.ReserveStockRequest{OrderId: "e2e-o-4", Lines: []*productv1.StockLine{{SkuId: sku, Quantity: 3}}}); err != nil {
			t.Fatal(err)
		}
		rel, err := inv.ReleaseReservation(svc, &productv1.ReleaseReservationRequest{OrderId: "e2e-o-4"})
		if err != nil || rel.GetReservation().GetState() != productv1.ReservationState_RESERVATION_STATE_RELEASED {
			t.Errorf("release: %v %v", rel, err)
		}
		if _, err := inv.ReleaseReservation(svc, &productv1.ReleaseReservationRequest{OrderId: "e2e-o-4"}); err != nil {
			t.Errorf("a repeated release: %v", err)
		}
		if _, now := skuStock(t, "p-0001"); now != before+8 {
			t.Errorf("release gave back %d, want %d", now, before+8)
		}
	})
}

// hotKeywords polls the hot list (as "keyword=count" in order) until it is
// want or ten seconds pass, and returns the last list seen: counting runs
// asynchronously from the search events.
func hotKeywords(t *testing.T, api *client, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		hot := api.expect(t, "GET", "/v1/search/hot-keywords", "", "", 200)
		var got []string
		list, _ := hot["keywords"].([]any)
		for _, k := range list {
			m := k.(map[string]any)
			got = append(got, fmt.Sprintf("%v=%v", m["keyword"], m["count"]))
		}
		s := "[" + strings.Join(got, " ") + "]"
		if s == want || time.Now().After(deadline) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
}
