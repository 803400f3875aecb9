package app

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"slices"
	"strings"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// GroupStore keeps group-buy activities, groups and members' quotas. Each
// group is one document keyed by its id, and each member's quota of an
// activity one document keyed by activity and member, so every step of a
// group is one compare-and-set by _id.
type GroupStore interface {
	CreateGroupBuy(ctx context.Context, a domain.GroupBuyActivity) error
	// ListGroupBuys returns every activity, newest first (operators'
	// activities: a small collection, scanned).
	ListGroupBuys(ctx context.Context) ([]domain.GroupBuyActivity, error)
	// UpdateGroupBuy replaces a if its stored version is still a.Version,
	// bumping it; otherwise ErrStale.
	UpdateGroupBuy(ctx context.Context, a domain.GroupBuyActivity) error
	// GroupBuy is ACTIVITY_NOT_FOUND when there is none.
	GroupBuy(ctx context.Context, id string) (domain.GroupBuyActivity, error)
	// Group is GROUP_NOT_FOUND when there is none.
	Group(ctx context.Context, id string) (domain.Group, error)
	// SaveGroup writes g if its stored version is still g.Version (0: not
	// stored yet), bumping it; otherwise ErrStale.
	SaveGroup(ctx context.Context, g domain.Group) error
	// GroupQuota returns the member's quota of the activity (empty, version
	// 0, when there is none).
	GroupQuota(ctx context.Context, activityID, memberID string) (domain.GroupQuota, error)
	// SaveGroupQuota writes q if its stored version is still q.Version (0:
	// not stored yet), bumping it; otherwise ErrStale.
	SaveGroupQuota(ctx context.Context, q domain.GroupQuota) error
	// OpenGroups lists open groups of an activity with seats left, soonest
	// deadline first, for shoppers to join (off the hot path; it may scan).
	OpenGroups(ctx context.Context, activityID string, limit int) ([]domain.Group, error)
	// DueGroups returns open groups whose deadline is at or before now and
	// settled groups whose outcome is pending (Group.OutcomePending, kept
	// as a field), soonest deadline first (the sweeper's; it may scan).
	DueGroups(ctx context.Context, now time.Time, limit int) ([]domain.Group, error)
}

// GroupBuys is group-buy (拼团): operators set activities up; shoppers
// open and join groups with their orders; the order service reports
// payments and cancellations; a sweeper settles groups whose time is up.
type GroupBuys struct {
	store GroupStore
	clk   clock.Clock
}

// NewGroupBuys builds the group-buy use cases.
func NewGroupBuys(store GroupStore, clk clock.Clock) *GroupBuys {
	return &GroupBuys{store: store, clk: clk}
}

// Seat is a member's place in a group and the price their order pays.
type Seat struct {
	Group    domain.Group
	PriceFen int64
}

// Settled is a group after a step that may have settled it, with the paid
// orders whose outcome is not handed off yet: Fulfil when the group
// succeeded (the orders may ship), Refunds when it failed. The caller
// hands them to the order service, which acts once per order id, and then
// calls Reported; until it does, the sweeper answers them again, so a
// crash in between repeats the hand-off instead of losing a refund.
type Settled struct {
	Group           domain.Group
	Fulfil, Refunds []string
}

// CreateActivity validates and stores a new activity.
func (u *GroupBuys) CreateActivity(ctx context.Context, a domain.GroupBuyActivity) (domain.GroupBuyActivity, error) {
	if err := a.Validate(); err != nil {
		return a, err
	}
	a.ID, a.Version, a.CreatedAt = newID("gb"), 1, u.clk.Now()
	if err := u.store.CreateGroupBuy(ctx, a); err != nil {
		return domain.GroupBuyActivity{}, err
	}
	return a, nil
}

// Activity returns an activity.
func (u *GroupBuys) Activity(ctx context.Context, id string) (domain.GroupBuyActivity, error) {
	return u.store.GroupBuy(ctx, id)
}

// Group returns a group as it stands at now: one whose time is up shows
// settled even before the sweeper wrote it.
func (u *GroupBuys) Group(ctx context.Context, id string) (domain.Group, error) {
	g, err := u.store.Group(ctx, id)
	if err != nil {
		return g, err
	}
	g.Expire(u.clk.Now())
	return g, nil
}

// OpenGroups lists groups of an activity a shopper may join now.
func (u *GroupBuys) OpenGroups(ctx context.Context, activityID string, limit int) ([]domain.Group, error) {
	gs, err := u.store.OpenGroups(ctx, activityID, limit)
	if err != nil {
		return nil, err
	}
	now := u.clk.Now()
	return slices.DeleteFunc(gs, func(g domain.Group) bool { return g.Due(now) || g.SeatsLeft() == 0 }), nil
}

// groupIDFor is the id of the group an order opens: the same order always
// names the same group, so a repeated Open finds the first one instead of
// opening another; hashed so a share link shows no order id.
func groupIDFor(activityID, orderID string) string {
	return "g_" + docHash(activityID, orderID)
}

// docHash derives a short opaque id from parts.
func docHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:15]))
}

// Open starts a group of the activity led by the member, whose order buys
// skuID at the group price. Repeating it with the same order answers the
// same group.
func (u *GroupBuys) Open(ctx context.Context, memberID, activityID, skuID, orderID string) (Seat, error) {
	if memberID == "" || orderID == "" {
		return Seat{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a member and an order are required", "field", "order_id")
	}
	a, err := u.store.GroupBuy(ctx, activityID)
	if err != nil {
		return Seat{}, err
	}
	price, err := a.Price(skuID)
	if err != nil {
		return Seat{}, err
	}
	id := groupIDFor(a.ID, orderID)
	if seat, ok, err := u.openedBefore(ctx, id, memberID, price); ok || err != nil {
		return seat, err
	}
	g, err := a.Open(id, memberID, orderID, u.clk.Now())
	if err != nil {
		return Seat{}, err
	}
	fresh, err := u.takeQuota(ctx, a, memberID, id)
	if err != nil {
		return Seat{}, err
	}
	err = u.store.SaveGroup(ctx, g)
	if errors.Is(err, ErrStale) {
		// The same order opened it meanwhile.
		seat, ok, err := u.openedBefore(ctx, id, memberID, price)
		if ok || err != nil {
			return seat, err
		}
	}
	if err != nil {
		if fresh {
			u.giveQuota(ctx, a.ID, memberID, id)
		}
		return Seat{}, err
	}
	g.Version++
	return Seat{Group: g, PriceFen: price}, nil
}

// openedBefore finds the group an order already opened.
func (u *GroupBuys) openedBefore(ctx context.Context, id, memberID string, price int64) (Seat, bool, error) {
	g, err := u.store.Group(ctx, id)
	switch {
	case errors.Is(err, errGroupNotFound):
		return Seat{}, false, nil
	case err != nil:
		return Seat{}, false, err
	case g.LeaderID != memberID:
		return Seat{}, false, fault.New(fault.Conflict, domain.ReasonGroupOrderInUse, "the order opened another member's group", "group_id", id)
	}
	return Seat{Group: g, PriceFen: price}, true, nil
}

var errGroupNotFound = fault.New(fault.NotFound, domain.ReasonGroupNotFound, "no such group")

// Join seats the member in a group with their order buying skuID at the
// group price. Repeating it with the same order answers the same seat.
// Members joining at once never overfill a group: each join is one
// compare-and-set of the group's document.
func (u *GroupBuys) Join(ctx context.Context, memberID, groupID, skuID, orderID string) (Seat, error) {
	g, err := u.store.Group(ctx, groupID)
	if err != nil {
		return Seat{}, err
	}
	a, err := u.store.GroupBuy(ctx, g.ActivityID)
	if err != nil {
		return Seat{}, err
	}
	price, err := a.Price(skuID)
	if err != nil {
		return Seat{}, err
	}
	now := u.clk.Now()
	// A refusal the group already shows (full, closed, a repeat) costs no
	// write to the member's quota.
	probe := g
	probe.Members = slices.Clone(g.Members)
	switch changed, err := probe.Join(memberID, orderID, now); {
	case err != nil:
		return Seat{}, err
	case !changed:
		return Seat{Group: g, PriceFen: price}, nil
	}
	fresh, err := u.takeQuota(ctx, a, memberID, groupID)
	if err != nil {
		return Seat{}, err
	}
	g, err = u.modifyGroup(ctx, groupID, func(g *domain.Group) (bool, error) { return g.Join(memberID, orderID, now) })
	if err != nil {
		if _, in := g.Member(memberID); fresh && !in {
			u.giveQuota(ctx, a.ID, memberID, groupID)
		}
		return Seat{}, err
	}
	return Seat{Group: g, PriceFen: price}, nil
}

// Paid counts the member's paid order in its group. When this payment
// completes the group, Fulfil names every paid order of it; when the group
// failed (before the payment came, or its time was up), Refunds names this
// order and any other not handed off yet.
func (u *GroupBuys) Paid(ctx context.Context, groupID, memberID, orderID string) (Settled, error) {
	now := u.clk.Now()
	return u.settle(ctx, groupID, func(g *domain.Group) (bool, error) { return g.Paid(memberID, orderID, now) })
}

// Leave frees the seat of an order cancelled before payment, and the
// member's quota with it; an order without a seat is a no-op.
func (u *GroupBuys) Leave(ctx context.Context, groupID, memberID, orderID string) (domain.Group, error) {
	var left bool
	g, err := u.modifyGroup(ctx, groupID, func(g *domain.Group) (bool, error) {
		changed, err := g.Leave(memberID, orderID)
		left = changed
		return changed, err
	})
	if err != nil {
		return g, err
	}
	if left {
		u.giveQuota(ctx, g.ActivityID, memberID, groupID)
	}
	return g, nil
}

// Expire settles a group whose time is up: failed (Refunds names its paid
// orders) or, with virtual completion, succeeded (Fulfil names them).
// Before its deadline it is answered as it stands.
func (u *GroupBuys) Expire(ctx context.Context, groupID string) (Settled, error) {
	now := u.clk.Now()
	return u.settle(ctx, groupID, func(g *domain.Group) (bool, error) { return g.Expire(now), nil })
}

// Sweep settles up to limit groups whose time is up, and answers them and
// settled groups whose outcome is still pending, each with the orders to
// fulfil or refund; a group that fails to settle is left for the next
// sweep.
func (u *GroupBuys) Sweep(ctx context.Context, limit int) ([]Settled, error) {
	due, err := u.store.DueGroups(ctx, u.clk.Now(), limit)
	if err != nil {
		return nil, err
	}
	var out []Settled
	var errs []error
	for _, g := range due {
		s, err := u.Expire(ctx, g.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// settle applies f to a group and, when this write failed the group,
// gives its members' quotas back (a failed group does not count against
// the limit).
func (u *GroupBuys) settle(ctx context.Context, groupID string, f func(g *domain.Group) (bool, error)) (Settled, error) {
	var failedNow bool
	g, err := u.modifyGroup(ctx, groupID, func(g *domain.Group) (bool, error) {
		was := g.Status
		changed, err := f(g)
		failedNow = was == domain.GroupOpen && g.Status == domain.GroupFailed
		return changed, err
	})
	if err != nil {
		return Settled{}, err
	}
	if failedNow {
		for _, m := range g.Members {
			u.giveQuota(ctx, g.ActivityID, m.MemberID, g.ID)
		}
	}
	fulfil, refunds := g.Outcome()
	return Settled{Group: g, Fulfil: fulfil, Refunds: refunds}, nil
}

// Reported records that the outcome for these paid orders of the group
// was handed to the order service; a repeat is a no-op.
func (u *GroupBuys) Reported(ctx context.Context, groupID string, orderIDs []string) (domain.Group, error) {
	return u.modifyGroup(ctx, groupID, func(g *domain.Group) (bool, error) { return g.MarkReported(orderIDs), nil })
}

// modifyGroup applies f to the group and saves it, retrying when another
// writer came first. f reports whether it changed anything; nothing is
// written when it did not. On error it answers the group as last read.
func (u *GroupBuys) modifyGroup(ctx context.Context, id string, f func(g *domain.Group) (bool, error)) (domain.Group, error) {
	for range casAttempts {
		g, err := u.store.Group(ctx, id)
		if err != nil {
			return g, err
		}
		read := g
		read.Members = slices.Clone(g.Members)
		changed, err := f(&g)
		if err != nil {
			return read, err
		}
		if !changed {
			return g, nil
		}
		err = u.store.SaveGroup(ctx, g)
		if err == nil {
			g.Version++
			return g, nil
		}
		if !errors.Is(err, ErrStale) {
			return read, err
		}
	}
	return domain.Group{}, fault.New(fault.Unavailable, domain.ReasonServiceBusy, "the group is busy: try again", "group_id", id)
}

// takeQuota counts the group against the member's limit of the activity;
// fresh is false when it already counted.
func (u *GroupBuys) takeQuota(ctx context.Context, a domain.GroupBuyActivity, memberID, groupID string) (fresh bool, err error) {
	err = u.modifyQuota(ctx, a.ID, memberID, func(q *domain.GroupQuota) (bool, error) {
		fresh, err = q.Take(groupID, a.PerMemberLimit)
		return fresh, err
	})
	return fresh, err
}

// giveQuota stops counting a group against the member's limit. It is
// best effort: if the store fails, the member has one group fewer to
// join, never one too many.
func (u *GroupBuys) giveQuota(ctx context.Context, activityID, memberID, groupID string) {
	_ = u.modifyQuota(ctx, activityID, memberID, func(q *domain.GroupQuota) (bool, error) { return q.Give(groupID), nil })
}

func (u *GroupBuys) modifyQuota(ctx context.Context, activityID, memberID string, f func(q *domain.GroupQuota) (bool, error)) error {
	for range casAttempts {
		q, err := u.store.GroupQuota(ctx, activityID, memberID)
		if err != nil {
			return err
		}
		q.ActivityID, q.MemberID = activityID, memberID
		changed, err := f(&q)
		if err != nil || !changed {
			return err
		}
		err = u.store.SaveGroupQuota(ctx, q)
		if !errors.Is(err, ErrStale) {
			return err
		}
	}
	return fault.New(fault.Unavailable, domain.ReasonServiceBusy, "your group-buy quota is busy: try again")
}

// Activities lists every group-buy activity, newest first.
func (u *GroupBuys) Activities(ctx context.Context) ([]domain.GroupBuyActivity, error) {
	return u.store.ListGroupBuys(ctx)
}

// End closes the activity now: no group opens after it; open groups keep
// their deadlines. Ending an ended activity changes nothing.
func (u *GroupBuys) End(ctx context.Context, id string) (domain.GroupBuyActivity, error) {
	for range casAttempts {
		a, err := u.store.GroupBuy(ctx, id)
		now := u.clk.Now()
		if err != nil || !now.Before(a.End) {
			return a, err
		}
		a.End = now
		if err := u.store.UpdateGroupBuy(ctx, a); errors.Is(err, ErrStale) {
			continue
		} else if err != nil {
			return a, err
		}
		a.Version++
		return a, nil
	}
	return domain.GroupBuyActivity{}, ErrStale
}
