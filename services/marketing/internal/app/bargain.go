package app

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// BargainStore keeps bargain activities and bargains, each bargain one
// document keyed by its id (derived from activity and starter, so one
// member has at most one bargain per activity).
type BargainStore interface {
	CreateBargainActivity(ctx context.Context, a domain.BargainActivity) error
	// ListBargainActivities returns every activity, newest first (a small
	// collection, scanned).
	ListBargainActivities(ctx context.Context) ([]domain.BargainActivity, error)
	// UpdateBargainActivity replaces a if its stored version is still
	// a.Version, bumping it; otherwise ErrStale.
	UpdateBargainActivity(ctx context.Context, a domain.BargainActivity) error
	// BargainActivity is ACTIVITY_NOT_FOUND when there is none.
	BargainActivity(ctx context.Context, id string) (domain.BargainActivity, error)
	// Bargain is BARGAIN_NOT_FOUND when there is none.
	Bargain(ctx context.Context, id string) (domain.Bargain, error)
	// SaveBargain writes b if its stored version is still b.Version (0:
	// not stored yet), bumping it; otherwise ErrStale.
	SaveBargain(ctx context.Context, b domain.Bargain) error
}

// Bargains is bargain (砍价): operators set activities up; a member starts
// a bargain and shares it; friends help cut the price; the starter buys at
// the floor.
type Bargains struct {
	store BargainStore
	clk   clock.Clock
	rnd   domain.Rand
}

// sharedRand draws from math/rand/v2's global source, which is safe for
// concurrent use and seeded by the runtime.
type sharedRand struct{}

func (sharedRand) Int64N(n int64) int64 { return rand.Int64N(n) }

// NewBargains builds the bargain use cases; rnd nil draws cuts from the
// runtime's source. A rnd given must be safe for concurrent use.
func NewBargains(store BargainStore, clk clock.Clock, rnd domain.Rand) *Bargains {
	if rnd == nil {
		rnd = sharedRand{}
	}
	return &Bargains{store: store, clk: clk, rnd: rnd}
}

// CreateActivity validates and stores a new activity.
func (u *Bargains) CreateActivity(ctx context.Context, a domain.BargainActivity) (domain.BargainActivity, error) {
	if err := a.Validate(); err != nil {
		return a, err
	}
	a.ID, a.Version, a.CreatedAt = newID("ba"), 1, u.clk.Now()
	if err := u.store.CreateBargainActivity(ctx, a); err != nil {
		return domain.BargainActivity{}, err
	}
	return a, nil
}

// Activity returns an activity.
func (u *Bargains) Activity(ctx context.Context, id string) (domain.BargainActivity, error) {
	return u.store.BargainActivity(ctx, id)
}

// bargainIDFor is the id of a member's bargain of an activity: one per
// member and activity, and a repeated Start finds the first.
func bargainIDFor(activityID, memberID string) string {
	return "b_" + docHash(activityID, memberID)
}

var errBargainNotFound = fault.New(fault.NotFound, domain.ReasonBargainNotFound, "no such bargain")

// Start begins the member's bargain of the activity, or answers the one
// they started before (a member bargains once per activity, whatever
// became of it).
func (u *Bargains) Start(ctx context.Context, memberID, activityID string) (domain.Bargain, error) {
	if memberID == "" {
		return domain.Bargain{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a member is required", "field", "member_id")
	}
	a, err := u.store.BargainActivity(ctx, activityID)
	if err != nil {
		return domain.Bargain{}, err
	}
	id := bargainIDFor(a.ID, memberID)
	if b, err := u.Get(ctx, id); !errors.Is(err, errBargainNotFound) {
		return b, err
	}
	b, err := a.Begin(id, memberID, u.clk.Now())
	if err != nil {
		return b, err
	}
	err = u.store.SaveBargain(ctx, b)
	if errors.Is(err, ErrStale) {
		// The same member started it meanwhile.
		return u.Get(ctx, id)
	}
	if err != nil {
		return domain.Bargain{}, err
	}
	b.Version++
	return b, nil
}

// Get returns a bargain as it stands now: one whose time is up shows
// expired even before anyone tried to help it.
func (u *Bargains) Get(ctx context.Context, id string) (domain.Bargain, error) {
	b, err := u.store.Bargain(ctx, id)
	if err != nil {
		return b, err
	}
	b.Expire(u.clk.Now())
	return b, nil
}

// Help records helperID's cut of a bargain. Helpers racing each other
// never cut past the floor: each cut is one compare-and-set of the
// bargain's document.
func (u *Bargains) Help(ctx context.Context, bargainID, helperID string) (domain.BargainCut, domain.Bargain, error) {
	var cut domain.BargainCut
	b, err := u.modify(ctx, bargainID, func(b *domain.Bargain) (bool, error) {
		c, err := b.Cut(helperID, u.clk.Now(), u.rnd)
		cut = c
		return err == nil, err
	})
	return cut, b, err
}

// Lock holds the floor price of the member's own bargain for their order;
// a repeat with the same order is a no-op. Another member's bargain is
// BARGAIN_NOT_FOUND to them.
func (u *Bargains) Lock(ctx context.Context, bargainID, memberID, orderID string) (domain.Bargain, error) {
	b, err := u.modify(ctx, bargainID, func(b *domain.Bargain) (bool, error) {
		if b.StarterID != memberID {
			return false, errBargainNotFound
		}
		b.Expire(u.clk.Now())
		return b.Lock(orderID)
	})
	if errors.Is(err, errBargainNotFound) {
		return domain.Bargain{}, err
	}
	return b, err
}

// Release lets go of an order cancelled before payment, so the starter may
// order again at the floor price; another order is a no-op.
func (u *Bargains) Release(ctx context.Context, bargainID, orderID string) (domain.Bargain, error) {
	return u.modify(ctx, bargainID, func(b *domain.Bargain) (bool, error) { return b.Release(orderID), nil })
}

// modify applies f to the bargain and saves it, retrying when another
// writer came first; nothing is written when f changed nothing or failed.
func (u *Bargains) modify(ctx context.Context, id string, f func(b *domain.Bargain) (bool, error)) (domain.Bargain, error) {
	for range casAttempts {
		b, err := u.store.Bargain(ctx, id)
		if err != nil {
			return b, err
		}
		read := b
		read.Cuts = slices.Clone(b.Cuts)
		changed, err := f(&b)
		if err != nil {
			return read, err
		}
		if !changed {
			return b, nil
		}
		err = u.store.SaveBargain(ctx, b)
		if err == nil {
			b.Version++
			return b, nil
		}
		if !errors.Is(err, ErrStale) {
			return read, err
		}
	}
	return domain.Bargain{}, fault.New(fault.Unavailable, domain.ReasonServiceBusy, "the bargain is busy: try again", "bargain_id", id)
}

// Activities lists every bargain activity, newest first.
func (u *Bargains) Activities(ctx context.Context) ([]domain.BargainActivity, error) {
	return u.store.ListBargainActivities(ctx)
}

// End closes the activity now: no bargain starts after it; bargains
// started keep their deadlines.
func (u *Bargains) End(ctx context.Context, id string) (domain.BargainActivity, error) {
	for range casAttempts {
		a, err := u.store.BargainActivity(ctx, id)
		now := u.clk.Now()
		if err != nil || !now.Before(a.End) {
			return a, err
		}
		a.End = now
		if err := u.store.UpdateBargainActivity(ctx, a); errors.Is(err, ErrStale) {
			continue
		} else if err != nil {
			return a, err
		}
		a.Version++
		return a, nil
	}
	return domain.BargainActivity{}, ErrStale
}
