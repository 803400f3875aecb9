package domain

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestExpiryFor(t *testing.T) {
	cases := []struct {
		earned string
		years  int
		want   string
	}{
		{"2026-03-01 10:00", 1, "2028-01-01 00:00"},
		{"2026-12-31 23:59", 1, "2028-01-01 00:00"},
		{"2027-01-01 00:00", 1, "2029-01-01 00:00"}, // 2026-12-31 16:00 UTC: already 2027 in Shanghai
		{"2026-06-15 12:00", 0, "2027-01-01 00:00"},
		{"2026-06-15 12:00", 3, "2030-01-01 00:00"},
	}
	for _, c := range cases {
		if got := ExpiryFor(cst(c.earned), c.years); !got.Equal(cst(c.want)) {
			t.Errorf("ExpiryFor(%s, %d) = %s, want %s CST", c.earned, c.years, got.In(Shanghai), c.want)
		}
	}
}

func earn(t *testing.T, a *Account, now time.Time, src string, pts int64, exp time.Time) {
	t.Helper()
	if ok, err := a.Earn(now, src, pts, exp, EntryEarn, "test", ""); err != nil || !ok {
		t.Fatalf("earn %s: %v %v", src, ok, err)
	}
}

func TestSpendTakesLotsExpiringFirst(t *testing.T) {
	now := cst("2026-05-01 10:00")
	a := &Account{MemberID: "m"}
	earn(t, a, now, "late", 10, cst("2028-01-01 00:00"))
	earn(t, a, now.Add(time.Hour), "early", 5, cst("2027-01-01 00:00"))
	earn(t, a, now.Add(2*time.Hour), "late2", 10, cst("2028-01-01 00:00"))
	if _, err := a.Spend(now, "s1", 8, EntrySpend, "redeem", ""); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"early": 0, "late": 7, "late2": 10}
	for _, l := range a.Lots {
		if l.Remaining != want[l.Source] {
			t.Errorf("lot %s remaining %d, want %d", l.Source, l.Remaining, want[l.Source])
		}
	}
	if a.Available() != 17 {
		t.Errorf("available %d, want 17", a.Available())
	}
	// Repeating a spend with its source id changes nothing.
	if ok, err := a.Spend(now, "s1", 8, EntrySpend, "redeem", ""); ok || err != nil || a.Available() != 17 {
		t.Errorf("repeat spend: applied=%v err=%v available=%d", ok, err, a.Available())
	}
	if _, err := a.Spend(now, "s2", 18, EntrySpend, "redeem", ""); !errors.Is(err, ErrPointsInsufficient) {
		t.Errorf("overspend: %v", err)
	}
	if ok, _ := a.Earn(now, "late", 10, cst("2028-01-01 00:00"), EntryEarn, "again", ""); ok {
		t.Error("earning twice from one source")
	}
}

func TestHolds(t *testing.T) {
	now := cst("2026-05-01 10:00")
	a := &Account{MemberID: "m"}
	earn(t, a, now, "g", 100, cst("2028-01-01 00:00"))
	steps := []struct {
		name          string
		op            func() error
		avail, frozen int64
		wantErr       error
	}{
		{"freeze 30", func() error { _, _, err := a.Freeze(now, "o1", 30); return err }, 70, 30, nil},
		{"freeze again same amount", func() error { _, _, err := a.Freeze(now, "o1", 30); return err }, 70, 30, nil},
		{"freeze again other amount", func() error { _, _, err := a.Freeze(now, "o1", 31); return err }, 70, 30, ErrHoldMismatch},
		{"freeze too much", func() error { _, _, err := a.Freeze(now, "o2", 71); return err }, 70, 30, ErrPointsInsufficient},
		{"freeze zero", func() error { _, _, err := a.Freeze(now, "o2", 0); return err }, 70, 30, ErrPointsInvalid},
		{"freeze without order", func() error { _, _, err := a.Freeze(now, "", 1); return err }, 70, 30, ErrOrderIDRequired},
		{"confirm o1", func() error { _, _, err := a.Confirm(now, "o1"); return err }, 70, 0, nil},
		{"confirm o1 again", func() error { _, _, err := a.Confirm(now, "o1"); return err }, 70, 0, nil},
		{"release confirmed", func() error { _, _, err := a.Release(now, "o1"); return err }, 70, 0, ErrHoldConfirmed},
		{"confirm unknown", func() error { _, _, err := a.Confirm(now, "nope"); return err }, 70, 0, ErrHoldNotFound},
		{"freeze o2", func() error { _, _, err := a.Freeze(now, "o2", 20); return err }, 50, 20, nil},
		{"release o2", func() error { _, _, err := a.Release(now, "o2"); return err }, 70, 0, nil},
		{"release o2 again", func() error { _, _, err := a.Release(now, "o2"); return err }, 70, 0, nil},
		{"confirm released", func() error { _, _, err := a.Confirm(now, "o2"); return err }, 70, 0, ErrHoldReleased},
	}
	for _, s := range steps {
		err := s.op()
		if !errors.Is(err, s.wantErr) {
			t.Errorf("%s: err %v, want %v", s.name, err, s.wantErr)
		}
		if a.Available() != s.avail || a.Frozen() != s.frozen {
			t.Errorf("%s: available %d frozen %d, want %d %d", s.name, a.Available(), a.Frozen(), s.avail, s.frozen)
		}
	}
}

func TestExpire(t *testing.T) {
	a := &Account{MemberID: "m"}
	earn(t, a, cst("2025-03-01 10:00"), "old", 40, ExpiryFor(cst("2025-03-01 10:00"), 1))
	earn(t, a, cst("2026-03-01 10:00"), "new", 60, ExpiryFor(cst("2026-03-01 10:00"), 1))
	if _, _, err := a.Freeze(cst("2026-03-02 10:00"), "o1", 30); err != nil {
		t.Fatal(err)
	}
	if at, pts := a.NextExpiry(); !at.Equal(cst("2027-01-01 00:00")) || pts != 10 {
		t.Errorf("next expiry %s %d", at.In(Shanghai), pts)
	}
	if got := a.Expire(cst("2026-12-31 23:59")); len(got) != 0 {
		t.Errorf("expired a minute early: %v", got)
	}
	got := a.Expire(cst("2027-01-01 00:00"))
	if len(got) != 1 || got[0].Delta != -10 || a.Available() != 60 {
		t.Fatalf("expire: %+v available %d", got, a.Available())
	}
	// Releasing the hold gives 30 back to the lot that already expired: the
	// next expiry run writes them off; the balance is never overstated for long.
	if _, _, err := a.Release(cst("2027-01-02 00:00"), "o1"); err != nil {
		t.Fatal(err)
	}
	a.Expire(cst("2027-01-02 00:00"))
	if a.Available() != 60 || a.Frozen() != 0 {
		t.Errorf("after release and expiry: available %d frozen %d, want 60 0", a.Available(), a.Frozen())
	}
}

func TestRefundIsProportionalAndAddsUp(t *testing.T) {
	now := cst("2026-05-01 10:00")
	exp := ExpiryFor(now, 1)
	a := &Account{MemberID: "m"}
	earn(t, a, now, "g", 100, exp)
	if _, _, err := a.Freeze(now, "o1", 50); err != nil {
		t.Fatal(err)
	}
	// Paid 99.99 yuan: 99 points and 99 growth; the paid event confirms the hold.
	if ok, err := a.PaidOrder(now, "o1", 9999, 99, 99, exp); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if a.Frozen() != 0 || a.Available() != 149 || a.Growth != 99 {
		t.Fatalf("after paid: available %d frozen %d growth %d", a.Available(), a.Frozen(), a.Growth)
	}
	if ok, _ := a.PaidOrder(now, "o1", 9999, 99, 99, exp); ok {
		t.Error("paid twice")
	}
	steps := []struct {
		refundID      string
		fen           int64
		avail, growth int64
	}{
		// 3000/9999 of 99 earned = 29 back; of 50 spent = 15 returned.
		{"r1", 3000, 149 - 29 + 15, 99 - 29},
		{"r1", 3000, 149 - 29 + 15, 99 - 29}, // a repeat changes nothing
		// cumulative 6999/9999: 69 earned and 34 spent in all.
		{"r2", 3999, 149 - 69 + 34, 99 - 69},
		// the rest: everything.
		{"r3", 3000, 149 - 99 + 50, 0},
		// more than paid: nothing left to move.
		{"r4", 100, 100, 0},
	}
	for _, s := range steps {
		if _, err := a.RefundOrder(now, "o1", s.refundID, s.fen, 9999); err != nil {
			t.Fatal(err)
		}
		if a.Available() != s.avail || a.Growth != s.growth {
			t.Errorf("after %s: available %d growth %d, want %d %d", s.refundID, a.Available(), a.Growth, s.avail, s.growth)
		}
	}
	if _, err := a.RefundOrder(now, "o1", "r5", 0, 9999); !errors.Is(err, ErrRefundInvalid) {
		t.Errorf("zero refund: %v", err)
	}
}

func TestRefundNeverGoesNegative(t *testing.T) {
	now := cst("2026-05-01 10:00")
	exp := ExpiryFor(now, 1)
	a := &Account{MemberID: "m"}
	if _, err := a.PaidOrder(now, "o1", 10000, 100, 100, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Spend(now, "gift", 80, EntrySpend, "gift", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RefundOrder(now, "o1", "r1", 10000, 10000); err != nil {
		t.Fatal(err)
	}
	if a.Available() != 0 {
		t.Errorf("available %d, want 0 (20 taken back, 80 forgiven)", a.Available())
	}
}

// TestLedgerInvariants runs random operations: the balance is never
// negative, every entry's balance is the running sum of the deltas, and
// available plus frozen equals earned minus spent minus expired.
func TestLedgerInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := &Account{MemberID: "m"}
	now := cst("2026-01-01 10:00")
	orders := []string{}
	for i := range 3000 {
		now = now.Add(time.Duration(r.IntN(72)) * time.Hour)
		a.Expire(now)
		n := int64(r.IntN(50) + 1)
		switch r.IntN(8) {
		case 0:
			_, _ = a.Earn(now, "e"+itoa(i), n, ExpiryFor(now, r.IntN(2)), EntryEarn, "", "")
		case 1:
			_, _ = a.Spend(now, "s"+itoa(i), n, EntrySpend, "", "")
		case 2:
			o := "o" + itoa(i)
			if _, ok, _ := a.Freeze(now, o, n); ok {
				orders = append(orders, o)
			}
		case 3, 4:
			if len(orders) > 0 {
				o := orders[r.IntN(len(orders))]
				if r.IntN(2) == 0 {
					_, _, _ = a.Confirm(now, o)
				} else {
					_, _, _ = a.Release(now, o)
				}
			}
		case 5:
			_, _ = a.PaidOrder(now, "p"+itoa(i), n*100, n, n, ExpiryFor(now, 1))
		case 6:
			if len(orders) > 0 {
				_, _ = a.RefundOrder(now, orders[r.IntN(len(orders))], "r"+itoa(i), n*10, 500)
			}
		case 7:
			_, _ = a.Adjust(now, "a"+itoa(i), n-25, ExpiryFor(now, 1), "ops", "admin")
		}
		var sum, fsum int64
		for _, e := range a.Entries {
			sum += e.Delta
			fsum += e.FrozenDelta
		}
		if a.Available() < 0 || a.Frozen() < 0 {
			t.Fatalf("step %d: negative balance %d/%d", i, a.Available(), a.Frozen())
		}
		if sum != a.Available() || fsum != a.Frozen() {
			t.Fatalf("step %d: entries sum %d/%d, balance %d/%d", i, sum, fsum, a.Available(), a.Frozen())
		}
		if n := len(a.Entries); n > 0 && (a.Entries[n-1].Available != a.Available() || a.Entries[n-1].Frozen != a.Frozen()) {
			t.Fatalf("step %d: last entry %+v disagrees with balance %d/%d", i, a.Entries[n-1], a.Available(), a.Frozen())
		}
	}
}

func itoa(i int) string { return time.Duration(i).String() }

func TestSignInStreaks(t *testing.T) {
	s := DefaultSettings()
	a := &Account{MemberID: "m"}
	steps := []struct {
		at      string
		streak  int
		points  int64
		already bool
	}{
		{"2026-11-01 08:00", 1, 5, false},
		{"2026-11-01 23:59", 1, 5, true}, // same Shanghai day
		{"2026-11-02 00:01", 2, 5, false},
		{"2026-11-03 12:00", 3, 5, false},
		{"2026-11-04 12:00", 4, 5, false},
		{"2026-11-05 12:00", 5, 5, false},
		{"2026-11-06 12:00", 6, 5, false},
		{"2026-11-07 12:00", 7, 25, false}, // day 7: bonus
		{"2026-11-08 12:00", 8, 5, false},
		{"2026-11-10 12:00", 1, 5, false}, // missed the 9th
	}
	for _, st := range steps {
		got, err := a.CheckIn(cst(st.at), s)
		if err != nil {
			t.Fatal(err)
		}
		if got.Streak != st.streak || got.Points != st.points || got.Already != st.already {
			t.Errorf("%s: %+v, want streak %d points %d already %v", st.at, got, st.streak, st.points, st.already)
		}
	}
	if a.Available() != 5*9+20 {
		t.Errorf("available %d, want %d", a.Available(), 5*9+20)
	}
	month, days, streak, today := a.Calendar(cst("2026-11-10 20:00"))
	if month != "2026-11" || len(days) != 9 || streak != 1 || !today {
		t.Errorf("calendar: %s %v %d %v", month, days, streak, today)
	}
	if _, _, streak, today := a.Calendar(cst("2026-11-12 20:00")); streak != 0 || today {
		t.Errorf("calendar after a missed day: streak %d today %v", streak, today)
	}
	if _, days, _, _ := a.Calendar(cst("2026-12-01 08:00")); len(days) != 0 {
		t.Errorf("December calendar shows %v", days)
	}
}

func TestTiers(t *testing.T) {
	tiers := DefaultSettings().Tiers
	cases := []struct {
		growth int64
		tier   string
		next   string
	}{{0, "regular", "silver"}, {999, "regular", "silver"}, {1000, "silver", "gold"}, {19999, "gold", "diamond"}, {1 << 40, "diamond", ""}}
	for _, c := range cases {
		cur, next := TierFor(tiers, c.growth)
		nextID := ""
		if next != nil {
			nextID = next.ID
		}
		if cur.ID != c.tier || nextID != c.next {
			t.Errorf("growth %d: %s→%s, want %s→%s", c.growth, cur.ID, nextID, c.tier, c.next)
		}
	}
	bad := [][]Tier{
		nil,
		{{ID: "a", Name: "A", GrowthThreshold: 5}},
		{{ID: "a", Name: "A"}, {ID: "a", Name: "B", GrowthThreshold: 5}},
		{{ID: "a", Name: "A"}, {ID: "b", Name: "A", GrowthThreshold: 5}},
		{{ID: "a", Name: "A"}, {ID: "b", Name: "B", GrowthThreshold: 0}},
		{{ID: "a", Name: "A", DiscountPermille: 1001}},
		{{ID: "Bad Id", Name: "A"}},
	}
	for i, ts := range bad {
		if err := ValidateTiers(ts); !errors.Is(err, ErrTiersInvalid) {
			t.Errorf("bad tiers %d accepted", i)
		}
	}
	if err := ValidateTiers(tiers); err != nil {
		t.Errorf("default tiers: %v", err)
	}
	if _, _, moved := (&Account{Growth: 10}).Relevel(tiers); moved {
		t.Error("placing a new account in the lowest tier is not a change")
	}
	a := &Account{Growth: 1500}
	if from, to, moved := a.Relevel(tiers); !moved || from != "regular" || to != "silver" {
		t.Errorf("relevel: %s→%s %v", from, to, moved)
	}
	if _, _, moved := a.Relevel(tiers); moved {
		t.Error("relevel twice")
	}
}

func TestEarnedFor(t *testing.T) {
	cases := []struct{ fen, rate, want int64 }{{9999, 1000, 99}, {10000, 1000, 100}, {10000, 1500, 150}, {50, 1000, 0}, {-5, 1000, 0}, {10000, 0, 0}}
	for _, c := range cases {
		if got := EarnedFor(c.fen, c.rate); got != c.want {
			t.Errorf("EarnedFor(%d, %d) = %d, want %d", c.fen, c.rate, got, c.want)
		}
	}
}

// Events can arrive out of order (a payment's first delivery fails and is
// redelivered after the refund): the account must end where the ordered
// sequence ends.
func TestRefundBeforePaymentEndsTheSame(t *testing.T) {
	now := cst("2026-05-01 10:00")
	exp := ExpiryFor(now, 1)
	cases := []struct {
		name      string
		refundFen int64
	}{{"full refund", 10000}, {"partial refund", 2500}}
	for _, c := range cases {
		inOrder, early := &Account{MemberID: "m"}, &Account{MemberID: "m"}
		if _, err := inOrder.PaidOrder(now, "o1", 10000, 100, 100, exp); err != nil {
			t.Fatal(err)
		}
		if _, err := inOrder.RefundOrder(now, "o1", "r1", c.refundFen, 10000); err != nil {
			t.Fatal(err)
		}
		if _, err := early.RefundOrder(now, "o1", "r1", c.refundFen, 10000); err != nil {
			t.Fatal(err)
		}
		if _, err := early.PaidOrder(now, "o1", 10000, 100, 100, exp); err != nil {
			t.Fatal(err)
		}
		if early.Available() != inOrder.Available() || early.Growth != inOrder.Growth || len(early.Orders) != 1 {
			t.Errorf("%s: out of order %d points, %d growth, %d order records; in order %d points, %d growth",
				c.name, early.Available(), early.Growth, len(early.Orders), inOrder.Available(), inOrder.Growth)
		}
	}
}
