package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/product/internal/domain"
)

// fixture is a small Chinese catalogue: products are created in this order,
// one minute apart, so later ones are newer.
var fixture = []struct {
	id, title, cat string
	price          int64
	tags           []string
	stock          int64
	specs          []string // values of one "型号" axis, one SKU each
}{
	{"d1", "夏季碎花连衣裙", "dress", 19900, []string{"hot"}, 5, nil},
	{"d2", "法式方领泡泡袖连衣裙", "dress", 25900, []string{"new"}, 5, nil},
	{"d3", "雪纺长款连衣裙", "dress", 15900, nil, 5, nil},
	{"d4", "碎花半身裙", "women", 9900, nil, 5, nil},
	{"t1", "纯棉宽松短袖T恤", "tshirt", 5900, nil, 5, nil},
	{"t2", "印花圆领T恤", "tshirt", 6900, nil, 0, nil},
	{"s1", "免烫商务长袖衬衫", "shirt", 12900, nil, 5, nil},
	{"s2", "亚麻休闲衬衫", "shirt", 9900, nil, 5, nil},
	{"c1", "iPhone 15 手机壳 磁吸透明款", "case", 3900, nil, 5, []string{"iPhone 15", "iPhone 15 Pro"}},
	{"c2", "液态硅胶手机壳", "case", 2900, nil, 5, []string{"iPhone 15", "华为 Mate 60"}},
	{"c3", "防摔气囊手机壳", "case", 1900, nil, 5, []string{"华为 Mate 60"}},
	{"ch1", "氮化镓快充充电器 65W", "charger", 9900, nil, 5, nil},
	{"ch2", "磁吸无线充电器", "charger", 12900, nil, 5, nil},
	{"ch3", "车载快充充电器", "charger", 5900, nil, 5, nil},
	{"cr1", "玻尿酸保湿面霜", "cream", 16900, nil, 5, nil},
	{"cr2", "男士清爽面霜", "cream", 8900, nil, 5, nil},
	{"l1", "丝绒哑光口红", "lipstick", 12900, nil, 5, nil},
	{"l2", "滋润保湿口红", "lipstick", 9900, nil, 5, nil},
	{"te1", "明前西湖龙井", "tea", 29900, nil, 5, nil},
	{"te2", "云南古树普洱", "tea", 19900, nil, 5, nil},
	{"te3", "桂花乌龙冷泡茶", "tea", 4900, nil, 5, nil},
	{"sn1", "每日坚果礼盒", "snack", 9900, nil, 5, nil},
	{"sn2", "麻辣牛肉干", "snack", 3900, nil, 5, nil},
	{"sn3", "手工蛋黄酥", "snack", 2900, nil, 5, nil},
}

func searchFixture(t testing.TB) *kit {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	s := newKit(newMemRepo(), stores{}, clk)
	for _, c := range []struct{ id, parent, name string }{
		{"women", "", "女装"}, {"dress", "women", "连衣裙"}, {"tshirt", "women", "T恤"},
		{"men", "", "男装"}, {"shirt", "men", "衬衫"},
		{"digital", "", "数码配件"}, {"case", "digital", "手机壳"}, {"charger", "digital", "充电器"},
		{"beauty", "", "美妆个护"}, {"cream", "beauty", "面霜"}, {"lipstick", "beauty", "口红"},
		{"food", "", "食品饮料"}, {"tea", "food", "茶饮"}, {"snack", "food", "休闲零食"},
	} {
		if _, err := s.products.CreateCategory(ctx, domain.Category{Name: c.name, ParentID: c.parent}, c.id); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fixture {
		clk.Advance(time.Minute)
		p := domain.Product{Title: f.title, CategoryID: f.cat, Status: domain.StatusOnSale, Tags: f.tags}
		if f.specs == nil {
			p.Skus = []domain.Sku{{Code: strings.ToUpper(f.id), PriceFen: f.price, Stock: f.stock}}
		}
		for i, v := range f.specs {
			p.Skus = append(p.Skus, domain.Sku{Code: fmt.Sprintf("%s-%d", strings.ToUpper(f.id), i), Specs: map[string]string{"型号": v}, PriceFen: f.price + int64(i)*100, Stock: f.stock})
		}
		if _, err := s.products.CreateProduct(ctx, p, "p-"+f.id); err != nil {
			t.Fatal(err)
		}
	}
	// A draft never shows up in search.
	if _, err := s.products.CreateProduct(ctx, domain.Product{Title: "草稿连衣裙", CategoryID: "dress", Status: domain.StatusDraft, Skus: []domain.Sku{{Code: "DRAFT", PriceFen: 100}}}, "p-draft"); err != nil {
		t.Fatal(err)
	}
	return s
}

func hitIDs(ps []domain.Product) string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.TrimPrefix(p.ID, "p-"))
	}
	return strings.Join(out, " ")
}

// TestSearchQuality pins expected hits and their order for Chinese,
// mixed and English queries over the fixture catalogue.
func TestSearchQuality(t *testing.T) {
	s := searchFixture(t)
	cases := []struct {
		name string
		q    domain.SearchQuery
		want string
	}{
		{"word inside a title", domain.SearchQuery{Query: "连衣裙"}, "d3 d1 d2"},
		// Equal matches rank the shorter product first: c1's title and c2's
		// specs make them longer than c3.
		{"mixed title", domain.SearchQuery{Query: "手机壳"}, "c3 c2 c1"},
		{"two characters", domain.SearchQuery{Query: "碎花"}, "d4 d1"},
		{"latin word, case folded", domain.SearchQuery{Query: "IPHONE"}, "c1 c2"},
		{"latin and number", domain.SearchQuery{Query: "iphone 15"}, "c1 c2"},
		{"full-width input", domain.SearchQuery{Query: "ｉＰｈｏｎｅ"}, "c1 c2"},
		{"latin and Chinese", domain.SearchQuery{Query: "iPhone 手机壳"}, "c1 c2"},
		{"spec value", domain.SearchQuery{Query: "华为"}, "c3 c2"},
		{"category name reaches the whole subtree", domain.SearchQuery{Query: "女装"}, "d4 t2 t1 d3 d1 d2"},
		{"shared word across categories", domain.SearchQuery{Query: "保湿"}, "l2 cr1"},
		{"category word", domain.SearchQuery{Query: "充电器"}, "ch3 ch2 ch1"},
		{"part of several titles", domain.SearchQuery{Query: "快充"}, "ch3 ch1"},
		{"one character", domain.SearchQuery{Query: "茶"}, "te3 te2 te1"},
		{"unknown words fall back to the best partial matches", domain.SearchQuery{Query: "蓝色连衣裙"}, "d3 d1 d2"},
		{"nothing", domain.SearchQuery{Query: "不存在的东西"}, ""},
		{"short word", domain.SearchQuery{Query: "男士"}, "cr2"},
		{"snack", domain.SearchQuery{Query: "牛肉干"}, "sn2"},
		{"tea name", domain.SearchQuery{Query: "龙井"}, "te1"},
		{"price ascending", domain.SearchQuery{Query: "衬衫", Order: domain.OrderPriceAsc}, "s2 s1"},
		{"price descending", domain.SearchQuery{Query: "口红", Order: domain.OrderPriceDesc}, "l1 l2"},
		{"price range", domain.SearchQuery{Query: "手机壳", MaxPrice: 3000}, "c3 c2"},
		{"price from", domain.SearchQuery{Query: "连衣裙", MinPrice: 16000}, "d1 d2"},
		{"in stock only", domain.SearchQuery{Query: "T恤", InStock: true}, "t1"},
		{"tags", domain.SearchQuery{Query: "连衣裙", Tags: []string{"hot"}}, "d1"},
		{"category with descendants", domain.SearchQuery{CategoryID: "digital", Order: domain.OrderPriceAsc}, "c3 c2 c1 ch3 ch1 ch2"},
		{"query within a category", domain.SearchQuery{Query: "碎花", CategoryID: "dress"}, "d1"},
		{"newest", domain.SearchQuery{Query: "面霜", Order: domain.OrderNewest}, "cr2 cr1"},
		// Pinyin: full syllables, with or without separators, and initials
		// find the Chinese titles, ranked as their characters would be.
		{"pinyin", domain.SearchQuery{Query: "lianyiqun"}, "d3 d1 d2"},
		{"pinyin with spaces", domain.SearchQuery{Query: "lian yi qun"}, "d3 d1 d2"},
		{"pinyin, full-width capitals", domain.SearchQuery{Query: "ＬＩＡＮＹＩＱＵＮ"}, "d3 d1 d2"},
		{"pinyin initials", domain.SearchQuery{Query: "lyq"}, "d3 d1 d2"},
		{"pinyin of part of a title", domain.SearchQuery{Query: "suihua"}, "d4 d1"},
		{"pinyin of three characters", domain.SearchQuery{Query: "shoujike"}, "c3 c2 c1"},
		{"pinyin with an apostrophe", domain.SearchQuery{Query: "long'jing"}, "te1"},
		{"pinyin split at the fewest syllables", domain.SearchQuery{Query: "puer"}, "te2"},
		{"pinyin initials of a category word", domain.SearchQuery{Query: "cdq"}, "ch3 ch2 ch1"},
		{"pinyin and filters", domain.SearchQuery{Query: "kouhong", Order: domain.OrderPriceAsc}, "l2 l1"},
		{"pinyin of nothing sold", domain.SearchQuery{Query: "kafei"}, ""},
		{"one syllable is too vague", domain.SearchQuery{Query: "qun"}, ""},
	}
	for _, c := range cases {
		page, err := s.catalog.SearchProducts(context.Background(), "", "", c.q, 50, "")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := hitIDs(page.Products); got != c.want || page.Total != len(page.Products) {
			t.Errorf("%s (%q): got [%s] (total %d), want [%s]", c.name, c.q.Query, got, page.Total, c.want)
		}
	}
}

func TestSearchFacetsSalesAndPaging(t *testing.T) {
	s := searchFixture(t)
	page, err := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "保湿", CategoryID: "cream"}, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	var facets []string
	for _, f := range page.Facets {
		facets = append(facets, fmt.Sprintf("%s=%d", f.Category.ID, f.Count))
	}
	// Facets ignore the category filter, so the shopper sees where else matches are.
	if got := strings.Join(facets, " "); got != "beauty=2 lipstick=1 cream=1" || hitIDs(page.Products) != "cr1" {
		t.Errorf("facets [%s], hits [%s]", got, hitIDs(page.Products))
	}

	// Sales come from the stock read model.
	s.model.SetStock(domain.StockLevel{SkuID: "p-ch3-CH3", Available: 5, Sold: 40}, domain.StockLevel{SkuID: "p-ch1-CH1", Available: 5, Sold: 7})
	page, _ = s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "充电器", Order: domain.OrderSales}, 0, "")
	if got := hitIDs(page.Products); got != "ch3 ch1 ch2" {
		t.Errorf("by sales: %s", got)
	}
	// Selling out takes a product out of in-stock results at once.
	s.model.SetStock(domain.StockLevel{SkuID: "p-ch3-CH3", Available: 0, Sold: 45})
	page, _ = s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{Query: "充电器", InStock: true}, 0, "")
	if got := hitIDs(page.Products); got != "ch2 ch1" {
		t.Errorf("in stock after selling out: %s", got)
	}

	var all []string
	q := domain.SearchQuery{CategoryID: "women"}
	tok := ""
	for i := 0; i < 10; i++ {
		page, err := s.catalog.SearchProducts(context.Background(), "", "", q, 4, tok)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 6 {
			t.Errorf("total %d", page.Total)
		}
		all = append(all, hitIDs(page.Products))
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	if strings.Join(all, "|") != "t2 t1 d4 d3|d2 d1" {
		t.Errorf("pages: %v", all)
	}
	first, _ := s.catalog.SearchProducts(context.Background(), "", "", q, 4, "")
	if _, err := s.catalog.SearchProducts(context.Background(), "", "", domain.SearchQuery{CategoryID: "men"}, 4, first.NextPageToken); reasonOf(err) == "" {
		t.Errorf("a token of another search must be refused")
	}
}

func TestSearchValidationAndSuggestions(t *testing.T) {
	s := searchFixture(t)
	for name, c := range map[string]struct {
		q      domain.SearchQuery
		reason string
	}{
		"long query":     {domain.SearchQuery{Query: strings.Repeat("裙", 51)}, "QUERY_TOO_LONG"},
		"min above max":  {domain.SearchQuery{MinPrice: 200, MaxPrice: 100}, "PRICE_RANGE_INVALID"},
		"negative price": {domain.SearchQuery{MinPrice: -1}, "PRICE_RANGE_INVALID"},
		"bad tag":        {domain.SearchQuery{Tags: []string{"cheap"}}, "TAG_INVALID"},
		"bad order":      {domain.SearchQuery{Order: 99}, "ORDER_INVALID"},
		"no category":    {domain.SearchQuery{CategoryID: "ghost"}, "CATEGORY_NOT_FOUND"},
	} {
		if _, err := s.catalog.SearchProducts(context.Background(), "", "", c.q, 0, ""); reasonOf(err) != c.reason {
			t.Errorf("%s: %v", name, err)
		}
	}
	got, _ := s.keywords.SuggestKeywords("手机", 0)
	if strings.Join(got, " ") != "手机壳" {
		t.Errorf("suggest 手机: %v", got)
	}
	got, _ = s.keywords.SuggestKeywords("ip", 0)
	if strings.Join(got, " ") != "iPhone" {
		t.Errorf("suggest ip: %v", got)
	}
	search := func(client, q string) {
		s.catalog.SearchProducts(context.Background(), "", client, domain.SearchQuery{Query: q}, 0, "")
	}
	for i := 0; i < 3; i++ {
		search(fmt.Sprintf("net:%d", i), "连衣裙")
		search("net:0", "连衣裙") // one client counts once a day
	}
	search("m_1", "碎花")
	search("m_1", "不存在的东西")           // finds nothing: not hot
	search("m_2", "连衣裙 <b>probe</b>") // words the catalogue does not have: never hot
	hot, _ := s.keywords.HotKeywords(0)
	if fmt.Sprint(hot) != "[{连衣裙 3} {碎花 1}]" {
		t.Errorf("hot: %v", hot)
	}
	got, _ = s.keywords.SuggestKeywords("连", 0)
	if len(got) == 0 || got[0] != "连衣裙" {
		t.Errorf("a hot keyword leads suggestions: %v", got)
	}
	got, _ = s.keywords.SuggestKeywords("", 0)
	if strings.Join(got, " ") != "连衣裙 碎花" {
		t.Errorf("empty prefix suggests hot keywords: %v", got)
	}

	// Operators block a keyword (it leaves both lists and stops counting)
	// and remove another's counts.
	ctx := context.Background()
	if err := s.keywords.BlockKeyword(ctx, " 连衣裙 "); err != nil {
		t.Fatal(err)
	}
	search("net:9", "连衣裙")
	if hot, _ := s.keywords.HotKeywords(0); fmt.Sprint(hot) != "[{碎花 1}]" {
		t.Errorf("after blocking: %v", hot)
	}
	if got, _ := s.keywords.SuggestKeywords("", 0); strings.Join(got, " ") != "碎花" {
		t.Errorf("suggestions after blocking: %v", got)
	}
	if list, _ := s.keywords.BlockedKeywords(ctx); fmt.Sprint(list) != "[连衣裙]" {
		t.Errorf("block list: %v", list)
	}
	if err := s.keywords.RemoveHotKeyword(ctx, "碎花"); err != nil {
		t.Fatal(err)
	}
	if hot, _ := s.keywords.HotKeywords(0); len(hot) != 0 {
		t.Errorf("after removing: %v", hot)
	}
	if err := s.keywords.UnblockKeyword(ctx, "连衣裙"); err != nil {
		t.Fatal(err)
	}
	search("net:10", "连衣裙")
	if hot, _ := s.keywords.HotKeywords(0); fmt.Sprint(hot) != "[{连衣裙 1}]" {
		t.Errorf("after unblocking: %v", hot)
	}
	if err := s.keywords.BlockKeyword(ctx, "  "); err == nil {
		t.Error("an empty keyword was blocked")
	}
}
