package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
	"siyu.dev/services/marketing/internal/mongostore"
)

// world is the use cases over the real embedded store.
type world struct {
	clk       *clock.Fake
	store     *mongostore.Store
	shop      *app.Shop
	admin     *app.Admin
	checkout  *app.Checkout
	discounts *app.Discounts
	welcome   *app.Welcome
	sweeper   *app.Sweeper
	events    *recorder
	segments  segments
}

type segments map[string][]string

func (s segments) Segment(_ context.Context, id string, each func(string) error) error {
	ids, ok := s[id]
	if !ok {
		return fault.New(fault.NotFound, "SEGMENT_NOT_FOUND", "no such segment")
	}
	for _, m := range ids {
		if err := each(m); err != nil {
			return err
		}
	}
	return nil
}

type recorder struct {
	mu  sync.Mutex
	ids []string
}

func (r *recorder) Publish(_ context.Context, e natsx.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, e.ID)
	return nil
}

var start = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	s := mongostore.New(testkit.DB(t))
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := &world{clk: clock.NewFake(start), store: s, events: &recorder{}, segments: segments{"vip": {"m_a", "m_b", "m_c"}}}
	set := app.Settings{RemindBefore: 48 * time.Hour}
	w.shop = app.NewShop(s.Templates(), s.Wallets(), s.Codes(), set, w.clk)
	acts := mongostore.NewActivities(testkit.DB(t))
	w.admin = app.NewAdmin(s.Templates(), s.Wallets(), s.Codes(), w.segments, acts.Results(), set, w.clk)
	w.discounts = app.NewDiscounts(acts.Discounts(), acts.Results(), w.clk)
	w.checkout = app.NewCheckout(s.Wallets(), acts.Holds(), w.discounts, acts.Results(), nil, set, w.clk)
	w.welcome = app.NewWelcome(s.Templates(), s.Wallets(), set, w.clk)
	w.sweeper = app.NewSweeper(s.Wallets(), w.events, set, w.clk, nil)
	return w
}

func (w *world) template(t *testing.T, f func(*domain.Template)) domain.Template {
	t.Helper()
	tpl := domain.Template{Name: "满100减20", Kind: domain.AmountOff, AmountOffFen: 2000, ThresholdFen: 10000, ValidDays: 7,
		PerMemberLimit: 1, TotalQuantity: 100, Claimable: true}
	if f != nil {
		f(&tpl)
	}
	tpl, err := w.admin.Create(context.Background(), tpl)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func wantReason(t *testing.T, err error, r fault.Reason) {
	t.Helper()
	if fault.ReasonOf(err) != r {
		t.Fatalf("got %v, want %s", err, r)
	}
}

// TestConcurrentClaimsNeverExceedQuantityOrLimit: 200 claims at once on a
// template of 50 give exactly 50, and one member racing 20 claims against
// a limit of 2 gets exactly 2.
func TestConcurrentClaimsNeverExceedQuantityOrLimit(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tpl := w.template(t, func(x *domain.Template) { x.TotalQuantity = 50 })
	var ok, soldOut atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.shop.Claim(ctx, fmt.Sprintf("m_%03d", i), tpl.ID, "")
			switch fault.ReasonOf(err) {
			case "":
				ok.Add(1)
			case domain.ReasonSoldOut:
				soldOut.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := w.admin.Get(ctx, tpl.ID)
	if ok.Load() != 50 || soldOut.Load() != 150 || got.Issued != 50 {
		t.Fatalf("claimed %d, sold out %d, issued %d; want 50, 150, 50", ok.Load(), soldOut.Load(), got.Issued)
	}

	two := w.template(t, func(x *domain.Template) { x.PerMemberLimit = 2 })
	ok.Store(0)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.shop.Claim(ctx, "m_greedy", two.ID, "")
			if err == nil {
				ok.Add(1)
			} else if fault.ReasonOf(err) != domain.ReasonLimitReached {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ = w.admin.Get(ctx, two.ID)
	mine, _ := w.shop.Mine(ctx, "m_greedy", "")
	if ok.Load() != 2 || len(mine) != 2 || got.Issued != 2 {
		t.Fatalf("claimed %d, holds %d, issued %d; want 2 (units taken for refused claims go back)", ok.Load(), len(mine), got.Issued)
	}
}

func TestClaimRules(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tpl := w.template(t, nil)
	c1, err := w.shop.Claim(ctx, "m_a", tpl.ID, "r1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.shop.Claim(ctx, "m_a", tpl.ID, "r1")
	if err != nil || again.ID != c1.ID {
		t.Fatalf("a repeated request answers the first coupon: %v %v", again.ID, err)
	}
	_, err = w.shop.Claim(ctx, "m_a", tpl.ID, "r2")
	wantReason(t, err, domain.ReasonLimitReached)
	hidden := w.template(t, func(x *domain.Template) { x.Claimable = false })
	_, err = w.shop.Claim(ctx, "m_a", hidden.ID, "")
	wantReason(t, err, domain.ReasonTemplateNotFound)
	_, err = w.shop.Claim(ctx, "m_a", "ct_nope", "")
	wantReason(t, err, domain.ReasonTemplateNotFound)
	ended := w.template(t, nil)
	if _, err := w.admin.End(ctx, ended.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.shop.Claim(ctx, "m_a", ended.ID, "")
	wantReason(t, err, domain.ReasonTemplateEnded)
	offers, _ := w.shop.Offers(ctx, "m_a", "", "")
	if len(offers) != 1 || offers[0].Template.ID != tpl.ID || offers[0].Held != 1 {
		t.Fatalf("the centre shows the open claimable template with what the member holds: %+v", offers)
	}
	if c1.ValidTo != start.AddDate(0, 0, 7) || c1.Rule.Name != "满100减20" {
		t.Fatalf("valid 7 days from the claim, with its rule: %+v", c1)
	}
}

// TestCheckoutLockUseReleaseReturn follows a coupon through orders: priced,
// locked by one order (a second order cannot), released on cancel, locked
// again, spent on payment, returned after a full refund.
func TestCheckoutLockUseReleaseReturn(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tpl := w.template(t, nil)
	c, _ := w.shop.Claim(ctx, "m_a", tpl.ID, "")
	lines := []domain.Line{{LineID: "sku1", PayableFen: 15000}}
	best, err := w.checkout.Price(ctx, app.PriceInput{MemberID: "m_a", Lines: lines, Best: true})
	if err != nil || !best.MemberLevel || len(best.Discounts) != 1 || best.Discounts[0].OffFen != 2000 || best.Discounts[0].ID != c.ID {
		t.Fatalf("best: %+v %v", best, err)
	}
	_, err = w.checkout.Price(ctx, app.PriceInput{MemberID: "m_a", Lines: []domain.Line{{LineID: "sku1", PayableFen: 5000}}, CouponIDs: []string{c.ID}})
	wantReason(t, err, domain.ReasonBelowThreshold)
	_, err = w.checkout.Price(ctx, app.PriceInput{MemberID: "m_b", Lines: lines, CouponIDs: []string{c.ID}})
	wantReason(t, err, domain.ReasonCouponNotFound) // another member's coupon
	_, err = w.checkout.Price(ctx, app.PriceInput{MemberID: "m_a", Lines: lines, CouponIDs: []string{c.ID}, Activity: app.Activity{Kind: domain.KindFlashSale, ID: "fs_1", Ref: "fs_1-r1"}})
	wantReason(t, err, domain.ReasonNotStackableWith) // the stacking table

	if err := w.checkout.Hold(ctx, "m_a", "o1", []string{c.ID}, app.Activity{}); err != nil {
		t.Fatal(err)
	}
	if err := w.checkout.Hold(ctx, "m_a", "o1", []string{c.ID}, app.Activity{}); err != nil {
		t.Fatalf("locking again for the same order is a no-op: %v", err)
	}
	wantReason(t, w.checkout.Hold(ctx, "m_a", "o2", []string{c.ID}, app.Activity{}), domain.ReasonCouponState)
	if err := w.checkout.Release(ctx, "m_a", "o1", app.Activity{}); err != nil {
		t.Fatal(err)
	}
	status := func() domain.CouponStatus {
		mine, _ := w.shop.Mine(ctx, "m_a", "")
		return mine[0].Status
	}
	if s := status(); s != domain.CouponUnused {
		t.Fatalf("released: %s", s)
	}
	if err := w.checkout.Hold(ctx, "m_a", "o2", []string{c.ID}, app.Activity{}); err != nil {
		t.Fatal(err)
	}
	_ = w.checkout.Release(ctx, "m_a", "o1", app.Activity{}) // a late release of the old order changes nothing
	if s := status(); s != domain.CouponLocked {
		t.Fatalf("still locked by o2: %s", s)
	}
	for range 2 {
		if err := w.checkout.Paid(ctx, "m_a", "o2", 13000, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := status(); s != domain.CouponUsed {
		t.Fatalf("paid: %s", s)
	}
	if err := w.checkout.Refunded(ctx, "m_a", "o2"); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != domain.CouponUnused {
		t.Fatalf("a full refund returns a valid coupon: %s", s)
	}
	w.clk.Advance(8 * 24 * time.Hour)
	if s := status(); s != domain.CouponExpired {
		t.Fatalf("past its time it shows expired: %s", s)
	}
}

// TestConcurrentLocksHoldOneOrder: 20 orders racing to lock one coupon;
// exactly one gets it.
func TestConcurrentLocksHoldOneOrder(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, _ := w.shop.Claim(ctx, "m_a", w.template(t, nil).ID, "")
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w.checkout.Hold(ctx, "m_a", fmt.Sprintf("o%d", i), []string{c.ID}, app.Activity{}) == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d orders locked the coupon", ok.Load())
	}
}

func TestIssueCodesAndGifts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tpl := w.template(t, func(x *domain.Template) { x.Claimable = false; x.TotalQuantity = 4 })
	r, err := w.admin.Issue(ctx, tpl.ID, "spring", []string{"m_a", "m_b"}, "")
	if err != nil || r.Issued != 2 {
		t.Fatalf("issue: %+v %v", r, err)
	}
	r, err = w.admin.Issue(ctx, tpl.ID, "spring", nil, "vip")
	if err != nil || r.Issued != 1 || r.Repeated != 2 {
		t.Fatalf("a retry gives nobody a second coupon, the segment's new member gets one: %+v %v", r, err)
	}
	_, err = w.admin.Issue(ctx, tpl.ID, "", []string{"m_a"}, "")
	wantReason(t, err, domain.ReasonRequestIDRequired)
	_, err = w.admin.CreateCodes(ctx, tpl.ID, 2)
	wantReason(t, err, domain.ReasonSoldOut) // 3 issued of 4
	codes, err := w.admin.CreateCodes(ctx, tpl.ID, 1)
	if err != nil || len(codes) != 1 {
		t.Fatal(err)
	}
	c, err := w.shop.Redeem(ctx, "m_d", codes[0])
	if err != nil {
		t.Fatal(err)
	}
	if again, err := w.shop.Redeem(ctx, "m_d", codes[0]); err != nil || again.ID != c.ID {
		t.Fatalf("redeeming one's own code again answers the same coupon: %v", err)
	}
	_, err = w.shop.Redeem(ctx, "m_e", codes[0])
	wantReason(t, err, domain.ReasonCodeUsed)
	_, err = w.shop.Redeem(ctx, "m_e", "NOSUCHCODE")
	wantReason(t, err, domain.ReasonCodeNotFound)

	gift := w.template(t, func(x *domain.Template) { x.Claimable, x.NewMemberGift = false, true })
	for range 2 {
		if err := w.welcome.Registered(ctx, "m_new"); err != nil {
			t.Fatal(err)
		}
	}
	mine, _ := w.shop.Mine(ctx, "m_new", "")
	if len(mine) != 1 || mine[0].TemplateID != gift.ID {
		t.Fatalf("one gift, even when the event comes twice: %+v", mine)
	}
	if err := w.welcome.Deleted(ctx, "m_new"); err != nil {
		t.Fatal(err)
	}
	if mine, _ := w.shop.Mine(ctx, "m_new", ""); len(mine) != 0 {
		t.Fatal("a deleted member's coupons are forgotten")
	}
}

// TestSweeperRemindsOnceAndExpires: the reminder goes out once, 48 hours
// before the end; after the end the coupon is EXPIRED in storage.
func TestSweeperRemindsOnceAndExpires(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, _ := w.shop.Claim(ctx, "m_a", w.template(t, nil).ID, "")
	sweep := func() int {
		n, err := w.sweeper.Sweep(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if sweep() != 0 || len(w.events.ids) != 0 {
		t.Fatal("nothing is due on the first day")
	}
	w.clk.Advance(5*24*time.Hour + time.Hour)
	sweep()
	sweep()
	if len(w.events.ids) != 1 || w.events.ids[0] != "expiring-"+c.ID {
		t.Fatalf("one reminder: %v", w.events.ids)
	}
	w.clk.Advance(2 * 24 * time.Hour)
	sweep()
	wl, _ := w.store.Wallets().Wallet(ctx, "m_a")
	if wl.Coupons[0].Status != domain.CouponExpired || len(w.events.ids) != 1 {
		t.Fatalf("expired in storage: %+v", wl.Coupons[0])
	}
	if sweep() != 0 {
		t.Fatal("an expired wallet is no longer due")
	}
}
