package domain

import (
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

func TestDiscountValidation(t *testing.T) {
	base := Discount{Name: "年终满减", Type: FullReduction, Tiers: []Tier{{20000, 2000}, {30000, 4000}}, Start: now, End: now.Add(time.Hour)}
	with := func(f func(*Discount)) Discount { d := base; f(&d); return d }
	cases := []struct {
		name  string
		d     Discount
		field string
	}{
		{"valid tiers", base, ""},
		{"valid timed price", with(func(d *Discount) { d.Type, d.Tiers, d.Prices = TimedPrice, nil, []SKUPrice{{"s1", 9900}} }), ""},
		{"tiers down", with(func(d *Discount) { d.Tiers = []Tier{{30000, 4000}, {20000, 2000}} }), "tiers"},
		{"off above threshold", with(func(d *Discount) { d.Tiers = []Tier{{2000, 2000}} }), "tiers"},
		{"no tiers", with(func(d *Discount) { d.Tiers = nil }), "tiers"},
		{"sku twice", with(func(d *Discount) { d.Type, d.Tiers, d.Prices = TimedPrice, nil, []SKUPrice{{"s1", 1}, {"s1", 2}} }), "prices"},
		{"free", with(func(d *Discount) { d.Type, d.Tiers, d.Prices = TimedPrice, nil, []SKUPrice{{"s1", 0}} }), "prices"},
		{"backwards", with(func(d *Discount) { d.End = now.Add(-time.Hour) }), "end_time"},
		{"unknown type", with(func(d *Discount) { d.Type = "GIFT" }), "type"},
	}
	for _, c := range cases {
		err := c.d.Validate()
		if got := fieldOf(err); got != c.field {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
	if s := base.Summary(); s != "满200减20，满300减40" {
		t.Errorf("summary %q", s)
	}
}

// TestApplyDiscounts: timed prices first (the lower of level and timed
// price), then the highest full-reduction tier the lines in scope reach,
// split by what each line still costs; lines add up.
func TestApplyDiscounts(t *testing.T) {
	lines := []Line{
		{LineID: "dress", CategoryID: "c-dress", UnitPriceFen: 15000, Quantity: 2, PayableFen: 27000}, // level 10% off 30000
		{LineID: "shoes", CategoryID: "c-shoes", UnitPriceFen: 10000, Quantity: 1, PayableFen: 9000},
	}
	timed := Discount{ID: "d-timed", Type: TimedPrice, Prices: []SKUPrice{{"dress", 12000}, {"shoes", 9500}}}
	fr := Discount{ID: "d-fr", Type: FullReduction, Tiers: []Tier{{20000, 2000}, {30000, 4000}}}
	dressOnly := Discount{ID: "d-dress", Type: FullReduction, Tiers: []Tier{{20000, 1000}}, Scope: Scope{CategoryIDs: []string{"c-dress"}}}
	cases := []struct {
		name  string
		run   []Discount
		offs  map[string]int64
		after map[string]int64
	}{
		{"nothing", nil, map[string]int64{}, map[string]int64{"dress": 27000, "shoes": 9000}},
		// dress: 24000 timed beats 27000; shoes: 9000 after level beats 9500.
		{"timed price, lower of two", []Discount{timed}, map[string]int64{"d-timed": 3000}, map[string]int64{"dress": 24000, "shoes": 9000}},
		// 36000 reaches the 300 tier: 4000 split 27000:9000.
		{"full reduction, top tier", []Discount{fr}, map[string]int64{"d-fr": 4000}, map[string]int64{"dress": 24000, "shoes": 8000}},
		// After the timed price 33000 still reaches 300 (4000 split 24000:9000),
		// though the timed price was listed after.
		{"timed first whatever the order", []Discount{fr, timed}, map[string]int64{"d-timed": 3000, "d-fr": 4000}, map[string]int64{"dress": 21091, "shoes": 7909}},
		{"scope", []Discount{dressOnly}, map[string]int64{"d-dress": 1000}, map[string]int64{"dress": 26000, "shoes": 9000}},
	}
	for _, c := range cases {
		applied, left := ApplyDiscounts(c.run, lines)
		got := map[string]int64{}
		for _, a := range applied {
			got[a.ID] += a.OffFen
		}
		if len(got) != len(c.offs) {
			t.Errorf("%s: %v, want %v", c.name, got, c.offs)
		}
		for id, off := range c.offs {
			if got[id] != off {
				t.Errorf("%s: %s took %d, want %d", c.name, id, got[id], off)
			}
		}
		for _, l := range left {
			if l.PayableFen != c.after[l.LineID] {
				t.Errorf("%s: %s left at %d, want %d", c.name, l.LineID, l.PayableFen, c.after[l.LineID])
			}
		}
	}
	if lines[0].PayableFen != 27000 {
		t.Error("the caller's lines are not changed")
	}
}

// fieldOf is the field an ACTIVITY_INVALID fault names, "" for nil.
func fieldOf(err error) string {
	if err == nil {
		return ""
	}
	f, ok := fault.As(err)
	if !ok || f.Reason != ReasonActivityInvalid {
		return "not ACTIVITY_INVALID: " + err.Error()
	}
	return f.Meta["field"]
}
