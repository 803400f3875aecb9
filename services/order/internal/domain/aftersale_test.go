package domain

import (
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

// paidOrder has two lines: 3 × l1 for 999 fen and 1 × l2 for 500, plus
// 1,000 fen shipping.
func paidOrder() Order {
	return Order{ID: "o1", Status: StatusPaid, ShippingFen: 1000, PaidFen: 2499, TotalFen: 2499, Lines: []OrderLine{
		{LineID: "l1", PricedLine: PricedLine{PricingLine: PricingLine{SKUID: "s1", Quantity: 3}, PayableFen: 999}},
		{LineID: "l2", PricedLine: PricedLine{PricingLine: PricingLine{SKUID: "s2", Quantity: 1}, PayableFen: 500}},
	}}
}

func TestPartialShipping(t *testing.T) {
	o := paidOrder()
	steps := []struct {
		carrier, no string
		want        map[string]int64
		reason      fault.Reason
		repeat      bool
		status      Status
	}{
		{"SF", "", nil, ReasonArgumentInvalid, false, StatusPaid},
		{"SF", "1", map[string]int64{"l9": 1}, ReasonShipmentInvalid, false, StatusPaid},
		{"SF", "1", map[string]int64{"l1": 4}, ReasonShipmentInvalid, false, StatusPaid},
		{"SF", "1", map[string]int64{"l1": 0}, ReasonShipmentInvalid, false, StatusPaid},
		{"SF", "1", map[string]int64{"l1": 2}, "", false, StatusPaid},
		{"SF", "1", map[string]int64{"l1": 1}, "", true, StatusPaid}, // the same parcel again
		{"YTO", "2", nil, "", false, StatusShipped},                  // the rest
		{"YTO", "3", nil, ReasonIllegalTransition, false, StatusShipped},
	}
	for i, s := range steps {
		repeat, err := o.Ship(s.carrier, s.no, s.want, now, DefaultTiming)
		if fault.ReasonOf(err) != s.reason || repeat != s.repeat || o.Status != s.status {
			t.Fatalf("step %d: repeat %v, %v, %s", i, repeat, err, o.Status)
		}
	}
	if len(o.Shipments) != 2 || o.Lines[0].ShippedQty != 3 || o.Lines[1].ShippedQty != 1 || o.TrackingNo != "2" {
		t.Fatalf("%+v", o.Shipments)
	}
	if !o.DueAt.Equal(now.Add(DefaultTiming.AutoReceiveAfter)) {
		t.Errorf("receipt is confirmed automatically: %v", o.DueAt)
	}
}

func TestRefundOfTheUnshippedRestShipsTheOrder(t *testing.T) {
	o := paidOrder()
	if _, err := o.Ship("SF", "1", map[string]int64{"l1": 3}, now, DefaultTiming); err != nil {
		t.Fatal(err)
	}
	if _, err := o.PlanRefund("r", nil, "", false); fault.ReasonOf(err) != ReasonIllegalTransition {
		t.Fatalf("an operator's own refund comes before anything ships: %v", err)
	}
	a, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q", Kind: KindRefundOnly, Reason: "缺货", Lines: map[string]int64{"l2": 1}}, now, DefaultTiming)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.DecideAfterSale(a.ID, AfterSaleDecision{Approve: true}, now, DefaultTiming); err != nil {
		t.Fatal(err)
	}
	r := o.Refunds[0]
	if o.Status != StatusShipped || r.Fen != 500 || r.Lines[0].Restock != 1 {
		t.Fatalf("the unshipped unit is refunded and restocked, and the order has shipped: %s %+v", o.Status, r)
	}
}

func TestAfterSaleFlows(t *testing.T) {
	shipped := func() Order {
		o := paidOrder()
		if _, err := o.Ship("SF", "1", nil, now, DefaultTiming); err != nil {
			t.Fatal(err)
		}
		return o
	}
	t.Run("return and refund", func(t *testing.T) {
		o := shipped()
		a, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindReturnRefund, Reason: "尺码不合适", Photos: []string{"https://img.example/1.jpg"},
			Lines: map[string]int64{"l1": 2}}, now, DefaultTiming)
		if err != nil || a.ID != "o1-a1" || OrderOfAfterSale(a.ID) != "o1" {
			t.Fatalf("%+v %v", a, err)
		}
		if _, err := o.ReceiveReturn(a.ID, "", "", "", now, DefaultTiming); fault.ReasonOf(err) != ReasonAfterSaleState {
			t.Fatalf("nothing to receive before approval: %v", err)
		}
		steps := []func() (bool, error){
			func() (bool, error) {
				return o.DecideAfterSale(a.ID, AfterSaleDecision{Approve: true, Note: "请寄回"}, now, DefaultTiming)
			},
			func() (bool, error) { return o.SendBack(a.ID, "SF", "R1", now) },
			func() (bool, error) { return o.ReceiveReturn(a.ID, "", "", "已收到", now, DefaultTiming) },
		}
		for i, step := range steps {
			if changed, err := step(); err != nil || !changed {
				t.Fatalf("step %d: %v %v", i, changed, err)
			}
			if changed, err := step(); err != nil || changed {
				t.Fatalf("step %d repeated must change nothing: %v %v", i, changed, err)
			}
		}
		got, _ := o.AfterSale(a.ID)
		// Units 1-2 of l1: floor(999·2/3) = 666; returned goods go back to stock.
		if got.Status != AfterSaleRefunded || got.RefundFen != 666 || o.Refunds[0].Lines[0].Restock != 2 || len(got.Timeline) != 4 {
			t.Fatalf("%+v %+v", got, o.Refunds)
		}
		if o.Status != StatusShipped {
			t.Errorf("units are left: the order stays %s", o.Status)
		}
	})
	t.Run("refund only after shipping restocks nothing", func(t *testing.T) {
		o := shipped()
		a, _ := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindRefundOnly, Reason: "丢件", Lines: map[string]int64{"l1": 3, "l2": 1}}, now, DefaultTiming)
		if _, err := o.DecideAfterSale(a.ID, AfterSaleDecision{Approve: true}, now, DefaultTiming); err != nil {
			t.Fatal(err)
		}
		if o.Status != StatusRefunded || o.RefundFen != 2499 || o.Refunds[0].restocks() {
			t.Fatalf("everything back with shipping, nothing to restock: %s %d %+v", o.Status, o.RefundFen, o.Refunds[0])
		}
	})
	t.Run("exchange", func(t *testing.T) {
		o := shipped()
		a, _ := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindExchange, Reason: "换码", Lines: map[string]int64{"l2": 1}}, now, DefaultTiming)
		_, _ = o.DecideAfterSale(a.ID, AfterSaleDecision{Approve: true}, now, DefaultTiming)
		_, _ = o.SendBack(a.ID, "SF", "R1", now)
		if _, err := o.ReceiveReturn(a.ID, "", "", "", now, DefaultTiming); fault.ReasonOf(err) != ReasonAfterSaleInvalid {
			t.Fatalf("an exchange ships a replacement: %v", err)
		}
		if _, err := o.ReceiveReturn(a.ID, "SF", "N1", "", now, DefaultTiming); err != nil {
			t.Fatal(err)
		}
		got, _ := o.AfterSale(a.ID)
		if got.Status != AfterSaleExchanged || len(o.Refunds) != 0 {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("reject and withdraw", func(t *testing.T) {
		o := shipped()
		a, _ := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindReturnRefund, Reason: "x", Lines: map[string]int64{"l1": 3}}, now, DefaultTiming)
		if _, err := o.DecideAfterSale(a.ID, AfterSaleDecision{}, now, DefaultTiming); fault.ReasonOf(err) != ReasonAfterSaleInvalid {
			t.Fatalf("a rejection needs a note: %v", err)
		}
		if _, err := o.DecideAfterSale(a.ID, AfterSaleDecision{Note: "已超出退货条件"}, now, DefaultTiming); err != nil {
			t.Fatal(err)
		}
		if _, err := o.WithdrawAfterSale(a.ID, now, DefaultTiming); fault.ReasonOf(err) != ReasonAfterSaleState {
			t.Fatalf("a rejected request cannot be withdrawn: %v", err)
		}
		b, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q2", Kind: KindReturnRefund, Reason: "x", Lines: map[string]int64{"l1": 3}}, now, DefaultTiming)
		if err != nil {
			t.Fatalf("rejected units can be asked for again: %v", err)
		}
		if _, err := o.WithdrawAfterSale(b.ID, now, DefaultTiming); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAfterSaleRequestRules(t *testing.T) {
	base := AfterSaleRequest{RequestID: "q", Kind: KindReturnRefund, Reason: "破损", Lines: map[string]int64{"l1": 1}}
	with := func(f func(*AfterSaleRequest)) AfterSaleRequest { r := base; f(&r); return r }
	cases := []struct {
		name   string
		status Status
		req    AfterSaleRequest
		reason fault.Reason
	}{
		{"return after shipping", StatusShipped, base, ""},
		{"return after receipt", StatusReceived, base, ""},
		{"refund only before shipping", StatusPaid, with(func(r *AfterSaleRequest) { r.Kind = KindRefundOnly }), ""},
		{"return before shipping", StatusPaid, base, ReasonAfterSaleNotAllowed},
		{"after completion", StatusCompleted, base, ReasonAfterSaleNotAllowed},
		{"unpaid", StatusPendingPayment, with(func(r *AfterSaleRequest) { r.Kind = KindRefundOnly }), ReasonAfterSaleNotAllowed},
		{"no request id", StatusShipped, with(func(r *AfterSaleRequest) { r.RequestID = "" }), ReasonRequestIDRequired},
		{"unknown kind", StatusShipped, with(func(r *AfterSaleRequest) { r.Kind = "GIFT" }), ReasonAfterSaleInvalid},
		{"no reason", StatusShipped, with(func(r *AfterSaleRequest) { r.Reason = " " }), ReasonAfterSaleInvalid},
		{"bad photo", StatusShipped, with(func(r *AfterSaleRequest) { r.Photos = []string{"javascript:alert(1)"} }), ReasonAfterSaleInvalid},
		{"too many units", StatusShipped, with(func(r *AfterSaleRequest) { r.Lines = map[string]int64{"l1": 4} }), ReasonAfterSaleInvalid},
		{"negative units", StatusShipped, with(func(r *AfterSaleRequest) { r.Lines = map[string]int64{"l1": -1} }), ReasonAfterSaleInvalid},
		{"unknown line", StatusShipped, with(func(r *AfterSaleRequest) { r.Lines = map[string]int64{"l9": 1} }), ReasonAfterSaleInvalid},
		{"no units", StatusShipped, with(func(r *AfterSaleRequest) { r.Lines = nil }), ReasonAfterSaleInvalid},
	}
	for _, c := range cases {
		o := paidOrder()
		o.Status = c.status
		if _, err := o.RequestAfterSale(c.req, now, DefaultTiming); fault.ReasonOf(err) != c.reason {
			t.Errorf("%s: %v, want %q", c.name, err, c.reason)
		}
	}
}

func TestAfterSaleClaimsUnitsAndHoldsCompletion(t *testing.T) {
	o := paidOrder()
	o.Status, o.ReceivedAt = StatusReceived, now
	o.reschedule(now, DefaultTiming)
	a, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindReturnRefund, Reason: "x", Lines: map[string]int64{"l1": 2}}, now, DefaultTiming)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindReturnRefund, Reason: "x", Lines: map[string]int64{"l1": 2}}, now, DefaultTiming); err != nil || again.ID != a.ID {
		t.Fatalf("the same request id answers the first request: %v", err)
	}
	if _, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q1", Kind: KindExchange, Reason: "x", Lines: map[string]int64{"l1": 2}}, now, DefaultTiming); fault.ReasonOf(err) != ReasonRequestIDReused {
		t.Fatalf("the same request id with another content: %v", err)
	}
	if _, err := o.RequestAfterSale(AfterSaleRequest{RequestID: "q2", Kind: KindReturnRefund, Reason: "x", Lines: map[string]int64{"l1": 2}}, now, DefaultTiming); fault.ReasonOf(err) != ReasonAfterSaleInvalid {
		t.Fatalf("units claimed by an open request cannot be asked for twice: %v", err)
	}
	late := now.Add(30 * 24 * time.Hour)
	if _, ok := o.DueAction(late); ok {
		t.Fatal("an open request holds completion back")
	}
	if _, err := o.WithdrawAfterSale(a.ID, late, DefaultTiming); err != nil {
		t.Fatal(err)
	}
	if act, ok := o.DueAction(late); !ok || act != ActionComplete {
		t.Fatalf("closed: the window's deadline applies again: %s %v", act, ok)
	}
}
