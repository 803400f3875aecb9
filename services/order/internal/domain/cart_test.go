package domain

import (
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

var now = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func TestCartRules(t *testing.T) {
	var c Cart
	if err := c.Add("p", "a", 2, now); err != nil {
		t.Fatal(err)
	}
	if err := c.Add("p", "a", 3, now); err != nil || len(c.Lines) != 1 || c.Lines[0].Quantity != 5 {
		t.Fatalf("adding again adds up: %+v %v", c.Lines, err)
	}
	for _, q := range []int64{0, -1, 1000} {
		if err := c.Add("p", "b", q, now); fault.ReasonOf(err) != ReasonQuantityInvalid {
			t.Errorf("quantity %d: %v", q, err)
		}
	}
	if err := c.SetQuantity("zz", 1); fault.ReasonOf(err) != ReasonCartLineNotFound {
		t.Errorf("missing line: %v", err)
	}
	if err := c.Select([]string{"a", "zz"}, false); fault.ReasonOf(err) != ReasonCartLineNotFound || !c.Lines[0].Selected {
		t.Errorf("select with a missing line changes nothing: %v", err)
	}
	_ = c.Select([]string{"a"}, false)
	if len(c.Selected()) != 0 {
		t.Error("deselected")
	}
	for i := 1; i < MaxCartLines; i++ {
		if err := c.Add("p", fmt.Sprint("s", i), 1, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Add("p", "one-too-many", 1, now); fault.ReasonOf(err) != ReasonCartFull {
		t.Errorf("line 101: %v", err)
	}
	if err := c.Add("p", "a", 1, now); err != nil {
		t.Errorf("a line already there can grow in a full cart: %v", err)
	}
	left, err := c.Merge([]CartLine{{ProductID: "p", SKUID: "a", Quantity: 1}, {ProductID: "p", SKUID: "new", Quantity: 2}}, now)
	if err != nil || len(left) != 1 || left[0].SKUID != "new" || c.Lines[0].Quantity != 7 {
		t.Errorf("merge into a full cart: left %v err %v", left, err)
	}
	c.Remove([]string{"a", "nothing"})
	if len(c.Lines) != MaxCartLines-1 {
		t.Errorf("remove: %d lines", len(c.Lines))
	}
	if _, err := c.Merge([]CartLine{{ProductID: "p", SKUID: "x", Quantity: 0}}, now); fault.ReasonOf(err) != ReasonQuantityInvalid {
		t.Errorf("bad guest line: %v", err)
	}
}

func TestLineProblem(t *testing.T) {
	ok := SKUView{SKUID: "a", OnShelf: true, Available: 5, PurchaseLimit: 3}
	cases := []struct {
		name  string
		line  CartLine
		sku   SKUView
		found bool
		units int64
		want  fault.Reason
	}{
		{"fine", CartLine{SKUID: "a", Quantity: 2}, ok, true, 2, ""},
		{"gone", CartLine{SKUID: "a", Quantity: 2}, ok, false, 2, ReasonSKUNotFound},
		{"off shelf", CartLine{SKUID: "a", Quantity: 2}, SKUView{OnShelf: false, Available: 5}, true, 2, ReasonOffShelf},
		{"out of stock", CartLine{SKUID: "a", Quantity: 6}, ok, true, 6, ReasonOutOfStock},
		{"over the limit over SKUs of the product", CartLine{SKUID: "a", Quantity: 2}, ok, true, 4, ReasonOverLimit},
		{"no limit", CartLine{SKUID: "a", Quantity: 5}, SKUView{OnShelf: true, Available: 5}, true, 50, ""},
	}
	for _, c := range cases {
		if got := LineProblem(c.line, c.sku, c.found, c.units); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestOrderLifecycle(t *testing.T) {
	o := Order{ID: "o1", Status: StatusPlacing, TotalFen: 100, DueAt: now.Add(time.Minute)}
	if a, ok := o.DueAction(now.Add(2 * time.Minute)); !ok || a != ActionFail {
		t.Errorf("a placing left behind fails: %v %v", a, ok)
	}
	steps := []struct {
		a      Action
		at     time.Time
		status Status
		due    time.Time
	}{
		{ActionPlaced, now, StatusPendingPayment, now.Add(15 * time.Minute)},
		{ActionPay, now.Add(time.Minute), StatusPaid, time.Time{}},
		{ActionShip, now.Add(time.Hour), StatusShipped, now.Add(time.Hour + 240*time.Hour)},
		{ActionReceive, now.Add(2 * time.Hour), StatusReceived, now.Add(2*time.Hour + 168*time.Hour)},
		{ActionComplete, now.Add(3 * time.Hour), StatusCompleted, time.Time{}},
	}
	for _, s := range steps {
		if err := o.Do(s.a, s.at, DefaultTiming); err != nil || o.Status != s.status || !o.DueAt.Equal(s.due) {
			t.Fatalf("%s: status %s due %v err %v", s.a, o.Status, o.DueAt, err)
		}
	}
	if err := o.Do(ActionCancel, now, DefaultTiming); fault.ReasonOf(err) != ReasonIllegalTransition {
		t.Errorf("cancel a completed order: %v", err)
	}
	f := Order{Status: StatusPlacing, HoldsStock: true}
	_ = f.Do(ActionFail, now, DefaultTiming)
	if a, ok := f.DueAction(now); !ok || a != ActionRelease {
		t.Error("a failed order holding stock is released at once")
	}
	f.Released(now)
	if _, ok := f.DueAction(now.Add(time.Hour)); ok || f.NeedsRelease() {
		t.Error("nothing is due once released")
	}
	p := Order{Status: StatusPlacing, HoldsStock: true, HoldsPoints: true}
	_ = p.Do(ActionPlaced, now, DefaultTiming)
	if _, ok := p.DueAction(now.Add(14 * time.Minute)); ok {
		t.Error("nothing is due before the deadline")
	}
	if a, ok := p.DueAction(now.Add(15 * time.Minute)); !ok || a != ActionCancel {
		t.Error("an unpaid order is cancelled at the deadline")
	}
	_ = p.Do(ActionPay, now, DefaultTiming)
	if p.HoldsStock || p.HoldsPoints || !p.PointsToConfirm {
		t.Error("a paid order holds nothing to release and has points to confirm")
	}
	if a, ok := p.DueAction(now); !ok || a != ActionConfirmPoints {
		t.Error("the points of a paid order are confirmed at once")
	}
	p.PointsConfirmed(now, DefaultTiming)
	if _, ok := p.DueAction(now.Add(time.Hour)); ok {
		t.Error("nothing is due once the points are confirmed")
	}
}

func TestCheckPayment(t *testing.T) {
	o := Order{ID: "o", TotalFen: 5500}
	if err := o.CheckPayment(5500, "CNY"); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		fen int64
		cur string
	}{{5499, "CNY"}, {5501, "CNY"}, {5500, "USD"}} {
		if err := o.CheckPayment(c.fen, c.cur); fault.ReasonOf(err) != ReasonPaymentAmountMismatch {
			t.Errorf("%v: %v", c, err)
		}
	}
}

func TestRefundIsSettledThenRestocked(t *testing.T) {
	o := Order{ID: "o", Status: StatusPaid, Lines: []OrderLine{{LineID: "l1", PricedLine: PricedLine{PricingLine: PricingLine{SKUID: "s", Quantity: 2}, PayableFen: 200}}}}
	r, err := o.PlanRefund("r1", nil, "", false)
	if err != nil || r.Lines[0].Restock != 2 {
		t.Fatalf("%+v %v", r, err)
	}
	if err := o.ApplyRefund(r, now, DefaultTiming); err != nil || o.Status != StatusRefunded {
		t.Fatalf("%+v %v", o, err)
	}
	if a, ok := o.DueAction(now); !ok || a != ActionSettleRefund {
		t.Fatalf("a recorded refund is settled at once: %s %v", a, ok)
	}
	o.RefundFailed("r1", now, DefaultTiming)
	if _, ok := o.DueAction(now.Add(59 * time.Second)); ok {
		t.Error("a failed provider call backs off")
	}
	if a, ok := o.DueAction(now.Add(2 * time.Minute)); !ok || a != ActionSettleRefund {
		t.Errorf("and is tried again: %s %v", a, ok)
	}
	o.SettleRefund("r1", "p1", now, DefaultTiming)
	if a, ok := o.DueAction(now); !ok || a != ActionRestock || !o.NeedsRestock() {
		t.Fatalf("settled units go back to stock: %s %v", a, ok)
	}
	o.Restocked(now, DefaultTiming)
	if _, ok := o.DueAction(now.Add(time.Hour)); ok {
		t.Error("nothing is due once restocked")
	}
}

func TestChangeAddress(t *testing.T) {
	sh := Address{Name: "a", Phone: "1", Province: "上海市", Detail: "x"}
	zj := Address{Name: "a", Phone: "1", Province: "浙江省", Detail: "x"}
	cases := []struct {
		status Status
		to     Address
		want   fault.Reason
	}{
		{StatusPendingPayment, zj, ""},
		{StatusPaid, Address{Name: "b", Phone: "2", Province: "上海市", Detail: "y"}, ""},
		{StatusPaid, zj, ReasonAddressRegionChanged},
		{StatusShipped, sh, ReasonIllegalTransition},
		{StatusCancelled, sh, ReasonIllegalTransition},
		{StatusPaid, Address{Province: "上海市"}, ReasonAddressRequired},
	}
	for _, c := range cases {
		o := Order{Status: c.status, Address: sh}
		if err := o.ChangeAddress(c.to, now); fault.ReasonOf(err) != c.want {
			t.Errorf("%s to %s: %v, want %s", c.status, c.to.Province, err, c.want)
		}
	}
}

func TestDayStats(t *testing.T) {
	day, from, to, err := DayRange("2026-12-03", now)
	if err != nil || !from.Equal(time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)) {
		t.Fatal(day, from, to, err)
	}
	if _, _, _, err := DayRange("12/03", now); fault.ReasonOf(err) != ReasonArgumentInvalid {
		t.Error(err)
	}
	if d, _, _, _ := DayRange("", time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)); d != "2026-12-04" {
		t.Errorf("today in Shanghai: %s", d)
	}
	at := from.Add(time.Hour)
	orders := []Order{
		{Status: StatusPaid, CreatedAt: at, PaidAt: at, PaidFen: 1000},
		{Status: StatusPaid, CreatedAt: from.Add(-time.Hour), PaidAt: at, PaidFen: 500},
		{Status: StatusCancelled, CreatedAt: at, CancelledAt: to},
		{Status: StatusRefunded, CreatedAt: at, PaidAt: at, PaidFen: 300, Refunds: []Refund{{Fen: 300, At: at}, {Fen: 1, At: to}}},
		{Status: StatusFailed, CreatedAt: at},
	}
	s := CountDay(day, orders, from, to)
	if s.Placed != 3 || s.Paid != 3 || s.GMVFen != 1800 || s.Cancelled != 0 || s.Refunded != 1 || s.RefundedFen != 300 {
		t.Errorf("%+v", s)
	}
}

func TestPartialRefunds(t *testing.T) {
	o := Order{ID: "o", Status: StatusPaid, ShippingFen: 1000, Lines: []OrderLine{
		{LineID: "l1", PricedLine: PricedLine{PricingLine: PricingLine{SKUID: "a", Quantity: 3}, PayableFen: 1000}},
		{LineID: "l2", PricedLine: PricedLine{PricingLine: PricingLine{SKUID: "b", Quantity: 1}, PayableFen: 500}},
	}}
	steps := []struct {
		want   map[string]int64
		fen    int64
		reason fault.Reason
		status Status
	}{
		{map[string]int64{"l1": 4}, 0, ReasonRefundInvalid, StatusPaid},
		{map[string]int64{"l9": 1}, 0, ReasonRefundInvalid, StatusPaid},
		{map[string]int64{"l1": 0}, 0, ReasonRefundInvalid, StatusPaid},
		{map[string]int64{"l1": 1}, 333, "", StatusPaid},
		{map[string]int64{"l1": 1}, 333, "", StatusPaid},
		{map[string]int64{"l1": 2}, 0, ReasonRefundInvalid, StatusPaid},
		{nil, 334 + 500 + 1000, "", StatusRefunded}, // the rest, with shipping
		{nil, 0, ReasonIllegalTransition, StatusRefunded},
	}
	var total int64
	for i, s := range steps {
		r, err := o.PlanRefund(fmt.Sprint("r", i), s.want, "", false)
		if fault.ReasonOf(err) != s.reason {
			t.Fatalf("step %d: %v, want %s", i, err, s.reason)
		}
		if err == nil {
			if r.Fen != s.fen {
				t.Fatalf("step %d: %d fen, want %d", i, r.Fen, s.fen)
			}
			if err := o.ApplyRefund(r, now, DefaultTiming); err != nil {
				t.Fatal(err)
			}
			total += r.Fen
		}
		if o.Status != s.status {
			t.Fatalf("step %d: %s", i, o.Status)
		}
	}
	if total != 2500 || o.RefundFen != 2500 || len(o.Unsettled()) != 3 || len(o.Refunds) != 3 {
		t.Fatalf("refunded %d of 2500: %+v", total, o)
	}
	if _, ok := o.FindRefund("r3"); !ok {
		t.Error("refunds are found by id")
	}
}
