package app

import (
	"context"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/domain"
)

// AfterSales are shoppers' requests for refunds, returns and exchanges and
// the operators' handling of them. A request lives in its order, so each
// step is one compare-and-set of the order; refunds it records are settled
// through Payments (and by the sweeper after a crash or a provider
// failure).
type AfterSales struct {
	store    OrderStore
	payments *Payments
	timing   domain.Timing
	clk      clock.Clock
}

// NewAfterSales builds the after-sales use cases.
func NewAfterSales(store OrderStore, payments *Payments, timing domain.Timing, clk clock.Clock) *AfterSales {
	return &AfterSales{store: store, payments: payments, timing: timing, clk: clk}
}

var errNoAfterSale = fault.New(fault.NotFound, domain.ReasonAfterSaleNotFound, "no such after-sales request")

// Request records the member's request about units of their order.
func (s *AfterSales) Request(ctx context.Context, memberID, orderID string, r domain.AfterSaleRequest) (domain.AfterSale, error) {
	var a domain.AfterSale
	_, err := modify(ctx, s.store, orderID, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if err := reachable(o, memberID); err != nil {
			return nil, false, err
		}
		n := len(o.AfterSales)
		var err error
		a, err = o.RequestAfterSale(r, s.clk.Now(), s.timing)
		return nil, len(o.AfterSales) > n, err
	})
	if fault.ReasonOf(err) == domain.ReasonOrderNotFound {
		return domain.AfterSale{}, errNoOrder.With("order_id", orderID)
	}
	return a, err
}

// Mine is one of the member's requests and its order; anyone else's is
// AFTER_SALE_NOT_FOUND.
func (s *AfterSales) Mine(ctx context.Context, memberID, id string) (domain.Order, domain.AfterSale, error) {
	o, a, err := s.Any(ctx, id)
	if err == nil && o.MemberID != memberID {
		return domain.Order{}, domain.AfterSale{}, errNoAfterSale.With("after_sale_id", id)
	}
	return o, a, err
}

// Any is any request and its order (operators).
func (s *AfterSales) Any(ctx context.Context, id string) (domain.Order, domain.AfterSale, error) {
	orderID := domain.OrderOfAfterSale(id)
	if orderID == "" {
		return domain.Order{}, domain.AfterSale{}, errNoAfterSale.With("after_sale_id", id)
	}
	o, err := s.store.Order(ctx, orderID)
	if err != nil || !o.Status.Visible() {
		return domain.Order{}, domain.AfterSale{}, errNoAfterSale.With("after_sale_id", id)
	}
	a, err := o.AfterSale(id)
	if err != nil {
		return domain.Order{}, domain.AfterSale{}, err
	}
	return o, *a, nil
}

// step applies change to request id of the order (memberID "" is an
// operator), then settles any refund it recorded.
func (s *AfterSales) step(ctx context.Context, memberID, id string, change func(o *domain.Order) (bool, error)) (domain.AfterSale, error) {
	orderID := domain.OrderOfAfterSale(id)
	if orderID == "" {
		return domain.AfterSale{}, errNoAfterSale.With("after_sale_id", id)
	}
	o, err := modify(ctx, s.store, orderID, func(o *domain.Order) ([]natsx.Event, bool, error) {
		if reachable(o, memberID) != nil {
			return nil, false, errNoAfterSale.With("after_sale_id", id)
		}
		changed, err := change(o)
		return nil, changed, err
	})
	if fault.ReasonOf(err) == domain.ReasonOrderNotFound {
		return domain.AfterSale{}, errNoAfterSale.With("after_sale_id", id)
	}
	if err != nil {
		return domain.AfterSale{}, err
	}
	if len(o.Unsettled()) > 0 {
		if o, err = s.payments.Settle(ctx, o); err != nil {
			return domain.AfterSale{}, err
		}
	}
	a, err := o.AfterSale(id)
	if err != nil {
		return domain.AfterSale{}, err
	}
	return *a, nil
}

// Decide is an operator approving or rejecting a request.
func (s *AfterSales) Decide(ctx context.Context, id string, d domain.AfterSaleDecision) (domain.AfterSale, error) {
	return s.step(ctx, "", id, func(o *domain.Order) (bool, error) { return o.DecideAfterSale(id, d, s.clk.Now(), s.timing) })
}

// SendBack is the member's return parcel.
func (s *AfterSales) SendBack(ctx context.Context, memberID, id, carrier, tracking string) (domain.AfterSale, error) {
	return s.step(ctx, memberID, id, func(o *domain.Order) (bool, error) { return o.SendBack(id, carrier, tracking, s.clk.Now()) })
}

// ReceiveReturn is an operator taking the goods back.
func (s *AfterSales) ReceiveReturn(ctx context.Context, id, carrier, tracking, note string) (domain.AfterSale, error) {
	return s.step(ctx, "", id, func(o *domain.Order) (bool, error) {
		return o.ReceiveReturn(id, carrier, tracking, note, s.clk.Now(), s.timing)
	})
}

// Withdraw is the member giving a request up.
func (s *AfterSales) Withdraw(ctx context.Context, memberID, id string) (domain.AfterSale, error) {
	return s.step(ctx, memberID, id, func(o *domain.Order) (bool, error) { return o.WithdrawAfterSale(id, s.clk.Now(), s.timing) })
}

// List pages through the orders f selects that have requests (newest
// first, after the order id after) and returns their requests in status
// (any when ""), with the last order id looked at.
func (s *AfterSales) List(ctx context.Context, f domain.OrderFilter, status domain.AfterSaleStatus, after string, limit int) ([]domain.AfterSale, string, error) {
	f.WithAfterSales = true
	orders, err := s.store.List(ctx, f, after, limit)
	if err != nil {
		return nil, "", err
	}
	var out []domain.AfterSale
	for _, o := range orders {
		for i := len(o.AfterSales) - 1; i >= 0; i-- {
			if status == "" || o.AfterSales[i].Status == status {
				out = append(out, o.AfterSales[i])
			}
		}
	}
	last := ""
	if len(orders) == limit {
		last = orders[len(orders)-1].ID
	}
	return out, last, nil
}
