package domain

import (
	"slices"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/money"
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
	// RefundedQty units of the line were refunded, ShippedQty shipped,
	// and ReleasedQty refunded before they shipped (back in stock).
	RefundedQty, ShippedQty, ReleasedQty int64
}

// RefundLine is units of one line a refund covers, their money, and how
// many of them go back to stock.
type RefundLine struct {
	LineID, SKUID, ProductID string
	Quantity, Fen, Restock   int64
}

// Refund is money given back for some units. It is recorded (its units
// counted as refunded) before the provider is asked, so two refunds never
// price the same units; Settled once the provider took it, which is when
// order.refunded is published and the units (if Restock) go back to stock.
type Refund struct {
	ID     string
	Fen    int64
	Lines  []RefundLine
	Reason string
	At     time.Time
	// AfterSaleID is the after-sales request the refund belongs to, if any.
	AfterSaleID string
	// Restock: the units are back in (or never left) the warehouse.
	Restock          bool
	Restocked        bool
	Settled          bool
	SettledAt        time.Time
	ProviderRefundID string
	// Attempts counts failed provider calls; the sweeper tries again at RetryAt.
	Attempts int
	RetryAt  time.Time
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
	HoldsStock      bool
	HoldsPoints     bool
	HoldsPromotions bool
	// Activity is the marketing activity the order bought through.
	Activity Activity
	// AwaitingGroup: a group-buy order waits for its group to fill before
	// it may ship (marketing says so, or refunds it when the group fails).
	AwaitingGroup bool
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

	// Carrier and TrackingNo are the last shipment's.
	Carrier    string
	TrackingNo string
	Shipments  []Shipment
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
	AfterSales []AfterSale
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
	switch to {
	case StatusPendingPayment:
		o.PayDeadline = now.Add(t.PayWithin)
	case StatusPaid:
		o.PaidAt = now
		// Product confirms the reserved stock on order.paid; the frozen
		// points are confirmed next, and by the sweeper if that is lost.
		// Marketing spends the locked coupons on order.paid.
		o.PointsToConfirm = o.HoldsPoints
		o.HoldsStock, o.HoldsPoints, o.HoldsPromotions = false, false, false
	case StatusShipped:
		o.ShippedAt = now
	case StatusReceived:
		o.ReceivedAt = now
	case StatusCompleted:
		o.CompletedAt = now
	case StatusCancelled:
		o.CancelledAt = now
	}
	o.reschedule(now, t)
	return nil
}

// reschedule sets when the sweeper next acts: at once while something is
// owed downstream (a release, points to spend, a refund to settle, units
// to restock), else at the deadline of the status. A received order with an
// open after-sales request waits for it before completing.
func (o *Order) reschedule(now time.Time, t Timing) {
	if o.Status == StatusPlacing {
		return // the saga's own deadline stands
	}
	switch {
	case o.NeedsRelease() || o.PointsToConfirm || o.NeedsRestock():
		o.DueAt = now
	case o.unsettled() != nil:
		o.DueAt = o.unsettled().RetryAt
	case o.Status == StatusPendingPayment:
		o.DueAt = o.PayDeadline
	case o.Status == StatusShipped:
		o.DueAt = o.ShippedAt.Add(t.AutoReceiveAfter)
	case o.Status == StatusReceived && o.OpenAfterSale() == nil:
		o.DueAt = o.ReceivedAt.Add(t.AfterSalesWindow)
	default:
		o.DueAt = time.Time{}
	}
}

// NeedsRelease reports whether an order that will not sell may still hold
// stock, points or coupons downstream.
func (o *Order) NeedsRelease() bool {
	return (o.Status == StatusCancelled || o.Status == StatusFailed) && (o.HoldsStock || o.HoldsPoints || o.HoldsPromotions)
}

// Released records that every hold was given back.
func (o *Order) Released(now time.Time) {
	o.HoldsStock, o.HoldsPoints, o.HoldsPromotions = false, false, false
	o.DueAt, o.UpdatedAt = time.Time{}, now
}

// Actions of the sweeper that change no status: giving back what a
// cancelled or failed order still holds, spending a paid order's points,
// asking the provider for a recorded refund, restocking refunded units.
const (
	ActionRelease       Action = "release"
	ActionConfirmPoints Action = "confirm_points"
	ActionSettleRefund  Action = "settle_refund"
	ActionRestock       Action = "restock"
)

// NeedsRestock reports whether settled refunds have units still to go back
// to stock.
func (o *Order) NeedsRestock() bool {
	for _, r := range o.Refunds {
		if r.Settled && !r.Restocked && r.restocks() {
			return true
		}
	}
	return false
}

func (r Refund) restocks() bool {
	for _, l := range r.Lines {
		if l.Restock > 0 {
			return true
		}
	}
	return false
}

// Restocked records that every settled refund's units went back to stock.
func (o *Order) Restocked(now time.Time, t Timing) {
	for i := range o.Refunds {
		if o.Refunds[i].Settled {
			o.Refunds[i].Restocked = true
		}
	}
	o.UpdatedAt = now
	o.reschedule(now, t)
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

// unsettled is the first refund the provider has not taken yet.
func (o *Order) unsettled() *Refund {
	for i := range o.Refunds {
		if !o.Refunds[i].Settled {
			return &o.Refunds[i]
		}
	}
	return nil
}

// Unsettled are the refunds the provider has not taken yet.
func (o *Order) Unsettled() []Refund {
	var out []Refund
	for _, r := range o.Refunds {
		if !r.Settled {
			out = append(out, r)
		}
	}
	return out
}

// refundable is how many units of l can still be refunded: not refunded
// yet and not claimed by another open after-sales request.
func (o *Order) refundable(l OrderLine, exceptAfterSale string) int64 {
	n := l.Quantity - l.RefundedQty
	for _, a := range o.AfterSales {
		if a.ID != exceptAfterSale && a.Open() {
			n -= a.units(l.LineID)
		}
	}
	return n
}

// PlanRefund prices a refund of units of the order: want maps line ids to
// units (nil: everything refundable). A line's money is split by cumulative
// rounding (the first u units of a line are worth floor(payable·u/quantity)),
// so refunding a line in any steps returns exactly what it cost; the refund
// that leaves nothing adds the shipping fee. A refund of an after-sales
// request (afterSaleID) may follow shipping; an operator's own refund
// (afterSaleID "") only comes before anything shipped. returned says the
// goods came back, so every unit is restocked; otherwise only units that
// never left the warehouse are.
func (o *Order) PlanRefund(id string, want map[string]int64, afterSaleID string, returned bool) (Refund, error) {
	allowed := o.Status == StatusPaid && len(o.Shipments) == 0
	if afterSaleID != "" {
		allowed = o.Status == StatusPaid || o.Status == StatusShipped || o.Status == StatusReceived
	}
	if !allowed {
		return Refund{}, ErrIllegalTransition.With("status", string(o.Status), "action", string(ActionRefund)).
			WithMsg("only a paid order that has not shipped can be refunded here; after shipping, refunds go through after-sales")
	}
	for lineID := range want {
		if !slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.LineID == lineID }) {
			return Refund{}, fault.New(fault.Invalid, ReasonRefundInvalid, "no such line in the order", "line_id", lineID)
		}
	}
	r := Refund{ID: id, AfterSaleID: afterSaleID}
	left := int64(0)
	for _, l := range o.Lines {
		remaining := o.refundable(l, afterSaleID)
		k := remaining
		if want != nil {
			k = want[l.LineID]
		}
		if k < 0 || k > remaining {
			return Refund{}, fault.New(fault.Invalid, ReasonRefundInvalid, "refund between 0 and the units not refunded yet", "line_id", l.LineID, "refundable", itoa(remaining))
		}
		left += l.Quantity - l.RefundedQty - k
		if k == 0 {
			continue
		}
		cum := func(u int64) int64 { q, _ := money.MulDiv(l.PayableFen, u, l.Quantity); return q }
		fen := cum(l.RefundedQty+k) - cum(l.RefundedQty)
		restock := min(k, l.Quantity-l.ShippedQty-l.ReleasedQty)
		if returned {
			restock = k
		}
		r.Lines = append(r.Lines, RefundLine{LineID: l.LineID, SKUID: l.SKUID, ProductID: l.ProductID, Quantity: k, Fen: fen, Restock: restock})
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

// ApplyRefund records a planned refund before the provider is asked: its
// units count as refunded from now on, the order turns REFUNDED when no
// unit is left (or SHIPPED when the refund leaves nothing more to ship),
// and the sweeper settles it with the provider if the caller does not.
func (o *Order) ApplyRefund(r Refund, now time.Time, t Timing) error {
	left := int64(0)
	for i, l := range o.Lines {
		for _, rl := range r.Lines {
			if rl.LineID == l.LineID {
				o.Lines[i].RefundedQty += rl.Quantity
				if rl.Restock > 0 && o.Status == StatusPaid {
					o.Lines[i].ReleasedQty += rl.Restock
				}
			}
		}
		left += l.Quantity - o.Lines[i].RefundedQty
	}
	r.At, r.RetryAt = now, now
	o.Refunds = append(o.Refunds, r)
	o.RefundFen += r.Fen
	o.RefundedAt, o.UpdatedAt = now, now
	switch {
	case left == 0:
		return o.Do(ActionRefund, now, t)
	case o.Status == StatusPaid && len(o.Shipments) > 0 && o.unitsToShip() == 0:
		return o.Do(ActionShip, now, t)
	}
	o.reschedule(now, t)
	return nil
}

// SettleRefund records that the provider took refund id.
func (o *Order) SettleRefund(id, providerRefundID string, now time.Time, t Timing) {
	for i := range o.Refunds {
		if o.Refunds[i].ID == id {
			o.Refunds[i].Settled, o.Refunds[i].SettledAt, o.Refunds[i].ProviderRefundID = true, now, providerRefundID
		}
	}
	o.UpdatedAt = now
	o.reschedule(now, t)
}

// RefundFailed records a failed provider call for refund id: the sweeper
// tries again after a backoff that doubles up to an hour.
func (o *Order) RefundFailed(id string, now time.Time, t Timing) {
	for i := range o.Refunds {
		if r := &o.Refunds[i]; r.ID == id {
			r.Attempts++
			r.RetryAt = now.Add(min(time.Minute<<min(r.Attempts, 7), time.Hour))
		}
	}
	o.UpdatedAt = now
	o.reschedule(now, t)
}

// PointsConfirmed records that the paid order's points were spent.
func (o *Order) PointsConfirmed(now time.Time, t Timing) {
	o.PointsToConfirm = false
	o.UpdatedAt = now
	o.reschedule(now, t)
}

// DueAction is what the sweeper does to an order whose deadline passed:
// give up a placing left behind, cancel an unpaid order, release holds,
// spend points, settle refunds, restock, confirm receipt, complete. ok is
// false when nothing is due at now.
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
	if o.NeedsRestock() {
		return ActionRestock, true
	}
	if r := o.unsettled(); r != nil {
		return ActionSettleRefund, !now.Before(r.RetryAt)
	}
	switch o.Status {
	case StatusPlacing:
		return ActionFail, true
	case StatusPendingPayment:
		return ActionCancel, true
	case StatusShipped:
		return ActionReceive, true
	case StatusReceived:
		return ActionComplete, o.OpenAfterSale() == nil
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
	// ProductID: a line of this product.
	ProductID string
	// WithAfterSales: only orders with after-sales requests, and of those
	// only orders with one in AfterSaleStatus when it is set.
	WithAfterSales  bool
	AfterSaleStatus AfterSaleStatus
}

// Matches reports whether o is selected.
func (f OrderFilter) Matches(o Order) bool {
	return o.Status.Visible() && (f.MemberID == "" || o.MemberID == f.MemberID) && (f.Status == "" || o.Status == f.Status) &&
		(f.From.IsZero() || !o.CreatedAt.Before(f.From)) && (f.To.IsZero() || o.CreatedAt.Before(f.To)) &&
		(f.Phone == "" || o.Address.Phone == f.Phone) && o.TotalFen >= f.MinFen && (f.MaxFen == 0 || o.TotalFen <= f.MaxFen) &&
		(f.ProductID == "" || slices.Contains(o.ProductIDs(), f.ProductID)) &&
		(!f.WithAfterSales || len(o.AfterSales) > 0) &&
		(f.AfterSaleStatus == "" || slices.Contains(o.AfterSaleStatuses(), string(f.AfterSaleStatus)))
}

// ProductIDs are the products of the order's lines.
func (o *Order) ProductIDs() []string {
	var out []string
	for _, l := range o.Lines {
		if !slices.Contains(out, l.ProductID) {
			out = append(out, l.ProductID)
		}
	}
	return out
}

// AfterSaleStatuses are the statuses of the order's requests.
func (o *Order) AfterSaleStatuses() []string {
	var out []string
	for _, a := range o.AfterSales {
		if !slices.Contains(out, string(a.Status)) {
			out = append(out, string(a.Status))
		}
	}
	return out
}
