package domain

import (
	"slices"
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
	// RefundedQty units of the line were refunded.
	RefundedQty int64
}

// RefundLine is units of one line a refund covers, and their money.
type RefundLine struct {
	LineID, SKUID, ProductID string
	Quantity, Fen            int64
}

// Refund is money given back for some units before shipping.
type Refund struct {
	ID        string
	Fen       int64
	Lines     []RefundLine
	At        time.Time
	Restocked bool
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
	// Refunds before shipping, RefundFen their total and RefundedAt the
	// last one; the order is REFUNDED once every unit is.
	Refunds    []Refund
	RefundFen  int64
	RefundedAt time.Time
	// RestockPending: refunded units are still to go back to stock.
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

// Restocked records that every refunded unit went back to stock.
func (o *Order) Restocked(now time.Time) {
	for i := range o.Refunds {
		o.Refunds[i].Restocked = true
	}
	o.RestockPending = false
	o.DueAt, o.UpdatedAt = time.Time{}, now
}

// FindRefund is the refund with id, if there is one.
func (o *Order) FindRefund(id string) (Refund, bool) {
	for _, r := range o.Refunds {
		if r.ID == id {
			return r, true
		}
	}
	return Refund{}, false
}

// PlanRefund prices a refund of units of a paid, unshipped order: want
// maps line ids to units (nil: everything not refunded yet). A line's money
// is split by cumulative rounding (the first u units of a line are worth
// floor(payable·u/quantity)), so refunding a line in any steps returns
// exactly what it cost; the refund that leaves nothing adds the shipping fee.
func (o *Order) PlanRefund(id string, want map[string]int64) (Refund, error) {
	if o.Status != StatusPaid {
		return Refund{}, ErrIllegalTransition.With("status", string(o.Status), "action", string(ActionRefund)).
			WithMsg("only a paid order that has not shipped can be refunded here")
	}
	for lineID := range want {
		if !slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.LineID == lineID }) {
			return Refund{}, fault.New(fault.Invalid, ReasonRefundInvalid, "no such line in the order", "line_id", lineID)
		}
	}
	r := Refund{ID: id}
	left := int64(0)
	for _, l := range o.Lines {
		remaining := l.Quantity - l.RefundedQty
		k := remaining
		if want != nil {
			k = want[l.LineID]
		}
		if k < 0 || k > remaining {
			return Refund{}, fault.New(fault.Invalid, ReasonRefundInvalid, "refund between 0 and the units not refunded yet", "line_id", l.LineID, "refundable", itoa(remaining))
		}
		left += remaining - k
		if k == 0 {
			continue
		}
		cum := func(u int64) int64 { q, _ := mulDiv(l.PayableFen, u, l.Quantity); return q }
		fen := cum(l.RefundedQty+k) - cum(l.RefundedQty)
		r.Lines = append(r.Lines, RefundLine{LineID: l.LineID, SKUID: l.SKUID, ProductID: l.ProductID, Quantity: k, Fen: fen})
		r.Fen += fen
	}
	if len(r.Lines) == 0 {
		return Refund{}, fault.New(fault.Invalid, ReasonRefundInvalid, "a refund covers at least one unit")
	}
	if left == 0 {
		r.Fen += o.ShippingFen
	}
	return r, nil
}

// ApplyRefund records a planned refund; the order turns REFUNDED when no
// unit is left. Its units are due back in stock.
func (o *Order) ApplyRefund(r Refund, now time.Time, t Timing) error {
	left := int64(0)
	for i, l := range o.Lines {
		for _, rl := range r.Lines {
			if rl.LineID == l.LineID {
				o.Lines[i].RefundedQty += rl.Quantity
			}
		}
		left += l.Quantity - o.Lines[i].RefundedQty
	}
	r.At = now
	o.Refunds = append(o.Refunds, r)
	o.RefundFen += r.Fen
	o.RefundedAt, o.UpdatedAt = now, now
	if left == 0 {
		if err := o.Do(ActionRefund, now, t); err != nil {
			return err
		}
	}
	o.RestockPending, o.DueAt = true, now
	return nil
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
