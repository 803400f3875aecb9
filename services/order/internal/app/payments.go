package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/events"
)

// Ack is what a provider gets back for its callback.
type Ack struct {
	HTTPStatus  int
	Body        []byte
	ContentType string
}

// ackOK is the acknowledgement WeChat Pay v3 documents; other providers
// only look at the 2xx status.
var ackOK = Ack{HTTPStatus: http.StatusOK, Body: []byte(`{"code":"SUCCESS","message":"成功"}`), ContentType: "application/json"}

// PayResult is what the client needs to pay.
type PayResult struct {
	PaymentID string
	PayURL    string
	Params    map[string]string
	AmountFen int64
}

// Payments starts payments and applies providers' notifications.
type Payments struct {
	store     OrderStore
	inventory Inventory
	members   Members
	providers map[string]Provider
	fallback  string
	timing    domain.Timing
	clk       clock.Clock
}

// NewPayments builds the payment use cases over the configured providers;
// the first is the default.
func NewPayments(store OrderStore, inventory Inventory, members Members, providers []Provider, timing domain.Timing, clk clock.Clock) *Payments {
	p := &Payments{store: store, inventory: inventory, members: members, providers: map[string]Provider{}, timing: timing, clk: clk}
	for _, pr := range providers {
		if p.fallback == "" {
			p.fallback = pr.Name()
		}
		p.providers[pr.Name()] = pr
	}
	return p
}

// paymentSep joins an order id and a provider into a payment id, so a
// notification leads to its order by _id without a lookup.
const paymentSep = "-"

// PaymentID is the id of an order's payment with a provider.
func PaymentID(orderID, provider string) string { return orderID + paymentSep + provider }

// OrderOfPayment is the order a payment id belongs to, or "".
func OrderOfPayment(paymentID string) string { return orderOf(paymentID) }

func orderOf(paymentID string) string {
	i := strings.Index(paymentID, paymentSep)
	if i <= 0 {
		return ""
	}
	return paymentID[:i]
}

func (p *Payments) provider(name string) (Provider, error) {
	if name == "" {
		name = p.fallback
	}
	pr, ok := p.providers[name]
	if !ok {
		return nil, fault.New(fault.NotFound, domain.ReasonPaymentProviderUnknown, "no such payment provider", "provider", name)
	}
	return pr, nil
}

// Pay starts (or repeats) a payment of the member's unpaid order.
func (p *Payments) Pay(ctx context.Context, memberID, orderID, providerName, openID string) (PayResult, error) {
	pr, err := p.provider(providerName)
	if err != nil {
		return PayResult{}, err
	}
	for range casAttempts {
		o, err := p.store.Order(ctx, orderID)
		if err != nil || o.MemberID != memberID || !o.Status.Visible() {
			return PayResult{}, errNoOrder.With("order_id", orderID)
		}
		if _, err := domain.Next(o.Status, domain.ActionPay); err != nil {
			return PayResult{}, err
		}
		if !p.clk.Now().Before(o.PayDeadline) {
			return PayResult{}, fault.New(fault.Precondition, domain.ReasonPaymentDeadline, "the time to pay this order is over")
		}
		id := PaymentID(o.ID, pr.Name())
		if o.PaymentID != id {
			o.PaymentID, o.Provider, o.UpdatedAt = id, pr.Name(), p.clk.Now()
			if _, err := p.store.Update(ctx, o); errors.Is(err, ErrStale) {
				continue
			} else if err != nil {
				return PayResult{}, err
			}
		}
		res, err := pr.Prepay(ctx, PrepayRequest{PaymentID: id, OrderID: o.ID, AmountFen: o.TotalFen, Description: describe(o), PayerOpenID: openID, ExpireAt: o.PayDeadline})
		if err != nil {
			return PayResult{}, err
		}
		return PayResult{PaymentID: id, PayURL: res.PayURL, Params: res.Params, AmountFen: o.TotalFen}, nil
	}
	return PayResult{}, ErrStale
}

func describe(o domain.Order) string {
	if len(o.Lines) == 0 {
		return "订单 " + o.ID
	}
	d := o.Lines[0].Title
	if len(o.Lines) > 1 {
		d += " 等"
	}
	return d
}

// HandleNotification verifies a provider's callback and applies it.
func (p *Payments) HandleNotification(ctx context.Context, provider string, h http.Header, body []byte) (Ack, error) {
	pr, ok := p.providers[provider]
	if !ok {
		return Ack{}, fault.New(fault.NotFound, domain.ReasonPaymentProviderUnknown, "no such payment provider", "provider", provider)
	}
	n, err := pr.ParseNotification(ctx, h, body)
	if err != nil {
		if f, ok := fault.As(err); ok {
			return Ack{}, f
		}
		return Ack{}, fault.New(fault.Unauthenticated, domain.ReasonNotificationInvalid, "the notification failed verification")
	}
	if err := p.apply(ctx, pr, n); err != nil {
		return Ack{}, err
	}
	return ackOK, nil
}

// apply records a verified notification. The amount and currency are
// checked against the order. A replay changes nothing; a payment for an
// order that is no longer waiting for one (cancelled, or paid by another
// payment) is refunded at once.
func (p *Payments) apply(ctx context.Context, pr Provider, n Notification) error {
	if !n.Succeeded {
		return nil
	}
	orderID := orderOf(n.PaymentID)
	for range casAttempts {
		o, err := p.store.Order(ctx, orderID)
		if err != nil {
			return fault.New(fault.NotFound, domain.ReasonPaymentNotFound, "no order for this payment", "payment_id", n.PaymentID)
		}
		switch {
		case o.Status == domain.StatusPendingPayment && p.clk.Now().After(o.PayDeadline.Add(stockMargin)):
			// Its reserved units may be gone: the order cannot take it.
			return p.refundStray(ctx, pr, o, n)
		case o.Status == domain.StatusPendingPayment:
			if err := o.CheckPayment(n.AmountFen, n.Currency); err != nil {
				return err
			}
			o.PaymentID, o.Provider, o.ProviderTxnID, o.PaidFen = n.PaymentID, pr.Name(), n.ProviderTxnID, n.AmountFen
			if err := o.Do(domain.ActionPay, p.clk.Now(), p.timing); err != nil {
				return err
			}
			evs, err := events.For(ctx, o, domain.ActionPay)
			if err != nil {
				return err
			}
			saved, err := p.store.Update(ctx, o, evs...)
			if errors.Is(err, ErrStale) {
				continue
			}
			if err != nil {
				return err
			}
			// A failure here is finished by the sweeper.
			_ = confirmPoints(ctx, p.store, p.members, saved, p.clk, p.timing)
			return nil
		case o.PaymentID == n.PaymentID && o.ProviderTxnID == n.ProviderTxnID && o.PaidFen > 0:
			return nil // a replay
		default:
			return p.refundStray(ctx, pr, o, n)
		}
	}
	return ErrStale
}

// refundStray gives back a payment the order cannot take (it was cancelled,
// or another payment paid it). The refund id is fixed by the payment, so
// replays refund once.
func (p *Payments) refundStray(ctx context.Context, pr Provider, o domain.Order, n Notification) error {
	refundID := "r" + n.PaymentID
	if _, err := pr.Refund(ctx, RefundRequest{RefundID: refundID, PaymentID: n.PaymentID, ProviderTxnID: n.ProviderTxnID,
		TotalFen: n.AmountFen, RefundFen: n.AmountFen, Reason: "订单已取消，自动退款"}); err != nil {
		return err
	}
	for range casAttempts {
		if o.LateRefundID == refundID {
			return nil
		}
		o.LateRefundID, o.UpdatedAt = refundID, p.clk.Now()
		_, err := p.store.Update(ctx, o)
		if !errors.Is(err, ErrStale) {
			return err
		}
		if o, err = p.store.Order(ctx, o.ID); err != nil {
			return err
		}
	}
	return ErrStale
}

// confirmPoints spends a paid order's frozen points and records it.
func confirmPoints(ctx context.Context, store OrderStore, members Members, o domain.Order, clk clock.Clock, t domain.Timing) error {
	if !o.PointsToConfirm {
		return nil
	}
	if err := members.ConfirmPoints(ctx, o.MemberID, o.ID); err != nil {
		return err
	}
	o.PointsConfirmed(clk.Now(), t)
	_, err := store.Update(ctx, o)
	return err
}

// Reconcile asks the provider about an unpaid order at its deadline: a
// payment the callback never delivered is applied. It reports whether the
// order turned out paid.
func (p *Payments) Reconcile(ctx context.Context, o domain.Order) (bool, error) {
	if o.PaymentID == "" {
		return false, nil
	}
	pr, ok := p.providers[o.Provider]
	if !ok {
		return false, nil
	}
	n, err := pr.Query(ctx, o.PaymentID)
	if err != nil {
		return false, err
	}
	if !n.Succeeded {
		return false, nil
	}
	return true, p.apply(ctx, pr, n)
}

// Refund gives money back for units of a paid order that has not shipped
// (want: units per line id, nil for everything left). The refund id comes
// from the request id, so a repeat refunds nothing more. The refund is
// recorded first (its units can never be refunded twice), then settled
// with the provider; what a crash or a provider failure leaves unsettled
// the sweeper settles later.
func (p *Payments) Refund(ctx context.Context, orderID, requestID string, want map[string]int64, reason string) (domain.Order, error) {
	if strings.TrimSpace(reason) == "" || len(reason) > 200 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a reason of at most 200 bytes is required", "field", "reason")
	}
	if requestID == "" || len(requestID) > 64 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonRequestIDRequired, "request_id is required (at most 64 characters)", "field", "request_id")
	}
	// Short and fixed by the request: providers bound refund numbers (WeChat
	// Pay: 64 characters) and the provider's id is the order's and this one.
	sum := sha256.Sum256([]byte(requestID))
	refundID := "r" + hex.EncodeToString(sum[:6])
	o, err := modify(ctx, p.store, orderID, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if err := reachable(o, ""); err != nil {
			return nil, false, err
		}
		if _, done := o.FindRefund(refundID); done {
			return nil, false, nil
		}
		r, err := o.PlanRefund(refundID, want, "", false)
		if err != nil {
			return nil, false, err
		}
		if _, ok := p.providers[o.Provider]; !ok {
			return nil, false, fault.New(fault.Precondition, domain.ReasonPaymentProviderUnknown, "the order's payment provider is not configured", "provider", o.Provider)
		}
		r.Reason = reason
		return nil, true, o.ApplyRefund(r, p.clk.Now(), p.timing)
	})
	if err != nil {
		return domain.Order{}, err
	}
	return p.Settle(ctx, o)
}

// Settle asks the provider for every recorded refund it has not taken yet,
// records each with order.refunded in the outbox, and restocks. A provider
// failure is recorded (the sweeper tries again with backoff) and the order
// is answered as it stands: the refund is accepted, not lost.
func (p *Payments) Settle(ctx context.Context, o domain.Order) (domain.Order, error) {
	for _, r := range o.Unsettled() {
		pr, ok := p.providers[o.Provider]
		if !ok {
			return o, fault.New(fault.Precondition, domain.ReasonPaymentProviderUnknown, "the order's payment provider is not configured", "provider", o.Provider)
		}
		res, perr := pr.Refund(ctx, RefundRequest{RefundID: o.ID + "-" + r.ID, PaymentID: o.PaymentID, ProviderTxnID: o.ProviderTxnID,
			TotalFen: o.PaidFen, RefundFen: r.Fen, Reason: r.Reason})
		var err error
		o, err = modify(ctx, p.store, o.ID, func(o *domain.Order) ([]natsx.Event, bool, error) {
			if cur, _ := o.FindRefund(r.ID); cur.Settled {
				return nil, false, nil
			}
			if perr != nil {
				o.RefundFailed(r.ID, p.clk.Now(), p.timing)
				return nil, true, nil
			}
			o.SettleRefund(r.ID, res.ProviderRefundID, p.clk.Now(), p.timing)
			settled, _ := o.FindRefund(r.ID)
			ev, err := events.Refunded(ctx, *o, settled)
			return []natsx.Event{ev}, true, err
		})
		if err != nil {
			return o, err
		}
		if perr != nil {
			return o, nil
		}
	}
	if err := restock(ctx, p.store, p.inventory, o, p.clk, p.timing); err != nil {
		return o, nil // the sweeper restocks
	}
	return p.store.Order(ctx, o.ID)
}

// restock puts settled refunds' units back on sale and records it.
func restock(ctx context.Context, store OrderStore, inv Inventory, o domain.Order, clk clock.Clock, t domain.Timing) error {
	if !o.NeedsRestock() {
		return nil
	}
	for _, r := range o.Refunds {
		if !r.Settled || r.Restocked {
			continue
		}
		var lines []StockLine
		for _, l := range r.Lines {
			if l.Restock > 0 {
				lines = append(lines, StockLine{SKUID: l.SKUID, Quantity: l.Restock})
			}
		}
		if len(lines) == 0 {
			continue
		}
		if err := inv.Restock(ctx, o.ID+"-"+r.ID, lines); err != nil {
			return err
		}
	}
	o.Restocked(clk.Now(), t)
	_, err := store.Update(ctx, o)
	return err
}

// modify applies change to the order with compare-and-set, retrying when
// another writer got there first. change reports whether it changed
// anything (false: the order is answered as read) and the events to
// publish with the write.
func modify(ctx context.Context, store OrderStore, id string, change func(*domain.Order) ([]natsx.Event, bool, error)) (domain.Order, error) {
	for range casAttempts {
		o, err := store.Order(ctx, id)
		if err != nil {
			return domain.Order{}, err
		}
		evs, changed, err := change(&o)
		if err != nil || !changed {
			return o, err
		}
		saved, err := store.Update(ctx, o, evs...)
		if errors.Is(err, ErrStale) {
			continue
		}
		return saved, err
	}
	return domain.Order{}, ErrStale
}
