package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Discounts keeps timed prices and full reductions, and gives checkout the
// running ones from memory (reloaded every refreshEvery, at once after this
// instance's own writes).
type Discounts struct {
	store   DiscountStore
	results ResultStore
	clk     clock.Clock

	mu     sync.Mutex
	cached []domain.Discount
	at     time.Time
}

// NewDiscounts builds the discount use cases.
func NewDiscounts(store DiscountStore, results ResultStore, clk clock.Clock) *Discounts {
	return &Discounts{store: store, results: results, clk: clk}
}

func (d *Discounts) all(ctx context.Context) ([]domain.Discount, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cached != nil && time.Since(d.at) < refreshEvery {
		return d.cached, nil
	}
	list, err := d.store.List(ctx)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []domain.Discount{}
	}
	d.cached, d.at = list, time.Now()
	return list, nil
}

func (d *Discounts) forget() {
	d.mu.Lock()
	d.cached = nil
	d.mu.Unlock()
}

// Running returns the discounts that apply now.
func (d *Discounts) Running(ctx context.Context) ([]domain.Discount, error) {
	all, err := d.all(ctx)
	if err != nil {
		return nil, err
	}
	now := d.clk.Now()
	var out []domain.Discount
	for _, x := range all {
		if x.Running(now) {
			out = append(out, x)
		}
	}
	return out, nil
}

// Shown lists the running discounts that cover a product (or category),
// or all of them.
func (d *Discounts) Shown(ctx context.Context, productID, categoryID string) ([]domain.Discount, error) {
	running, err := d.Running(ctx)
	if err != nil || (productID == "" && categoryID == "") {
		return running, err
	}
	var out []domain.Discount
	for _, x := range running {
		switch x.Type {
		case domain.TimedPrice:
			// Timed prices name SKUs; their ids start with the product id.
			if productID != "" && slices.ContainsFunc(x.Prices, func(p domain.SKUPrice) bool { return strings.HasPrefix(p.SKUID, productID+"-") }) {
				out = append(out, x)
			}
		case domain.FullReduction:
			if x.Scope.All() || slices.Contains(x.Scope.ProductIDs, productID) || slices.Contains(x.Scope.CategoryIDs, categoryID) {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// List returns every discount for operators.
func (d *Discounts) List(ctx context.Context) ([]domain.Discount, error) { return d.store.List(ctx) }

// Results is what the paid orders a discount applied to came to.
func (d *Discounts) Results(ctx context.Context, id string) (Results, error) {
	return d.results.Results(ctx, id)
}

// Create saves a new discount, while fewer than the limit are scheduled.
func (d *Discounts) Create(ctx context.Context, x domain.Discount) (domain.Discount, error) {
	if err := x.Validate(); err != nil {
		return x, err
	}
	all, err := d.store.List(ctx)
	if err != nil {
		return x, err
	}
	now := d.clk.Now()
	scheduled := 0
	for _, y := range all {
		if !y.Ended && now.Before(y.End) {
			scheduled++
		}
	}
	if scheduled >= domain.MaxScheduledDiscounts {
		return x, fault.New(fault.Precondition, domain.ReasonActivityInvalid, "at most 50 discounts may be scheduled at once", "field", "start_time")
	}
	x.ID, x.Ended, x.Version, x.CreatedAt = newID("dc"), false, 1, now
	if err := d.store.Create(ctx, x); err != nil {
		return x, err
	}
	d.forget()
	return x, nil
}

// Update replaces a discount read at x.Version.
func (d *Discounts) Update(ctx context.Context, x domain.Discount) (domain.Discount, error) {
	if err := x.Validate(); err != nil {
		return x, err
	}
	cur, err := d.store.Get(ctx, x.ID)
	if err != nil {
		return x, err
	}
	if cur.Version != x.Version {
		return x, fault.New(fault.Precondition, domain.ReasonActivityVersion, "the discount changed since it was read")
	}
	x.Ended, x.CreatedAt = cur.Ended, cur.CreatedAt
	if err := d.store.Update(ctx, x); errors.Is(err, ErrStale) {
		return x, fault.New(fault.Precondition, domain.ReasonActivityVersion, "the discount changed since it was read")
	} else if err != nil {
		return x, err
	}
	d.forget()
	x.Version++
	return x, nil
}

// End stops a discount.
func (d *Discounts) End(ctx context.Context, id string) (domain.Discount, error) {
	x, err := endNow(ctx, d.store, id, func(x *domain.Discount) bool {
		was := x.Ended
		x.Ended = true
		return !was
	})
	d.forget()
	return x, err
}
