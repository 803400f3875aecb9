package domain

import (
	"errors"
	"testing"
)

func sku(code string, price, list int64, specs map[string]string) Sku {
	return Sku{Code: code, PriceFen: price, ListPriceFen: list, Specs: specs, Stock: 1}
}

func TestValidateProduct(t *testing.T) {
	base := func() Product {
		return Product{Title: "夏季碎花连衣裙", CategoryID: "dress", Status: StatusOnSale, Tags: []string{"new"}, ImageURLs: []string{"https://img/1.jpg"},
			Skus: []Sku{sku("A-1", 9900, 12900, map[string]string{"颜色": "蓝", "尺码": "M"}), sku("A-2", 9900, 0, map[string]string{"颜色": "蓝", "尺码": "L"})}}
	}
	cases := []struct {
		name   string
		mod    func(*Product)
		reason string
	}{
		{"valid", func(*Product) {}, ""},
		{"no title", func(p *Product) { p.Title = "  " }, "TITLE_INVALID"},
		{"title of 61 runes", func(p *Product) { p.Title = string(make([]rune, 61)) }, "TITLE_INVALID"},
		{"no category", func(p *Product) { p.CategoryID = "" }, "CATEGORY_REQUIRED"},
		{"no sku", func(p *Product) { p.Skus = nil }, "SKU_REQUIRED"},
		{"zero price", func(p *Product) { p.Skus[0].PriceFen = 0 }, "PRICE_INVALID"},
		{"negative price", func(p *Product) { p.Skus[0].PriceFen = -1 }, "PRICE_INVALID"},
		{"list below price", func(p *Product) { p.Skus[0].ListPriceFen = 100 }, "LIST_PRICE_INVALID"},
		{"duplicate code", func(p *Product) { p.Skus[1].Code = "A-1" }, "SKU_CODE_DUPLICATE"},
		{"bad code", func(p *Product) { p.Skus[1].Code = "A 1" }, "SKU_CODE_INVALID"},
		{"inconsistent specs", func(p *Product) { p.Skus[1].Specs = map[string]string{"颜色": "蓝"} }, "SPECS_INCONSISTENT"},
		{"duplicate combination", func(p *Product) { p.Skus[1].Specs = map[string]string{"颜色": "蓝", "尺码": "M"} }, "SPECS_DUPLICATE"},
		{"two skus without specs", func(p *Product) { p.Skus[0].Specs, p.Skus[1].Specs = nil, nil }, "SPECS_DUPLICATE"},
		{"negative stock", func(p *Product) { p.Skus[0].Stock = -1 }, "STOCK_INVALID"},
		{"unknown tag", func(p *Product) { p.Tags = []string{"cheap"} }, "TAG_INVALID"},
		{"bad image", func(p *Product) { p.ImageURLs = []string{"javascript:alert(1)"} }, "IMAGES_INVALID"},
		{"no status", func(p *Product) { p.Status = 0 }, "STATUS_INVALID"},
	}
	for _, c := range cases {
		p := base()
		c.mod(&p)
		err := ValidateProduct(p)
		var de *Error
		if c.reason == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.As(err, &de) || string(de.Reason) != c.reason {
			t.Errorf("%s: got %v, want %s", c.name, err, c.reason)
		}
	}
}

func TestPriceRange(t *testing.T) {
	p := Product{Skus: []Sku{sku("a", 500, 0, nil), sku("b", 300, 900, nil), sku("c", 400, 800, nil)}}
	if price, list := p.PriceRange(); price != 300 || list != 800 {
		t.Errorf("PriceRange = %d, %d", price, list)
	}
}

func TestValidateCategory(t *testing.T) {
	top, err := ValidateCategory(Category{Name: " 女装 "}, nil)
	if err != nil || top.Level != 1 || top.Name != "女装" {
		t.Fatalf("top: %+v %v", top, err)
	}
	third, err := ValidateCategory(Category{Name: "碎花"}, &Category{Level: 2})
	if err != nil || third.Level != 3 {
		t.Fatalf("third: %+v %v", third, err)
	}
	if _, err := ValidateCategory(Category{Name: "太深"}, &Category{Level: 3}); err != ErrCategoryTooDeep {
		t.Errorf("fourth level: %v", err)
	}
	if _, err := ValidateCategory(Category{Name: ""}, nil); err == nil {
		t.Error("empty name accepted")
	}
	for id, ok := range map[string]bool{"p-0001": true, "cat-women": true, "P1": false, "-x": false, "a": false, "a b": false} {
		if (ValidateID("id", id) == nil) != ok {
			t.Errorf("ValidateID(%q)", id)
		}
	}
}
