package domain

import (
	"context"
	"fmt"
	"regexp"
	"siyu.dev/pkg/fault"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Inventory errors.
var (
	ErrSkuNotFound          = fault.New(KindNotFound, "SKU_NOT_FOUND", "no such SKU")
	ErrReservationNotFound  = fault.New(KindNotFound, "RESERVATION_NOT_FOUND", "no reservation for this order")
	ErrReservationMismatch  = fault.New(KindFailedPrecondition, "RESERVATION_MISMATCH", "this order already reserved other lines")
	ErrReservationPending   = fault.New(KindFailedPrecondition, "RESERVATION_PENDING", "the reservation is still being placed; retry")
	ErrReservationReleased  = fault.New(KindFailedPrecondition, "RESERVATION_RELEASED", "the reservation was released")
	ErrReservationExpired   = fault.New(KindFailedPrecondition, "RESERVATION_EXPIRED", "the reservation expired before it was confirmed")
	ErrReservationConfirmed = fault.New(KindFailedPrecondition, "RESERVATION_CONFIRMED", "the reservation was confirmed; its units are sold")
	ErrReservationFailed    = fault.New(KindFailedPrecondition, "OUT_OF_STOCK", "this order's reservation failed for lack of stock")
	ErrStockConflict        = fault.New(KindFailedPrecondition, "STOCK_CONFLICT", "the stock changed concurrently too often; retry")
)

// OutOfStock is returned when a SKU has fewer available units than asked.
func OutOfStock(skuID string, want, have int64) *Error {
	return fault.New(KindFailedPrecondition, "OUT_OF_STOCK", fmt.Sprintf("SKU %s has %d available, %d asked", skuID, have, want), "sku_id", skuID)
}

// Inventory limits.
const (
	MaxReservationLines = 100
	MaxLineQuantity     = 10000
	DefaultReservation  = 15 * time.Minute
	MaxReservation      = 24 * time.Hour
	DefaultLowThreshold = 5
)

// ResState is where a reservation is in its life. The values match the API's enum.
type ResState int

const (
	ResPending ResState = iota + 1
	ResReserved
	ResConfirmed
	ResReleased
	ResExpired
	ResFailed
	ResConfirming
	ResReleasing
)

// Line is a quantity of one SKU.
type Line struct {
	SkuID string
	Qty   int64
}

// Reservation is the stock an order holds. Its document is the idempotency
// anchor of the order's stock: the per-SKU holds are keyed by its order id.
type Reservation struct {
	OrderID   string
	Lines     []Line
	State     ResState
	CreatedAt time.Time
	ExpiresAt time.Time
	UpdatedAt time.Time
	// Outcome is the final state a releasing reservation ends in
	// (released, expired or failed).
	Outcome ResState
}

// StockLevel is the units of one SKU.
type StockLevel struct {
	SkuID        string
	ProductID    string
	Available    int64
	Reserved     int64
	Sold         int64
	LowThreshold int64
}

// Adjustment is one audited operator change of available units.
type Adjustment struct {
	RequestID string
	SkuID     string
	Delta     int64
	Reason    string
	Operator  string
	Before    int64
	After     int64
	At        time.Time
}

// Stock is a SKU's levels with the holds of open reservations and the audit
// of adjustments: everything one atomic update of the SKU changes.
type Stock struct {
	StockLevel
	// Holds is units held per order id.
	Holds       map[string]int64
	Adjustments []Adjustment
}

var orderIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidateOrderID checks an order id. Ids key maps in stored documents, so
// dots and dollars are out.
func ValidateOrderID(id string) error {
	if !orderIDRe.MatchString(id) {
		return invalid("ORDER_ID_INVALID", "order_id", "order_id must be 1-64 letters, digits, '_' or '-'")
	}
	return nil
}

// NormalizeLines checks lines and merges repeats of a SKU, sorted by SKU id
// so every caller takes SKUs in the same order.
func NormalizeLines(lines []Line) ([]Line, error) {
	if len(lines) == 0 {
		return nil, invalid("LINES_REQUIRED", "lines", "at least one line is required")
	}
	if len(lines) > MaxReservationLines {
		return nil, invalid("LINES_INVALID", "lines", "at most %d lines", MaxReservationLines)
	}
	sum := map[string]int64{}
	for i, l := range lines {
		if l.SkuID == "" {
			return nil, invalid("SKU_ID_REQUIRED", fmt.Sprintf("lines[%d].sku_id", i), "sku_id is required")
		}
		if l.Qty <= 0 || l.Qty > MaxLineQuantity {
			return nil, invalid("QUANTITY_INVALID", fmt.Sprintf("lines[%d].quantity", i), "quantity must be 1-%d", MaxLineQuantity)
		}
		sum[l.SkuID] += l.Qty
		if sum[l.SkuID] > MaxLineQuantity {
			return nil, invalid("QUANTITY_INVALID", fmt.Sprintf("lines[%d].quantity", i), "quantity must be 1-%d", MaxLineQuantity)
		}
	}
	out := make([]Line, 0, len(sum))
	for id, q := range sum {
		out = append(out, Line{SkuID: id, Qty: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SkuID < out[j].SkuID })
	return out, nil
}

// SameLines reports whether two normalised line lists are equal.
func SameLines(a, b []Line) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ReservationTTL applies the default and the bounds to a requested hold time.
func ReservationTTL(seconds int32) (time.Duration, error) {
	switch {
	case seconds < 0 || time.Duration(seconds)*time.Second > MaxReservation:
		return 0, invalid("TTL_INVALID", "ttl_seconds", "ttl_seconds must be 0-%d", int(MaxReservation/time.Second))
	case seconds == 0:
		return DefaultReservation, nil
	}
	return time.Duration(seconds) * time.Second, nil
}

// Hold takes qty available units into reserved for orderID. Holding again
// for the same order changes nothing, which makes a retried reservation safe.
func (s *Stock) Hold(orderID string, qty int64) (changed bool, err error) {
	if _, ok := s.Holds[orderID]; ok {
		return false, nil
	}
	if s.Available < qty {
		return false, OutOfStock(s.SkuID, qty, s.Available)
	}
	if s.Holds == nil {
		s.Holds = map[string]int64{}
	}
	s.Holds[orderID] = qty
	s.Available -= qty
	s.Reserved += qty
	return true, nil
}

// Unhold ends orderID's hold: its units become sold, or available again.
// Without a hold it changes nothing.
func (s *Stock) Unhold(orderID string, sold bool) (changed bool) {
	qty, ok := s.Holds[orderID]
	if !ok {
		return false
	}
	delete(s.Holds, orderID)
	s.Reserved -= qty
	if sold {
		s.Sold += qty
	} else {
		s.Available += qty
	}
	return true
}

// Adjust applies an operator's change; a request id seen before changes
// nothing and returns the first adjustment.
func (s *Stock) Adjust(a Adjustment) (Adjustment, bool, error) {
	for _, old := range s.Adjustments {
		if old.RequestID == a.RequestID {
			if old.Delta != a.Delta || old.Reason != a.Reason {
				return Adjustment{}, false, fault.New(KindFailedPrecondition, "REQUEST_ID_REUSED", "request_id was used for another adjustment", "field", "request_id")
			}
			return old, false, nil
		}
	}
	if s.Available+a.Delta < 0 {
		return Adjustment{}, false, fault.New(KindFailedPrecondition, "STOCK_NEGATIVE", fmt.Sprintf("available would fall below zero (%d available)", s.Available), "field", "delta")
	}
	a.SkuID, a.Before = s.SkuID, s.Available
	s.Available += a.Delta
	a.After = s.Available
	s.Adjustments = append(s.Adjustments, a)
	return a, true, nil
}

// ValidateAdjustment checks an operator's adjustment request.
func ValidateAdjustment(delta int64, reason, requestID string) error {
	if delta == 0 || delta > 1_000_000 || delta < -1_000_000 {
		return invalid("DELTA_INVALID", "delta", "delta must be non-zero and within ±1,000,000")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n == 0 || n > 200 {
		return invalid("REASON_REQUIRED", "reason", "reason must be 1-200 characters")
	}
	if requestID == "" || len(requestID) > 64 {
		return invalid("REQUEST_ID_REQUIRED", "request_id", "request_id is required (at most 64 characters)")
	}
	return nil
}

// ConfirmStep says what confirming a reservation in state st does: proceed,
// nothing (already confirmed), or an error.
func ConfirmStep(st ResState) (proceed bool, err error) {
	switch st {
	case ResReserved, ResConfirming:
		return true, nil
	case ResConfirmed:
		return false, nil
	case ResPending:
		return false, ErrReservationPending
	case ResExpired:
		return false, ErrReservationExpired
	case ResFailed:
		return false, ErrReservationFailed
	}
	return false, ErrReservationReleased
}

// ReleaseStep says what releasing a reservation in state st does.
func ReleaseStep(st ResState) (proceed bool, err error) {
	switch st {
	case ResReserved, ResReleasing:
		return true, nil
	case ResReleased, ResExpired, ResFailed:
		return false, nil
	case ResPending:
		return false, ErrReservationPending
	}
	return false, ErrReservationConfirmed
}

// StockCause says what changed a SKU's stock, for its event.
type StockCause string

// Causes of stock changes.
const (
	CauseReserve StockCause = "reserve"
	CauseConfirm StockCause = "confirm"
	CauseRelease StockCause = "release"
	CauseAdjust  StockCause = "adjust"
)

// StockEvent is what one stock change publishes: always stock_changed, and
// stock_low when available fell below the threshold with this change.
type StockEvent struct {
	ChangedID, LowID string
	Level            StockLevel
	Cause            StockCause
	Ref              string
	Low              bool
	At               time.Time
}

// CrossedLow reports whether available fell below the threshold with a change.
func CrossedLow(before, after, threshold int64) bool {
	return after < threshold && before >= threshold
}

// InventoryRepository stores stock and reservations.
type InventoryRepository interface {
	// EnsureStock creates the stock document of each level that has none.
	EnsureStock(ctx context.Context, levels []StockLevel) error
	StockLevels(ctx context.Context) ([]StockLevel, error)
	Stock(ctx context.Context, skuID string) (Stock, error) // ErrSkuNotFound
	// MutateStock applies change to the SKU atomically (retrying on
	// concurrent writes); change returns nil ev when nothing changed.
	MutateStock(ctx context.Context, skuID string, change func(*Stock) (*StockEvent, error)) (Stock, error)

	CreateReservation(ctx context.Context, r Reservation) (created bool, err error)
	Reservation(ctx context.Context, orderID string) (Reservation, error) // ErrReservationNotFound
	// MoveReservation sets the state to `to` only while it is one of from.
	MoveReservation(ctx context.Context, orderID string, from []ResState, to, outcome ResState, now time.Time) (bool, error)
	// StaleReservations are those the sweeper must finish: pending, confirming
	// or releasing untouched since before `stale`, and reserved past expiry.
	StaleReservations(ctx context.Context, now, stale time.Time, limit int) ([]Reservation, error)
	// ClaimLease takes or renews the named lease for holder until `until`;
	// false while another holder's lease runs.
	ClaimLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
}
