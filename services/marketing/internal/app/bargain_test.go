package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// memBargains is an in-memory BargainStore with version compare-and-set.
type memBargains struct {
	mu         sync.Mutex
	activities map[string]domain.BargainActivity
	bargains   map[string]domain.Bargain
}

func (s *memBargains) CreateBargainActivity(_ context.Context, a domain.BargainActivity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.activities[a.ID] = a
	return nil
}

func (s *memBargains) BargainActivity(_ context.Context, id string) (domain.BargainActivity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.activities[id]
	if !ok {
		return a, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such activity")
	}
	return a, nil
}

func (s *memBargains) Bargain(_ context.Context, id string) (domain.Bargain, error) {
	defer runtime.Gosched()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bargains[id]
	if !ok {
		return b, errBargainNotFound.With("bargain_id", id)
	}
	b.Cuts = slices.Clone(b.Cuts)
	return b, nil
}

func (s *memBargains) SaveBargain(_ context.Context, b domain.Bargain) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.bargains[b.ID]; (ok && cur.Version != b.Version) || (!ok && b.Version != 0) {
		return ErrStale
	}
	b.Cuts = slices.Clone(b.Cuts)
	b.Version++
	s.bargains[b.ID] = b
	return nil
}

// lockedRand is a seeded source safe for racing helpers.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) Int64N(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int64N(n)
}

func newBargains(t *testing.T, helpers int) (*Bargains, *memBargains, *clock.Fake, domain.BargainActivity) {
	t.Helper()
	store := &memBargains{activities: map[string]domain.BargainActivity{}, bargains: map[string]domain.Bargain{}}
	clk := clock.NewFake(activityStart.Add(time.Hour))
	u := NewBargains(store, clk, &lockedRand{r: rand.New(rand.NewPCG(42, uint64(helpers)))})
	a, err := u.CreateActivity(context.Background(), domain.BargainActivity{
		ProductID: "p-0002", SKUID: "p-0002-m", ListPriceFen: 19900, FloorPriceFen: 100, HelpersNeeded: helpers,
		TimeLimit: 24 * time.Hour, Start: activityStart, End: activityStart.Add(7 * 24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return u, store, clk, a
}

// TestBargainReachesTheFloorWithNHelpers: five helpers take the price from
// list to floor exactly; a helper helping twice, the starter and a sixth
// helper are refused; the starter buys at the floor with one order.
func TestBargainReachesTheFloorWithNHelpers(t *testing.T) {
	u, store, _, a := newBargains(t, 5)
	ctx := context.Background()
	b, err := u.Start(ctx, "starter", a.ID)
	if err != nil || b.PriceFen != 19900 || b.Status != domain.BargainOngoing {
		t.Fatalf("start: %+v %v", b, err)
	}
	if again, err := u.Start(ctx, "starter", a.ID); err != nil || again.ID != b.ID || len(store.bargains) != 1 {
		t.Fatalf("a second start: %+v %v", again, err)
	}
	_, _, err = u.Help(ctx, b.ID, "starter")
	mustReason(t, err, domain.ReasonBargainSelfHelp)
	var sum int64
	for i := range 5 {
		cut, got, err := u.Help(ctx, b.ID, fmt.Sprint("h", i))
		if err != nil || cut.AmountFen < 1 {
			t.Fatalf("helper %d: %+v %v", i, cut, err)
		}
		sum += cut.AmountFen
		if got.PriceFen != 19900-sum {
			t.Fatalf("helper %d: price %d after %d cut", i, got.PriceFen, sum)
		}
		if i == 0 {
			first, _, err := u.Help(ctx, b.ID, "h0")
			mustReason(t, err, domain.ReasonBargainAlreadyHelped)
			if first != cut {
				t.Fatalf("a repeat answers %+v, the first cut was %+v", first, cut)
			}
		}
	}
	b, _ = u.Get(ctx, b.ID)
	if sum != 19800 || b.PriceFen != 100 || b.Status != domain.BargainSucceeded || len(b.Cuts) != 5 {
		t.Fatalf("after five helpers: cut %d, %+v", sum, b)
	}
	_, _, err = u.Help(ctx, b.ID, "h5")
	mustReason(t, err, domain.ReasonBargainFloorReached)
	_, _, err = u.Help(ctx, "b_none", "h5")
	mustReason(t, err, domain.ReasonBargainNotFound)

	other, err := u.Lock(ctx, b.ID, "h1", "o-h1")
	mustReason(t, err, domain.ReasonBargainNotFound)
	if other.ID != "" {
		t.Fatal("another member's lock answered the bargain")
	}
	if got, err := u.Lock(ctx, b.ID, "starter", "o1"); err != nil || got.OrderID != "o1" {
		t.Fatal(got, err)
	}
	if _, err := u.Lock(ctx, b.ID, "starter", "o1"); err != nil {
		t.Fatal("a repeated lock:", err)
	}
	_, err = u.Lock(ctx, b.ID, "starter", "o2")
	mustReason(t, err, domain.ReasonBargainOrderInUse)
	if got, err := u.Release(ctx, b.ID, "o1"); err != nil || got.OrderID != "" {
		t.Fatal(got, err)
	}
	if _, err := u.Lock(ctx, b.ID, "starter", "o2"); err != nil {
		t.Fatal("lock after release:", err)
	}
}

// TestConcurrentHelpersNeverPassTheFloor: forty helpers racing on a
// bargain of five get exactly five cuts summing to the gap; one helper
// racing ten times on another bargain cuts once.
func TestConcurrentHelpersNeverPassTheFloor(t *testing.T) {
	u, _, _, a := newBargains(t, 5)
	ctx := context.Background()
	b, _ := u.Start(ctx, "starter", a.ID)
	var ok, floor atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			_, _, err := u.Help(ctx, b.ID, fmt.Sprint("h", i))
			switch fault.ReasonOf(err) {
			case "":
				ok.Add(1)
			case domain.ReasonBargainFloorReached:
				floor.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b, _ = u.Get(ctx, b.ID)
	var sum int64
	for _, c := range b.Cuts {
		sum += c.AmountFen
	}
	if ok.Load() != 5 || floor.Load() != 35 || len(b.Cuts) != 5 || sum != 19800 || b.PriceFen != 100 {
		t.Fatalf("%d cut, %d at the floor, %d cuts summing to %d, price %d", ok.Load(), floor.Load(), len(b.Cuts), sum, b.PriceFen)
	}

	c, _ := u.Start(ctx, "starter2", a.ID)
	ok.Store(0)
	for range 10 {
		wg.Go(func() {
			_, _, err := u.Help(ctx, c.ID, "eager")
			if err == nil {
				ok.Add(1)
			} else if fault.ReasonOf(err) != domain.ReasonBargainAlreadyHelped {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	c, _ = u.Get(ctx, c.ID)
	if ok.Load() != 1 || len(c.Cuts) != 1 {
		t.Fatalf("one helper cut %d times, %d cuts", ok.Load(), len(c.Cuts))
	}
}

// TestBargainExpires: past its deadline a bargain shows expired, takes no
// help and cannot be bought; starting again answers the expired one.
func TestBargainExpires(t *testing.T) {
	u, _, clk, a := newBargains(t, 3)
	ctx := context.Background()
	b, _ := u.Start(ctx, "starter", a.ID)
	if _, _, err := u.Help(ctx, b.ID, "h1"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(24 * time.Hour)
	_, _, err := u.Help(ctx, b.ID, "h2")
	mustReason(t, err, domain.ReasonBargainExpired)
	if got, _ := u.Get(ctx, b.ID); got.Status != domain.BargainExpired {
		t.Fatalf("status %s", got.Status)
	}
	_, err = u.Lock(ctx, b.ID, "starter", "o1")
	mustReason(t, err, domain.ReasonBargainExpired)
	if again, err := u.Start(ctx, "starter", a.ID); err != nil || again.ID != b.ID || again.Status != domain.BargainExpired {
		t.Fatalf("start again: %+v %v", again, err)
	}
	clk.Set(a.End)
	_, err = u.Start(ctx, "newcomer", a.ID)
	mustReason(t, err, domain.ReasonActivityEnded)
	_, err = u.Start(ctx, "newcomer", "ba_none")
	mustReason(t, err, domain.ReasonActivityNotFound)
	bad := domain.BargainActivity{ProductID: "p", SKUID: "s", ListPriceFen: 105, FloorPriceFen: 100, HelpersNeeded: 10,
		TimeLimit: time.Hour, Start: activityStart, End: a.End}
	_, err = u.CreateActivity(ctx, bad)
	mustReason(t, err, domain.ReasonActivityInvalid)
}

func (s *memBargains) ListBargainActivities(context.Context) ([]domain.BargainActivity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.BargainActivity
	for _, a := range s.activities {
		out = append(out, a)
	}
	return out, nil
}

func (s *memBargains) UpdateBargainActivity(_ context.Context, a domain.BargainActivity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.activities[a.ID]; !ok || cur.Version != a.Version {
		return ErrStale
	}
	a.Version++
	s.activities[a.ID] = a
	return nil
}
