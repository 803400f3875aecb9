package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
	"siyu.dev/services/marketing/internal/flashq"
	"siyu.dev/services/marketing/internal/mongostore"
)

// placer plays the order service: it prices and holds the reservation as
// checkout does, and refuses members named in refuse.
type placer struct {
	checkout *app.Checkout
	mu       sync.Mutex
	orders   map[string]string // order id → reservation
	refuse   map[string]bool
}

func (p *placer) PlaceFor(ctx context.Context, in app.PlaceFor) (string, error) {
	if p.refuse[in.MemberID] {
		return "", fault.New(fault.Precondition, "MEMBER_BLOCKED", "this account cannot place orders")
	}
	lines := []domain.Line{{LineID: in.SKUID, ProductID: in.ProductID, UnitPriceFen: 19900, Quantity: in.Quantity, PayableFen: 19900}}
	priced, err := p.checkout.Price(ctx, app.PriceInput{MemberID: in.MemberID, Lines: lines, Activity: in.Activity})
	if err != nil {
		return "", err
	}
	if len(priced.Discounts) != 1 || priced.Discounts[0].OffFen != 19900-9900 || priced.MemberLevel {
		return "", fmt.Errorf("flash price: %+v", priced)
	}
	id := "o-" + in.RequestID
	if err := p.checkout.Hold(ctx, in.MemberID, id, nil, in.Activity); err != nil {
		return "", err
	}
	p.mu.Lock()
	p.orders[id] = in.Activity.Ref
	p.mu.Unlock()
	return id, nil
}

func (p *placer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.orders)
}

// TestFlashSaleUnderABurst: 5,000 concurrent reservation attempts by 2,500
// members (two each) for 100 units with a limit of one per member accept
// exactly 100, one per member; every accepted unit becomes one order; the
// units of cancelled orders and of refused orders come back and sell again.
func TestFlashSaleUnderABurst(t *testing.T) {
	ctx := context.Background()
	nc, err := natsx.Connect(testkit.NATS(t).URL(), "t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	db := testkit.DB(t)
	s, acts := mongostore.New(db), mongostore.NewActivities(db)
	clk := clock.NewFake(start)
	p := &placer{orders: map[string]string{}, refuse: map[string]bool{"m_0007": true}}
	flash := app.NewFlashSales(acts.FlashSales(), acts.Results(), flashq.New(js), acts.Reservations(), p, clk, nil)
	p.checkout = app.NewCheckout(s.Wallets(), acts.Holds(), app.NewDiscounts(acts.Discounts(), acts.Results(), clk), acts.Results(), map[domain.PromotionKind]app.Desk{domain.KindFlashSale: flash}, app.Settings{RemindBefore: time.Hour}, clk)

	f, err := flash.Create(ctx, domain.FlashSale{Name: "双十二秒杀", ProductID: "p1", SKUID: "p1-A", PriceFen: 9900, Stock: 100, PerMemberLimit: 1,
		Start: start.Add(time.Minute), End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	addr := app.Address{Name: "张三", Phone: "13800138000", Province: "上海市", Detail: "世纪大道 1 号"}
	if _, err := flash.Reserve(ctx, "m_early", f.ID, "", addr); fault.ReasonOf(err) != domain.ReasonActivityNotOpen {
		t.Fatalf("before the start: %v", err)
	}
	clk.Advance(2 * time.Minute)

	var accepted, soldOut, limited atomic.Int64
	perMember := sync.Map{}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range 5000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			m := fmt.Sprintf("m_%04d", i/2)
			_, err := flash.Reserve(ctx, m, f.ID, fmt.Sprint("req-", i), addr)
			switch fault.ReasonOf(err) {
			case "":
				accepted.Add(1)
				n, _ := perMember.LoadOrStore(m, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			case domain.ReasonFlashSoldOut:
				soldOut.Add(1)
			case domain.ReasonFlashLimit:
				limited.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	perMember.Range(func(k, v any) bool {
		if v.(*atomic.Int64).Load() > 1 {
			t.Errorf("%s holds %d units", k, v.(*atomic.Int64).Load())
		}
		return true
	})
	if accepted.Load() != 100 || accepted.Load()+soldOut.Load()+limited.Load() != 5000 {
		t.Fatalf("accepted %d, sold out %d, limited %d", accepted.Load(), soldOut.Load(), limited.Load())
	}
	t.Logf("5,000 attempts: %d accepted, %d sold out, %d over the member limit", accepted.Load(), soldOut.Load(), limited.Load())

	// The consumer places an order per unit (m_0007, if it got one, is
	// refused and its unit comes back).
	workers := flashq.NewWorkers(js, flash.PlaceOrder, nil)
	defer workers.Stop()
	if err := workers.Start(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := flash.Get(ctx, f.ID)
	wantOrders := 100
	if _, ok := perMember.Load("m_0007"); ok {
		wantOrders = 99
	}
	waitFor(t, "an order per unit", func() bool { return p.count() == wantOrders })
	if again, _ := flash.Get(ctx, f.ID); again.Reserved != int64(wantOrders) || got.Remaining > 1 {
		t.Fatalf("reserved %d after the refused member's unit came back", again.Reserved)
	}
	// Cancel ten orders: their units come back and sell again.
	var n int
	for order, ref := range p.orders {
		if n == 10 {
			break
		}
		var stored domain.Reservation
		waitFor(t, "the order placed", func() bool {
			stored, _, _, _ = acts.Reservations().Reservation(ctx, ref)
			return stored.Status == domain.ReservationOrdered
		})
		r, err := flash.Mine(ctx, stored.MemberID, ref)
		if err != nil || r.Status != domain.ReservationOrdered || r.OrderID != order {
			t.Fatalf("reservation %s: %+v %v", ref, r, err)
		}
		if err := p.checkout.Cancelled(ctx, r.MemberID, order); err != nil {
			t.Fatal(err)
		}
		if r, _ := flash.Mine(ctx, r.MemberID, ref); r.Status != domain.ReservationReleased {
			t.Fatalf("cancelled: %+v", r)
		}
		n++
	}
	after, _ := flash.Get(ctx, f.ID)
	if after.Remaining != int64(100-wantOrders+10) {
		t.Fatalf("remaining %d after ten cancellations", after.Remaining)
	}
	for i := range after.Remaining {
		if _, err := flash.Reserve(ctx, fmt.Sprintf("late_%d", i), f.ID, "", addr); err != nil {
			t.Fatalf("a freed unit sells again: %v", err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the sold-out memory lapses; the stream still says no
	if _, err := flash.Reserve(ctx, "late_x", f.ID, "", addr); fault.ReasonOf(err) != domain.ReasonFlashSoldOut {
		t.Fatalf("sold out again: %v", err)
	}
	if _, err := flash.Mine(ctx, "m_stranger", domain.ReservationID(f.ID, 1)); fault.ReasonOf(err) != domain.ReasonReservationNotFound {
		t.Fatalf("another member's reservation: %v", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
