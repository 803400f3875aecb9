package domain

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

var gbStart = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

func validGroupBuy() GroupBuyActivity {
	return GroupBuyActivity{
		ID: "gb1", ProductID: "p-0001",
		Prices:    []GroupPrice{{SKUID: "p-0001-red", PriceFen: 9900}, {SKUID: "p-0001-blue", PriceFen: 10900}},
		GroupSize: 3, GroupTTL: 24 * time.Hour,
		Start: gbStart, End: gbStart.Add(7 * 24 * time.Hour),
		PerMemberLimit: 2,
	}
}

func wantFault(t *testing.T, what string, err error, kind fault.Kind, reason fault.Reason) {
	t.Helper()
	f, ok := fault.As(err)
	if reason == "" {
		if err != nil {
			t.Errorf("%s: %v, want no error", what, err)
		}
		return
	}
	if !ok || f.Kind != kind || f.Reason != reason {
		t.Errorf("%s: %v, want %s %s", what, err, kind, reason)
	}
}

func TestGroupBuyValidation(t *testing.T) {
	with := func(f func(*GroupBuyActivity)) GroupBuyActivity { v := validGroupBuy(); f(&v); return v }
	cases := []struct {
		name  string
		a     GroupBuyActivity
		field string
	}{
		{"valid", validGroupBuy(), ""},
		{"largest group, virtual completion", with(func(a *GroupBuyActivity) { a.GroupSize, a.VirtualCompletion, a.MinRealMembers = 50, true, 49 }), ""},
		{"no product", with(func(a *GroupBuyActivity) { a.ProductID = " " }), "product_id"},
		{"no SKUs", with(func(a *GroupBuyActivity) { a.Prices = nil }), "prices"},
		{"SKU without id", with(func(a *GroupBuyActivity) { a.Prices[0].SKUID = "" }), "prices.sku_id"},
		{"SKU twice", with(func(a *GroupBuyActivity) { a.Prices[1].SKUID = a.Prices[0].SKUID }), "prices.sku_id"},
		{"free", with(func(a *GroupBuyActivity) { a.Prices[0].PriceFen = 0 }), "prices.price_fen"},
		{"too dear", with(func(a *GroupBuyActivity) { a.Prices[0].PriceFen = maxAmountFen + 1 }), "prices.price_fen"},
		{"group of one", with(func(a *GroupBuyActivity) { a.GroupSize = 1 }), "group_size"},
		{"group of 51", with(func(a *GroupBuyActivity) { a.GroupSize = 51 }), "group_size"},
		{"no member limit", with(func(a *GroupBuyActivity) { a.PerMemberLimit = 0 }), "per_member_limit"},
		{"virtual with no real member", with(func(a *GroupBuyActivity) { a.VirtualCompletion = true }), "min_real_members"},
		{"virtual needing the whole group", with(func(a *GroupBuyActivity) { a.VirtualCompletion, a.MinRealMembers = true, 3 }), "min_real_members"},
		{"real members without virtual", with(func(a *GroupBuyActivity) { a.MinRealMembers = 2 }), "min_real_members"},
		{"no time limit", with(func(a *GroupBuyActivity) { a.GroupTTL = 0 }), "group_ttl"},
		{"eight days to fill", with(func(a *GroupBuyActivity) { a.GroupTTL = 8 * 24 * time.Hour }), "group_ttl"},
		{"no window", with(func(a *GroupBuyActivity) { a.Start = time.Time{} }), "window"},
		{"window backwards", with(func(a *GroupBuyActivity) { a.End = a.Start }), "window"},
		{"two years", with(func(a *GroupBuyActivity) { a.End = a.Start.AddDate(2, 0, 0) }), "window"},
	}
	for _, c := range cases {
		err := c.a.Validate()
		f, _ := fault.As(err)
		if (c.field == "" && err != nil) || (c.field != "" && (f == nil || f.Kind != fault.Invalid || f.Reason != ReasonActivityInvalid || f.Meta["field"] != c.field)) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}

func TestGroupBuyWindowAndPrice(t *testing.T) {
	a := validGroupBuy()
	wantFault(t, "before the start", a.Active(gbStart.Add(-time.Second)), fault.Precondition, ReasonActivityNotStarted)
	wantFault(t, "at the start", a.Active(gbStart), 0, "")
	wantFault(t, "at the end", a.Active(a.End), fault.Precondition, ReasonActivityEnded)
	if p, err := a.Price("p-0001-blue"); err != nil || p != 10900 {
		t.Errorf("price %d %v", p, err)
	}
	_, err := a.Price("p-0001-green")
	wantFault(t, "SKU not sold", err, fault.Precondition, ReasonActivitySKUExcluded)
	_, err = a.Open("g1", "m1", "o1", a.End)
	wantFault(t, "open after the end", err, fault.Precondition, ReasonActivityEnded)
	_, err = a.Open("g1", "m1", "", gbStart)
	wantFault(t, "open without an order", err, fault.Invalid, ReasonArgumentInvalid)

	g, err := a.Open("g1", "m1", "o1", gbStart)
	if err != nil || g.Status != GroupOpen || g.Size != 3 || len(g.Members) != 1 || !g.Deadline.Equal(gbStart.Add(24*time.Hour)) {
		t.Fatalf("open: %+v %v", g, err)
	}
	late, _ := a.Open("g2", "m1", "o2", a.End.Add(-time.Hour))
	if !late.Deadline.Equal(a.End) {
		t.Errorf("a group opened an hour before the end has until %v, want the end %v", late.Deadline, a.End)
	}
}

// step is one thing that happens to a group in a scenario.
type step struct {
	op            string // join, pay, leave, expire
	member, order string
	at            time.Duration // after gbStart
	changed       bool
	kind          fault.Kind
	reason        fault.Reason
	status        GroupStatus // after the step
	refunds       []string    // after the step
}

func TestGroupLifecycle(t *testing.T) {
	h := time.Hour
	cases := []struct {
		name    string
		virtual int // MinRealMembers with virtual completion; 0 without
		steps   []step
	}{
		{"fills and succeeds", 0, []step{
			{op: "join", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "join", member: "m2", order: "o2", at: 2 * h, status: GroupOpen},
			{op: "join", member: "m3", order: "o3", at: h, changed: true, status: GroupOpen},
			{op: "join", member: "m4", order: "o4", at: h, kind: fault.Precondition, reason: ReasonGroupFull, status: GroupOpen},
			{op: "pay", member: "m2", order: "o2", at: 2 * h, changed: true, status: GroupOpen},
			{op: "pay", member: "m2", order: "o2", at: 2 * h, status: GroupOpen},
			{op: "pay", member: "m1", order: "o1", at: 2 * h, changed: true, status: GroupOpen},
			{op: "pay", member: "m3", order: "o3", at: 3 * h, changed: true, status: GroupSucceeded},
			{op: "pay", member: "m3", order: "o3", at: 3 * h, status: GroupSucceeded},
			{op: "join", member: "m2", order: "o2", at: 4 * h, status: GroupSucceeded},
			{op: "join", member: "m5", order: "o5", at: 4 * h, kind: fault.Precondition, reason: ReasonGroupClosed, status: GroupSucceeded},
			{op: "expire", at: 30 * h, status: GroupSucceeded},
		}},
		{"join refusals", 0, []step{
			{op: "join", member: "m1", order: "o9", at: h, kind: fault.Precondition, reason: ReasonGroupAlreadyJoined, status: GroupOpen},
			{op: "join", member: "m2", order: "o1", at: h, kind: fault.Conflict, reason: ReasonGroupOrderInUse, status: GroupOpen},
			{op: "join", member: "m2", order: "", at: h, kind: fault.Invalid, reason: ReasonArgumentInvalid, status: GroupOpen},
			{op: "join", member: "m2", order: "o2", at: 24 * h, kind: fault.Precondition, reason: ReasonGroupExpired, status: GroupOpen},
			{op: "pay", member: "m2", order: "o2", at: h, kind: fault.NotFound, reason: ReasonGroupOrderNotFound, status: GroupOpen},
			{op: "pay", member: "m2", order: "o1", at: h, kind: fault.NotFound, reason: ReasonGroupOrderNotFound, status: GroupOpen},
		}},
		{"a cancelled order frees its seat", 0, []step{
			{op: "join", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "join", member: "m3", order: "o3", at: h, changed: true, status: GroupOpen},
			{op: "leave", member: "m3", order: "o3", at: h, changed: true, status: GroupOpen},
			{op: "leave", member: "m3", order: "o3", at: h, status: GroupOpen},
			{op: "join", member: "m4", order: "o4", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "leave", member: "m2", order: "o2", at: h, kind: fault.Precondition, reason: ReasonGroupOrderPaid, status: GroupOpen},
			{op: "join", member: "m3", order: "o3b", at: h, kind: fault.Precondition, reason: ReasonGroupFull, status: GroupOpen},
		}},
		{"fails at the deadline and refunds the paid", 0, []step{
			{op: "join", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m1", order: "o1", at: h, changed: true, status: GroupOpen},
			{op: "expire", at: 24*h - time.Nanosecond, status: GroupOpen},
			{op: "expire", at: 24 * h, changed: true, status: GroupFailed, refunds: []string{"o1"}},
			{op: "expire", at: 25 * h, status: GroupFailed, refunds: []string{"o1"}},
			{op: "pay", member: "m2", order: "o2", at: 25 * h, changed: true, status: GroupFailed, refunds: []string{"o1", "o2"}},
			{op: "join", member: "m3", order: "o3", at: 25 * h, kind: fault.Precondition, reason: ReasonGroupClosed, status: GroupFailed, refunds: []string{"o1", "o2"}},
		}},
		{"a payment after the deadline does not complete the group", 0, []step{
			{op: "join", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "join", member: "m3", order: "o3", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m1", order: "o1", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m3", order: "o3", at: 24 * h, changed: true, status: GroupFailed, refunds: []string{"o1", "o2", "o3"}},
		}},
		{"virtual completion with enough real members", 2, []step{
			{op: "join", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m1", order: "o1", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "expire", at: 24 * h, changed: true, status: GroupSucceeded},
		}},
		{"virtual completion short of real members", 2, []step{
			{op: "join", member: "m2", order: "o2", at: h, changed: true, status: GroupOpen},
			{op: "pay", member: "m1", order: "o1", at: h, changed: true, status: GroupOpen},
			{op: "expire", at: 24 * h, changed: true, status: GroupFailed, refunds: []string{"o1"}},
		}},
	}
	for _, c := range cases {
		a := validGroupBuy()
		a.VirtualCompletion, a.MinRealMembers = c.virtual > 0, c.virtual
		g, err := a.Open("g1", "m1", "o1", gbStart)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range c.steps {
			at := gbStart.Add(s.at)
			var changed bool
			var err error
			switch s.op {
			case "join":
				changed, err = g.Join(s.member, s.order, at)
			case "pay":
				changed, err = g.Paid(s.member, s.order, at)
			case "leave":
				changed, err = g.Leave(s.member, s.order)
			case "expire":
				changed = g.Expire(at)
			}
			what := fmt.Sprintf("%s: step %d %s %s", c.name, i, s.op, s.member)
			wantFault(t, what, err, s.kind, s.reason)
			if changed != s.changed || g.Status != s.status || !slices.Equal(g.Refunds(), s.refunds) {
				t.Errorf("%s: changed %v status %s refunds %v, want %v %s %v", what, changed, g.Status, g.Refunds(), s.changed, s.status, s.refunds)
			}
			if len(g.Members) > g.Size {
				t.Errorf("%s: %d members in a group of %d", what, len(g.Members), g.Size)
			}
		}
	}
}

func TestGroupQuota(t *testing.T) {
	q := GroupQuota{ActivityID: "gb1", MemberID: "m1"}
	if fresh, err := q.Take("g1", 2); !fresh || err != nil {
		t.Fatal(fresh, err)
	}
	if fresh, err := q.Take("g1", 2); fresh || err != nil {
		t.Fatal("a repeat took another slot", fresh, err)
	}
	if fresh, err := q.Take("g2", 2); !fresh || err != nil {
		t.Fatal(fresh, err)
	}
	_, err := q.Take("g3", 2)
	wantFault(t, "third group", err, fault.Precondition, ReasonGroupLimitReached)
	if !q.Give("g1") || q.Give("g1") {
		t.Fatal("give is not idempotent")
	}
	if fresh, err := q.Take("g3", 2); !fresh || err != nil {
		t.Fatal("a freed slot is not taken again", fresh, err)
	}
}

func TestGroupOutcome(t *testing.T) {
	a := validGroupBuy()
	g, _ := a.Open("g1", "m1", "o1", gbStart)
	g.Join("m2", "o2", gbStart)
	g.Join("m3", "o3", gbStart)
	g.Paid("m1", "o1", gbStart)
	g.Paid("m2", "o2", gbStart)
	if f, r := g.Outcome(); f != nil || r != nil || g.OutcomePending() || g.MarkReported([]string{"o1"}) {
		t.Fatalf("an open group has an outcome: %v %v", f, r)
	}
	g.Paid("m3", "o3", gbStart)
	if f, r := g.Outcome(); !slices.Equal(f, []string{"o1", "o2", "o3"}) || r != nil {
		t.Fatalf("succeeded: fulfil %v refund %v", f, r)
	}
	if !g.MarkReported([]string{"o1", "o3", "o9"}) || g.MarkReported([]string{"o1"}) {
		t.Fatal("MarkReported is not idempotent")
	}
	if f, _ := g.Outcome(); !slices.Equal(f, []string{"o2"}) || !g.OutcomePending() {
		t.Fatalf("after reporting o1 and o3: %v", f)
	}
	g.MarkReported([]string{"o2"})
	if g.OutcomePending() {
		t.Fatal("pending after every order was reported")
	}

	h, _ := a.Open("g2", "m1", "o1", gbStart)
	h.Join("m2", "o2", gbStart)
	h.Paid("m1", "o1", gbStart)
	h.Expire(gbStart.Add(24 * time.Hour))
	if f, r := h.Outcome(); f != nil || !slices.Equal(r, []string{"o1"}) {
		t.Fatalf("failed: fulfil %v refund %v", f, r)
	}
	h.MarkReported([]string{"o1"})
	h.Paid("m2", "o2", gbStart.Add(25*time.Hour))
	if _, r := h.Outcome(); !slices.Equal(r, []string{"o2"}) || !slices.Equal(h.Refunds(), []string{"o1", "o2"}) {
		t.Fatalf("a late payment: pending %v, all refunds %v", r, h.Refunds())
	}
}
