// Package storetest is the contract every order store keeps: the MongoDB
// store and the in-memory one run the same suite, so use-case tests on the
// in-memory store test what production does.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// Stores is everything an order store implements.
type Stores interface {
	app.CartStore
	app.QuoteStore
	app.OrderStore
}

// Run checks s against the contract.
func Run(t *testing.T, s Stores) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	c, err := s.Cart(ctx, "m1")
	if err != nil || c.Version != 0 || len(c.Lines) != 0 {
		t.Fatal(c, err)
	}
	_ = c.Add("p1", "s1", 2, now)
	if err := s.SaveCart(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCart(ctx, c); !errors.Is(err, app.ErrStale) {
		t.Fatalf("a second first save is stale: %v", err)
	}
	c, _ = s.Cart(ctx, "m1")
	if c.Version != 1 || len(c.Lines) != 1 || c.Lines[0].Quantity != 2 || c.Lines[0].ProductID != "p1" {
		t.Fatalf("%+v", c)
	}
	c.Remove([]string{"s1"})
	if err := s.SaveCart(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCart(ctx, c); !errors.Is(err, app.ErrStale) {
		t.Fatalf("stale update: %v", err)
	}

	p, _ := domain.Price([]domain.PricingLine{{SKUID: "s1", ProductID: "p1", Quantity: 2, UnitPriceFen: 1000}}, "上海市", domain.LevelDiscount{Permille: 50})
	q := app.Quote{ID: "q1", MemberID: "m1", Pricing: p, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.SaveQuote(ctx, q); err != nil {
		t.Fatal(err)
	}
	got, err := s.Quote(ctx, "q1")
	if err != nil || got.Pricing.TotalFen() != 1900 || got.Pricing.Lines[0].Discounts[domain.SourceMemberLevel] != 100 || got.MemberID != "m1" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.Quote(ctx, "nope"); fault.ReasonOf(err) != domain.ReasonQuoteNotFound {
		t.Fatal(err)
	}

	if _, _, claimed, err := s.ClaimRequest(ctx, "m1", "r1", "o1", "h1"); !claimed || err != nil {
		t.Fatal(claimed, err)
	}
	if first, hash, claimed, err := s.ClaimRequest(ctx, "m1", "r1", "o2", "h2"); claimed || err != nil || first != "o1" || hash != "h1" {
		t.Fatal(first, hash, claimed, err)
	}
	if _, _, claimed, _ := s.ClaimRequest(ctx, "m2", "r1", "o3", "h3"); !claimed {
		t.Fatal("request ids are per member")
	}

	o := domain.Order{ID: "o1", MemberID: "m1", Status: domain.StatusPlacing, TotalFen: 1900, Version: 1, CreatedAt: now, UpdatedAt: now, DueAt: now.Add(time.Minute), HoldsStock: true,
		Lines: []domain.OrderLine{{LineID: "o1-1", PricedLine: p.Lines[0]}}}
	if err := s.Insert(ctx, o); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, now, 10); len(due) != 0 {
		t.Fatal("not due yet")
	}
	if due, _ := s.Due(ctx, now.Add(time.Minute), 10); len(due) != 1 || due[0].ID != "o1" {
		t.Fatalf("due: %+v", due)
	}
	if list, _ := s.List(ctx, domain.OrderFilter{MemberID: "m1"}, "", 10); len(list) != 0 {
		t.Fatal("a placing order is not listed")
	}
	_ = o.Do(domain.ActionPlaced, now, domain.DefaultTiming)
	ev := natsx.Event{ID: "o1.created", Subject: "siyu.order.created", Payload: []byte("x")}
	saved, err := s.Update(ctx, o, ev)
	if err != nil || saved.Version != 2 {
		t.Fatal(saved.Version, err)
	}
	// Its deadline moved from the placing timeout to the payment deadline.
	if due, err := s.Due(ctx, now.Add(2*time.Minute), 10); err != nil || len(due) != 0 {
		t.Fatalf("not due before the payment deadline: %v %v", ids(due), err)
	}
	if due, _ := s.Due(ctx, o.PayDeadline, 10); len(due) != 1 || due[0].ID != "o1" {
		t.Fatalf("due at the payment deadline: %v", ids(due))
	}
	if _, err := s.Update(ctx, o, ev); !errors.Is(err, app.ErrStale) {
		t.Fatalf("stale order update: %v", err)
	}
	back, err := s.Order(ctx, "o1")
	if err != nil || back.Status != domain.StatusPendingPayment || back.Version != 2 || !back.PayDeadline.Equal(o.PayDeadline) || back.Lines[0].PayableFen != 1900 {
		t.Fatalf("%+v %v", back, err)
	}
	if list, _ := s.List(ctx, domain.OrderFilter{MemberID: "m1", Status: domain.StatusPendingPayment}, "", 10); len(list) != 1 {
		t.Fatal("listed once placed")
	}
	if list, _ := s.List(ctx, domain.OrderFilter{MemberID: "m1", Status: domain.StatusPaid}, "", 10); len(list) != 0 {
		t.Fatal("filtered by status")
	}
	if list, _ := s.List(ctx, domain.OrderFilter{MemberID: "m2"}, "", 10); len(list) != 0 {
		t.Fatal("not another member's")
	}
	_ = back.Do(domain.ActionPay, now, domain.DefaultTiming)
	if _, err := s.Update(ctx, back); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, now.Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("a paid order without points is never due: %+v", due)
	}
	if touched, err := s.Touched(ctx, now.Add(-time.Minute), now.Add(time.Minute)); err != nil || len(touched) != 1 || touched[0].ID != "o1" {
		t.Fatalf("touched now: %v %v", touched, err)
	}
	if touched, _ := s.Touched(ctx, now.Add(time.Hour), now.Add(2*time.Hour)); len(touched) != 0 {
		t.Fatalf("touched later: %v", touched)
	}

	// Newest first, pages after an id.
	for i, id := range []string{"o2", "o3", "o4"} {
		n := domain.Order{ID: id, MemberID: "m3", Status: domain.StatusPendingPayment, Version: 1, CreatedAt: now.Add(time.Duration(i) * time.Second),
			TotalFen: int64(i) * 1000, Address: domain.Address{Phone: "1380000000" + fmt.Sprint(i)}}
		if err := s.Insert(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	page, _ := s.List(ctx, domain.OrderFilter{MemberID: "m3"}, "", 2)
	if len(page) != 2 || page[0].ID != "o4" || page[1].ID != "o3" {
		t.Fatalf("page 1: %v", ids(page))
	}
	if page, _ = s.List(ctx, domain.OrderFilter{MemberID: "m3"}, "o3", 2); len(page) != 1 || page[0].ID != "o2" {
		t.Fatalf("page 2: %v", ids(page))
	}
	// Operators' filters: placing time, phone and total.
	cases := []struct {
		f    domain.OrderFilter
		want int
	}{
		{domain.OrderFilter{From: now.Add(time.Second)}, 2},
		{domain.OrderFilter{From: now, To: now.Add(time.Second)}, 2}, // o1 and o2
		{domain.OrderFilter{Phone: "13800000000"}, 1},
		{domain.OrderFilter{MinFen: 1000}, 3}, // o1, o3, o4
		{domain.OrderFilter{MinFen: 1000, MaxFen: 1500}, 1},
	}
	for _, c := range cases {
		if got, err := s.List(ctx, c.f, "", 10); err != nil || len(got) != c.want {
			t.Errorf("filter %+v: %v %v, want %d", c.f, ids(got), err, c.want)
		}
	}
	// Products and after-sales requests select too, and a read is a copy.
	o1, _ := s.Order(ctx, "o1")
	if got, _ := s.List(ctx, domain.OrderFilter{ProductID: "p1"}, "", 10); len(got) != 1 || got[0].ID != "o1" {
		t.Fatalf("by product: %v", ids(got))
	}
	if got, _ := s.List(ctx, domain.OrderFilter{WithAfterSales: true}, "", 10); len(got) != 0 {
		t.Fatalf("no requests yet: %v", ids(got))
	}
	if _, err := o1.RequestAfterSale(domain.AfterSaleRequest{RequestID: "q", Kind: domain.KindRefundOnly, Reason: "x", Lines: map[string]int64{"o1-1": 1}}, now, domain.DefaultTiming); err != nil {
		t.Fatal(err)
	}
	withRequest, err := s.Update(ctx, o1)
	if err != nil {
		t.Fatal(err)
	}
	afterSaleCases := []struct {
		f    domain.OrderFilter
		want int
	}{
		{domain.OrderFilter{WithAfterSales: true}, 1},
		{domain.OrderFilter{WithAfterSales: true, MemberID: "m1"}, 1},
		{domain.OrderFilter{WithAfterSales: true, MemberID: "m3"}, 0},
		{domain.OrderFilter{AfterSaleStatus: domain.AfterSaleRequested}, 1},
		{domain.OrderFilter{AfterSaleStatus: domain.AfterSaleRejected}, 0},
	}
	for _, c := range afterSaleCases {
		if got, err := s.List(ctx, c.f, "", 10); err != nil || len(got) != c.want {
			t.Errorf("filter %+v: %v %v, want %d", c.f, ids(got), err, c.want)
		}
	}
	withRequest.AfterSales[0].Timeline[0].Note = "changed by the caller"
	if again, _ := s.Order(ctx, "o1"); again.AfterSales[0].Timeline[0].Note != "x" {
		t.Fatal("a read order must not share memory with the store")
	}
	if err := s.Delete(ctx, "o4"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Order(ctx, "o4"); fault.ReasonOf(err) != domain.ReasonOrderNotFound {
		t.Fatal(err)
	}
}

func ids(os []domain.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}
