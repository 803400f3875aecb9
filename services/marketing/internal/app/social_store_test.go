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
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
	"siyu.dev/services/marketing/internal/mongostore"
)

// TestGroupsAndBargainsOnTheRealStore runs the group-buy and bargain use
// cases on the embedded store (their unit tests use an in-memory store):
// racing joins never overfill a group, a group past its deadline is found
// by the sweeper and its paid orders come back until reported, and racing
// helpers cut exactly the helpers needed.
func TestGroupsAndBargainsOnTheRealStore(t *testing.T) {
	ctx := context.Background()
	social := mongostore.NewSocial(testkit.DB(t))
	if err := social.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(start)
	groups := app.NewGroupBuys(social.Groups(), clk)
	a, err := groups.CreateActivity(ctx, domain.GroupBuyActivity{ProductID: "p1", Prices: []domain.GroupPrice{{SKUID: "p1-A", PriceFen: 100}},
		GroupSize: 5, GroupTTL: time.Hour, Start: start, End: start.Add(24 * time.Hour), PerMemberLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	seat, err := groups.Open(ctx, "leader", a.ID, "p1-A", "o-leader")
	if err != nil {
		t.Fatal(err)
	}
	gid := seat.Group.ID
	var joined atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := groups.Join(ctx, fmt.Sprint("m", i), gid, "p1-A", fmt.Sprint("o", i))
			switch fault.ReasonOf(err) {
			case "":
				joined.Add(1)
			case domain.ReasonGroupFull:
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if joined.Load() != 4 {
		t.Fatalf("%d joined a group of 5 with its leader", joined.Load())
	}
	g, _ := groups.Group(ctx, gid)
	for _, m := range g.Members[:2] {
		if _, err := groups.Paid(ctx, gid, m.MemberID, m.OrderID); err != nil {
			t.Fatal(err)
		}
	}
	if open, _ := groups.OpenGroups(ctx, a.ID, 10); len(open) != 0 {
		t.Fatalf("a full group is not listed to join: %d", len(open))
	}
	clk.Advance(2 * time.Hour)
	settled, err := groups.Sweep(ctx, 10)
	if err != nil || len(settled) != 1 || len(settled[0].Refunds) != 2 || settled[0].Group.Status != domain.GroupFailed {
		t.Fatalf("sweep: %+v %v", settled, err)
	}
	if again, _ := groups.Sweep(ctx, 10); len(again) != 1 {
		t.Fatal("an outcome not reported comes back")
	}
	if _, err := groups.Reported(ctx, gid, settled[0].Refunds); err != nil {
		t.Fatal(err)
	}
	if again, _ := groups.Sweep(ctx, 10); len(again) != 0 {
		t.Fatalf("reported groups are done: %+v", again)
	}

	bargains := app.NewBargains(social.Bargains(), clk, nil)
	ba, err := bargains.CreateActivity(ctx, domain.BargainActivity{ProductID: "p1", SKUID: "p1-A", ListPriceFen: 10000, FloorPriceFen: 100,
		HelpersNeeded: 5, TimeLimit: time.Hour, Start: start, End: start.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bargains.Start(ctx, "starter", ba.ID)
	if err != nil {
		t.Fatal(err)
	}
	var cuts atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := bargains.Help(ctx, b.ID, fmt.Sprint("h", i)); err == nil {
				cuts.Add(1)
			}
		}()
	}
	wg.Wait()
	b, _ = bargains.Get(ctx, b.ID)
	if cuts.Load() != 5 || b.PriceFen != 100 || b.Status != domain.BargainSucceeded {
		t.Fatalf("%d cuts, price %d, %s", cuts.Load(), b.PriceFen, b.Status)
	}
}
