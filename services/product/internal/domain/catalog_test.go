package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func reasonOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return string(de.Reason)
	}
	return ""
}

func TestSpecAttributes(t *testing.T) {
	attrs := []SpecAttr{{Name: "颜色", Options: []string{"红", "蓝"}}, {Name: "尺码", Options: []string{"M", "L"}}}
	base := func() Product {
		return Product{Title: "卫衣", CategoryID: "c", Status: StatusDraft, SpecAttrs: attrs,
			Skus: []Sku{sku("A", 100, 0, map[string]string{"颜色": "红", "尺码": "M"}), sku("B", 100, 0, map[string]string{"颜色": "蓝", "尺码": "L"})}}
	}
	cases := []struct {
		name   string
		mod    func(*Product)
		reason string
	}{
		{"valid", func(*Product) {}, ""},
		{"value not an option", func(p *Product) { p.Skus[1].Specs["颜色"] = "绿" }, "SPEC_VALUE_INVALID"},
		{"attribute not declared", func(p *Product) {
			p.Skus[0].Specs = map[string]string{"颜色": "红", "款式": "M"}
			p.Skus[1].Specs = map[string]string{"颜色": "蓝", "款式": "L"}
		}, "SPECS_INCONSISTENT"},
		{"attribute missing on every SKU", func(p *Product) {
			p.Skus[0].Specs, p.Skus[1].Specs = map[string]string{"颜色": "红"}, map[string]string{"颜色": "蓝"}
		}, "SPECS_INCONSISTENT"},
		{"one SKU lacks an attribute", func(p *Product) { delete(p.Skus[1].Specs, "尺码") }, "SPECS_INCONSISTENT"},
		{"duplicate combination", func(p *Product) { p.Skus[1].Specs = map[string]string{"颜色": "红", "尺码": "M"} }, "SPECS_DUPLICATE"},
		{"duplicate option", func(p *Product) {
			p.SpecAttrs = []SpecAttr{{Name: "颜色", Options: []string{"红", "红", "蓝"}}, attrs[1]}
		}, "SPEC_ATTRIBUTE_INVALID"},
		{"duplicate attribute", func(p *Product) { p.SpecAttrs = []SpecAttr{attrs[0], attrs[0]} }, "SPEC_ATTRIBUTE_INVALID"},
		{"attribute without options", func(p *Product) { p.SpecAttrs = []SpecAttr{attrs[0], {Name: "尺码"}} }, "SPEC_ATTRIBUTE_INVALID"},
		{"SKU without price", func(p *Product) { p.Skus[0].PriceFen = 0 }, "PRICE_INVALID"},
		{"negative purchase limit", func(p *Product) { p.PurchaseLimit = -1 }, "PURCHASE_LIMIT_INVALID"},
		{"negative sort weight", func(p *Product) { p.SortWeight = -1 }, "SORT_WEIGHT_INVALID"},
		{"huge description", func(p *Product) { p.DescriptionHTML = strings.Repeat("x", MaxDescriptionBytes+1) }, "DESCRIPTION_INVALID"},
	}
	for _, c := range cases {
		p := base()
		p.Skus[0].Specs = map[string]string{"颜色": "红", "尺码": "M"}
		p.Skus[1].Specs = map[string]string{"颜色": "蓝", "尺码": "L"}
		c.mod(&p)
		if got := reasonOf(ValidateProduct(p)); got != c.reason {
			t.Errorf("%s: got %q, want %q", c.name, got, c.reason)
		}
	}
}

func TestNormalizeDerivesSpecsAndSanitises(t *testing.T) {
	p := NormalizeProduct(Product{Title: "  T恤 ", DescriptionHTML: `<p onclick="x()">纯棉<script>alert(1)</script><a href="javascript:alert(1)">链接</a><img src="https://img/a.jpg" onerror="x()"><style>p{}</style></p>`,
		Skus: []Sku{{Specs: map[string]string{"颜色": "白", "尺码": "M"}}, {Specs: map[string]string{"颜色": "黑", "尺码": "M"}}, {Specs: map[string]string{"颜色": "白", "尺码": "L"}}}})
	if p.Title != "T恤" {
		t.Errorf("title %q", p.Title)
	}
	for _, bad := range []string{"script", "onclick", "onerror", "javascript", "style", "alert"} {
		if strings.Contains(p.DescriptionHTML, bad) {
			t.Errorf("sanitised description keeps %q: %s", bad, p.DescriptionHTML)
		}
	}
	if !strings.Contains(p.DescriptionHTML, "<p>纯棉") || !strings.Contains(p.DescriptionHTML, `<img src="https://img/a.jpg">`) {
		t.Errorf("sanitised description lost the safe parts: %s", p.DescriptionHTML)
	}
	if len(p.SpecAttrs) != 2 || p.SpecAttrs[0].Name != "尺码" || strings.Join(p.SpecAttrs[0].Options, ",") != "M,L" || strings.Join(p.SpecAttrs[1].Options, ",") != "白,黑" {
		t.Errorf("derived specs: %+v", p.SpecAttrs)
	}
}

func TestStatusTransitions(t *testing.T) {
	cases := []struct {
		from    Status
		publish bool
		to      Status
		changed bool
		reason  string
	}{
		{StatusDraft, true, StatusOnSale, true, ""},
		{StatusOffShelf, true, StatusOnSale, true, ""},
		{StatusOnSale, true, StatusOnSale, false, ""},
		{StatusOnSale, false, StatusOffShelf, true, ""},
		{StatusOffShelf, false, StatusOffShelf, false, ""},
		{StatusDraft, false, StatusDraft, false, "STATUS_TRANSITION_INVALID"},
	}
	for _, c := range cases {
		rule := Unpublish
		if c.publish {
			rule = Publish
		}
		p, changed, err := rule(Product{Status: c.from})
		if reasonOf(err) != c.reason || (err == nil && (p.Status != c.to || changed != c.changed)) {
			t.Errorf("%v publish=%v: %v %v %v", c.from, c.publish, p.Status, changed, err)
		}
	}
}

func TestApplyProductMask(t *testing.T) {
	cur := NormalizeProduct(Product{ID: "p", Title: "旧", CategoryID: "c", Status: StatusOnSale, Version: 3, Skus: []Sku{sku("A", 100, 0, map[string]string{"色": "红"})}})
	cases := []struct {
		name   string
		patch  Product
		paths  []string
		reason string
		check  func(Product) bool
	}{
		{"title only", Product{Title: "新", Subtitle: "x"}, []string{"title"}, "", func(p Product) bool { return p.Title == "新" && p.Subtitle == "" && p.Status == StatusOnSale }},
		{"no mask", Product{Title: "新"}, nil, "FIELD_MASK_REQUIRED", nil},
		{"status", Product{Status: StatusDraft}, []string{"status"}, "FIELD_MASK_INVALID", nil},
		{"unknown path", Product{}, []string{"price"}, "FIELD_MASK_INVALID", nil},
		{"invalid value", Product{Title: ""}, []string{"title"}, "TITLE_INVALID", nil},
		{"skus re-derive specs", Product{Skus: []Sku{sku("A", 100, 0, map[string]string{"码": "S"})}}, []string{"skus"}, "", func(p Product) bool {
			return len(p.SpecAttrs) == 1 && p.SpecAttrs[0].Name == "码"
		}},
		{"skus against declared specs", Product{Skus: []Sku{sku("A", 100, 0, map[string]string{"码": "S"})}, SpecAttrs: []SpecAttr{{Name: "色", Options: []string{"红"}}}},
			[]string{"skus", "spec_attributes"}, "SPECS_INCONSISTENT", nil},
		{"sanitised", Product{DescriptionHTML: "<b>好</b><script>x</script>"}, []string{"description_html"}, "", func(p Product) bool { return p.DescriptionHTML == "<b>好</b>" }},
	}
	for _, c := range cases {
		got, err := ApplyProductMask(cur, c.patch, c.paths)
		if reasonOf(err) != c.reason || (c.check != nil && !c.check(got)) {
			t.Errorf("%s: %+v %v", c.name, got, err)
		}
	}
}

func TestCategoryAndBrandRules(t *testing.T) {
	for _, c := range []struct {
		children, products int
		reason             string
	}{{0, 0, ""}, {1, 0, "CATEGORY_HAS_CHILDREN"}, {0, 2, "CATEGORY_IN_USE"}, {1, 1, "CATEGORY_HAS_CHILDREN"}} {
		if got := reasonOf(CanDeleteCategory(c.children, c.products)); got != c.reason {
			t.Errorf("delete with %d children %d products: %q", c.children, c.products, got)
		}
	}
	cat, err := ApplyCategoryMask(Category{ID: "c", ParentID: "p", Name: "旧", Level: 2}, Category{Name: "新", ParentID: "x", Level: 1, Sort: 5}, []string{"name", "sort"})
	if err != nil || cat.Name != "新" || cat.Sort != 5 || cat.ParentID != "p" || cat.Level != 2 {
		t.Errorf("category mask: %+v %v", cat, err)
	}
	if _, err := ApplyCategoryMask(Category{Name: "a"}, Category{IconURL: "javascript:x"}, []string{"icon_url"}); reasonOf(err) != "ICON_INVALID" {
		t.Errorf("icon: %v", err)
	}
	if _, err := ApplyCategoryMask(Category{Name: "a"}, Category{}, []string{"parent_id"}); reasonOf(err) != "FIELD_MASK_INVALID" {
		t.Errorf("parent through mask: %v", err)
	}
	for name, c := range map[string]struct {
		b      Brand
		reason string
	}{"ok": {Brand{Name: " 花间 "}, ""}, "empty": {Brand{Name: " "}, "BRAND_NAME_INVALID"}, "logo": {Brand{Name: "a", LogoURL: "ftp://x"}, "LOGO_INVALID"}} {
		if _, err := ValidateBrand(c.b); reasonOf(err) != c.reason {
			t.Errorf("brand %s: %v", name, err)
		}
	}
}

func TestSalesWindowAndLines(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var s Sales
	s.Add(SalesDay(now), 2)
	s.Add(SalesDay(now.Add(-6*24*time.Hour)), 3)
	s.Add(SalesDay(now.Add(-7*24*time.Hour)), 100)
	if s.Total != 105 || s.Recent(now) != 5 {
		t.Errorf("total %d recent %d", s.Total, s.Recent(now))
	}
	got := SaleLines([]SaleLine{{"a", 1}, {"b", 2}, {"a", 3}, {"", 5}, {"c", 0}}, -1)
	if len(got) != 2 || got[0] != (SaleLine{"a", -4}) || got[1] != (SaleLine{"b", -2}) {
		t.Errorf("lines: %v", got)
	}
}
