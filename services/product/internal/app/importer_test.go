package app

import (
	"context"
	"strings"
	"testing"

	"siyu.dev/services/product/internal/domain"
)

func TestImport(t *testing.T) {
	s, _, _ := seeded(t)
	ctx := context.Background()
	csv := "product_id,title,category_id,status,tags,sku_code,specs,price_fen,stock\n" +
		"p-imp-1,导入连衣裙,dress,on_sale,new;hot,IMP-1-M,尺码:M,9900,5\n" +
		"p-imp-1,导入连衣裙,dress,on_sale,,IMP-1-L,尺码:L,9900,5\n" +
		"p-imp-2,没有价格,dress,on_sale,,IMP-2,,0,1\n" +
		"p-imp-3,数量不对,dress,draft,,IMP-3,,abc,1\n" +
		"p-imp-4,未知分类,nowhere,draft,,IMP-4,,100,1\n"
	rep, err := s.importFile(ctx, "csv", csv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Created, ",") != "p-imp-1" || len(rep.Errors) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	want := []domain.ImportRowError{{Row: 4, ProductID: "p-imp-2", Field: "skus[0].price_fen", Reason: "PRICE_INVALID"},
		{Row: 5, ProductID: "p-imp-3", Field: "price_fen", Reason: "NUMBER_INVALID"}, {Row: 6, ProductID: "p-imp-4", Reason: "CATEGORY_NOT_FOUND"}}
	for i, w := range want {
		g := rep.Errors[i]
		if g.Row != w.Row || g.ProductID != w.ProductID || g.Field != w.Field || g.Reason != w.Reason {
			t.Errorf("error %d: %+v, want %+v", i, g, w)
		}
	}
	again, _ := s.importFile(ctx, "csv", csv)
	if len(again.Created) != 0 || strings.Join(again.Existing, ",") != "p-imp-1" {
		t.Errorf("re-run: %+v", again)
	}
	js := `[{"title":"无编号商品","category_id":"dress","status":"on_sale","skus":[{"code":"JS-1","price_fen":500}]},
		{"id":"p-js-2","title":"重复编码","category_id":"dress","skus":[{"code":"IMP-1-M","price_fen":500}]},
		{"id":"p-js-3","title":"bad","unknown":1}]`
	rep, err = s.importFile(ctx, "json", js)
	if err != nil || len(rep.Created) != 1 || len(rep.Errors) != 2 || rep.Errors[0].Row != 2 || rep.Errors[0].Reason != "SKU_CODE_TAKEN" || rep.Errors[1].Row != 3 {
		t.Fatalf("json: %+v %v", rep, err)
	}
	again, _ = s.importFile(ctx, "json", js)
	if len(again.Created) != 0 || len(again.Existing) != 1 || again.Existing[0] != rep.Created[0] {
		t.Errorf("json re-run (idempotent by SKU code): %+v", again)
	}
	if _, err := s.importFile(ctx, "json", "{"); reason(err) != "IMPORT_FILE_INVALID" {
		t.Errorf("broken file: %v", err)
	}
	if _, err := s.importFile(ctx, "xml", ""); reason(err) != "IMPORT_FORMAT_INVALID" {
		t.Errorf("format: %v", err)
	}
}
