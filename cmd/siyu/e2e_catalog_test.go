package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	orderv1 "siyu.dev/proto/siyu/order/v1"
)

// TestCatalogThroughGateway walks the operators' catalogue through the REST
// edge: brands, category rules, a draft updated with a field mask and a
// version, publish and unpublish as shoppers see them, a CSV import with a
// per-row report that a re-run does not repeat, and sales counted from paid
// orders feeding the "hot" search order.
func TestCatalogThroughGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	shop := startShop(t, "")
	s := shop.Suite
	res := shop.seed(t)
	api := shop.api
	admin := shop.operator(t, res)
	shopper := api.login(t, "13900000501")
	num := func(v any) string { return fmt.Sprint(v) }

	t.Run("brands and categories", func(t *testing.T) {
		api.expectReason(t, "POST", "/v1/admin/brands", shopper.access, `{"brand":{"name":"x"}}`, 403, "ROLE_REQUIRED")
		b := api.expect(t, "POST", "/v1/admin/brands", admin, `{"brand_id":"cg-brand","brand":{"name":"花间","sort":1}}`, 200)
		if b["name"] != "花间" {
			t.Errorf("brand: %v", b)
		}
		api.expectReason(t, "POST", "/v1/admin/brands", admin, `{"brand_id":"cg-brand","brand":{"name":"again"}}`, 409, "BRAND_EXISTS")
		b = api.expect(t, "PATCH", "/v1/admin/brands/cg-brand", admin, `{"description":"原创设计"}`, 200)
		if b["name"] != "花间" || b["description"] != "原创设计" {
			t.Errorf("patched brand: %v", b)
		}
		list := api.expect(t, "GET", "/v1/brands", "", "", 200)
		if brands, _ := list["brands"].([]any); len(brands) == 0 {
			t.Errorf("brands: %v", list)
		}
		api.expect(t, "POST", "/v1/admin/categories", admin, `{"category_id":"cg-cat","category":{"name":"新品区","icon_url":"/icons/new.svg"}}`, 200)
		api.expect(t, "POST", "/v1/admin/categories", admin, `{"category_id":"cg-sub","category":{"name":"当季","parent_id":"cg-cat"}}`, 200)
		api.expect(t, "POST", "/v1/admin/categories", admin, `{"category_id":"cg-leaf","category":{"name":"三级","parent_id":"cg-sub"}}`, 200)
		api.expectReason(t, "POST", "/v1/admin/categories", admin, `{"category":{"name":"四级","parent_id":"cg-leaf"}}`, 400, "CATEGORY_TOO_DEEP")
		api.expectReason(t, "DELETE", "/v1/admin/categories/cg-cat", admin, "", 400, "CATEGORY_HAS_CHILDREN")
		c := api.expect(t, "PATCH", "/v1/admin/categories/cg-sub", admin, `{"sort":5}`, 200)
		if c["name"] != "当季" || num(c["sort"]) != "5" {
			t.Errorf("patched category: %v", c)
		}
		api.expect(t, "DELETE", "/v1/admin/categories/cg-leaf", admin, "", 200)
	})

	t.Run("draft, update with a version, publish", func(t *testing.T) {
		p := api.expect(t, "POST", "/v1/admin/products", admin, `{"product_id":"cg-p1","product":{"title":"真丝衬衫","category_id":"cg-sub","brand_id":"cg-brand",
			"description_html":"<p onclick=\"x()\">桑蚕丝<script>alert(1)</script></p>","purchase_limit":2,
			"spec_attributes":[{"name":"尺码","options":["M","L"]}],
			"skus":[{"code":"CG-P1-M","price_fen":39900,"list_price_fen":49900,"specs":{"尺码":"M"},"stock":5}]}}`, 200)["product"].(map[string]any)
		if p["status"] != "PRODUCT_STATUS_DRAFT" || num(p["version"]) != "1" || p["description_html"] != "<p>桑蚕丝</p>" {
			t.Fatalf("created draft: %v", p)
		}
		api.expectReason(t, "DELETE", "/v1/admin/categories/cg-sub", admin, "", 400, "CATEGORY_IN_USE")
		api.expectReason(t, "DELETE", "/v1/admin/brands/cg-brand", admin, "", 400, "BRAND_IN_USE")
		api.expectReason(t, "GET", "/v1/products/cg-p1", "", "", 404, "PRODUCT_NOT_FOUND")
		api.expectReason(t, "GET", "/v1/admin/products/cg-p1", shopper.access, "", 403, "ROLE_REQUIRED")
		api.expect(t, "GET", "/v1/admin/products/cg-p1", admin, "", 200)
		drafts := api.expect(t, "GET", "/v1/admin/products?status=PRODUCT_STATUS_DRAFT&category_id=cg-cat", admin, "", 200)
		if num(drafts["total_size"]) != "1" {
			t.Errorf("admin drafts: %v", drafts)
		}

		up := api.expect(t, "PATCH", "/v1/admin/products/cg-p1", admin, `{"version":"1","title":"桑蚕丝真丝衬衫","tags":["new"]}`, 200)
		if up["title"] != "桑蚕丝真丝衬衫" || num(up["version"]) != "2" || up["brand_id"] != "cg-brand" {
			t.Errorf("patched: %v", up)
		}
		api.expectReason(t, "PATCH", "/v1/admin/products/cg-p1", admin, `{"version":"1","title":"过期"}`, 409, "PRODUCT_VERSION_MISMATCH")
		api.expectReason(t, "PATCH", "/v1/admin/products/cg-p1", admin, `{"version":"2","skus":[{"code":"CG-P1-XL","price_fen":100,"specs":{"尺码":"XL"}}],"spec_attributes":[{"name":"尺码","options":["M"]}]}`, 400, "SPEC_VALUE_INVALID")
		api.expectReason(t, "POST", "/v1/admin/products/cg-p1:unpublish", admin, `{}`, 400, "STATUS_TRANSITION_INVALID")
		pub := api.expect(t, "POST", "/v1/admin/products/cg-p1:publish", admin, `{"version":"2"}`, 200)
		if pub["status"] != "PRODUCT_STATUS_ON_SALE" {
			t.Fatalf("published: %v", pub)
		}
		shop := api.expect(t, "GET", "/v1/products/cg-p1", "", "", 200)
		if shop["title"] != "桑蚕丝真丝衬衫" || num(shop["purchase_limit"]) != "2" {
			t.Errorf("shopper view: %v", shop)
		}
		found := api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("桑蚕丝"), "", "", 200)
		if num(found["total_size"]) != "1" {
			t.Errorf("search after publish: %v", found)
		}
		api.expect(t, "POST", "/v1/admin/products/cg-p1:unpublish", admin, `{}`, 200)
		api.expectReason(t, "GET", "/v1/products/cg-p1", "", "", 404, "PRODUCT_NOT_FOUND")
		if found = api.expect(t, "GET", "/v1/products:search?query="+url.QueryEscape("桑蚕丝"), "", "", 200); num(found["total_size"]) != "0" {
			t.Errorf("search after unpublish: %v", found)
		}
		api.expect(t, "POST", "/v1/admin/products/cg-p1:publish", admin, `{}`, 200)
	})

	t.Run("import", func(t *testing.T) {
		csv := "product_id,title,category_id,status,tags,sku_code,specs,price_fen,stock\n" +
			"cg-imp-1,导入卫衣,cg-sub,on_sale,new,CG-IMP-1-M,尺码:M,12900,10\n" +
			"cg-imp-1,导入卫衣,cg-sub,on_sale,,CG-IMP-1-L,尺码:L,12900,10\n" +
			"cg-imp-2,没有价格的卫衣,cg-sub,on_sale,,CG-IMP-2,,0,10\n" +
			"cg-imp-3,编码重复,cg-sub,on_sale,,CG-P1-M,,100,1\n"
		body, _ := json.Marshal(map[string]string{"format": "IMPORT_FORMAT_CSV", "content": csv})
		rep := api.expect(t, "POST", "/v1/admin/products:import", admin, string(body), 200)
		created, _ := rep["created_ids"].([]any)
		errs, _ := rep["errors"].([]any)
		if len(created) != 1 || created[0] != "cg-imp-1" || len(errs) != 2 {
			t.Fatalf("import report: %v", rep)
		}
		first := errs[0].(map[string]any)
		if num(first["row"]) != "4" || first["reason"] != "PRICE_INVALID" || first["field"] != "skus[0].price_fen" {
			t.Errorf("row error: %v", first)
		}
		if second := errs[1].(map[string]any); num(second["row"]) != "5" || second["reason"] != "SKU_CODE_TAKEN" {
			t.Errorf("row error: %v", second)
		}
		again := api.expect(t, "POST", "/v1/admin/products:import", admin, string(body), 200)
		if c, _ := again["created_ids"].([]any); len(c) != 0 {
			t.Errorf("re-run created again: %v", again)
		}
		api.expect(t, "GET", "/v1/products/cg-imp-1", "", "", 200)
	})

	t.Run("sales and the hot order", func(t *testing.T) {
		nc, err := natsx.Connect(s.NATSURL, "e2e-catalog")
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		pub := natsx.NewPublisher(js)
		paid := func(id string, lines ...*orderv1.OrderLine) {
			ev, err := natsx.NewEvent(ctx, "siyu.order.paid", id, &orderv1.OrderPaid{EventId: id, OccurredAt: timestamppb.Now(), OrderId: "o-" + id, MemberId: shopper.memberID, Lines: lines})
			if err != nil {
				t.Fatal(err)
			}
			if err := pub.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		paid("cg-ev-1", &orderv1.OrderLine{LineId: "1", ProductId: "cg-imp-1", SkuId: "cg-imp-1-CG-IMP-1-M", Quantity: 3})
		paid("cg-ev-2", &orderv1.OrderLine{LineId: "1", ProductId: "cg-p1", SkuId: "cg-p1-CG-P1-M", Quantity: 1},
			&orderv1.OrderLine{LineId: "2", ProductId: "cg-imp-1", SkuId: "cg-imp-1-CG-IMP-1-L", Quantity: 2})
		waitUntil(t, "sales to be counted", func() bool {
			p := api.expect(t, "GET", "/v1/products/cg-imp-1", "", "", 200)
			return num(p["sales"]) == "5"
		})
		hot := api.expect(t, "GET", "/v1/products:search?category_id=cg-cat&order_by=SEARCH_ORDER_HOT", "", "", 200)
		items, _ := hot["products"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["id"] != "cg-imp-1" || num(items[0].(map[string]any)["recent_sales"]) != "5" {
			t.Errorf("hot order: %v", hot)
		}
		if p := api.expect(t, "GET", "/v1/products/cg-p1", "", "", 200); num(p["sales"]) != "1" {
			t.Errorf("cg-p1 sales: %v", p["sales"])
		}
	})
}
