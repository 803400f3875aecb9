// Package app holds the analytics service's use cases.
package app

import (
	"context"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/analytics/internal/domain"
)

// Store keeps tracked batches and each day's counts by type.
type Store interface {
	// Append stores the batch and adds its events to their days' counts.
	Append(ctx context.Context, b domain.Batch) error
	// Counts returns a day's counts by type (empty when none).
	Counts(ctx context.Context, day string) (map[string]int64, error)
}

// Tracking takes tracking events and reads their counts.
type Tracking struct {
	store Store
	clk   clock.Clock
}

// NewTracking builds the tracking use cases.
func NewTracking(store Store, clk clock.Clock) *Tracking { return &Tracking{store: store, clk: clk} }

// Track stores a device's batch; memberID is the signed-in member or "".
func (t *Tracking) Track(ctx context.Context, b domain.Batch) (int, error) {
	b.ReceivedAt = t.clk.Now()
	if err := b.Validate(); err != nil {
		return 0, err
	}
	return len(b.Events), t.store.Append(ctx, b)
}

// Counts returns a Shanghai day's counts by type; "" is today.
func (t *Tracking) Counts(ctx context.Context, day string) (string, map[string]int64, error) {
	if day == "" {
		day = domain.Day(t.clk.Now())
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return day, nil, fault.New(fault.Invalid, domain.ReasonEventInvalid, "day is YYYY-MM-DD", "field", "day")
	}
	counts, err := t.store.Counts(ctx, day)
	return day, counts, err
}
