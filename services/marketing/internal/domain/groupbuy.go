package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"siyu.dev/pkg/fault"
)

// Group-buy (拼团): a member opens a group of an activity by ordering one of
// its SKUs at the group price; other members join it with their own orders;
// once as many members as the group's size paid, the group succeeded and
// the orders ship. A group short of paid members at its deadline failed and
// every paid order in it is refunded, unless the activity completes groups
// virtually (模拟成团) and enough real members paid.

// GroupPrice is the group price of one SKU of the activity's product.
type GroupPrice struct {
	SKUID    string
	PriceFen int64
}

// GroupBuyActivity is what operators set up: which SKUs sell at which group
// price, how large a group is and how long it has to fill.
type GroupBuyActivity struct {
	ID, ProductID string
	// Name is what shoppers see ("3人团"); optional.
	Name   string
	Prices []GroupPrice
	// GroupSize is how many paid members complete a group, the leader
	// included.
	GroupSize int
	// GroupTTL is how long a group has to fill once opened (24h is usual).
	GroupTTL time.Duration
	// Start and End: groups open in [Start, End).
	Start, End time.Time
	// PerMemberLimit is how many groups of the activity one member may be
	// in at once (opened or joined); a group they left or that failed no
	// longer counts.
	PerMemberLimit int
	// VirtualCompletion lets a group short of members at its deadline
	// succeed anyway when at least MinRealMembers of it paid.
	VirtualCompletion bool
	MinRealMembers    int

	// Kept by the service.
	Version   int64
	CreatedAt time.Time
}

// Limits a group-buy activity must respect.
const (
	MinGroupSize        = 2
	MaxGroupSize        = 50
	MaxGroupsPerMember  = 100
	maxActivitySKUs     = 100
	minActivityTTL      = 5 * time.Minute
	maxActivityTTL      = 7 * 24 * time.Hour
	maxActivityDuration = 366 * 24 * time.Hour
	maxActivityIDLen    = 64
)

// validWindow checks an activity's [start, end).
func validWindow(start, end time.Time) error {
	switch {
	case start.IsZero() || end.IsZero() || !start.Before(end):
		return activityInvalid("window", "an activity needs a start before its end")
	case end.Sub(start) > maxActivityDuration:
		return activityInvalid("window", "an activity runs at most 366 days")
	}
	return nil
}

// validTTL checks how long a group or a bargain may run.
func validTTL(field string, d time.Duration) error {
	if d < minActivityTTL || d > maxActivityTTL {
		return activityInvalid(field, "the time limit is 5 minutes to 7 days")
	}
	return nil
}

// validRef checks an id the activity names (product, SKU).
func validRef(field, id string) error {
	if strings.TrimSpace(id) == "" || len(id) > maxActivityIDLen {
		return activityInvalid(field, field+" of at most 64 characters is required")
	}
	return nil
}

// Validate checks an activity before it is saved.
func (a GroupBuyActivity) Validate() error {
	if err := validRef("product_id", a.ProductID); err != nil {
		return err
	}
	if len(a.Prices) == 0 || len(a.Prices) > maxActivitySKUs {
		return activityInvalid("prices", "a group-buy sells 1 to 100 SKUs")
	}
	seen := make(map[string]bool, len(a.Prices))
	for _, p := range a.Prices {
		if err := validRef("prices.sku_id", p.SKUID); err != nil {
			return err
		}
		if seen[p.SKUID] {
			return activityInvalid("prices.sku_id", "SKU "+p.SKUID+" is priced twice")
		}
		seen[p.SKUID] = true
		if p.PriceFen < 1 || p.PriceFen > maxAmountFen {
			return activityInvalid("prices.price_fen", "a group price is 1 fen to 1,000,000 yuan")
		}
	}
	switch {
	case a.GroupSize < MinGroupSize || a.GroupSize > MaxGroupSize:
		return activityInvalid("group_size", "a group has 2 to 50 members")
	case a.PerMemberLimit < 1 || a.PerMemberLimit > MaxGroupsPerMember:
		return activityInvalid("per_member_limit", "a member is in 1 to 100 groups of an activity")
	case a.VirtualCompletion && (a.MinRealMembers < 1 || a.MinRealMembers >= a.GroupSize):
		return activityInvalid("min_real_members", "virtual completion needs 1 to group size − 1 real members")
	case !a.VirtualCompletion && a.MinRealMembers != 0:
		return activityInvalid("min_real_members", "min_real_members applies only with virtual completion")
	}
	if err := validTTL("group_ttl", a.GroupTTL); err != nil {
		return err
	}
	return validWindow(a.Start, a.End)
}

// activeAt says why nothing of an activity in [start, end) can begin at
// now, or nil.
func activeAt(id string, start, end, now time.Time) error {
	switch {
	case now.Before(start):
		return fault.New(fault.Precondition, ReasonActivityNotStarted, "the activity has not started", "activity_id", id)
	case !now.Before(end):
		return fault.New(fault.Precondition, ReasonActivityEnded, "the activity has ended", "activity_id", id)
	}
	return nil
}

// Active says why no group of the activity can open at now, or nil.
func (a GroupBuyActivity) Active(now time.Time) error { return activeAt(a.ID, a.Start, a.End, now) }

// Price is the group price of a SKU; a SKU the activity does not sell is
// ACTIVITY_SKU_EXCLUDED.
func (a GroupBuyActivity) Price(skuID string) (int64, error) {
	for _, p := range a.Prices {
		if p.SKUID == skuID {
			return p.PriceFen, nil
		}
	}
	return 0, fault.New(fault.Precondition, ReasonActivitySKUExcluded, "this SKU is not in the group-buy", "activity_id", a.ID, "sku_id", skuID)
}

// GroupStatus is where a group is.
type GroupStatus string

const (
	GroupOpen      GroupStatus = "OPEN"
	GroupSucceeded GroupStatus = "SUCCEEDED"
	GroupFailed    GroupStatus = "FAILED"
)

// GroupMember is a member's seat in a group, held by their order; it counts
// toward the group's size once the order is paid.
type GroupMember struct {
	MemberID, OrderID string
	Paid              bool
	JoinedAt          time.Time
	// Reported: the group's outcome for this paid order (go ahead and
	// ship, or refund) was handed to the order service.
	Reported bool
}

// Group is one group of an activity, stored as one document so that joins,
// payments and expiry are each one compare-and-set of it. It carries the
// activity's rules as they were when it opened: later edits of the activity
// do not change groups under way.
type Group struct {
	ID, ActivityID, LeaderID string
	Size                     int
	VirtualCompletion        bool
	MinRealMembers           int
	Members                  []GroupMember
	Status                   GroupStatus
	OpenedAt, Deadline       time.Time
	// ClosedAt is when it succeeded or failed.
	ClosedAt time.Time
	Version  int64
}

// Open starts a group led by leaderID with their order at now. The group's
// deadline is GroupTTL later, but never after the activity ends: the group
// price is not offered past the activity's end.
func (a GroupBuyActivity) Open(id, leaderID, orderID string, now time.Time) (Group, error) {
	if err := a.Active(now); err != nil {
		return Group{}, err
	}
	if leaderID == "" || orderID == "" {
		return Group{}, fault.New(fault.Invalid, ReasonArgumentInvalid, "a member and an order are required", "field", "order_id")
	}
	deadline := now.Add(a.GroupTTL)
	if a.End.Before(deadline) {
		deadline = a.End
	}
	return Group{
		ID: id, ActivityID: a.ID, LeaderID: leaderID,
		Size: a.GroupSize, VirtualCompletion: a.VirtualCompletion, MinRealMembers: a.MinRealMembers,
		Members:  []GroupMember{{MemberID: leaderID, OrderID: orderID, JoinedAt: now}},
		Status:   GroupOpen,
		OpenedAt: now, Deadline: deadline,
	}, nil
}

// Member finds a member's seat.
func (g *Group) Member(memberID string) (*GroupMember, bool) {
	for i := range g.Members {
		if g.Members[i].MemberID == memberID {
			return &g.Members[i], true
		}
	}
	return nil, false
}

// seat finds the seat an order holds.
func (g *Group) seat(orderID string) (int, bool) {
	for i := range g.Members {
		if g.Members[i].OrderID == orderID {
			return i, true
		}
	}
	return -1, false
}

// PaidCount is how many members paid.
func (g *Group) PaidCount() int {
	n := 0
	for _, m := range g.Members {
		if m.Paid {
			n++
		}
	}
	return n
}

// SeatsLeft is how many more members may join: a seat is held from the
// join until the order is cancelled, paid or not.
func (g *Group) SeatsLeft() int { return max(0, g.Size-len(g.Members)) }

func (g *Group) closed() error {
	return fault.New(fault.Precondition, ReasonGroupClosed, "the group is "+strings.ToLower(string(g.Status)), "group_id", g.ID)
}

// Join seats a member with their order at now. Repeating the same join is
// a no-op (changed false), whatever happened to the group since.
func (g *Group) Join(memberID, orderID string, now time.Time) (changed bool, err error) {
	if memberID == "" || orderID == "" {
		return false, fault.New(fault.Invalid, ReasonArgumentInvalid, "a member and an order are required", "field", "order_id")
	}
	if i, ok := g.seat(orderID); ok {
		if g.Members[i].MemberID != memberID {
			return false, fault.New(fault.Conflict, ReasonGroupOrderInUse, "the order holds another member's seat", "group_id", g.ID, "order_id", orderID)
		}
		return false, nil
	}
	if _, ok := g.Member(memberID); ok {
		return false, fault.New(fault.Precondition, ReasonGroupAlreadyJoined, "you are already in this group", "group_id", g.ID)
	}
	switch {
	case g.Status != GroupOpen:
		return false, g.closed()
	case !now.Before(g.Deadline):
		return false, fault.New(fault.Precondition, ReasonGroupExpired, "the group's time is up", "group_id", g.ID)
	case g.SeatsLeft() == 0:
		return false, fault.New(fault.Precondition, ReasonGroupFull, "the group is full", "group_id", g.ID, "size", strconv.Itoa(g.Size))
	}
	g.Members = append(g.Members, GroupMember{MemberID: memberID, OrderID: orderID, JoinedAt: now})
	return true, nil
}

// Paid counts the member's order as paid at now; the group succeeds when
// its paid members reach its size. A repeat is a no-op. A payment that
// arrives after the group failed is still recorded, so that Refunds names
// its order: the money came in and must go back.
func (g *Group) Paid(memberID, orderID string, now time.Time) (changed bool, err error) {
	i, ok := g.seat(orderID)
	if !ok || g.Members[i].MemberID != memberID {
		return false, fault.New(fault.NotFound, ReasonGroupOrderNotFound, "the order holds no seat in this group", "group_id", g.ID, "order_id", orderID)
	}
	// A payment after the deadline does not complete a group the sweeper
	// has not reached yet: the group's time was up first.
	changed = g.Expire(now)
	if g.Members[i].Paid {
		return changed, nil
	}
	g.Members[i].Paid = true
	if g.Status == GroupOpen && g.PaidCount() >= g.Size {
		g.Status, g.ClosedAt = GroupSucceeded, now
	}
	return true, nil
}

// Leave frees the seat of an order cancelled before it was paid; an order
// holding no seat is a no-op. The leader may leave too: the group stays
// open to the others until its deadline. A paid seat stays: its money goes
// back only through the group failing (Refunds) or after-sales.
func (g *Group) Leave(memberID, orderID string) (changed bool, err error) {
	i, ok := g.seat(orderID)
	if !ok || g.Members[i].MemberID != memberID {
		return false, nil
	}
	if g.Members[i].Paid {
		return false, fault.New(fault.Precondition, ReasonGroupOrderPaid, "a paid seat cannot be given up", "group_id", g.ID, "order_id", orderID)
	}
	g.Members = slices.Delete(g.Members, i, i+1)
	return true, nil
}

// Due reports whether the group's time is up at now and it has not been
// settled yet.
func (g *Group) Due(now time.Time) bool { return g.Status == GroupOpen && !now.Before(g.Deadline) }

// Expire settles a group whose time is up at now: it failed, or it
// succeeded with virtual completion when enough real members paid. Before
// the deadline, or once settled, it is a no-op.
func (g *Group) Expire(now time.Time) (changed bool) {
	if !g.Due(now) {
		return false
	}
	g.Status, g.ClosedAt = GroupFailed, now
	if g.VirtualCompletion && g.PaidCount() >= g.MinRealMembers {
		g.Status = GroupSucceeded
	}
	return true
}

// Refunds is every paid order of a failed group, all of which must be
// refunded (nil for a group open or succeeded); Outcome says which of them
// were not handed off yet.
func (g *Group) Refunds() []string {
	if g.Status != GroupFailed {
		return nil
	}
	var ids []string
	for _, m := range g.Members {
		if m.Paid {
			ids = append(ids, m.OrderID)
		}
	}
	return ids
}

// Outcome is the paid orders of a settled group whose outcome was not
// handed to the order service yet: orders to fulfil when it succeeded,
// orders to refund when it failed. A group open or fully reported has
// none. Whoever settles a group hands these off (idempotently by order id)
// and then marks them Reported, so a crash in between only repeats the
// hand-off.
func (g *Group) Outcome() (fulfil, refund []string) {
	for _, m := range g.Members {
		if !m.Paid || m.Reported {
			continue
		}
		switch g.Status {
		case GroupSucceeded:
			fulfil = append(fulfil, m.OrderID)
		case GroupFailed:
			refund = append(refund, m.OrderID)
		}
	}
	return fulfil, refund
}

// OutcomePending reports whether some paid order still waits for the
// group's outcome to be handed off (the store keeps it as a field, so the
// sweeper finds such groups).
func (g *Group) OutcomePending() bool {
	fulfil, refund := g.Outcome()
	return len(fulfil)+len(refund) > 0
}

// MarkReported records that the outcome for these paid orders was handed
// off; orders not paid, not in the group or already marked are skipped.
func (g *Group) MarkReported(orderIDs []string) (changed bool) {
	if g.Status == GroupOpen {
		return false
	}
	for i := range g.Members {
		m := &g.Members[i]
		if m.Paid && !m.Reported && slices.Contains(orderIDs, m.OrderID) {
			m.Reported, changed = true, true
		}
	}
	return changed
}

// GroupQuota is the groups of one activity one member is in, kept in one
// document per member and activity so the per-member limit holds under
// concurrent joins of different groups.
type GroupQuota struct {
	ActivityID, MemberID string
	GroupIDs             []string
	Version              int64
}

// Take counts the group against the member's limit; taking a group already
// counted is a no-op (fresh false).
func (q *GroupQuota) Take(groupID string, limit int) (fresh bool, err error) {
	if slices.Contains(q.GroupIDs, groupID) {
		return false, nil
	}
	if len(q.GroupIDs) >= limit {
		return false, fault.New(fault.Precondition, ReasonGroupLimitReached, "you are in as many groups of this activity as a member may",
			"activity_id", q.ActivityID, "limit", strconv.Itoa(limit))
	}
	q.GroupIDs = append(q.GroupIDs, groupID)
	return true, nil
}

// Give stops counting the group (the member left it, or it failed); a
// group not counted is a no-op.
func (q *GroupQuota) Give(groupID string) (changed bool) {
	i := slices.Index(q.GroupIDs, groupID)
	if i < 0 {
		return false
	}
	q.GroupIDs = slices.Delete(q.GroupIDs, i, i+1)
	return true
}
