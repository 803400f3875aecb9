package domain

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// AfterSaleKind is what the shopper asks for.
type AfterSaleKind string

const (
	// KindRefundOnly: money back, nothing sent back (not shipped yet,
	// lost in transit, a missing item).
	KindRefundOnly AfterSaleKind = "REFUND_ONLY"
	// KindReturnRefund: the shopper sends the goods back, then the money
	// comes back and the units return to stock.
	KindReturnRefund AfterSaleKind = "RETURN_REFUND"
	// KindExchange: the shopper sends the goods back and gets the same SKU
	// again; no money moves and stock evens out.
	KindExchange AfterSaleKind = "EXCHANGE"
)

// AfterSaleStatus is where a request is.
type AfterSaleStatus string

const (
	AfterSaleRequested      AfterSaleStatus = "REQUESTED"       // waiting for an operator
	AfterSaleAwaitingReturn AfterSaleStatus = "AWAITING_RETURN" // approved: the shopper sends the goods back
	AfterSaleReturning      AfterSaleStatus = "RETURNING"       // the goods are on their way back
	AfterSaleRefunded       AfterSaleStatus = "REFUNDED"        // the refund is recorded (the provider settles it)
	AfterSaleExchanged      AfterSaleStatus = "EXCHANGED"       // the replacement shipped
	AfterSaleRejected       AfterSaleStatus = "REJECTED"
	AfterSaleWithdrawn      AfterSaleStatus = "WITHDRAWN"
)

// AfterSaleStep is one entry of a request's timeline.
type AfterSaleStep struct {
	Status AfterSaleStatus
	At     time.Time
	// By is "shopper", "operator" or "system".
	By   string
	Note string
}

// AfterSale is a shopper's request about some units of a line or lines. It
// lives in its order, so every change is one compare-and-set of the order
// and its id leads to the order by _id.
type AfterSale struct {
	ID        string
	RequestID string
	Kind      AfterSaleKind
	Status    AfterSaleStatus
	Reason    string
	Photos    []string
	Lines     []ShipmentLine
	// OperatorNote is the operator's answer, shown to the shopper.
	OperatorNote                      string
	ReturnCarrier, ReturnTrackingNo   string
	ReplacementCarrier, ReplacementNo string
	RefundID                          string
	RefundFen                         int64
	Timeline                          []AfterSaleStep
	CreatedAt, UpdatedAt              time.Time
}

// Open reports whether the request still claims its units.
func (a AfterSale) Open() bool {
	switch a.Status {
	case AfterSaleRequested, AfterSaleAwaitingReturn, AfterSaleReturning:
		return true
	}
	return false
}

func (a AfterSale) units(lineID string) int64 {
	n := int64(0)
	for _, l := range a.Lines {
		if l.LineID == lineID {
			n += l.Quantity
		}
	}
	return n
}

func (a *AfterSale) step(s AfterSaleStatus, by, note string, now time.Time) {
	a.Status, a.UpdatedAt = s, now
	a.Timeline = append(a.Timeline, AfterSaleStep{Status: s, At: now, By: by, Note: note})
}

// AfterSaleRequest is what a shopper submits.
type AfterSaleRequest struct {
	RequestID string
	Kind      AfterSaleKind
	Reason    string
	Photos    []string
	// Lines: units per line id.
	Lines map[string]int64
}

// Limits of a request.
const (
	maxAfterSaleReason = 200
	maxPhotos          = 9
	maxPhotoURL        = 500
	maxAfterSales      = 20
)

// AfterSaleSeparator joins an order id and a request number: the request's
// id leads to its order by _id.
const AfterSaleSeparator = "-a"

// OrderOfAfterSale is the order id in an after-sales id, or "".
func OrderOfAfterSale(id string) string {
	i := strings.LastIndex(id, AfterSaleSeparator)
	if i <= 0 {
		return ""
	}
	if _, err := strconv.Atoi(id[i+len(AfterSaleSeparator):]); err != nil {
		return ""
	}
	return id[:i]
}

func afterSaleInvalid(field, msg string) error {
	return fault.New(fault.Invalid, ReasonAfterSaleInvalid, msg, "field", field)
}

// RequestAfterSale records a shopper's request. Refund only may come any
// time after payment; returns and exchanges once the order shipped; none
// after completion. The same request id with the same content answers the
// first request; with other content it is REQUEST_ID_REUSED.
func (o *Order) RequestAfterSale(r AfterSaleRequest, now time.Time, t Timing) (AfterSale, error) {
	if r.RequestID == "" || len(r.RequestID) > 64 {
		return AfterSale{}, fault.New(fault.Invalid, ReasonRequestIDRequired, "request_id is required (at most 64 characters)", "field", "request_id")
	}
	for _, a := range o.AfterSales {
		if a.RequestID == r.RequestID {
			if a.Kind != r.Kind || !sameUnits(a.Lines, r.Lines) {
				return AfterSale{}, fault.New(fault.Conflict, ReasonRequestIDReused, "this request_id was used for another request", "after_sale_id", a.ID)
			}
			return a, nil
		}
	}
	switch r.Kind {
	case KindRefundOnly, KindReturnRefund, KindExchange:
	default:
		return AfterSale{}, afterSaleInvalid("kind", "kind is REFUND_ONLY, RETURN_REFUND or EXCHANGE")
	}
	reason := strings.TrimSpace(r.Reason)
	if reason == "" || len(reason) > maxAfterSaleReason || !utf8.ValidString(reason) {
		return AfterSale{}, afterSaleInvalid("reason", "a reason of at most 200 bytes is required")
	}
	if len(r.Photos) > maxPhotos {
		return AfterSale{}, afterSaleInvalid("photos", "at most 9 photos")
	}
	for _, p := range r.Photos {
		u, err := url.Parse(p)
		if err != nil || len(p) > maxPhotoURL || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return AfterSale{}, afterSaleInvalid("photos", "photos are http(s) URLs of at most 500 bytes")
		}
	}
	allowed := o.Status == StatusShipped || o.Status == StatusReceived || (o.Status == StatusPaid && r.Kind == KindRefundOnly)
	if !allowed {
		return AfterSale{}, fault.New(fault.Precondition, ReasonAfterSaleNotAllowed, "this order cannot take that request in its state",
			"status", string(o.Status), "kind", string(r.Kind))
	}
	if len(o.AfterSales) >= maxAfterSales {
		return AfterSale{}, fault.New(fault.Precondition, ReasonAfterSaleNotAllowed, "an order takes at most 20 requests")
	}
	a := AfterSale{ID: o.ID + AfterSaleSeparator + strconv.Itoa(len(o.AfterSales)+1), RequestID: r.RequestID, Kind: r.Kind,
		Reason: reason, Photos: r.Photos, CreatedAt: now}
	for _, l := range o.Lines {
		k, ok := r.Lines[l.LineID]
		if !ok || k == 0 {
			continue
		}
		if k < 0 || k > o.refundable(l, "") {
			return AfterSale{}, fault.New(fault.Invalid, ReasonAfterSaleInvalid, "units between 1 and those not refunded or already requested",
				"field", "lines", "line_id", l.LineID, "available", itoa(o.refundable(l, "")))
		}
		a.Lines = append(a.Lines, ShipmentLine{LineID: l.LineID, Quantity: k})
	}
	for id := range r.Lines {
		if !slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.LineID == id }) {
			return AfterSale{}, fault.New(fault.Invalid, ReasonAfterSaleInvalid, "no such line in the order", "field", "lines", "line_id", id)
		}
	}
	if len(a.Lines) == 0 {
		return AfterSale{}, afterSaleInvalid("lines", "a request covers at least one unit")
	}
	a.step(AfterSaleRequested, "shopper", reason, now)
	o.AfterSales = append(o.AfterSales, a)
	o.UpdatedAt = now
	o.reschedule(now, t)
	return a, nil
}

func sameUnits(have []ShipmentLine, want map[string]int64) bool {
	n := 0
	for _, k := range want {
		if k != 0 {
			n++
		}
	}
	if n != len(have) {
		return false
	}
	for _, l := range have {
		if want[l.LineID] != l.Quantity {
			return false
		}
	}
	return true
}

// AfterSale is a pointer to the order's request id, or AFTER_SALE_NOT_FOUND.
func (o *Order) AfterSale(id string) (*AfterSale, error) {
	for i := range o.AfterSales {
		if o.AfterSales[i].ID == id {
			return &o.AfterSales[i], nil
		}
	}
	return nil, fault.New(fault.NotFound, ReasonAfterSaleNotFound, "no such after-sales request", "after_sale_id", id)
}

// OpenAfterSale is the first request still open, or nil.
func (o *Order) OpenAfterSale() *AfterSale {
	for i := range o.AfterSales {
		if o.AfterSales[i].Open() {
			return &o.AfterSales[i]
		}
	}
	return nil
}

func afterSaleState(a *AfterSale, action string) error {
	return fault.New(fault.Precondition, ReasonAfterSaleState, "the request cannot do that in its state",
		"after_sale_id", a.ID, "status", string(a.Status), "action", action)
}

// AfterSaleDecision is an operator's answer to a request.
type AfterSaleDecision struct {
	Approve bool
	Note    string
}

// DecideAfterSale approves or rejects a requested after-sale. Rejecting
// needs a note. Approving refund-only records its refund at once (the
// caller settles it with the provider); approving a return or exchange
// waits for the goods. A repeat of the decision already taken is a no-op
// (changed false).
func (o *Order) DecideAfterSale(id string, d AfterSaleDecision, now time.Time, t Timing) (changed bool, err error) {
	a, err := o.AfterSale(id)
	if err != nil {
		return false, err
	}
	note := strings.TrimSpace(d.Note)
	if len(note) > maxAfterSaleReason {
		return false, afterSaleInvalid("note", "a note is at most 200 bytes")
	}
	if a.Status != AfterSaleRequested {
		repeat := (d.Approve && a.Status != AfterSaleRejected && a.Status != AfterSaleWithdrawn) || (!d.Approve && a.Status == AfterSaleRejected)
		if repeat {
			return false, nil
		}
		return false, afterSaleState(a, "decide")
	}
	a.OperatorNote = note
	if !d.Approve {
		if note == "" {
			return false, afterSaleInvalid("note", "a rejection needs a note for the shopper")
		}
		a.step(AfterSaleRejected, "operator", note, now)
		o.reschedule(now, t)
		return true, nil
	}
	if a.Kind == KindRefundOnly {
		return true, o.refundAfterSale(a, false, "operator", note, now, t)
	}
	a.step(AfterSaleAwaitingReturn, "operator", note, now)
	o.UpdatedAt = now
	return true, nil
}

// refundAfterSale records the refund of a request's units and closes it.
func (o *Order) refundAfterSale(a *AfterSale, returned bool, by, note string, now time.Time, t Timing) error {
	want := map[string]int64{}
	for _, l := range a.Lines {
		want[l.LineID] += l.Quantity
	}
	r, err := o.PlanRefund("r"+a.ID[len(o.ID):], want, a.ID, returned)
	if err != nil {
		return err
	}
	r.Reason = a.Reason
	a.RefundID, a.RefundFen = r.ID, r.Fen
	a.step(AfterSaleRefunded, by, note, now)
	return o.ApplyRefund(r, now, t)
}

// SendBack is the shopper's return parcel for an approved return or
// exchange; the same parcel again is a no-op.
func (o *Order) SendBack(id, carrier, tracking string, now time.Time) (changed bool, err error) {
	a, err := o.AfterSale(id)
	if err != nil {
		return false, err
	}
	carrier, tracking = strings.TrimSpace(carrier), strings.TrimSpace(tracking)
	if carrier == "" || tracking == "" || len(carrier) > 32 || len(tracking) > 64 {
		return false, afterSaleInvalid("tracking_number", "carrier and tracking_number are required (at most 32 and 64 bytes)")
	}
	if a.Status == AfterSaleReturning && a.ReturnCarrier == carrier && a.ReturnTrackingNo == tracking {
		return false, nil
	}
	if a.Status != AfterSaleAwaitingReturn {
		return false, afterSaleState(a, "send_back")
	}
	a.ReturnCarrier, a.ReturnTrackingNo = carrier, tracking
	a.step(AfterSaleReturning, "shopper", carrier+" "+tracking, now)
	o.UpdatedAt = now
	return true, nil
}

// ReceiveReturn is the operator taking the goods back: a return is
// refunded (the units go back to stock once the provider settles), an
// exchange ships its replacement (carrier and tracking number required).
func (o *Order) ReceiveReturn(id, carrier, tracking, note string, now time.Time, t Timing) (changed bool, err error) {
	a, err := o.AfterSale(id)
	if err != nil {
		return false, err
	}
	if a.Status == AfterSaleRefunded || a.Status == AfterSaleExchanged {
		return false, nil
	}
	if a.Status != AfterSaleReturning {
		return false, afterSaleState(a, "receive_return")
	}
	if len(note) > maxAfterSaleReason {
		return false, afterSaleInvalid("note", "a note is at most 200 bytes")
	}
	if a.Kind == KindReturnRefund {
		return true, o.refundAfterSale(a, true, "operator", note, now, t)
	}
	carrier, tracking = strings.TrimSpace(carrier), strings.TrimSpace(tracking)
	if carrier == "" || tracking == "" || len(carrier) > 32 || len(tracking) > 64 {
		return false, afterSaleInvalid("replacement_tracking_number", "an exchange ships its replacement: carrier and tracking number are required")
	}
	a.ReplacementCarrier, a.ReplacementNo = carrier, tracking
	a.step(AfterSaleExchanged, "operator", carrier+" "+tracking, now)
	o.UpdatedAt = now
	o.reschedule(now, t)
	return true, nil
}

// WithdrawAfterSale is the shopper giving up a request before the goods
// are on their way back.
func (o *Order) WithdrawAfterSale(id string, now time.Time, t Timing) (changed bool, err error) {
	a, err := o.AfterSale(id)
	if err != nil {
		return false, err
	}
	switch a.Status {
	case AfterSaleWithdrawn:
		return false, nil
	case AfterSaleRequested, AfterSaleAwaitingReturn:
	default:
		return false, afterSaleState(a, "withdraw")
	}
	a.step(AfterSaleWithdrawn, "shopper", "", now)
	o.UpdatedAt = now
	o.reschedule(now, t)
	return true, nil
}
