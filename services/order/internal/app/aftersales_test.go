package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// paidOrder places and pays 3 × s1 for m1 (no points).
func (w *world) paidOrder(t *testing.T) domain.Order {
	t.Helper()
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 3})
	o, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r-" + q.ID, QuoteID: q.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.payments.Pay(ctx, "m1", o.ID, "sandbox", ""); err != nil {
		t.Fatal(err)
	}
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatal(err)
	}
	o, _ = w.orders.Mine(ctx, "m1", o.ID)
	return o
}

func TestReturnAndRefund(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	as := app.NewAfterSales(w.store, w.payments, domain.DefaultTiming, w.clk)
	o := w.paidOrder(t)
	line := o.Lines[0].LineID
	if _, err := w.orders.Ship(ctx, o.ID, "shunfeng", "SF1", nil); err != nil {
		t.Fatal(err)
	}
	req := domain.AfterSaleRequest{RequestID: "q1", Kind: domain.KindReturnRefund, Reason: "尺码不合适", Lines: map[string]int64{line: 2}}
	_, err := as.Request(ctx, "m2", o.ID, req)
	wantReason(t, err, domain.ReasonOrderNotFound)
	a, err := as.Request(ctx, "m1", o.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	// Another member sees nothing of it.
	_, _, err = as.Mine(ctx, "m2", a.ID)
	wantReason(t, err, domain.ReasonAfterSaleNotFound)
	_, err = as.SendBack(ctx, "m2", a.ID, "SF", "R1")
	wantReason(t, err, domain.ReasonAfterSaleNotFound)
	_, err = as.Withdraw(ctx, "m2", a.ID)
	wantReason(t, err, domain.ReasonAfterSaleNotFound)

	if _, err := as.Decide(ctx, a.ID, domain.AfterSaleDecision{Approve: true, Note: "请寄回"}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.SendBack(ctx, "m1", a.ID, "SF", "R1"); err != nil {
		t.Fatal(err)
	}
	stock := w.shop.available("s1")
	got, err := as.ReceiveReturn(ctx, a.ID, "", "", "已验收")
	if err != nil || got.Status != domain.AfterSaleRefunded {
		t.Fatalf("%+v %v", got, err)
	}
	// 2 of 3 units: floor(payable·2/3).
	wantFen := o.Lines[0].PayableFen * 2 / 3
	if w.pay.refunds[o.ID+"-"+got.RefundID] != wantFen || got.RefundFen != wantFen {
		t.Fatalf("refunded %v, want %d", w.pay.refunds, wantFen)
	}
	if w.shop.available("s1") != stock+2 {
		t.Fatalf("returned units go back to stock: %d → %d", stock, w.shop.available("s1"))
	}
	again, err := as.ReceiveReturn(ctx, a.ID, "", "", "")
	if err != nil || again.Status != domain.AfterSaleRefunded || len(w.pay.refunds) != 1 || w.shop.available("s1") != stock+2 {
		t.Fatalf("a repeat refunds nothing more: %v %v", w.pay.refunds, err)
	}
}

func TestRefundOnlySurvivesAProviderOutage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	as := app.NewAfterSales(w.store, w.payments, domain.DefaultTiming, w.clk)
	o := w.paidOrder(t)
	stock := w.shop.available("s1")
	a, err := as.Request(ctx, "m1", o.ID, domain.AfterSaleRequest{RequestID: "q1", Kind: domain.KindRefundOnly, Reason: "不想要了", Lines: map[string]int64{o.Lines[0].LineID: 3}})
	if err != nil {
		t.Fatal(err)
	}
	w.pay.down = true
	got, err := as.Decide(ctx, a.ID, domain.AfterSaleDecision{Approve: true})
	if err != nil || got.Status != domain.AfterSaleRefunded {
		t.Fatalf("the refund is accepted while the provider is down: %+v %v", got, err)
	}
	cur, _ := w.orders.Any(ctx, o.ID)
	if cur.Status != domain.StatusRefunded || len(cur.Unsettled()) != 1 || w.shop.available("s1") != stock {
		t.Fatalf("recorded, not settled, not restocked: %s %+v", cur.Status, cur.Refunds)
	}
	if n, _ := w.sweeper.Sweep(ctx); n != 0 {
		t.Fatal("the sweeper waits out the backoff")
	}
	w.pay.down = false
	w.clk.Advance(3 * time.Minute)
	if _, err := w.sweeper.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ = w.orders.Any(ctx, o.ID)
	if len(cur.Unsettled()) != 0 || w.pay.refunds[o.ID+"-"+cur.Refunds[0].ID] != o.TotalFen || w.shop.available("s1") != stock+3 {
		t.Fatalf("settled by the sweeper: %+v %v stock %d", cur.Refunds, w.pay.refunds, w.shop.available("s1"))
	}
	if due, ok := cur.DueAction(w.clk.Now().Add(365 * 24 * time.Hour)); ok {
		t.Fatalf("nothing is left to do: %s", due)
	}
}

func TestConcurrentAfterSalesNeverOverClaim(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	as := app.NewAfterSales(w.store, w.payments, domain.DefaultTiming, w.clk)
	o := w.paidOrder(t)
	if _, err := w.orders.Ship(ctx, o.ID, "shunfeng", "SF1", nil); err != nil {
		t.Fatal(err)
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids []string
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := as.Request(ctx, "m1", o.ID, domain.AfterSaleRequest{RequestID: fmt.Sprint("q", i), Kind: domain.KindRefundOnly, Reason: "丢件",
				Lines: map[string]int64{o.Lines[0].LineID: 2}})
			if err == nil {
				mu.Lock()
				ids = append(ids, a.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 {
		t.Fatalf("3 units take one request for 2: %v", ids)
	}
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = as.Decide(ctx, ids[0], domain.AfterSaleDecision{Approve: true}) }()
	}
	wg.Wait()
	if len(w.pay.refunds) != 1 {
		t.Fatalf("ten approvals, one refund: %v", w.pay.refunds)
	}
}
