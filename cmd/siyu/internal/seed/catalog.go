package seed

import (
	"fmt"
	"net/url"
	"strings"

	productv1 "siyu.dev/proto/siyu/product/v1"
)

// category is one node of the demo tree; ids are fixed so seeding twice
// finds what the first run created.
type category struct {
	id, parent, name string
	sort             int32
}

var categories = []category{
	{"cat-women", "", "女装", 10},
	{"cat-dress", "cat-women", "连衣裙", 10},
	{"cat-tshirt", "cat-women", "T恤", 20},
	{"cat-men", "", "男装", 20},
	{"cat-shirt", "cat-men", "衬衫", 10},
	{"cat-jacket", "cat-men", "夹克外套", 20},
	{"cat-digital", "", "数码配件", 30},
	{"cat-case", "cat-digital", "手机壳", 10},
	{"cat-charger", "cat-digital", "充电器", 20},
	{"cat-beauty", "", "美妆个护", 40},
	{"cat-cream", "cat-beauty", "面霜", 10},
	{"cat-lipstick", "cat-beauty", "口红", 20},
	{"cat-food", "", "食品饮料", 50},
	{"cat-snack", "cat-food", "休闲零食", 10},
	{"cat-tea", "cat-food", "茶饮", 20},
	{"cat-home", "", "家居生活", 60},
	{"cat-bedding", "cat-home", "床品", 10},
	{"cat-storage", "cat-home", "收纳整理", 20},
}

// spec is one attribute axis; every product of a line shares its axes.
type spec struct {
	name   string
	values []string
}

// line is a group of similar products in one leaf category.
type line struct {
	category string
	specs    []spec
	// base price in fen of the cheapest SKU; later specs add steps.
	step   int64
	color  string
	titles []string
}

var lines = []line{
	{"cat-dress", []spec{{"颜色", []string{"碎花蓝", "奶油白"}}, {"尺码", []string{"S", "M", "L"}}}, 0, "#e88ca6", []string{
		"夏季碎花连衣裙", "法式方领泡泡袖连衣裙", "雪纺长款连衣裙", "针织收腰连衣裙", "复古格纹连衣裙"}},
	{"cat-tshirt", []spec{{"颜色", []string{"白", "黑"}}, {"尺码", []string{"S", "M", "L"}}}, 0, "#f3b562", []string{
		"纯棉宽松短袖T恤", "印花圆领T恤", "冰丝速干T恤", "重磅纯色T恤"}},
	{"cat-shirt", []spec{{"颜色", []string{"白", "浅蓝"}}, {"尺码", []string{"M", "L", "XL"}}}, 0, "#6c9bd2", []string{
		"免烫商务长袖衬衫", "亚麻休闲衬衫", "牛津纺衬衫", "条纹短袖衬衫"}},
	{"cat-jacket", []spec{{"颜色", []string{"黑", "卡其"}}, {"尺码", []string{"M", "L", "XL"}}}, 0, "#8a7560", []string{
		"防风连帽夹克", "工装立领夹克", "轻薄羽绒外套", "牛仔夹克"}},
	{"cat-case", []spec{{"型号", []string{"iPhone 15", "iPhone 15 Pro", "华为 Mate 60"}}}, 0, "#7fc8a9", []string{
		"iPhone 15 手机壳 磁吸透明款", "液态硅胶手机壳", "防摔气囊手机壳", "皮革卡包手机壳", "国潮印花手机壳"}},
	{"cat-charger", []spec{{"功率", []string{"20W", "65W"}}}, 4000, "#5b6c8f", []string{
		"氮化镓快充充电器", "双口快充头", "磁吸无线充电器", "车载快充充电器"}},
	{"cat-cream", []spec{{"规格", []string{"30g", "50g"}}}, 6000, "#d9a5b3", []string{
		"玻尿酸保湿面霜", "烟酰胺亮肤面霜", "修护屏障面霜", "男士清爽面霜"}},
	{"cat-lipstick", []spec{{"色号", []string{"#01 正红", "#02 豆沙", "#03 枫叶"}}}, 0, "#c0392b", []string{
		"丝绒哑光口红", "滋润保湿口红", "镜面水光唇釉", "小金条口红"}},
	{"cat-snack", []spec{{"规格", []string{"单袋", "整箱"}}}, 3000, "#e67e22", []string{
		"每日坚果礼盒", "麻辣牛肉干", "海苔脆片", "手工蛋黄酥"}},
	{"cat-tea", []spec{{"规格", []string{"50g", "100g"}}}, 5000, "#4e8d5c", []string{
		"明前西湖龙井", "云南古树普洱", "福鼎白茶饼", "桂花乌龙冷泡茶"}},
	{"cat-bedding", []spec{{"尺寸", []string{"1.5m", "1.8m"}}}, 8000, "#9b8ec4", []string{
		"全棉四件套", "天丝凉感四件套", "大豆纤维夏被", "乳胶枕"}},
	{"cat-storage", []spec{{"规格", []string{"小号", "大号"}}}, 1500, "#a3b18a", []string{
		"可折叠收纳箱", "衣柜分层收纳架", "桌面化妆品收纳盒", "真空压缩收纳袋"}},
}

// demoProducts builds the deterministic demo catalogue: about fifty products,
// each with SKUs over its line's specs, prices in fen and inline SVG images
// so the demo shows pictures without any network.
func demoProducts() []*productv1.CreateProductRequest {
	var out []*productv1.CreateProductRequest
	n := 0
	for _, l := range lines {
		for i, title := range l.titles {
			n++
			id := fmt.Sprintf("p-%04d", n)
			base := int64(3900 + ((n*3700)%20000)/100*100) // 39.00 to 238.00 yuan, whole yuan steps
			var tags []string
			switch {
			case i == 0:
				tags = []string{"hot", "recommended"}
			case n%5 == 0:
				tags = []string{"new"}
			}
			out = append(out, &productv1.CreateProductRequest{
				ProductId: id,
				Product: &productv1.Product{
					Title:      title,
					Subtitle:   subtitleFor(l.category),
					CategoryId: l.category,
					ImageUrls:  []string{svgImage(title, l.color), svgImage(title+" 细节", l.color)},
					Skus:       skusFor(id, l, base),
					Status:     productv1.ProductStatus_PRODUCT_STATUS_ON_SALE,
					Tags:       tags,
					SortWeight: int32(100 - n),
				},
			})
		}
	}
	return out
}

func subtitleFor(cat string) string {
	for _, c := range categories {
		if c.id == cat {
			return "品牌直供 · " + c.name + " · 7天无理由退换"
		}
	}
	return ""
}

// skusFor spans the cartesian product of the line's specs; each later value
// of an axis costs one step more, and stock varies so some SKUs run low.
func skusFor(productID string, l line, base int64) []*productv1.Sku {
	combos := [][]int{{}}
	for _, s := range l.specs {
		var next [][]int
		for _, c := range combos {
			for v := range s.values {
				next = append(next, append(append([]int{}, c...), v))
			}
		}
		combos = next
	}
	skus := make([]*productv1.Sku, 0, len(combos))
	for k, c := range combos {
		specs := map[string]string{}
		price := base
		for axis, v := range c {
			specs[l.specs[axis].name] = l.specs[axis].values[v]
			price += int64(v) * l.step
		}
		skus = append(skus, &productv1.Sku{
			Code:         fmt.Sprintf("%s-%02d", strings.ToUpper(productID), k+1),
			Specs:        specs,
			PriceFen:     price,
			ListPriceFen: price * 13 / 10 / 100 * 100,
			Stock:        int64(5 + (k*37+len(productID)*11)%200),
		})
	}
	return skus
}

// svgImage is a small self-contained picture: a coloured card with the
// product's name, as a data URL.
func svgImage(label, color string) string {
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">`+
		`<rect width="400" height="400" fill="%s"/><circle cx="320" cy="80" r="60" fill="#ffffff" fill-opacity="0.25"/>`+
		`<text x="200" y="215" font-size="30" text-anchor="middle" fill="#ffffff" font-family="sans-serif">%s</text></svg>`,
		color, xmlEscape(label))
	return "data:image/svg+xml;charset=utf-8," + url.PathEscape(svg)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
