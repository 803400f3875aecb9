package app

import (
	"context"
	"sync"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/domain"
)

// TraceQuery names a parcel to a carrier. Some carriers (SF Express)
// answer only with the last four digits of the receiver's phone.
type TraceQuery struct {
	Carrier, TrackingNo, Phone string
	ShippedAt                  time.Time
}

// Trace states, normalised across providers.
const (
	TraceInTransit  = "IN_TRANSIT"
	TraceDelivering = "DELIVERING"
	TraceSigned     = "SIGNED"
	TraceProblem    = "PROBLEM"
	TraceUnknown    = "UNKNOWN"
)

// TraceEvent is one scan of a parcel.
type TraceEvent struct {
	At             time.Time
	Location, Text string
}

// Trace is where a parcel is: its state and scans, newest first.
type Trace struct {
	State  string
	Events []TraceEvent
}

// Tracker asks a logistics provider where a parcel is.
type Tracker interface {
	Trace(ctx context.Context, q TraceQuery) (Trace, error)
}

// ParcelTrace is one shipment of an order and its trace, or why the
// carrier could not be asked.
type ParcelTrace struct {
	Shipment domain.Shipment
	Trace    Trace
	Err      fault.Reason
}

// Tracking traces orders' parcels. Answers are kept for a while, since
// providers charge by query and a trace changes a few times a day.
type Tracking struct {
	tracker Tracker
	ttl     time.Duration
	clk     clock.Clock

	mu    sync.Mutex
	cache map[string]cachedTrace
}

type cachedTrace struct {
	trace Trace
	until time.Time
}

// maxCachedTraces bounds the cache; it is emptied when full.
const maxCachedTraces = 10_000

// NewTracking builds the tracking use case; ttl is how long an answer is
// reused (0: never).
func NewTracking(tracker Tracker, ttl time.Duration, clk clock.Clock) *Tracking {
	return &Tracking{tracker: tracker, ttl: ttl, clk: clk, cache: map[string]cachedTrace{}}
}

// Trace traces every parcel of o. A parcel whose carrier fails carries
// TRACKING_UNAVAILABLE; the others still answer.
func (t *Tracking) Trace(ctx context.Context, o domain.Order) []ParcelTrace {
	out := make([]ParcelTrace, 0, len(o.Shipments))
	for _, s := range o.Shipments {
		p := ParcelTrace{Shipment: s}
		tr, err := t.trace(ctx, TraceQuery{Carrier: s.Carrier, TrackingNo: s.TrackingNo, Phone: o.Address.Phone, ShippedAt: s.At})
		if err != nil {
			p.Err = domain.ReasonTrackingUnavailable
			p.Trace.State = TraceUnknown
		} else {
			p.Trace = tr
		}
		out = append(out, p)
	}
	return out
}

func (t *Tracking) trace(ctx context.Context, q TraceQuery) (Trace, error) {
	key := q.Carrier + "/" + q.TrackingNo
	now := t.clk.Now()
	t.mu.Lock()
	c, ok := t.cache[key]
	t.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.trace, nil
	}
	tr, err := t.tracker.Trace(ctx, q)
	if err != nil {
		return Trace{}, err
	}
	if t.ttl > 0 {
		t.mu.Lock()
		if len(t.cache) >= maxCachedTraces {
			clear(t.cache)
		}
		t.cache[key] = cachedTrace{trace: tr, until: now.Add(t.ttl)}
		t.mu.Unlock()
	}
	return tr, nil
}
