package mongostore

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

func TestStoreOnTheEmbeddedStore(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t), nil)
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)

	c, err := s.Cart(ctx, "m1")
	if err != nil || c.Version != 0 {
		t.Fatal(c, err)
	}
	_ = c.Add("p1", "s1", 2, now)
	if err := s.SaveCart(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCart(ctx, c); !errors.Is(err, app.ErrStale) {
		t.Fatalf("a second insert at version 0 is stale: %v", err)
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
	if err != nil || got.Pricing.TotalFen() != 1900 || got.Pricing.Lines[0].Discounts[domain.SourceMemberLevel] != 100 {
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
	if list, _ := s.List(ctx, "m1", "", "", 10); len(list) != 0 {
		t.Fatal("a placing order is not listed")
	}
	_ = o.Do(domain.ActionPlaced, now, domain.DefaultTiming)
	ev := natsx.Event{ID: "o1.placed", Subject: "siyu.order.created", Payload: []byte("x")}
	saved, err := s.Update(ctx, o, ev)
	if err != nil || saved.Version != 2 {
		t.Fatal(saved.Version, err)
	}
	if _, err := s.Update(ctx, o, ev); !errors.Is(err, app.ErrStale) {
		t.Fatalf("stale order update: %v", err)
	}
	var raw bson.M
	_ = s.Orders.FindOne(ctx, bson.M{"_id": "o1"}).Decode(&raw)
	if box, _ := raw["outbox"].(bson.A); len(box) != 1 {
		t.Fatalf("the event rides in the outbox: %v", raw["outbox"])
	}
	back, err := s.Order(ctx, "o1")
	if err != nil || back.Status != domain.StatusPendingPayment || back.Version != 2 || !back.PayDeadline.Equal(o.PayDeadline) || back.Lines[0].PayableFen != 1900 {
		t.Fatalf("%+v %v", back, err)
	}
	if list, _ := s.List(ctx, "m1", domain.StatusPendingPayment, "", 10); len(list) != 1 {
		t.Fatal("listed once placed")
	}
	if list, _ := s.List(ctx, "m2", "", "", 10); len(list) != 0 {
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
		t.Fatalf("touched today: %v %v", touched, err)
	}
	if touched, _ := s.Touched(ctx, now.Add(time.Hour), now.Add(2*time.Hour)); len(touched) != 0 {
		t.Fatalf("touched later: %v", touched)
	}
	if _, err := s.Order(ctx, "nope"); fault.ReasonOf(err) != domain.ReasonOrderNotFound {
		t.Fatal(err)
	}
}
