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

	// Saga progress: what placing holds, so compensation and the sweeper
	// know what to give back. Both releases are idempotent downstream, so
	// they are called whenever the step may have run.
	StockReserving bool
	PointsFreezing bool
	// FailReason is why placing was given up (a reason a repeat answers with).
	FailReason fault.Reason
	FailMsg    string

	PaymentID     string
	Provider      string
	ProviderTxnID string
	PaidFen       int64

	Carrier    string
	TrackingNo string

	CancelReason string

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
	}
	return nil
}

// DueAction is what the sweeper does to an order whose deadline passed:
// give up a placing left behind, cancel an unpaid order, confirm receipt,
// complete. ok is false when nothing is due at now.
func (o *Order) DueAction(now time.Time) (a Action, ok bool) {
	if o.DueAt.IsZero() || now.Before(o.DueAt) {
		return "", false
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
