package domain

import (
	"time"

	"siyu.dev/pkg/fault"
)

// Timing is how long each stage of an order may wait.
type Timing struct {
	// PayWithin is the payment deadline after placing (default 15 minutes).
	PayWithin time.Duration
	// AutoReceiveAfter confirms receipt this long after shipping (default 10 days).
	AutoReceiveAfter time.Duration
	// AfterSalesWindow completes an order this long after receipt (default 7 days).
	AfterSalesWindow time.Duration
}

// DefaultTiming is the defaults.
var DefaultTiming = Timing{PayWithin: 15 * time.Minute, AutoReceiveAfter: 10 * 24 * time.Hour, AfterSalesWindow: 7 * 24 * time.Hour}

// Address is where an order goes.
type Address struct {
	Name, Phone, Province, City, District, Detail string
}

// OrderLine is a priced line of an order.
type OrderLine struct {
	LineID string
	PricedLine
}

// Order is the aggregate: lines and amounts fixed at placing, a status that
// moves only through Next, and the one deadline the sweeper acts on.
type Order struct {
	ID          string
	MemberID    string
	RequestID   string
	RequestHash string
	Status      Status
	Lines       []OrderLine
	Promotions  []AppliedPromotion
	GoodsFen    int64
	ShippingFen int64
	TotalFen    int64
	PointsUsed  int64
	Address     Address
	Channel     string
	Remark      string
	// OperatorNote is the back office's note, never shown to the shopper.
	OperatorNote string

	// What the order may hold downstream and must give back if it does not
	// sell: set before the saga asks for stock or points (so a crash right
	// after asking still leaves the mark), cleared once released or once the
	// payment turned the holds into a sale. Releases downstream are
	// idempotent, so the sweeper repeats them safely.
	HoldsStock  bool
	HoldsPoints bool
	// PointsToConfirm: the order was paid and its frozen points are still
	// to be spent (confirmed right after, or by the sweeper after a crash).
	PointsToConfirm bool
	// FailReason is why placing was given up (a reason a repeat answers with).
	FailReason fault.Reason
	FailMsg    string

	PaymentID     string
	Provider      string
	ProviderTxnID string
	PaidFen       int64

	Carrier    string
	TrackingNo string
	// AutoReceived: receipt was confirmed by the deadline, not the shopper.
	AutoReceived bool

	CancelReason string
	// CancelledBy is "shopper", "operator" or "deadline".
	CancelledBy string
	// RefundID, RefundFen and RefundedAt record a full refund before shipping.
	RefundID   string
	RefundFen  int64
	RefundedAt time.Time
	// RestockPending: a refunded order's units are still to go back to stock.
	RestockPending bool
	// LateRefundID is set when a payment landed after cancellation and was
	// refunded automatically.
	LateRefundID string

	CreatedAt   time.Time
	UpdatedAt   time.Time
	PayDeadline time.Time
	PaidAt      time.Time
	ShippedAt   time.Time
	ReceivedAt  time.Time
	CompletedAt time.Time
	CancelledAt time.Time
	// DueAt is when the sweeper next acts on the order (zero: never).
	DueAt   time.Time
	Version int64
}

// Do moves the order by a at now, setting timestamps and the next deadline.
func (o *Order) Do(a Action, now time.Time, t Timing) error {
	to, err := Next(o.Status, a)
	if err != nil {
		return err
	}
	o.Status, o.UpdatedAt = to, now
	o.DueAt = time.Time{}
	switch to {
	case StatusPendingPayment:
		o.PayDeadline = now.Add(t.PayWithin)
		o.DueAt = o.PayDeadline
	case StatusPaid:
		o.PaidAt = now
		// Product confirms the reserved stock on order.paid; the frozen
		// points are confirmed next, and by the sweeper if that is lost.
		o.PointsToConfirm = o.HoldsPoints
		o.HoldsStock, o.HoldsPoints = false, false
		if o.PointsToConfirm {
			o.DueAt = now
		}
	case StatusShipped:
		o.ShippedAt = now
		o.DueAt = now.Add(t.AutoReceiveAfter)
	case StatusReceived:
		o.ReceivedAt = now
		o.DueAt = now.Add(t.AfterSalesWindow)
	case StatusCompleted:
		o.CompletedAt = now
	case StatusCancelled:
		o.CancelledAt = now
	case StatusRefunded:
		o.RefundedAt = now
		o.RestockPending = true
		o.DueAt = now
	}
	if o.NeedsRelease() {
		o.DueAt = now
	}
	return nil
}

// NeedsRelease reports whether an order that will not sell may still hold
// stock or points downstream.
func (o *Order) NeedsRelease() bool {
	return (o.Status == StatusCancelled || o.Status == StatusFailed) && (o.HoldsStock || o.HoldsPoints)
}

// Released records that every hold was given back.
func (o *Order) Released(now time.Time) {
	o.HoldsStock, o.HoldsPoints = false, false
	o.DueAt, o.UpdatedAt = time.Time{}, now
}

// Actions of the sweeper that change no status: giving back what a
// cancelled or failed order still holds, spending a paid order's points.
const (
	ActionRelease       Action = "release"
	ActionConfirmPoints Action = "confirm_points"
	ActionRestock       Action = "restock"
)

// Restocked records that a refunded order's units went back to stock.
func (o *Order) Restocked(now time.Time) {
	o.RestockPending = false
	o.DueAt, o.UpdatedAt = time.Time{}, now
}

// PointsConfirmed records that the paid order's points were spent.
func (o *Order) PointsConfirmed(now time.Time) {
	o.PointsToConfirm = false
	o.DueAt, o.UpdatedAt = time.Time{}, now
}

// DueAction is what the sweeper does to an order whose deadline passed:
// give up a placing left behind, cancel an unpaid order, release holds,
// confirm receipt, complete. ok is false when nothing is due at now.
func (o *Order) DueAction(now time.Time) (a Action, ok bool) {
	if o.DueAt.IsZero() || now.Before(o.DueAt) {
		return "", false
	}
	if o.NeedsRelease() {
		return ActionRelease, true
	}
	if o.PointsToConfirm {
		return ActionConfirmPoints, true
	}
	if o.RestockPending {
		return ActionRestock, true
	}
	switch o.Status {
	case StatusPlacing:
		return ActionFail, true
	case StatusPendingPayment:
		return ActionCancel, true
	case StatusShipped:
		return ActionReceive, true
	case StatusReceived:
		return ActionComplete, true
	}
	return "", false
}

// CheckPayment verifies a provider's amount against the order: the amount
// comes from the order, never from the client.
func (o *Order) CheckPayment(amountFen int64, currency string) error {
	if amountFen != o.TotalFen || (currency != "" && currency != "CNY") {
		return fault.New(fault.Precondition, ReasonPaymentAmountMismatch, "the paid amount does not match the order",
			"order_id", o.ID, "expected_fen", itoa(o.TotalFen), "paid_fen", itoa(amountFen), "currency", currency)
	}
	return nil
}

// ChangeAddress replaces the address before the order ships. Once paid
// the province must stay, since the shipping fee was charged for it.
func (o *Order) ChangeAddress(a Address, now time.Time) error {
	switch o.Status {
	case StatusPendingPayment, StatusPaid:
	default:
		return ErrIllegalTransition.With("status", string(o.Status), "action", "change_address").
			WithMsg("the address can change only before the order ships")
	}
	if a.Name == "" || a.Phone == "" || a.Province == "" || a.Detail == "" {
		return fault.New(fault.Invalid, ReasonAddressRequired, "an address needs a name, a phone, a province and a street", "field", "address")
	}
	if o.Status == StatusPaid && a.Province != o.Address.Province {
		return fault.New(fault.Precondition, ReasonAddressRegionChanged, "a paid order keeps its province: its shipping fee was charged for it",
			"province", o.Address.Province)
	}
	o.Address, o.UpdatedAt = a, now
	return nil
}

// OrderFilter selects orders in listings; zero fields select everything.
type OrderFilter struct {
	MemberID string
	Status   Status
	// Placed in [From, To).
	From, To time.Time
	// Phone of the delivery address.
	Phone string
	// Total in [MinFen, MaxFen]; MaxFen 0 is no upper bound.
	MinFen, MaxFen int64
}

// Matches reports whether o is selected.
func (f OrderFilter) Matches(o Order) bool {
	return o.Status.Visible() && (f.MemberID == "" || o.MemberID == f.MemberID) && (f.Status == "" || o.Status == f.Status) &&
		(f.From.IsZero() || !o.CreatedAt.Before(f.From)) && (f.To.IsZero() || o.CreatedAt.Before(f.To)) &&
		(f.Phone == "" || o.Address.Phone == f.Phone) && o.TotalFen >= f.MinFen && (f.MaxFen == 0 || o.TotalFen <= f.MaxFen)
}
