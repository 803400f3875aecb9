package domain

import (
	"testing"

	"siyu.dev/pkg/fault"
)

func twoLines() []PricingLine {
	return []PricingLine{
		{SKUID: "a", Quantity: 2, UnitPriceFen: 3333}, // 6666
		{SKUID: "b", Quantity: 1, UnitPriceFen: 3334}, // 3334
	}
}

func TestLevelDiscount(t *testing.T) {
	cases := []struct {
		permille int64
		want     int64
		lines    [2]int64
	}{
		{0, 0, [2]int64{0, 0}},
		{50, 500, [2]int64{333, 167}}, // 5% of 10000; 333.3 + 166.7
		{1, 10, [2]int64{7, 3}},
		{1000, 10000, [2]int64{6666, 3334}},
		{33, 330, [2]int64{220, 110}},
	}
	for _, c := range cases {
		p, err := Price(twoLines(), "", LevelDiscount{Permille: c.permille})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.DiscountFen(SourceMemberLevel); got != c.want {
			t.Errorf("permille %d: discount %d, want %d", c.permille, got, c.want)
		}
		if p.Lines[0].Discounts[SourceMemberLevel] != c.lines[0] || p.Lines[1].Discounts[SourceMemberLevel] != c.lines[1] {
			t.Errorf("permille %d: lines %v %v, want %v", c.permille, p.Lines[0].Discounts, p.Lines[1].Discounts, c.lines)
		}
	}
	if _, err := Price(twoLines(), "", LevelDiscount{Permille: 1001}); fault.ReasonOf(err) != ReasonArgumentInvalid {
		t.Errorf("permille over 1000: %v", err)
	}
}

func TestPromotions(t *testing.T) {
	cases := []struct {
		name  string
		d     []PromotionDiscount
		total int64
		a, b  int64
	}{
		{"none", nil, 0, 0, 0},
		{"whole order", []PromotionDiscount{{Kind: "coupon", ID: "c1", AmountFen: 1000}}, 1000, 667, 333},
		{"one sku", []PromotionDiscount{{Kind: "flash_sale", ID: "f1", AmountFen: 1000, SKUIDs: []string{"b"}}}, 1000, 0, 1000},
		{"capped at the line", []PromotionDiscount{{Kind: "coupon", ID: "c2", AmountFen: 9999, SKUIDs: []string{"b"}}}, 3334, 0, 3334},
		{"capped at the order", []PromotionDiscount{{Kind: "coupon", ID: "c3", AmountFen: 20000}}, 10000, 6666, 3334},
	}
	for _, c := range cases {
		p, err := Price(twoLines(), "", ApplyPromotions{Discounts: c.d})
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for _, pr := range p.Promotions {
			got += pr.AmountFen
		}
		var a, b int64
		for _, v := range p.Lines[0].Discounts {
			a += v
		}
		for _, v := range p.Lines[1].Discounts {
			b += v
		}
		if got != c.total || a != c.a || b != c.b {
			t.Errorf("%s: total %d lines %d %d, want %d %d %d", c.name, got, a, b, c.total, c.a, c.b)
		}
	}
	var none NoPromotions
	if d, err := none.Discounts(t.Context(), PromotionInput{}); len(d.Discounts) != 0 || d.NoMemberLevel || err != nil {
		t.Error("no promotions grant nothing")
	}
}

func TestPointsDeduction(t *testing.T) {
	cases := []struct {
		name       string
		d          PointsDeduction
		wantFen    int64
		wantPoints int64
		reason     fault.Reason
	}{
		{"none", PointsDeduction{Balance: 100, Rule: DefaultPointsRule}, 0, 0, ""},
		{"a point a fen", PointsDeduction{Requested: 300, Balance: 1000, Rule: DefaultPointsRule}, 300, 300, ""},
		{"capped at half", PointsDeduction{Requested: 8000, Balance: 8000, Rule: DefaultPointsRule}, 5000, 5000, ""},
		{"rate 1000 a yuan", PointsDeduction{Requested: 1005, Balance: 2000, Rule: PointsRule{PointsPerYuan: 1000, MaxSharePermille: 1000}}, 100, 1000, ""},
		{"rate 30 a yuan rounds up the points used", PointsDeduction{Requested: 10, Balance: 10, Rule: PointsRule{PointsPerYuan: 30, MaxSharePermille: 1000}}, 33, 10, ""},
		{"cap zero", PointsDeduction{Requested: 10, Balance: 10, Rule: PointsRule{PointsPerYuan: 100}}, 0, 0, ""},
		{"more than the balance", PointsDeduction{Requested: 11, Balance: 10, Rule: DefaultPointsRule}, 0, 0, ReasonPointsInsufficient},
		{"negative", PointsDeduction{Requested: -1, Balance: 10, Rule: DefaultPointsRule}, 0, 0, ReasonPointsInvalid},
		{"bad rule", PointsDeduction{Requested: 1, Balance: 10}, 0, 0, ReasonArgumentInvalid},
	}
	for _, c := range cases {
		p, err := Price(twoLines(), "", c.d)
		if fault.ReasonOf(err) != c.reason {
			t.Errorf("%s: err %v, want %s", c.name, err, c.reason)
			continue
		}
		if err != nil {
			continue
		}
		if got := p.DiscountFen(SourcePoints); got != c.wantFen || p.PointsUsed != c.wantPoints {
			t.Errorf("%s: %d fen for %d points, want %d for %d", c.name, got, p.PointsUsed, c.wantFen, c.wantPoints)
		}
	}
}

func TestShipping(t *testing.T) {
	rule := ShippingRule{FreeOverFen: 9900, DefaultFeeFen: 1000, RegionFeeFen: map[string]int64{"新疆维吾尔自治区": 2500}}
	cases := []struct {
		name   string
		lines  []PricingLine
		region string
		calc   []Calculator
		want   int64
	}{
		{"free over the threshold", twoLines(), "上海市", nil, 0},
		{"below it", []PricingLine{{SKUID: "x", Quantity: 1, UnitPriceFen: 9899}}, "上海市", nil, 1000},
		{"exactly at it", []PricingLine{{SKUID: "x", Quantity: 1, UnitPriceFen: 9900}}, "上海市", nil, 0},
		{"region fee", []PricingLine{{SKUID: "x", Quantity: 1, UnitPriceFen: 100}}, "新疆维吾尔自治区", nil, 2500},
		{"discounts count against it", twoLines(), "上海市", []Calculator{LevelDiscount{Permille: 50}}, 1000},
		{"points do not", twoLines(), "上海市", []Calculator{PointsDeduction{Requested: 5000, Balance: 5000, Rule: DefaultPointsRule}}, 0},
	}
	for _, c := range cases {
		p, err := Price(c.lines, c.region, append(c.calc, Shipping{Rule: rule})...)
		if err != nil {
			t.Fatal(err)
		}
		if p.ShippingFen != c.want {
			t.Errorf("%s: shipping %d, want %d", c.name, p.ShippingFen, c.want)
		}
	}
	if p, _ := Price(twoLines(), "", Shipping{Rule: ShippingRule{DefaultFeeFen: 800}}); p.ShippingFen != 800 {
		t.Errorf("no threshold: %d", p.ShippingFen)
	}
}

func TestPriceRejectsEmptyAndBadLines(t *testing.T) {
	if _, err := Price(nil, ""); fault.ReasonOf(err) != ReasonNothingSelected {
		t.Errorf("empty: %v", err)
	}
	if _, err := Price([]PricingLine{{SKUID: "a", Quantity: 0, UnitPriceFen: 1}}, ""); fault.ReasonOf(err) != ReasonQuantityInvalid {
		t.Errorf("zero quantity: %v", err)
	}
}

func TestChainOrder(t *testing.T) {
	// 10000 goods, 5% level → 9500, coupon 500 → 9000, points capped at half → 4500, shipping 10 yuan (9000 < 9900).
	p, err := Price(twoLines(), "", LevelDiscount{Permille: 50},
		ApplyPromotions{Discounts: []PromotionDiscount{{Kind: "coupon", ID: "c", AmountFen: 500}}},
		PointsDeduction{Requested: 100000, Balance: 100000, Rule: DefaultPointsRule}, Shipping{Rule: DefaultShippingRule})
	if err != nil {
		t.Fatal(err)
	}
	if p.GoodsFen() != 10000 || p.DiscountFen(SourceMemberLevel) != 500 || p.DiscountFen("coupon") != 500 ||
		p.DiscountFen(SourcePoints) != 4500 || p.PointsUsed != 4500 || p.ShippingFen != 1000 || p.TotalFen() != 5500 || p.MerchandiseFen != 9000 {
		t.Errorf("chain: %+v", p)
	}
}
