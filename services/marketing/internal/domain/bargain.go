package domain

import (
	"strconv"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/money"
)

// Bargain (砍价): a member starts a bargain on a SKU at its list price and
// shares it; each friend who helps cuts a random amount off, and the
// HelpersNeeded-th helper brings the price exactly to the floor, at which
// the starter may buy it. A bargain that does not reach the floor in time
// expired.

// BargainActivity is what operators set up: one SKU, its list and floor
// prices, how many helpers it takes and how long a bargain runs.
type BargainActivity struct {
	ID, ProductID, SKUID string
	// Name is what shoppers see; optional.
	Name string
	// ListPriceFen is where every bargain starts; FloorPriceFen (≥ 1 fen)
	// is where it ends.
	ListPriceFen, FloorPriceFen int64
	// HelpersNeeded is how many helpers take the price to the floor.
	HelpersNeeded int
	// TimeLimit is how long a bargain runs once started.
	TimeLimit time.Duration
	// Start and End: bargains start in [Start, End).
	Start, End time.Time

	// Kept by the service.
	Version   int64
	CreatedAt time.Time
}

// Limits a bargain activity must respect.
const (
	MaxBargainHelpers = 100
)

// Validate checks an activity before it is saved. Every helper cuts at
// least one fen, so the gap between list and floor is at least as many fen
// as helpers are needed.
func (a BargainActivity) Validate() error {
	if err := validRef("product_id", a.ProductID); err != nil {
		return err
	}
	if err := validRef("sku_id", a.SKUID); err != nil {
		return err
	}
	switch {
	case a.FloorPriceFen < 1:
		return activityInvalid("floor_price_fen", "the floor price is at least 1 fen")
	case a.ListPriceFen > maxAmountFen:
		return activityInvalid("list_price_fen", "the list price is at most 1,000,000 yuan")
	case a.ListPriceFen <= a.FloorPriceFen:
		return activityInvalid("list_price_fen", "the list price is above the floor price")
	case a.HelpersNeeded < 1 || a.HelpersNeeded > MaxBargainHelpers:
		return activityInvalid("helpers_needed", "a bargain takes 1 to 100 helpers")
	case a.ListPriceFen-a.FloorPriceFen < int64(a.HelpersNeeded):
		return activityInvalid("helpers_needed", "every helper cuts at least 1 fen: list − floor must be at least as many fen as helpers")
	}
	if err := validTTL("time_limit", a.TimeLimit); err != nil {
		return err
	}
	return validWindow(a.Start, a.End)
}

// Active says why no bargain of the activity can start at now, or nil.
func (a BargainActivity) Active(now time.Time) error { return activeAt(a.ID, a.Start, a.End, now) }

// BargainStatus is where a bargain is.
type BargainStatus string

const (
	BargainOngoing BargainStatus = "ONGOING"
	// BargainSucceeded: the price reached the floor; the starter may buy.
	BargainSucceeded BargainStatus = "SUCCEEDED"
	// BargainExpired: time ran out above the floor.
	BargainExpired BargainStatus = "EXPIRED"
)

// BargainCut is one helper's cut.
type BargainCut struct {
	HelperID  string
	AmountFen int64
	At        time.Time
}

// Bargain is one member's bargain on an activity, stored as one document
// so each cut is one compare-and-set of it. It carries the activity's
// prices as they were when it started.
type Bargain struct {
	ID, ActivityID, StarterID   string
	ProductID, SKUID            string
	ListPriceFen, FloorPriceFen int64
	HelpersNeeded               int
	// PriceFen is the price now: the list price less every cut.
	PriceFen            int64
	Cuts                []BargainCut
	Status              BargainStatus
	StartedAt, Deadline time.Time
	// FinishedAt is when it reached the floor or expired.
	FinishedAt time.Time
	// OrderID is the order buying at the floor price ("" until one does).
	OrderID string
	Version int64
}

// Begin starts the starter's bargain at now. Its deadline is TimeLimit
// later but never after the activity ends.
func (a BargainActivity) Begin(id, starterID string, now time.Time) (Bargain, error) {
	if err := a.Active(now); err != nil {
		return Bargain{}, err
	}
	if starterID == "" {
		return Bargain{}, fault.New(fault.Invalid, ReasonArgumentInvalid, "a member is required", "field", "member_id")
	}
	deadline := now.Add(a.TimeLimit)
	if a.End.Before(deadline) {
		deadline = a.End
	}
	return Bargain{
		ID: id, ActivityID: a.ID, StarterID: starterID, ProductID: a.ProductID, SKUID: a.SKUID,
		ListPriceFen: a.ListPriceFen, FloorPriceFen: a.FloorPriceFen, HelpersNeeded: a.HelpersNeeded,
		PriceFen: a.ListPriceFen, Status: BargainOngoing, StartedAt: now, Deadline: deadline,
	}, nil
}

// Rand is the randomness cuts draw from: *rand.Rand of math/rand/v2 (seeded
// in tests), or a source safe for concurrent use in the service.
type Rand interface {
	// Int64N returns a number in [0, n).
	Int64N(n int64) int64
}

// NextCut is how much the next helper cuts when left fen separate the price
// from the floor and helpersLeft helpers (this one included) remain. The last
// helper takes all that is left; any other draws around 2/(helpersLeft+1)
// of it (uniformly between half and one and a half times that), bounded so
// that every helper after them can still cut at least one fen. In
// expectation cut i of n is 2(n−i)/(n(n+1)) of the gap: the first helper
// cuts about twice the average and the cuts fall off linearly, which keeps
// the early helpers pleased and the last ones needed. left must be at least
// helpersLeft (Validate sees to it); then every cut is at least one fen and
// the cuts add up to the gap exactly.
func NextCut(left int64, helpersLeft int, rnd Rand) int64 {
	if helpersLeft <= 1 || left <= 1 {
		return max(left, 0)
	}
	k := int64(helpersLeft)
	permille := 500 + rnd.Int64N(1001)
	// 2·permille ≤ 3000 ≤ (k+1)·1000, as MulDiv needs.
	cut, _ := money.MulDiv(left, 2*permille, (k+1)*1000)
	return min(max(cut, 1), left-(k-1))
}

// Helped reports the cut a helper made, if any.
func (b *Bargain) Helped(helperID string) (BargainCut, bool) {
	for _, c := range b.Cuts {
		if c.HelperID == helperID {
			return c, true
		}
	}
	return BargainCut{}, false
}

// Expire marks an ongoing bargain whose time is up at now as expired; it is
// a no-op otherwise.
func (b *Bargain) Expire(now time.Time) (changed bool) {
	if b.Status != BargainOngoing || now.Before(b.Deadline) {
		return false
	}
	b.Status, b.FinishedAt = BargainExpired, now
	return true
}

// Cut records helperID's cut at now, drawn from rnd. Each helper cuts once
// (a second try is BARGAIN_ALREADY_HELPED with the first cut's amount), the
// starter never, and nobody after the deadline or once the floor is reached.
func (b *Bargain) Cut(helperID string, now time.Time, rnd Rand) (BargainCut, error) {
	if helperID == "" {
		return BargainCut{}, fault.New(fault.Invalid, ReasonArgumentInvalid, "a helper is required", "field", "helper_id")
	}
	if helperID == b.StarterID {
		return BargainCut{}, fault.New(fault.Precondition, ReasonBargainSelfHelp, "the starter cannot help their own bargain", "bargain_id", b.ID)
	}
	if c, ok := b.Helped(helperID); ok {
		return c, fault.New(fault.Conflict, ReasonBargainAlreadyHelped, "you already helped this bargain",
			"bargain_id", b.ID, "amount_fen", strconv.FormatInt(c.AmountFen, 10))
	}
	b.Expire(now)
	if b.OrderID != "" {
		return BargainCut{}, fault.New(fault.Precondition, ReasonBargainOrderInUse, "the starter is buying at this price", "bargain_id", b.ID)
	}
	switch b.Status {
	case BargainSucceeded:
		return BargainCut{}, fault.New(fault.Precondition, ReasonBargainFloorReached, "the bargain already reached its floor price", "bargain_id", b.ID)
	case BargainExpired:
		return BargainCut{}, fault.New(fault.Precondition, ReasonBargainExpired, "the bargain's time is up", "bargain_id", b.ID)
	}
	left := b.PriceFen - b.FloorPriceFen
	c := BargainCut{HelperID: helperID, AmountFen: NextCut(left, b.HelpersNeeded-len(b.Cuts), rnd), At: now}
	b.Cuts = append(b.Cuts, c)
	b.PriceFen -= c.AmountFen
	if b.PriceFen <= b.FloorPriceFen {
		b.Status, b.FinishedAt = BargainSucceeded, now
	}
	return c, nil
}

// CutFen is the sum of every cut so far.
func (b *Bargain) CutFen() int64 { return b.ListPriceFen - b.PriceFen }

// HelpersLeft is how many more helpers it takes to reach the floor.
func (b *Bargain) HelpersLeft() int {
	if b.Status != BargainOngoing {
		return 0
	}
	return b.HelpersNeeded - len(b.Cuts)
}

// Lock holds the price reached for the starter's order: the starter buys
// at whatever the helpers brought it to, within the time limit, and no
// helper cuts while the order holds it. Locking again for the same order
// is a no-op; one order at a time.
func (b *Bargain) Lock(orderID string) (changed bool, err error) {
	switch {
	case orderID == "":
		return false, fault.New(fault.Invalid, ReasonArgumentInvalid, "an order is required", "field", "order_id")
	case b.OrderID == orderID:
		return false, nil
	case b.Status == BargainExpired:
		return false, fault.New(fault.Precondition, ReasonBargainExpired, "the bargain's time is up", "bargain_id", b.ID)
	case b.OrderID != "":
		return false, fault.New(fault.Precondition, ReasonBargainOrderInUse, "another order is buying this bargain", "bargain_id", b.ID)
	}
	b.OrderID = orderID
	return true, nil
}

// Release lets go of an order cancelled before it was paid, so helpers may
// cut again and the starter order again; another order's release is a
// no-op.
func (b *Bargain) Release(orderID string) (changed bool) {
	if orderID == "" || b.OrderID != orderID {
		return false
	}
	b.OrderID = ""
	return true
}
