package app_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/memstore"
)

type world struct {
	store    *memstore.Store
	shop     *shop
	pay      *sandbox
	clk      *clock.Fake
	carts    *app.Carts
	checkout *app.Checkout
	orders   *app.Orders
	payments *app.Payments
	sweeper  *app.Sweeper
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{store: memstore.New(), shop: newShop(), pay: newSandbox(), clk: clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))}
	set := app.DefaultSettings()
	w.carts = app.NewCarts(w.store, w.shop, w.clk)
	w.checkout = app.NewCheckout(w.store, w.store, w.store, w.shop, w.shop, w.shop, domain.NoPromotions{}, set, w.clk)
	app.SettleWithin(w.checkout, 5*time.Second)
	w.orders = app.NewOrders(w.store, w.shop, w.shop, domain.NoPromotions{}, set.Timing, w.clk)
	w.payments = app.NewPayments(w.store, w.shop, w.shop, []app.Provider{w.pay}, set.Timing, w.clk)
	w.sweeper = app.NewSweeper(w.store, w.shop, w.shop, domain.NoPromotions{}, w.payments, set.Timing, w.clk)
	return w
}

var addr = domain.Address{Name: "张三", Phone: "13800138000", Province: "上海市", City: "上海市", District: "浦东新区", Detail: "世纪大道 1 号"}

func (w *world) quote(t *testing.T, member string, points int64, lines ...[3]any) app.Quote {
	t.Helper()
	ctx := context.Background()
	for _, l := range lines {
		if _, err := w.carts.Add(ctx, member, l[0].(string), l[1].(string), int64(l[2].(int))); err != nil {
			t.Fatal(err)
		}
	}
	q, err := w.checkout.Quote(ctx, app.QuoteInput{MemberID: member, Address: addr, PointsToUse: points})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (w *world) notify(t *testing.T, o domain.Order, fen int64) error {
	t.Helper()
	_, err := w.payments.HandleNotification(context.Background(), "sandbox", http.Header{"X-Signature": {"ok"}}, fmt.Appendf(nil, "%s:%d", app.PaymentID(o.ID, "sandbox"), fen))
	return err
}

func wantReason(t *testing.T, err error, r fault.Reason) {
	t.Helper()
	if fault.ReasonOf(err) != r {
		t.Fatalf("want %s, got %v", r, err)
	}
}

func TestHappyPathThroughTheLifecycle(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.shop.points["m1"] = 1000
	w.shop.permille = 50
	q := w.quote(t, "m1", 500, [3]any{"p1", "s1", 2}, [3]any{"p2", "s3", 1})
	// 2×3000 + 1990 = 7990; 5% level = 399; points 500; 7591 < 9900 so 10 yuan shipping.
	if q.Pricing.GoodsFen() != 7990 || q.Pricing.DiscountFen(domain.SourceMemberLevel) != 399 || q.Pricing.PointsUsed != 500 || q.Pricing.ShippingFen != 1000 || q.Pricing.TotalFen() != 7990-399-500+1000 {
		t.Fatalf("quote %+v", q.Pricing)
	}
	o, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID, Channel: "h5"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != domain.StatusPendingPayment || o.TotalFen != q.Pricing.TotalFen() || w.shop.available("s1") != 98 || w.shop.balance("m1") != 500 {
		t.Fatalf("placed %+v stock %d points %d", o.Status, w.shop.available("s1"), w.shop.balance("m1"))
	}
	if c, _ := w.carts.Get(ctx, "m1"); len(c.Lines) != 0 {
		t.Errorf("ordered lines leave the cart: %+v", c.Lines)
	}
	if _, err := w.payments.Pay(ctx, "m2", o.ID, "sandbox", ""); fault.ReasonOf(err) != domain.ReasonOrderNotFound {
		t.Errorf("paying another member's order: %v", err)
	}
	res, err := w.payments.Pay(ctx, "m1", o.ID, "", "")
	if err != nil || res.AmountFen != o.TotalFen || res.PaymentID != app.PaymentID(o.ID, "sandbox") {
		t.Fatalf("pay: %+v %v", res, err)
	}
	if _, err := w.payments.HandleNotification(ctx, "sandbox", http.Header{}, []byte(res.PaymentID+":1")); fault.ReasonOf(err) != domain.ReasonNotificationInvalid {
		t.Errorf("bad signature: %v", err)
	}
	wantReason(t, w.notify(t, o, o.TotalFen-1), domain.ReasonPaymentAmountMismatch)
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatal(err)
	}
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatalf("a replay is acknowledged: %v", err)
	}
	if !w.shop.spent[o.ID] {
		t.Error("the frozen points are spent on payment")
	}
	if _, err := w.orders.ConfirmReceipt(ctx, "m1", o.ID); fault.ReasonOf(err) != domain.ReasonIllegalTransition {
		t.Errorf("receipt before shipping: %v", err)
	}
	if _, err := w.orders.Ship(ctx, o.ID, "shunfeng", "SF1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.orders.Ship(ctx, o.ID, "shunfeng", "SF1", nil); err != nil {
		t.Errorf("shipping again with the same number: %v", err)
	}
	if _, err := w.orders.ConfirmReceipt(ctx, "m2", o.ID); fault.ReasonOf(err) != domain.ReasonOrderNotFound {
		t.Errorf("another member confirming: %v", err)
	}
	got, err := w.orders.ConfirmReceipt(ctx, "m1", o.ID)
	if err != nil || got.Status != domain.StatusReceived {
		t.Fatal(got.Status, err)
	}
	w.clk.Advance(7*24*time.Hour + time.Second)
	if n, err := w.sweeper.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("completion: %d %v", n, err)
	}
	got, _ = w.orders.Mine(ctx, "m1", o.ID)
	if got.Status != domain.StatusCompleted {
		t.Fatal(got.Status)
	}
	want := []string{"created", "paid", "shipped", "received", "completed"}
	if fmt.Sprint(w.store.Subjects()) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", w.store.Subjects(), want)
	}
}

func TestRequestIDIsIdempotent(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 1})
	q2, _ := w.checkout.Quote(ctx, app.QuoteInput{MemberID: "m1", Address: addr})
	var wg sync.WaitGroup
	ids := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "same", QuoteID: q.ID})
			ids[i], errs[i] = o.ID, err
		}()
	}
	wg.Wait()
	for i := range 50 {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("repeat %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
		}
	}
	if n := w.store.Count(domain.StatusPendingPayment); n != 1 || w.shop.available("s1") != 99 {
		t.Fatalf("%d orders, stock %d", n, w.shop.available("s1"))
	}
	_, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "same", QuoteID: q2.ID})
	wantReason(t, err, domain.ReasonRequestIDReused)
	// Another member's quote is not found, and their request ids are their own.
	_, err = w.checkout.Place(ctx, app.PlaceInput{MemberID: "m2", RequestID: "same", QuoteID: q.ID})
	wantReason(t, err, domain.ReasonQuoteNotFound)
}

func TestNoOversellUnderConcurrentBuyers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var quotes []app.Quote
	for i := range 200 {
		quotes = append(quotes, w.quote(t, fmt.Sprint("m", i), 0, [3]any{"p2", "s3", 1}))
	}
	var ok, out, other atomic.Int64
	var wg sync.WaitGroup
	for i, q := range quotes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: fmt.Sprint("m", i), RequestID: "r", QuoteID: q.ID})
			switch fault.ReasonOf(err) {
			case "":
				ok.Add(1)
			case domain.ReasonOutOfStock:
				out.Add(1)
			default:
				other.Add(1)
				t.Log(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || out.Load() != 190 || other.Load() != 0 || w.shop.available("s3") != 0 {
		t.Fatalf("%d orders, %d OUT_OF_STOCK, %d other, stock %d", ok.Load(), out.Load(), other.Load(), w.shop.available("s3"))
	}
	// A repeat of a failed request answers the same failure.
	_, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m0", RequestID: "r", QuoteID: quotes[0].ID})
	if err != nil && fault.ReasonOf(err) != domain.ReasonOutOfStock {
		t.Fatal(err)
	}
}

func TestPriceChangeAndExpiry(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 1})
	w.shop.setPrice("s1", 2900)
	_, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	wantReason(t, err, domain.ReasonPriceChanged)
	_, err = w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	wantReason(t, err, domain.ReasonPriceChanged) // the first answer again
	if w.shop.available("s1") != 100 {
		t.Error("nothing stays reserved")
	}
	q, _ = w.checkout.Quote(ctx, app.QuoteInput{MemberID: "m1", Address: addr})
	w.clk.Advance(11 * time.Minute)
	_, err = w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r2", QuoteID: q.ID})
	wantReason(t, err, domain.ReasonQuoteExpired)
	w.shop.blocked["m1"] = true
	_, err = w.checkout.Quote(ctx, app.QuoteInput{MemberID: "m1", Address: addr})
	wantReason(t, err, domain.ReasonMemberBlocked)
}

func TestFailedStepsCompensate(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.shop.points["m1"] = 300
	q := w.quote(t, "m1", 300, [3]any{"p1", "s1", 1})
	w.shop.points["m1"] = 100 // spent elsewhere since the quote
	_, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	wantReason(t, err, domain.ReasonPointsInsufficient)
	if w.shop.available("s1") != 100 || w.shop.balance("m1") != 100 {
		t.Fatalf("stock %d points %d after a failed freeze", w.shop.available("s1"), w.shop.balance("m1"))
	}
	w.shop.points["m1"] = 300
	w.shop.down = true
	q, _ = w.checkout.Quote(ctx, app.QuoteInput{MemberID: "m1", Address: addr, PointsToUse: 300})
	_, err = w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r2", QuoteID: q.ID})
	wantReason(t, err, domain.ReasonServiceBusy)
	if w.shop.balance("m1") != 300 {
		t.Fatal("points untouched when stock is unavailable")
	}
}

// A crash between any two steps of the saga leaves an order the sweeper
// gives up, with stock and points exactly as before.
func TestSweeperRepairsACrashAtEveryStep(t *testing.T) {
	for _, step := range []string{"inserted", "claimed", "reserved", "frozen"} {
		t.Run(step, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			w.shop.points["m1"] = 400
			q := w.quote(t, "m1", 400, [3]any{"p1", "s1", 2})
			app.CrashAfter(w.checkout, func(s string) bool { return s == step })
			if _, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID}); err != app.ErrCrashed {
				t.Fatal(err)
			}
			w.clk.Advance(2 * time.Minute)
			if _, err := w.sweeper.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := w.sweeper.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if w.shop.available("s1") != 100 || w.shop.balance("m1") != 400 {
				t.Fatalf("stock %d points %d", w.shop.available("s1"), w.shop.balance("m1"))
			}
			if w.store.Count(domain.StatusPlacing) != 0 {
				t.Fatal("a placing order is left")
			}
			if due, _ := w.store.Due(ctx, w.clk.Now().Add(time.Hour), 10); len(due) != 0 {
				t.Fatalf("still due: %+v", due)
			}
		})
	}
}

func TestDeadlineCancelsAndLatePaymentIsRefunded(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.shop.points["m1"] = 200
	q := w.quote(t, "m1", 200, [3]any{"p1", "s2", 1})
	o, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.payments.Pay(ctx, "m1", o.ID, "sandbox", ""); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(15 * time.Minute)
	if _, err := w.payments.Pay(ctx, "m1", o.ID, "sandbox", ""); fault.ReasonOf(err) != domain.ReasonPaymentDeadline {
		t.Errorf("paying after the deadline: %v", err)
	}
	if _, err := w.sweeper.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := w.orders.Mine(ctx, "m1", o.ID)
	if got.Status != domain.StatusCancelled || got.CancelledBy != "deadline" || w.shop.available("s2") != 100 || w.shop.balance("m1") != 200 {
		t.Fatalf("%s stock %d points %d", got.Status, w.shop.available("s2"), w.shop.balance("m1"))
	}
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatal(err)
	}
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatal(err)
	}
	if len(w.pay.refunds) != 1 || w.pay.refunds["r"+app.PaymentID(o.ID, "sandbox")] != o.TotalFen {
		t.Fatalf("late payment refunds: %v", w.pay.refunds)
	}
	got, _ = w.orders.Mine(ctx, "m1", o.ID)
	if got.Status != domain.StatusCancelled || got.LateRefundID == "" {
		t.Fatalf("late payment: %s %q", got.Status, got.LateRefundID)
	}
}

func TestReconciliationFindsAPaymentWithoutCallback(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 1})
	o, _ := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	res, _ := w.payments.Pay(ctx, "m1", o.ID, "sandbox", "")
	w.pay.paid[res.PaymentID] = o.TotalFen
	w.clk.Advance(16 * time.Minute)
	if _, err := w.sweeper.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.orders.Mine(ctx, "m1", o.ID); got.Status != domain.StatusPaid {
		t.Fatalf("reconciled order is %s", got.Status)
	}
}

func TestShopperCancelAndOwnership(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 3})
	o, _ := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	if _, err := w.orders.Mine(ctx, "m2", o.ID); fault.ReasonOf(err) != domain.ReasonOrderNotFound {
		t.Errorf("another member's order: %v", err)
	}
	if _, err := w.orders.Cancel(ctx, "m2", o.ID, "shopper", ""); fault.ReasonOf(err) != domain.ReasonOrderNotFound {
		t.Errorf("cancelling another member's order: %v", err)
	}
	for range 2 {
		got, err := w.orders.Cancel(ctx, "m1", o.ID, "shopper", "不想要了")
		if err != nil || got.Status != domain.StatusCancelled || w.shop.available("s1") != 100 {
			t.Fatalf("cancel: %s %v stock %d", got.Status, err, w.shop.available("s1"))
		}
	}
	if _, err := w.orders.Ship(ctx, o.ID, "sf", "1", nil); fault.ReasonOf(err) != domain.ReasonIllegalTransition {
		t.Errorf("shipping a cancelled order: %v", err)
	}
	list, _ := w.orders.List(ctx, domain.OrderFilter{MemberID: "m1"}, "", 10)
	if len(list) != 1 {
		t.Errorf("list: %d", len(list))
	}
	if list, _ := w.orders.List(ctx, domain.OrderFilter{MemberID: "m2"}, "", 10); len(list) != 0 {
		t.Error("another member sees no orders")
	}
}

func TestCartView(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.carts.Add(ctx, "m1", "p1", "nope", 1); fault.ReasonOf(err) != domain.ReasonSKUNotFound {
		t.Errorf("unknown SKU: %v", err)
	}
	v, err := w.carts.Add(ctx, "m1", "p2", "s3", 11)
	if err != nil || v.Lines[0].Problem != domain.ReasonOutOfStock || v.SelectedFen != 0 {
		t.Fatalf("%+v %v", v, err)
	}
	v, _ = w.carts.Update(ctx, "m1", "s3", 2)
	if v.Lines[0].Problem != "" || v.SelectedFen != 3980 || v.SelectedQuantity != 2 {
		t.Fatalf("%+v", v)
	}
	v, left, err := w.carts.Merge(ctx, "m1", []domain.CartLine{{ProductID: "p1", SKUID: "s1", Quantity: 1}})
	if err != nil || len(left) != 0 || len(v.Lines) != 2 {
		t.Fatal(v, left, err)
	}
}

// Two instances sweeping the same orders at once: each due order is acted
// on exactly once (one event each), and stock and points come back once.
func TestTwoSweepersActOnceEach(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var ids []string
	for i := range 20 {
		m := fmt.Sprint("m", i)
		w.shop.points[m] = 100
		q := w.quote(t, m, 100, [3]any{"p1", "s1", 1})
		o, err := w.checkout.Place(ctx, app.PlaceInput{MemberID: m, RequestID: "r", QuoteID: q.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	other := app.NewSweeper(w.store, w.shop, w.shop, domain.NoPromotions{}, w.payments, app.DefaultSettings().Timing, w.clk)
	w.clk.Advance(16 * time.Minute)
	var wg sync.WaitGroup
	for _, s := range []*app.Sweeper{w.sweeper, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := s.Sweep(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	cancelled := 0
	for _, s := range w.store.Subjects() {
		if s == "cancelled" {
			cancelled++
		}
	}
	if cancelled != 20 || w.store.Count(domain.StatusCancelled) != 20 || w.shop.available("s1") != 100 {
		t.Fatalf("%d cancelled events, %d cancelled orders, stock %d", cancelled, w.store.Count(domain.StatusCancelled), w.shop.available("s1"))
	}
	for i := range 20 {
		if b := w.shop.balance(fmt.Sprint("m", i)); b != 100 {
			t.Fatalf("member %d has %d points", i, b)
		}
	}
}

func TestRefundBeforeShipping(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.shop.points["m1"] = 100
	q := w.quote(t, "m1", 100, [3]any{"p1", "s1", 3})
	o, _ := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	if _, err := w.orders.Ship(ctx, o.ID, "sf", "1", nil); fault.ReasonOf(err) != domain.ReasonIllegalTransition {
		t.Fatal("unpaid orders do not ship")
	}
	if _, err := w.payments.Refund(ctx, o.ID, "x1", nil, "缺货"); fault.ReasonOf(err) != domain.ReasonIllegalTransition {
		t.Fatalf("refunding an unpaid order: %v", err)
	}
	_, _ = w.payments.Pay(ctx, "m1", o.ID, "sandbox", "")
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatal(err)
	}
	if _, err := w.payments.Refund(ctx, o.ID, "x1", nil, ""); fault.ReasonOf(err) != domain.ReasonArgumentInvalid {
		t.Fatalf("a refund needs a reason: %v", err)
	}
	if _, err := w.payments.Refund(ctx, o.ID, "", nil, "缺货"); fault.ReasonOf(err) != domain.ReasonRequestIDRequired {
		t.Fatalf("a refund needs a request id: %v", err)
	}
	line := o.Lines[0].LineID
	// One unit, twice with the same request id: refunded once.
	for range 2 {
		got, err := w.payments.Refund(ctx, o.ID, "one", map[string]int64{line: 1}, "少发一件")
		if err != nil || got.Status != domain.StatusPaid || got.Lines[0].RefundedQty != 1 || got.NeedsRestock() {
			t.Fatalf("partial refund: %+v %v", got, err)
		}
	}
	if w.shop.available("s1") != 98 || len(w.pay.refunds) != 1 {
		t.Fatalf("stock %d refunds %v", w.shop.available("s1"), w.pay.refunds)
	}
	got, err := w.payments.Refund(ctx, o.ID, "rest", nil, "缺货")
	if err != nil || got.Status != domain.StatusRefunded || got.RefundFen != o.TotalFen || got.NeedsRestock() {
		t.Fatalf("refund the rest: %+v %v", got, err)
	}
	var refunded int64
	for _, fen := range w.pay.refunds {
		refunded += fen
	}
	if len(w.pay.refunds) != 2 || refunded != o.TotalFen || w.shop.available("s1") != 100 {
		t.Fatalf("refunds %v (of %d) stock %d", w.pay.refunds, o.TotalFen, w.shop.available("s1"))
	}
	if _, err := w.orders.Ship(ctx, o.ID, "sf", "1", nil); fault.ReasonOf(err) != domain.ReasonIllegalTransition {
		t.Fatal("a refunded order does not ship")
	}
	subjects := w.store.Subjects()
	if n := len(subjects); subjects[n-1] != "refunded" || subjects[n-2] != "refunded" {
		t.Fatalf("events %v", subjects)
	}
}

// An unpaid order whose provider cannot be asked waits a while at its
// deadline, then is cancelled anyway (a late payment is refunded).
func TestUnreachableProviderDelaysCancellation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 1})
	o, _ := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	if _, err := w.payments.Pay(ctx, "m1", o.ID, "sandbox", ""); err != nil {
		t.Fatal(err)
	}
	w.pay.down = true
	w.clk.Advance(16 * time.Minute)
	if _, err := w.sweeper.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports the provider")
	}
	if got, _ := w.orders.Mine(ctx, "m1", o.ID); got.Status != domain.StatusPendingPayment {
		t.Fatalf("cancelled while the provider could not be asked: %s", got.Status)
	}
	w.clk.Advance(10 * time.Minute)
	if _, err := w.sweeper.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.orders.Mine(ctx, "m1", o.ID); got.Status != domain.StatusCancelled || w.shop.available("s1") != 100 {
		t.Fatalf("%s, stock %d", got.Status, w.shop.available("s1"))
	}
}

// A payment so late that the order's reserved units may have expired is
// refunded, not applied.
func TestPaymentPastTheStockHoldIsRefunded(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := w.quote(t, "m1", 0, [3]any{"p1", "s1", 1})
	o, _ := w.checkout.Place(ctx, app.PlaceInput{MemberID: "m1", RequestID: "r1", QuoteID: q.ID})
	if _, err := w.payments.Pay(ctx, "m1", o.ID, "sandbox", ""); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(15*time.Minute + 16*time.Minute)
	if err := w.notify(t, o, o.TotalFen); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.orders.Mine(ctx, "m1", o.ID); got.Status != domain.StatusPendingPayment || got.LateRefundID == "" || len(w.pay.refunds) != 1 {
		t.Fatalf("%s %q %v", got.Status, got.LateRefundID, w.pay.refunds)
	}
}
