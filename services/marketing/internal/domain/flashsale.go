package domain

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// FlashSale (秒杀) sells Stock units of one SKU at PriceFen between Start
// and End, at most PerMemberLimit units per member.
type FlashSale struct {
	ID, Name         string
	ProductID, SKUID string
	PriceFen         int64
	Stock            int64
	PerMemberLimit   int64
	Start, End       time.Time
	Ended            bool
	Version          int64
	CreatedAt        time.Time
}

// Bounds of a flash sale.
const (
	maxFlashStock = 100_000
	maxFlashLimit = 10
	maxFlashSpan  = 31 * 24 * time.Hour
)

func activityInvalid(field, msg string) error {
	return fault.New(fault.Invalid, ReasonActivityInvalid, msg, "field", field)
}

// Validate checks a flash sale before it is saved.
func (f FlashSale) Validate() error {
	switch {
	case strings.TrimSpace(f.Name) == "" || utf8.RuneCountInString(f.Name) > maxNameRunes:
		return activityInvalid("name", "a name of at most 64 characters is required")
	case f.ProductID == "" || f.SKUID == "":
		return activityInvalid("sku_id", "a product and one of its SKUs are required")
	case f.PriceFen <= 0 || f.PriceFen > maxAmountFen:
		return activityInvalid("price_fen", "the flash price is 1 fen to 1,000,000 yuan")
	case f.Stock < 1 || f.Stock > maxFlashStock:
		return activityInvalid("stock", "a flash sale sells 1 to 100,000 units")
	case f.PerMemberLimit < 1 || f.PerMemberLimit > maxFlashLimit:
		return activityInvalid("per_member_limit", "a member buys 1 to 10 units")
	case f.Start.IsZero() || f.End.IsZero() || !f.Start.Before(f.End):
		return activityInvalid("end_time", "a start before the end is required")
	case f.End.Sub(f.Start) > maxFlashSpan:
		return activityInvalid("end_time", "a flash sale runs at most 31 days")
	}
	return nil
}

// Open says why reservations are refused at now, or nil.
func (f FlashSale) Open(now time.Time) error {
	switch {
	case f.Ended || !now.Before(f.End):
		return fault.New(fault.Precondition, ReasonActivityNotOpen, "this flash sale is over", "flash_sale_id", f.ID)
	case now.Before(f.Start):
		return fault.New(fault.Precondition, ReasonActivityNotOpen, "this flash sale has not started", "flash_sale_id", f.ID,
			"start_time", f.Start.UTC().Format(time.RFC3339))
	}
	return nil
}

// Discount is what one reservation takes off its order's line: the SKU
// at the flash price, one unit.
func (f FlashSale) Discount(lines []Line) (Applied, error) {
	if len(lines) != 1 || lines[0].LineID != f.SKUID || lines[0].Quantity != 1 {
		return Applied{}, fault.New(fault.Precondition, ReasonReservationState, "a reservation buys one unit of the flash sale's SKU", "sku_id", f.SKUID)
	}
	off := max(0, lines[0].UnitPriceFen-f.PriceFen)
	return Applied{OffFen: off, LineIDs: []string{f.SKUID}}, nil
}

// ReservationStatus is where a reservation is.
type ReservationStatus string

const (
	ReservationQueued ReservationStatus = "QUEUED"
	// ReservationPlacing: the order service is placing the order (the
	// shopper still sees QUEUED until it is placed).
	ReservationPlacing  ReservationStatus = "PLACING"
	ReservationOrdered  ReservationStatus = "ORDERED"
	ReservationPaid     ReservationStatus = "PAID"
	ReservationFailed   ReservationStatus = "FAILED"
	ReservationReleased ReservationStatus = "RELEASED"
)

// Reservation is one unit a member reserved; its id is the activity id
// and the unit's sequence in the activity's counter ("<id>-r<seq>").
type Reservation struct {
	ID, FlashSaleID, MemberID string
	Seq                       uint64
	Status                    ReservationStatus
	OrderID                   string
	FailReason                string
	CreatedAt                 time.Time
}

// ReservationID names a unit of an activity.
func ReservationID(flashSaleID string, seq uint64) string {
	return flashSaleID + "-r" + strconv.FormatUint(seq, 10)
}

// ParseReservationID splits a reservation id.
func ParseReservationID(id string) (flashSaleID string, seq uint64, ok bool) {
	i := strings.LastIndex(id, "-r")
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+2:], 10, 64)
	return id[:i], seq, err == nil && seq > 0
}

// Bind records the order being placed for the reservation; binding the
// same order again is a no-op, another order is refused.
func (r *Reservation) Bind(orderID string) (changed bool, err error) {
	switch {
	case r.OrderID == orderID && r.Status != ReservationReleased && r.Status != ReservationFailed:
		return false, nil
	case r.Status != ReservationQueued:
		return false, fault.New(fault.Precondition, ReasonReservationState, "this reservation was used or given back", "reservation_id", r.ID)
	}
	r.Status, r.OrderID = ReservationPlacing, orderID
	return true, nil
}

// Placed records that the order was placed and waits for payment.
func (r *Reservation) Placed(orderID string) (changed bool) {
	if r.Status != ReservationPlacing || r.OrderID != orderID {
		return false
	}
	r.Status = ReservationOrdered
	return true
}

// Shown is the status the shopper sees.
func (r Reservation) Shown() ReservationStatus {
	if r.Status == ReservationPlacing {
		return ReservationQueued
	}
	return r.Status
}
