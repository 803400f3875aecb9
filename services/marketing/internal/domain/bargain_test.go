package domain

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

func validBargain() BargainActivity {
	return BargainActivity{
		ID: "ba1", ProductID: "p-0002", SKUID: "p-0002-m",
		ListPriceFen: 19900, FloorPriceFen: 100, HelpersNeeded: 5, TimeLimit: 24 * time.Hour,
		Start: gbStart, End: gbStart.Add(7 * 24 * time.Hour),
	}
}

func TestBargainValidation(t *testing.T) {
	with := func(f func(*BargainActivity)) BargainActivity { v := validBargain(); f(&v); return v }
	cases := []struct {
		name  string
		a     BargainActivity
		field string
	}{
		{"valid", validBargain(), ""},
		{"one fen per helper exactly", with(func(a *BargainActivity) { a.ListPriceFen, a.FloorPriceFen, a.HelpersNeeded = 101, 1, 100 }), ""},
		{"one helper", with(func(a *BargainActivity) { a.HelpersNeeded = 1 }), ""},
		{"no product", with(func(a *BargainActivity) { a.ProductID = "" }), "product_id"},
		{"no SKU", with(func(a *BargainActivity) { a.SKUID = "" }), "sku_id"},
		{"free at the floor", with(func(a *BargainActivity) { a.FloorPriceFen = 0 }), "floor_price_fen"},
		{"negative floor", with(func(a *BargainActivity) { a.FloorPriceFen = -5 }), "floor_price_fen"},
		{"list at the floor", with(func(a *BargainActivity) { a.ListPriceFen = a.FloorPriceFen }), "list_price_fen"},
		{"list too dear", with(func(a *BargainActivity) { a.ListPriceFen = maxAmountFen + 1 }), "list_price_fen"},
		{"no helpers", with(func(a *BargainActivity) { a.HelpersNeeded = 0 }), "helpers_needed"},
		{"101 helpers", with(func(a *BargainActivity) { a.HelpersNeeded = 101 }), "helpers_needed"},
		{"gap below one fen per helper", with(func(a *BargainActivity) { a.ListPriceFen, a.FloorPriceFen, a.HelpersNeeded = 100, 1, 100 }), "helpers_needed"},
		{"no time limit", with(func(a *BargainActivity) { a.TimeLimit = time.Minute }), "time_limit"},
		{"window backwards", with(func(a *BargainActivity) { a.Start, a.End = a.End, a.Start }), "window"},
	}
	for _, c := range cases {
		err := c.a.Validate()
		f, _ := fault.As(err)
		if (c.field == "" && err != nil) || (c.field != "" && (f == nil || f.Kind != fault.Invalid || f.Reason != ReasonActivityInvalid || f.Meta["field"] != c.field)) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}

func TestBargainRules(t *testing.T) {
	a := validBargain()
	rnd := rand.New(rand.NewPCG(1, 2))
	_, err := a.Begin("b1", "starter", gbStart.Add(-time.Minute))
	wantFault(t, "before the start", err, fault.Precondition, ReasonActivityNotStarted)
	_, err = a.Begin("b1", "", gbStart)
	wantFault(t, "no starter", err, fault.Invalid, ReasonArgumentInvalid)
	late, _ := a.Begin("b2", "starter", a.End.Add(-time.Hour))
	if !late.Deadline.Equal(a.End) {
		t.Errorf("deadline %v, want the activity's end", late.Deadline)
	}

	b, err := a.Begin("b1", "starter", gbStart)
	if err != nil || b.PriceFen != 19900 || b.Status != BargainOngoing || b.HelpersLeft() != 5 {
		t.Fatalf("begin: %+v %v", b, err)
	}
	// The starter may buy at the price reached; no one cuts meanwhile.
	if changed, err := b.Lock("o0"); err != nil || !changed {
		t.Fatalf("buy at the price reached: %v", err)
	}
	_, err = b.Cut("h0", gbStart, rnd)
	wantFault(t, "cut while an order holds it", err, fault.Precondition, ReasonBargainOrderInUse)
	b.Release("o0")
	_, err = b.Cut("starter", gbStart, rnd)
	wantFault(t, "self help", err, fault.Precondition, ReasonBargainSelfHelp)
	_, err = b.Cut("", gbStart, rnd)
	wantFault(t, "no helper", err, fault.Invalid, ReasonArgumentInvalid)
	first, err := b.Cut("h1", gbStart.Add(time.Minute), rnd)
	if err != nil || first.AmountFen < 1 || b.PriceFen != 19900-first.AmountFen {
		t.Fatalf("first cut %+v %v, price %d", first, err, b.PriceFen)
	}
	again, err := b.Cut("h1", gbStart.Add(2*time.Minute), rnd)
	wantFault(t, "help twice", err, fault.Conflict, ReasonBargainAlreadyHelped)
	if f, _ := fault.As(err); again != first || f.Meta["amount_fen"] != fmt.Sprint(first.AmountFen) || len(b.Cuts) != 1 {
		t.Errorf("second help of h1: %+v %v, cuts %d", again, err, len(b.Cuts))
	}
	for i := 2; i <= 5; i++ {
		if _, err := b.Cut(fmt.Sprintf("h%d", i), gbStart.Add(time.Hour), rnd); err != nil {
			t.Fatal(err)
		}
	}
	if b.PriceFen != 100 || b.Status != BargainSucceeded || b.CutFen() != 19800 || b.HelpersLeft() != 0 || !b.FinishedAt.Equal(gbStart.Add(time.Hour)) {
		t.Fatalf("after 5 helpers: %+v", b)
	}
	_, err = b.Cut("h6", gbStart.Add(time.Hour), rnd)
	wantFault(t, "past the floor", err, fault.Precondition, ReasonBargainFloorReached)
	_, err = b.Cut("h1", gbStart.Add(time.Hour), rnd)
	wantFault(t, "an earlier helper past the floor", err, fault.Conflict, ReasonBargainAlreadyHelped)
	if b.Expire(gbStart.Add(48*time.Hour)) || b.Status != BargainSucceeded {
		t.Error("a bargain at its floor expired")
	}

	// Buying at the floor: one order at a time, a repeat is a no-op, a
	// cancelled order lets another buy.
	if ch, err := b.Lock("o1"); !ch || err != nil {
		t.Fatal(ch, err)
	}
	if ch, err := b.Lock("o1"); ch || err != nil {
		t.Fatal("repeat lock", ch, err)
	}
	_, err = b.Lock("o2")
	wantFault(t, "a second order", err, fault.Precondition, ReasonBargainOrderInUse)
	if b.Release("o2") || !b.Release("o1") || b.Release("o1") {
		t.Fatal("release is not idempotent")
	}
	if ch, err := b.Lock("o2"); !ch || err != nil {
		t.Fatal("lock after release", ch, err)
	}

	// Time runs out above the floor.
	c, _ := a.Begin("b3", "starter", gbStart)
	if _, err := c.Cut("h1", gbStart.Add(24*time.Hour-time.Nanosecond), rnd); err != nil {
		t.Fatal(err)
	}
	_, err = c.Cut("h2", gbStart.Add(24*time.Hour), rnd)
	wantFault(t, "after the deadline", err, fault.Precondition, ReasonBargainExpired)
	if c.Status != BargainExpired || c.HelpersLeft() != 0 {
		t.Errorf("status %s", c.Status)
	}
}

// cutAll runs a bargain of the given gap and helpers to its floor and
// returns the cuts.
func cutAll(t *testing.T, gap int64, n int, rnd Rand) []int64 {
	t.Helper()
	a := BargainActivity{ID: "ba", ProductID: "p", SKUID: "s", FloorPriceFen: 1, ListPriceFen: 1 + gap, HelpersNeeded: n,
		TimeLimit: time.Hour, Start: gbStart, End: gbStart.Add(time.Hour)}
	if err := a.Validate(); err != nil {
		t.Fatalf("gap %d, %d helpers: %v", gap, n, err)
	}
	b, _ := a.Begin("b", "starter", gbStart)
	var cuts []int64
	for i := 0; b.Status == BargainOngoing; i++ {
		if i > n {
			t.Fatalf("gap %d, %d helpers: still above the floor after %d cuts", gap, n, i)
		}
		c, err := b.Cut(fmt.Sprint("h", i), gbStart, rnd)
		if err != nil {
			t.Fatalf("gap %d, %d helpers, cut %d: %v", gap, n, i, err)
		}
		cuts = append(cuts, c.AmountFen)
	}
	if b.PriceFen != b.FloorPriceFen || b.Status != BargainSucceeded {
		t.Fatalf("gap %d, %d helpers: ended at %d, %s", gap, n, b.PriceFen, b.Status)
	}
	return cuts
}

// TestCutsAlwaysReachTheFloorExactly: for thousands of random gaps and
// helper counts, it takes exactly N helpers, every cut is at least one fen
// and the cuts add up to the gap exactly.
func TestCutsAlwaysReachTheFloorExactly(t *testing.T) {
	rnd := rand.New(rand.NewPCG(20261203, 7))
	gaps := func() int64 {
		switch rnd.IntN(4) {
		case 0: // exactly one fen per helper
			return 0
		case 1:
			return rnd.Int64N(1000)
		case 2:
			return rnd.Int64N(100_000)
		default:
			return rnd.Int64N(maxAmountFen - 200)
		}
	}
	for trial := range 5000 {
		n := 1 + rnd.IntN(MaxBargainHelpers)
		gap := int64(n) + gaps()
		cuts := cutAll(t, gap, n, rnd)
		var sum int64
		for i, c := range cuts {
			if c < 1 {
				t.Fatalf("trial %d, gap %d, %d helpers: cut %d is %d fen", trial, gap, n, i, c)
			}
			sum += c
		}
		if len(cuts) != n || sum != gap {
			t.Fatalf("trial %d, gap %d, %d helpers: %d cuts summing to %d", trial, gap, n, len(cuts), sum)
		}
	}
}

func TestNextCutEdges(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		if c := NextCut(7, 7, rnd); c != 1 {
			t.Fatalf("one fen per helper left: cut %d", c)
		}
		if c := NextCut(500, 1, rnd); c != 500 {
			t.Fatalf("the last helper cut %d of 500", c)
		}
		if c := NextCut(2, 2, rnd); c != 1 {
			t.Fatalf("2 fen, 2 helpers: cut %d", c)
		}
		if c := NextCut(maxAmountFen, 2, rnd); c < maxAmountFen/3 || c >= maxAmountFen {
			t.Fatalf("first of two cut %d of %d", c, maxAmountFen)
		}
	}
}

// TestEarlierHelpersCutMore: averaged over many bargains, each helper cuts
// less than the one before, the first about 2/(N+1) of the gap.
func TestEarlierHelpersCutMore(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	const gap, n, trials = 100_000, 10, 3000
	mean := make([]float64, n)
	for range trials {
		for i, c := range cutAll(t, gap, n, rnd) {
			mean[i] += float64(c) / trials
		}
	}
	for i := 1; i < n; i++ {
		if mean[i] >= mean[i-1] {
			t.Errorf("helper %d cuts %.0f on average, helper %d %.0f", i, mean[i], i-1, mean[i-1])
		}
	}
	if want := 2.0 / (n + 1) * gap; mean[0] < 0.95*want || mean[0] > 1.05*want {
		t.Errorf("the first helper cuts %.0f on average, want about %.0f", mean[0], want)
	}
	t.Logf("mean cuts: %.0f", mean)
}
