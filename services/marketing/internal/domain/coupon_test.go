package domain

import (
	"math/rand/v2"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

var now = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

func valid() Template {
	return Template{ID: "t", Name: "满100减20", Kind: AmountOff, AmountOffFen: 2000, ThresholdFen: 10000, ValidDays: 7, PerMemberLimit: 1, TotalQuantity: 100}
}

func TestTemplateValidation(t *testing.T) {
	with := func(f func(*Template)) Template { v := valid(); f(&v); return v }
	cases := []struct {
		name  string
		t     Template
		field string
	}{
		{"valid", valid(), ""},
		{"percent with cap", with(func(v *Template) { v.Kind, v.AmountOffFen, v.PercentOffPermille, v.CapFen = PercentOff, 0, 150, 3000 }), ""},
		{"fixed period", with(func(v *Template) { v.ValidDays, v.ValidFrom, v.ValidTo = 0, now, now.Add(time.Hour) }), ""},
		{"no name", with(func(v *Template) { v.Name = " " }), "name"},
		{"no amount", with(func(v *Template) { v.AmountOffFen = 0 }), "amount_off_fen"},
		{"more off than the threshold", with(func(v *Template) { v.AmountOffFen = 20000 }), "amount_off_fen"},
		{"all off", with(func(v *Template) { v.Kind, v.PercentOffPermille = PercentOff, 1000 }), "percent_off_permille"},
		{"unknown kind", with(func(v *Template) { v.Kind = "GIFT" }), "kind"},
		{"negative threshold", with(func(v *Template) { v.ThresholdFen = -1 }), "threshold_fen"},
		{"no limit", with(func(v *Template) { v.PerMemberLimit = 0 }), "per_member_limit"},
		{"no quantity", with(func(v *Template) { v.TotalQuantity = 0 }), "total_quantity"},
		{"both validities", with(func(v *Template) { v.ValidFrom, v.ValidTo = now, now.Add(time.Hour) }), "validity"},
		{"period backwards", with(func(v *Template) { v.ValidDays, v.ValidFrom, v.ValidTo = 0, now, now.Add(-time.Hour) }), "validity"},
		{"no validity", with(func(v *Template) { v.ValidDays = 0 }), "valid_days"},
	}
	for _, c := range cases {
		err := c.t.Validate()
		f, _ := fault.As(err)
		if (c.field == "" && err != nil) || (c.field != "" && (f == nil || f.Reason != ReasonTemplateInvalid || f.Meta["field"] != c.field)) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}

func TestApplicabilityAndDiscount(t *testing.T) {
	lines := []Line{
		{LineID: "a", ProductID: "p1", CategoryID: "dress", PayableFen: 6000},
		{LineID: "b", ProductID: "p2", CategoryID: "shoes", PayableFen: 5000},
	}
	cases := []struct {
		name     string
		t        Template
		eligible int64
		off      int64
		reason   fault.Reason
	}{
		{"whole cart over the threshold", valid(), 11000, 2000, ""},
		{"dresses only, below the threshold", func() Template { v := valid(); v.Scope.CategoryIDs = []string{"dress"}; return v }(), 6000, 0, ReasonBelowThreshold},
		{"a product", func() Template { v := valid(); v.ThresholdFen = 0; v.Scope.ProductIDs = []string{"p2"}; return v }(), 5000, 2000, ""},
		{"out of scope", func() Template { v := valid(); v.Scope.CategoryIDs = []string{"bags"}; return v }(), 0, 0, ReasonNotApplicable},
		{"15% capped at 10 yuan", Template{Kind: PercentOff, PercentOffPermille: 150, CapFen: 1000}, 11000, 1000, ""},
		{"15% uncapped", Template{Kind: PercentOff, PercentOffPermille: 150}, 11000, 1650, ""},
		{"never more than the lines", Template{Kind: AmountOff, AmountOffFen: 50000}, 11000, 11000, ""},
	}
	for _, c := range cases {
		if got := c.t.Eligible(lines); got != c.eligible {
			t.Errorf("%s: eligible %d, want %d", c.name, got, c.eligible)
		}
		if got := c.t.Off(c.t.Eligible(lines)); got != c.off {
			t.Errorf("%s: off %d, want %d", c.name, got, c.off)
		}
		if got := fault.ReasonOf(c.t.Check(lines)); got != c.reason {
			t.Errorf("%s: check %q, want %q", c.name, got, c.reason)
		}
	}
}

func TestCouponLifecycle(t *testing.T) {
	c := valid().Claim("c1", "m1", now)
	if !c.ValidTo.Equal(now.AddDate(0, 0, 7)) || c.Status != CouponUnused {
		t.Fatalf("%+v", c)
	}
	if changed, err := c.Lock("o1", now); err != nil || !changed {
		t.Fatal(err)
	}
	if changed, err := c.Lock("o1", now); err != nil || changed {
		t.Fatal("locking again for the same order is a no-op")
	}
	if _, err := c.Lock("o2", now); fault.ReasonOf(err) != ReasonCouponState {
		t.Fatalf("another order cannot take a locked coupon: %v", err)
	}
	if _, err := c.Use("o2"); fault.ReasonOf(err) != ReasonCouponState {
		t.Fatal("another order cannot use it")
	}
	if c.Release("o2", now) {
		t.Fatal("another order cannot release it")
	}
	if !c.Release("o1", now) || c.Status != CouponUnused {
		t.Fatal("the order's cancellation gives it back")
	}
	_, _ = c.Lock("o3", now)
	if changed, err := c.Use("o3"); err != nil || !changed || c.Status != CouponUsed {
		t.Fatal(err)
	}
	if changed, err := c.Use("o3"); err != nil || changed {
		t.Fatal("a repeated payment event uses it once")
	}
	late := valid().Claim("c2", "m1", now)
	_, _ = late.Lock("o4", now)
	if !late.Release("o4", now.AddDate(0, 0, 8)) || late.Status != CouponExpired {
		t.Fatal("released after its time, it expires")
	}
	idle := valid().Claim("c3", "m1", now)
	if _, err := idle.Lock("o5", now.AddDate(0, 0, 8)); fault.ReasonOf(err) != ReasonCouponExpired {
		t.Fatalf("an expired coupon cannot be locked: %v", err)
	}
	if !idle.Expire(now.AddDate(0, 0, 8)) || idle.Expire(now.AddDate(0, 0, 9)) {
		t.Fatal("expires once")
	}
	fixed := Template{ValidFrom: now.Add(time.Hour), ValidTo: now.Add(2 * time.Hour)}.Claim("c4", "m1", now)
	if fault.ReasonOf(fixed.Usable(now)) != ReasonCouponNotStarted {
		t.Fatal("a fixed period starts when it starts")
	}
}

func TestBestCombination(t *testing.T) {
	lines := []Line{{LineID: "a", CategoryID: "dress", PayableFen: 20000}, {LineID: "b", CategoryID: "shoes", PayableFen: 10000}}
	held := func(id string, tpl Template, days int) Held {
		tpl.ID, tpl.ValidDays = id, days
		return Held{Coupon: tpl.Claim(id, "m1", now), Template: tpl}
	}
	bigAlone := held("alone-50", Template{Kind: AmountOff, AmountOffFen: 5000, ThresholdFen: 20000}, 5)
	s1 := held("stack-30", Template{Kind: AmountOff, AmountOffFen: 3000, Stackable: true}, 5)
	s2 := held("stack-dress-10pct", Template{Kind: PercentOff, PercentOffPermille: 100, Stackable: true, Scope: Scope{CategoryIDs: []string{"dress"}}}, 5)
	s3 := held("stack-bags", Template{Kind: AmountOff, AmountOffFen: 9000, Stackable: true, Scope: Scope{CategoryIDs: []string{"bags"}}}, 5)
	cases := []struct {
		name string
		held []Held
		ids  []string
		off  int64
	}{
		{"nothing", nil, nil, 0},
		{"one alone beats two stacked", []Held{bigAlone, s1}, []string{"alone-50"}, 5000},
		// 10% of the dress line, then 30 yuan off what is left.
		{"stacked beat alone", []Held{held("alone-40", Template{Kind: AmountOff, AmountOffFen: 4000}, 5), s1, s2}, []string{"stack-dress-10pct", "stack-30"}, 2000 + 3000},
		{"out of scope never chosen", []Held{s3}, nil, 0},
		{"ties go to the sooner expiry", []Held{held("late", Template{Kind: AmountOff, AmountOffFen: 1000}, 9), held("soon", Template{Kind: AmountOff, AmountOffFen: 1000}, 2)}, []string{"soon"}, 1000},
	}
	for _, c := range cases {
		got := Best(c.held, lines, now)
		if got.OffFen != c.off || len(got.CouponIDs) != len(c.ids) {
			t.Errorf("%s: %+v, want %v off %d", c.name, got, c.ids, c.off)
			continue
		}
		for i := range c.ids {
			if got.CouponIDs[i] != c.ids[i] {
				t.Errorf("%s: %v, want %v", c.name, got.CouponIDs, c.ids)
			}
		}
		var sum int64
		for _, v := range got.LineOff {
			sum += v
		}
		if sum != got.OffFen {
			t.Errorf("%s: lines take %d off, the choice %d", c.name, sum, got.OffFen)
		}
	}
	used := s1
	used.Coupon.Status = CouponUsed
	if got := Best([]Held{used}, lines, now); got.OffFen != 0 {
		t.Error("a used coupon is never chosen")
	}
}

// TestBestNeverTakesMoreThanTheLines: random coupons on random carts take
// off at most each line's payable amount, and the line shares add up.
func TestBestNeverTakesMoreThanTheLines(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	cats := []string{"a", "b", "c"}
	for range 500 {
		var lines []Line
		for i := range 1 + r.IntN(4) {
			lines = append(lines, Line{LineID: string(rune('a' + i)), CategoryID: cats[r.IntN(3)], PayableFen: 1 + r.Int64N(20000)})
		}
		var held []Held
		for i := range r.IntN(6) {
			tpl := Template{ID: string(rune('A' + i)), Kind: AmountOff, AmountOffFen: 1 + r.Int64N(30000), Stackable: r.IntN(2) == 0, ValidDays: 3}
			if r.IntN(2) == 0 {
				tpl.Kind, tpl.AmountOffFen, tpl.PercentOffPermille, tpl.CapFen = PercentOff, 0, 1+r.Int64N(999), r.Int64N(5000)
			}
			if r.IntN(3) == 0 {
				tpl.Scope.CategoryIDs = []string{cats[r.IntN(3)]}
			}
			held = append(held, Held{Coupon: tpl.Claim(tpl.ID, "m", now), Template: tpl})
		}
		got := Best(held, lines, now)
		var sum int64
		for _, l := range lines {
			off := got.LineOff[l.LineID]
			if off < 0 || off > l.PayableFen {
				t.Fatalf("line %+v takes %d off: %+v", l, off, got)
			}
			sum += off
		}
		if sum != got.OffFen {
			t.Fatalf("lines take %d, the choice %d", sum, got.OffFen)
		}
	}
}
