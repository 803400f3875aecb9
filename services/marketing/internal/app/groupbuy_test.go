package app

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// memGroups is an in-memory GroupStore with the compare-and-set semantics
// the real store has: a write carries the version it read and loses to any
// write in between. Reads hand out copies and yield, so racing use cases
// interleave between read and write.
type memGroups struct {
	mu         sync.Mutex
	activities map[string]domain.GroupBuyActivity
	groups     map[string]domain.Group
	quotas     map[string]domain.GroupQuota
	writes     atomic.Int64
}

func newMemGroups() *memGroups {
	return &memGroups{activities: map[string]domain.GroupBuyActivity{}, groups: map[string]domain.Group{}, quotas: map[string]domain.GroupQuota{}}
}

func copyGroup(g domain.Group) domain.Group {
	g.Members = slices.Clone(g.Members)
	return g
}

func (s *memGroups) CreateGroupBuy(_ context.Context, a domain.GroupBuyActivity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.Prices = slices.Clone(a.Prices)
	s.activities[a.ID] = a
	return nil
}

func (s *memGroups) GroupBuy(_ context.Context, id string) (domain.GroupBuyActivity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.activities[id]
	if !ok {
		return a, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such activity")
	}
	a.Prices = slices.Clone(a.Prices)
	return a, nil
}

func (s *memGroups) Group(_ context.Context, id string) (domain.Group, error) {
	defer runtime.Gosched()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		return g, errGroupNotFound.With("group_id", id)
	}
	return copyGroup(g), nil
}

func (s *memGroups) SaveGroup(_ context.Context, g domain.Group) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.groups[g.ID]; (ok && cur.Version != g.Version) || (!ok && g.Version != 0) {
		return ErrStale
	}
	g = copyGroup(g)
	g.Version++
	s.groups[g.ID] = g
	s.writes.Add(1)
	return nil
}

func quotaKey(activityID, memberID string) string { return activityID + "/" + memberID }

func (s *memGroups) GroupQuota(_ context.Context, activityID, memberID string) (domain.GroupQuota, error) {
	defer runtime.Gosched()
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quotas[quotaKey(activityID, memberID)]
	q.GroupIDs = slices.Clone(q.GroupIDs)
	return q, nil
}

func (s *memGroups) SaveGroupQuota(_ context.Context, q domain.GroupQuota) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := quotaKey(q.ActivityID, q.MemberID)
	if s.quotas[k].Version != q.Version {
		return ErrStale
	}
	q.GroupIDs = slices.Clone(q.GroupIDs)
	q.Version++
	s.quotas[k] = q
	return nil
}

func (s *memGroups) scan(limit int, keep func(domain.Group) bool) []domain.Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Group
	for _, g := range s.groups {
		if keep(g) {
			out = append(out, copyGroup(g))
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Deadline.Before(out[b].Deadline) })
	return out[:min(len(out), limit)]
}

func (s *memGroups) OpenGroups(_ context.Context, activityID string, limit int) ([]domain.Group, error) {
	return s.scan(limit, func(g domain.Group) bool {
		return g.ActivityID == activityID && g.Status == domain.GroupOpen && g.SeatsLeft() > 0
	}), nil
}

func (s *memGroups) DueGroups(_ context.Context, now time.Time, limit int) ([]domain.Group, error) {
	return s.scan(limit, func(g domain.Group) bool { return g.Due(now) || g.OutcomePending() }), nil
}

func (s *memGroups) quota(activityID, memberID string) []string {
	q, _ := s.GroupQuota(context.Background(), activityID, memberID)
	return q.GroupIDs
}

var activityStart = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

func newGroupBuys(t *testing.T, f func(*domain.GroupBuyActivity)) (*GroupBuys, *memGroups, *clock.Fake, domain.GroupBuyActivity) {
	t.Helper()
	store, clk := newMemGroups(), clock.NewFake(activityStart.Add(time.Hour))
	u := NewGroupBuys(store, clk)
	a := domain.GroupBuyActivity{
		ProductID: "p-0001", Prices: []domain.GroupPrice{{SKUID: "p-0001-red", PriceFen: 9900}},
		GroupSize: 5, GroupTTL: 24 * time.Hour, Start: activityStart, End: activityStart.Add(7 * 24 * time.Hour),
		PerMemberLimit: 1,
	}
	if f != nil {
		f(&a)
	}
	a, err := u.CreateActivity(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return u, store, clk, a
}

func mustReason(t *testing.T, err error, r fault.Reason) {
	t.Helper()
	if fault.ReasonOf(err) != r {
		t.Fatalf("got %v, want %s", err, r)
	}
}

// TestConcurrentJoinsFillAGroupExactly: 30 members racing into a group of
// 5 its leader opened seat exactly 4 of them, the refused keep no quota,
// and paying (each payment delivered twice, all at once) succeeds the
// group exactly once with nothing to refund.
func TestConcurrentJoinsFillAGroupExactly(t *testing.T) {
	u, store, _, a := newGroupBuys(t, nil)
	ctx := context.Background()
	open, err := u.Open(ctx, "leader", a.ID, "p-0001-red", "o-leader")
	if err != nil || open.PriceFen != 9900 || open.Group.Status != domain.GroupOpen {
		t.Fatalf("open: %+v %v", open, err)
	}
	id := open.Group.ID
	var joined, full atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			_, err := u.Join(ctx, fmt.Sprintf("m%02d", i), id, "p-0001-red", fmt.Sprintf("o%02d", i))
			switch fault.ReasonOf(err) {
			case "":
				joined.Add(1)
			case domain.ReasonGroupFull:
				full.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	g, _ := u.Group(ctx, id)
	if joined.Load() != 4 || full.Load() != 26 || len(g.Members) != 5 {
		t.Fatalf("joined %d, full %d, %d members; want 4, 26, 5", joined.Load(), full.Load(), len(g.Members))
	}
	for i := range 30 {
		m := fmt.Sprintf("m%02d", i)
		_, in := g.Member(m)
		if q := store.quota(a.ID, m); in != (len(q) == 1) || len(q) > 1 {
			t.Errorf("%s: in the group %v, quota %v", m, in, q)
		}
	}

	var succeeded atomic.Int64
	for _, m := range g.Members {
		for range 2 {
			wg.Go(func() {
				s, err := u.Paid(ctx, id, m.MemberID, m.OrderID)
				if err != nil || len(s.Refunds) != 0 {
					t.Error(err, s.Refunds)
				}
				if s.Group.Status == domain.GroupSucceeded && len(s.Fulfil) == 5 {
					succeeded.Add(1)
				}
			})
		}
	}
	wg.Wait()
	g, _ = u.Group(ctx, id)
	if g.Status != domain.GroupSucceeded || g.PaidCount() != 5 || succeeded.Load() < 1 {
		t.Fatalf("after paying: %s, %d paid, %d saw it succeed with every order", g.Status, g.PaidCount(), succeeded.Load())
	}
	// Until the hand-off is reported, the sweeper answers the orders to
	// fulfil again.
	var orders []string
	for _, m := range g.Members {
		orders = append(orders, m.OrderID)
	}
	if due, err := u.Sweep(ctx, 10); err != nil || len(due) != 1 || !slices.Equal(due[0].Fulfil, orders) {
		t.Fatalf("sweep before the report: %+v %v", due, err)
	}
	if _, err := u.Reported(ctx, id, orders); err != nil {
		t.Fatal(err)
	}
	if due, err := u.Sweep(ctx, 10); err != nil || len(due) != 0 {
		t.Fatalf("sweep after the report: %+v %v", due, err)
	}
	mustReasonJoin := func(member, order string, r fault.Reason) {
		t.Helper()
		_, err := u.Join(ctx, member, id, "p-0001-red", order)
		mustReason(t, err, r)
	}
	mustReasonJoin("late", "o-late", domain.ReasonGroupClosed)
	if s, err := u.Join(ctx, g.Members[1].MemberID, id, "p-0001-red", g.Members[1].OrderID); err != nil || s.Group.Status != domain.GroupSucceeded {
		t.Fatalf("a repeated join after success: %v", err)
	}
}

// TestMemberLimitHoldsAcrossGroups: a member racing into six groups with a
// limit of two gets into exactly two; leaving one frees a slot.
func TestMemberLimitHoldsAcrossGroups(t *testing.T) {
	u, store, _, a := newGroupBuys(t, func(a *domain.GroupBuyActivity) { a.PerMemberLimit = 2 })
	ctx := context.Background()
	var ids []string
	for i := range 6 {
		s, err := u.Open(ctx, fmt.Sprint("leader", i), a.ID, "p-0001-red", fmt.Sprint("ol", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.Group.ID)
	}
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			_, err := u.Join(ctx, "greedy", id, "p-0001-red", fmt.Sprint("og", i))
			switch fault.ReasonOf(err) {
			case "":
				ok.Add(1)
			case domain.ReasonGroupLimitReached:
				limited.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	q := store.quota(a.ID, "greedy")
	if ok.Load() != 2 || limited.Load() != 4 || len(q) != 2 {
		t.Fatalf("joined %d, limited %d, quota %v; want 2, 4, two groups", ok.Load(), limited.Load(), q)
	}
	in := q[0]
	g, _ := u.Group(ctx, in)
	seat, _ := g.Member("greedy")
	if _, err := u.Leave(ctx, in, "greedy", seat.OrderID); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Leave(ctx, in, "greedy", seat.OrderID); err != nil {
		t.Fatal("a repeated leave:", err)
	}
	if q := store.quota(a.ID, "greedy"); len(q) != 1 {
		t.Fatalf("quota after leaving: %v", q)
	}
	var other string
	for _, id := range ids {
		if !slices.Contains(q, id) {
			other = id
			break
		}
	}
	if _, err := u.Join(ctx, "greedy", other, "p-0001-red", "og-again"); err != nil {
		t.Fatal("a freed slot is not usable:", err)
	}
}

// TestFailedGroupRefundsPaidOrders: at its deadline a group short of paid
// members fails; the sweeper answers the paid orders to refund and frees
// the members' quotas; asking again answers the same refunds; a payment
// arriving late is refunded too.
func TestFailedGroupRefundsPaidOrders(t *testing.T) {
	u, store, clk, a := newGroupBuys(t, nil)
	ctx := context.Background()
	s, _ := u.Open(ctx, "leader", a.ID, "p-0001-red", "o1")
	id := s.Group.ID
	for _, m := range []string{"m2", "m3", "m4"} {
		if _, err := u.Join(ctx, m, id, "p-0001-red", "o-"+m); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range [][2]string{{"leader", "o1"}, {"m2", "o-m2"}} {
		if s, err := u.Paid(ctx, id, p[0], p[1]); err != nil || s.Refunds != nil {
			t.Fatal(s, err)
		}
	}
	// m4's order was cancelled unpaid: the seat and the quota go back.
	if _, err := u.Leave(ctx, id, "m4", "o-m4"); err != nil {
		t.Fatal(err)
	}
	if q := store.quota(a.ID, "m4"); len(q) != 0 {
		t.Fatalf("m4 quota %v", q)
	}
	_, err := u.Leave(ctx, id, "m2", "o-m2")
	mustReason(t, err, domain.ReasonGroupOrderPaid)

	clk.Advance(23 * time.Hour)
	if got, err := u.Sweep(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("swept before the deadline: %v %v", got, err)
	}
	clk.Advance(time.Hour)
	if g, _ := u.Group(ctx, id); g.Status != domain.GroupFailed {
		t.Fatalf("a group past its deadline shows %s", g.Status)
	}
	got, err := u.Sweep(ctx, 10)
	if err != nil || len(got) != 1 || got[0].Group.Status != domain.GroupFailed || !slices.Equal(got[0].Refunds, []string{"o1", "o-m2"}) || got[0].Fulfil != nil {
		t.Fatalf("sweep: %+v %v", got, err)
	}
	for _, m := range []string{"leader", "m2", "m3"} {
		if q := store.quota(a.ID, m); len(q) != 0 {
			t.Errorf("%s still counts a failed group: %v", m, q)
		}
	}
	// The refunds were not reported handed off (say the process stopped):
	// the next sweep answers them again, without writing.
	writes := store.writes.Load()
	if again, err := u.Sweep(ctx, 10); err != nil || len(again) != 1 || !slices.Equal(again[0].Refunds, []string{"o1", "o-m2"}) || store.writes.Load() != writes {
		t.Fatalf("unreported refunds swept again: %+v %v", again, err)
	}
	if _, err := u.Reported(ctx, id, []string{"o1", "o-m2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Reported(ctx, id, []string{"o1", "o-m2"}); err != nil {
		t.Fatal("a repeated report:", err)
	}
	if again, err := u.Sweep(ctx, 10); err != nil || len(again) != 0 {
		t.Fatalf("a reported group swept again: %v %v", again, err)
	}
	if s, err := u.Expire(ctx, id); err != nil || s.Refunds != nil || s.Group.Status != domain.GroupFailed || !slices.Equal(s.Group.Refunds(), []string{"o1", "o-m2"}) {
		t.Fatalf("expire again: %+v %v", s, err)
	}
	late, err := u.Paid(ctx, id, "m3", "o-m3")
	if err != nil || !slices.Equal(late.Refunds, []string{"o-m3"}) {
		t.Fatalf("a late payment: %+v %v", late, err)
	}
	if again, err := u.Sweep(ctx, 10); err != nil || len(again) != 1 || !slices.Equal(again[0].Refunds, []string{"o-m3"}) {
		t.Fatalf("the late refund is swept until reported: %+v %v", again, err)
	}
	_, err = u.Join(ctx, "m9", id, "p-0001-red", "o-m9")
	mustReason(t, err, domain.ReasonGroupClosed)
}

// TestVirtualCompletion: with virtual completion a group short of members
// but with enough paid succeeds at its deadline and refunds nothing.
func TestVirtualCompletion(t *testing.T) {
	u, store, clk, a := newGroupBuys(t, func(a *domain.GroupBuyActivity) { a.VirtualCompletion, a.MinRealMembers = true, 2 })
	ctx := context.Background()
	s, _ := u.Open(ctx, "leader", a.ID, "p-0001-red", "o1")
	id := s.Group.ID
	if _, err := u.Join(ctx, "m2", id, "p-0001-red", "o2"); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"leader", "o1"}, {"m2", "o2"}} {
		if s, err := u.Paid(ctx, id, p[0], p[1]); err != nil || s.Fulfil != nil || s.Refunds != nil {
			t.Fatal(s, err)
		}
	}
	clk.Advance(24 * time.Hour)
	got, err := u.Sweep(ctx, 10)
	if err != nil || len(got) != 1 || got[0].Group.Status != domain.GroupSucceeded || got[0].Refunds != nil || !slices.Equal(got[0].Fulfil, []string{"o1", "o2"}) {
		t.Fatalf("sweep: %+v %v", got, err)
	}
	if q := store.quota(a.ID, "m2"); len(q) != 1 {
		t.Fatalf("a succeeded group no longer counts: %v", q)
	}
}

// TestOpenAndJoinRules: opening with the same order answers the same group
// (also when raced), the order cannot be someone else's, SKUs and
// activities must exist, and joins are refused past the deadline.
func TestOpenAndJoinRules(t *testing.T) {
	u, store, clk, a := newGroupBuys(t, func(a *domain.GroupBuyActivity) { a.PerMemberLimit = 3 })
	ctx := context.Background()
	var wg sync.WaitGroup
	seen := make(chan string, 10)
	for range 10 {
		wg.Go(func() {
			s, err := u.Open(ctx, "leader", a.ID, "p-0001-red", "o1")
			if err != nil {
				t.Error(err)
				return
			}
			seen <- s.Group.ID
		})
	}
	wg.Wait()
	close(seen)
	var id string
	for g := range seen {
		if id != "" && g != id {
			t.Fatalf("one order opened groups %s and %s", id, g)
		}
		id = g
	}
	if q := store.quota(a.ID, "leader"); len(q) != 1 || len(store.groups) != 1 {
		t.Fatalf("quota %v, %d groups", q, len(store.groups))
	}
	_, err := u.Open(ctx, "thief", a.ID, "p-0001-red", "o1")
	mustReason(t, err, domain.ReasonGroupOrderInUse)
	_, err = u.Open(ctx, "leader", a.ID, "p-0001-green", "o2")
	mustReason(t, err, domain.ReasonActivitySKUExcluded)
	_, err = u.Open(ctx, "leader", "gb_none", "p-0001-red", "o2")
	mustReason(t, err, domain.ReasonActivityNotFound)
	_, err = u.Open(ctx, "leader", a.ID, "p-0001-red", "")
	mustReason(t, err, domain.ReasonArgumentInvalid)
	_, err = u.Join(ctx, "m2", "g_none", "p-0001-red", "o2")
	mustReason(t, err, domain.ReasonGroupNotFound)
	_, err = u.Join(ctx, "leader", id, "p-0001-red", "o3")
	mustReason(t, err, domain.ReasonGroupAlreadyJoined)
	if q := store.quota(a.ID, "leader"); len(q) != 1 {
		t.Fatalf("a refused join took quota: %v", q)
	}

	if list, err := u.OpenGroups(ctx, a.ID, 10); err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("open groups: %v %v", list, err)
	}
	clk.Advance(24 * time.Hour)
	_, err = u.Join(ctx, "m2", id, "p-0001-red", "o2")
	mustReason(t, err, domain.ReasonGroupExpired)
	if list, _ := u.OpenGroups(ctx, a.ID, 10); len(list) != 0 {
		t.Fatalf("a group past its deadline is listed: %v", list)
	}
	clk.Set(a.End)
	_, err = u.Open(ctx, "leader", a.ID, "p-0001-red", "o9")
	mustReason(t, err, domain.ReasonActivityEnded)
	if _, err := u.CreateActivity(ctx, domain.GroupBuyActivity{}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("an empty activity: %v", err)
	}
}

func (s *memGroups) ListGroupBuys(context.Context) ([]domain.GroupBuyActivity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.GroupBuyActivity
	for _, a := range s.activities {
		out = append(out, a)
	}
	return out, nil
}

func (s *memGroups) UpdateGroupBuy(_ context.Context, a domain.GroupBuyActivity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.activities[a.ID]; !ok || cur.Version != a.Version {
		return ErrStale
	}
	a.Version++
	s.activities[a.ID] = a
	return nil
}
