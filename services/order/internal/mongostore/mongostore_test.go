package mongostore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/storetest"
)

func TestContractOnTheEmbeddedStore(t *testing.T) {
	s := New(testkit.DB(t), nil)
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, s)
}

// An order's events ride in its document, written with the change.
func TestEventsRideInTheOutbox(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t), nil)
	now := time.Now().UTC()
	o := domain.Order{ID: "o1", MemberID: "m1", Status: domain.StatusPlacing, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.Insert(ctx, o); err != nil {
		t.Fatal(err)
	}
	_ = o.Do(domain.ActionPlaced, now, domain.DefaultTiming)
	if _, err := s.Update(ctx, o, natsx.Event{ID: "o1.created", Subject: "siyu.order.created", Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	var raw bson.M
	_ = s.Orders.FindOne(ctx, bson.M{"_id": "o1"}).Decode(&raw)
	if box, _ := raw["outbox"].(bson.A); len(box) != 1 {
		t.Fatalf("the event rides in the outbox: %v", raw["outbox"])
	}
}

func TestExpiredQuotesAreDeleted(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t), nil)
	now := time.Now().UTC()
	for i, exp := range []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Minute), now.Add(time.Minute)} {
		if err := s.SaveQuote(ctx, app.Quote{ID: fmt.Sprint("q", i), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpiredQuotes(ctx, now.Add(-QuoteKeep))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d: %v", n, err)
	}
	if _, err := s.Quote(ctx, "q1"); err != nil {
		t.Fatal("a quote expired a minute ago is kept")
	}
}

// TestStartRepairsListsAndDeadlines: orders written by an older release
// (no member list) or left by a crash between an order and its deadline
// hint are listed and swept after EnsureIndexes runs at start.
func TestStartRepairsListsAndDeadlines(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t), nil)
	now := time.Now().UTC()
	o := domain.Order{ID: "o1", MemberID: "m1", Status: domain.StatusPendingPayment, Version: 1, CreatedAt: now, DueAt: now, PayDeadline: now}
	if _, err := s.Orders.InsertOne(ctx, toDoc(o)); err != nil { // no list entry, no hint
		t.Fatal(err)
	}
	if got, _ := s.List(ctx, domain.OrderFilter{MemberID: "m1"}, "", 10); len(got) != 0 {
		t.Fatal("without its list entry the order is not listed yet")
	}
	if due, _ := s.Due(ctx, now, 10); len(due) != 0 {
		t.Fatal("without its hint the order is not swept yet")
	}
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(ctx, domain.OrderFilter{MemberID: "m1"}, "", 10); err != nil || len(got) != 1 {
		t.Fatalf("listed after start: %v %v", ids(got), err)
	}
	if due, err := s.Due(ctx, now, 10); err != nil || len(due) != 1 {
		t.Fatalf("swept after start: %v %v", ids(due), err)
	}
}

func ids(os []domain.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}
