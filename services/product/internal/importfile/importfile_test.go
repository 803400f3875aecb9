package importfile

import (
	"fmt"
	"testing"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/product/internal/domain"
)

func TestCSVGroupsRowsByProduct(t *testing.T) {
	// A byte-order mark (as spreadsheet programs write it), header cells
	// with spaces, and a product over two rows.
	f, err := Parse(CSV, "\ufeffproduct_id, title ,category_id,status,tags,sku_code,specs,price_fen,stock,image_urls\n"+
		"p-1,连衣裙,dress,on_sale,new; hot ,M,尺码:M;颜色:红,9900,5,a.jpg;b.jpg\n"+
		"p-1,ignored,other,draft,,L,尺码:L,9900,,\n"+
		"p-2,衬衫,shirt,,,S,,100,1,\n")
	if err != nil || len(f.Errors) != 0 || len(f.Items) != 2 {
		t.Fatalf("%+v %v", f, err)
	}
	one := f.Items[0]
	p := one.Product
	if one.ID != "p-1" || one.Row != 2 || fmt.Sprint(one.SkuRows) != "[2 3]" || p.Title != "连衣裙" || p.CategoryID != "dress" ||
		p.Status != domain.StatusOnSale || fmt.Sprint(p.Tags) != "[new hot]" || fmt.Sprint(p.ImageURLs) != "[a.jpg b.jpg]" {
		t.Errorf("first product (its first row gives the product fields): %+v", one)
	}
	if len(p.Skus) != 2 || p.Skus[0].Specs["颜色"] != "红" || p.Skus[1].Code != "L" || p.Skus[1].Stock != 0 || p.Skus[1].PriceFen != 9900 {
		t.Errorf("SKUs: %+v", p.Skus)
	}
	if f.Items[1].Product.Status != domain.StatusDraft {
		t.Errorf("no status is a draft: %+v", f.Items[1].Product)
	}
}

func TestCSVRowErrors(t *testing.T) {
	f, err := Parse(CSV, "product_id,title,category_id,status,sku_code,specs,price_fen\n"+
		"p-1,好,dress,,A,,100\n"+
		"p-1,好,dress,,B,颜色,100\n"+ // bad specs: p-1 is left out whole
		",无编号,dress,,C,,100\n"+
		"p-3,价格,dress,,D,,1.5\n"+
		"p-4,状态,dress,sold,E,,100\n"+
		"p-5,引号,dress,,\"F,,100\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 0 {
		t.Errorf("items: %+v", f.Items)
	}
	var got []string
	for _, e := range f.Errors {
		got = append(got, fmt.Sprintf("%d %s %s %s", e.Row, e.ProductID, e.Field, e.Reason))
	}
	want := "[3 p-1 specs SPECS_INVALID 4  product_id ID_REQUIRED 5 p-3 price_fen NUMBER_INVALID 6 p-4 status STATUS_INVALID 7   ROW_INVALID 2 p-1  PRODUCT_INCOMPLETE]"
	if fmt.Sprint(got) != want {
		t.Errorf("row errors:\n%v\nwant\n%v", got, want)
	}
}

func TestJSONRows(t *testing.T) {
	f, err := Parse(JSON, `[{"id":"p-1","title":"裙","category_id":"dress","status":"off_shelf","skus":[{"code":"A","price_fen":100,"specs":{"尺码":"M"}},{"code":"B","price_fen":200}]},
		{"id":"p-2","colour":"red"},
		{"id":"p-3","status":"gone"}]`)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 1 || f.Items[0].Product.Status != domain.StatusOffShelf || fmt.Sprint(f.Items[0].SkuRows) != "[1 1]" || f.Items[0].Product.Skus[0].Specs["尺码"] != "M" {
		t.Errorf("items: %+v", f.Items)
	}
	if len(f.Errors) != 2 || f.Errors[0].Row != 2 || f.Errors[0].Reason != "ROW_INVALID" || f.Errors[1].Row != 3 || f.Errors[1].Reason != "STATUS_INVALID" {
		t.Errorf("errors: %+v", f.Errors)
	}
}

func TestUnreadableFiles(t *testing.T) {
	for name, c := range map[string]struct{ format, content, reason string }{
		"unknown format": {"xml", "<a/>", "IMPORT_FORMAT_INVALID"},
		"no format":      {"", "[]", "IMPORT_FORMAT_INVALID"},
		"not an array":   {JSON, `{"id":"p-1"}`, "IMPORT_FILE_INVALID"},
		"empty CSV":      {CSV, "", "IMPORT_FILE_INVALID"},
		"missing column": {CSV, "product_id,title,category_id,sku_code\n", "IMPORT_FILE_INVALID"},
		"unknown column": {CSV, "product_id,title,category_id,sku_code,price_fen,colour\n", "IMPORT_FILE_INVALID"},
	} {
		_, err := Parse(c.format, c.content)
		if fault.ReasonOf(err) != fault.Reason(c.reason) || fault.KindOf(err) != fault.Invalid {
			t.Errorf("%s: %v, want %s", name, err, c.reason)
		}
	}
}
