// Package app holds the marketing service's use cases, each a small type
// built with the ports it needs; storage, the member client and NATS live
// outside.
package app

import (
	"context"
	"errors"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/marketing/internal/domain"
)

// ErrStale is what a store answers when a compare-and-set lost to another
// writer: read again and retry.
var ErrStale = fault.New(fault.Aborted, domain.ReasonConcurrentUpdate, "the document changed meanwhile: try again")

// Templates keeps coupon templates by id.
type Templates interface {
	Create(ctx context.Context, t domain.Template) error
	// Template is COUPON_TEMPLATE_NOT_FOUND when there is none.
	Template(ctx context.Context, id string) (domain.Template, error)
	// Update replaces the rules of t if its stored version is still
	// t.Version and no more than t.TotalQuantity were issued, bumping the
	// version; otherwise ErrStale.
	Update(ctx context.Context, t domain.Template) error
	// End marks the template ended.
	End(ctx context.Context, id string) error
	// List returns every template, newest first (operators' templates: a
	// small collection, scanned).
	List(ctx context.Context) ([]domain.Template, error)
	// Take counts n more coupons issued if that stays within the total and
	// the template is not ended; false when it would not.
	Take(ctx context.Context, id string, n int64) (bool, error)
	// Give hands back n coupons taken but never given.
	Give(ctx context.Context, id string, n int64) error
}

// Wallets keeps each member's coupons in one document.
type Wallets interface {
	// Wallet returns the member's wallet (empty, version 0, when there is none).
	Wallet(ctx context.Context, memberID string) (domain.Wallet, error)
	// Save writes w if its stored version is still w.Version (0: not
	// stored yet), bumping it and recording when the sweeper is next due
	// for it; otherwise ErrStale.
	Save(ctx context.Context, w domain.Wallet, due time.Time) error
	// Due returns wallets the sweeper is due for at now (off the shopper's
	// path; it may scan).
	Due(ctx context.Context, now time.Time, limit int) ([]domain.Wallet, error)
	// Delete forgets a member's wallet.
	Delete(ctx context.Context, memberID string) error
}

// Code is an exchange code of a template.
type Code struct {
	Code, TemplateID string
	// RedeemedBy is the member who redeemed it ("" while it is free).
	RedeemedBy string
	CreatedAt  time.Time
}

// Codes keeps exchange codes by code.
type Codes interface {
	Insert(ctx context.Context, codes []Code) error
	// Code is COUPON_CODE_NOT_FOUND when there is none.
	Code(ctx context.Context, code string) (Code, error)
	// Redeem records memberID as the code's redeemer if it has none yet,
	// and reports who holds it now.
	Redeem(ctx context.Context, code, memberID string) (holder string, err error)
}

// Members streams a segment's member ids (member service).
type Members interface {
	Segment(ctx context.Context, segmentID string, each func(memberID string) error) error
}

// Publisher sends events.
type Publisher interface {
	Publish(ctx context.Context, e natsx.Event) error
}

// casAttempts bounds compare-and-set retries of one write.
const casAttempts = 20

// modifyWallet applies f to the member's wallet and saves it, retrying
// when another writer came first. f reports whether it changed anything;
// nothing is written when it did not.
func modifyWallet(ctx context.Context, wallets Wallets, memberID string, due time.Duration, f func(w *domain.Wallet) (bool, error)) (domain.Wallet, error) {
	for range casAttempts {
		w, err := wallets.Wallet(ctx, memberID)
		if err != nil {
			return w, err
		}
		w.MemberID = memberID
		changed, err := f(&w)
		if err != nil || !changed {
			return w, err
		}
		err = wallets.Save(ctx, w, w.NextDue(due))
		if err == nil {
			w.Version++
			return w, nil
		}
		if err != ErrStale {
			return w, err
		}
	}
	return domain.Wallet{}, fault.New(fault.Unavailable, domain.ReasonServiceBusy, "the wallet is busy: try again")
}

// ActivityStore keeps one kind of operator activity (flash sales,
// discounts) by id, with an optimistic version.
type ActivityStore[T any] interface {
	Create(ctx context.Context, a T) error
	// Get is ACTIVITY_NOT_FOUND when there is none.
	Get(ctx context.Context, id string) (T, error)
	// Update replaces a if its stored version is still the one it was read
	// at, bumping it; otherwise ErrStale.
	Update(ctx context.Context, a T) error
	// List returns every activity, newest first (operators' activities: a
	// small collection, scanned).
	List(ctx context.Context) ([]T, error)
}

// FlashSaleStore and DiscountStore are the activity stores of those kinds.
type (
	FlashSaleStore = ActivityStore[domain.FlashSale]
	DiscountStore  = ActivityStore[domain.Discount]
)

// endNow ends an activity through store: read, apply end (false when it
// had ended already), write at the version read, again when another
// writer came first.
func endNow[T any](ctx context.Context, store ActivityStore[T], id string, end func(a *T) bool) (T, error) {
	for range casAttempts {
		a, err := store.Get(ctx, id)
		if err != nil || !end(&a) {
			return a, err
		}
		if err := store.Update(ctx, a); errors.Is(err, ErrStale) {
			continue
		} else if err != nil {
			return a, err
		}
		return store.Get(ctx, id)
	}
	var zero T
	return zero, ErrStale
}
