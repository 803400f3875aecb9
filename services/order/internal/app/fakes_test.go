package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// shop is the product and member services: stock with reservations by
// order id, points with holds by order id.
type shop struct {
	mu       sync.Mutex
	products map[string]app.ProductView
	stock    map[string]int64
	reserved map[string][]app.StockLine // order id → lines still held
	points   map[string]int64
	frozen   map[string]int64 // order id → points held
	spent    map[string]bool
	blocked  map[string]bool
	permille int64
	down     bool
	// restocked are orders whose units went back on sale.
	restocked map[string]bool
}

func newShop() *shop {
	s := &shop{products: map[string]app.ProductView{}, stock: map[string]int64{}, reserved: map[string][]app.StockLine{},
		points: map[string]int64{}, frozen: map[string]int64{}, spent: map[string]bool{}, blocked: map[string]bool{}}
	s.addSKU("p1", "s1", 3000, 100)
	s.addSKU("p1", "s2", 5000, 100)
	s.addSKU("p2", "s3", 1990, 10)
	return s
}

func (s *shop) addSKU(product, sku string, price, stock int64) {
	p, ok := s.products[product]
	if !ok {
		p = app.ProductView{ID: product, Title: "商品 " + product, OnShelf: true, SKUs: map[string]domain.SKUView{}}
	}
	p.SKUs[sku] = domain.SKUView{SKUID: sku, ProductID: product, Title: p.Title, PriceFen: price, OnShelf: true, Available: stock}
	s.products[product] = p
	s.stock[sku] = stock
}

func (s *shop) setPrice(sku string, price int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.products {
		if v, ok := p.SKUs[sku]; ok {
			v.PriceFen = price
			p.SKUs[sku] = v
		}
	}
}

func (s *shop) Products(_ context.Context, ids []string) (map[string]app.ProductView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]app.ProductView{}
	for _, id := range ids {
		if p, ok := s.products[id]; ok {
			skus := map[string]domain.SKUView{}
			for k, v := range p.SKUs {
				v.Available = s.stock[k]
				skus[k] = v
			}
			p.SKUs = skus
			out[id] = p
		}
	}
	return out, nil
}

func (s *shop) Reserve(_ context.Context, orderID string, lines []app.StockLine, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return fault.New(fault.Unavailable, "DOWN", "down")
	}
	if _, ok := s.reserved[orderID]; ok {
		return nil
	}
	for _, l := range lines {
		if s.stock[l.SKUID] < l.Quantity {
			return fault.New(fault.Precondition, domain.ReasonOutOfStock, "out of stock", "sku_id", l.SKUID)
		}
	}
	for _, l := range lines {
		s.stock[l.SKUID] -= l.Quantity
	}
	s.reserved[orderID] = lines
	return nil
}

func (s *shop) Release(_ context.Context, orderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.reserved[orderID] {
		s.stock[l.SKUID] += l.Quantity
	}
	if _, ok := s.reserved[orderID]; ok {
		s.reserved[orderID] = nil
	}
	return nil
}

func (s *shop) Restock(_ context.Context, orderID string, lines []app.StockLine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.restocked == nil {
		s.restocked = map[string]bool{}
	}
	if s.restocked[orderID] {
		return nil
	}
	s.restocked[orderID] = true
	for _, l := range lines {
		s.stock[l.SKUID] += l.Quantity
	}
	return nil
}

func (s *shop) Standing(_ context.Context, memberID string) (app.MemberStanding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return app.MemberStanding{Blocked: s.blocked[memberID], LevelID: "silver", LevelPermille: s.permille, Points: s.points[memberID]}, nil
}

func (s *shop) FreezePoints(_ context.Context, memberID, orderID string, points int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.frozen[orderID]; ok {
		return nil
	}
	if s.points[memberID] < points {
		return fault.New(fault.Precondition, domain.ReasonPointsInsufficient, "not enough points")
	}
	s.points[memberID] -= points
	s.frozen[orderID] = points
	return nil
}

func (s *shop) ConfirmPoints(_ context.Context, _, orderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spent[orderID] = true
	return nil
}

func (s *shop) ReleasePoints(_ context.Context, memberID, orderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent[orderID] {
		return fault.New(fault.Precondition, "POINTS_HOLD_CONFIRMED", "confirmed")
	}
	s.points[memberID] += s.frozen[orderID]
	s.frozen[orderID] = 0
	return nil
}

func (s *shop) available(sku string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stock[sku]
}

func (s *shop) balance(member string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.points[member]
}

// sandbox is a payment provider whose notifications are "paymentID:amount".
type sandbox struct {
	mu      sync.Mutex
	refunds map[string]int64
	paid    map[string]int64
	down    bool
}

func newSandbox() *sandbox { return &sandbox{refunds: map[string]int64{}, paid: map[string]int64{}} }

func (*sandbox) Name() string { return "sandbox" }

func (*sandbox) Prepay(_ context.Context, r app.PrepayRequest) (app.PrepayResult, error) {
	return app.PrepayResult{PayURL: "/pay/" + r.PaymentID}, nil
}

func (*sandbox) ParseNotification(_ context.Context, h http.Header, body []byte) (app.Notification, error) {
	if h.Get("X-Signature") != "ok" {
		return app.Notification{}, fault.New(fault.Unauthenticated, domain.ReasonNotificationInvalid, "bad signature")
	}
	id, amount, _ := strings.Cut(string(body), ":")
	var fen int64
	for _, c := range amount {
		fen = fen*10 + int64(c-'0')
	}
	return app.Notification{PaymentID: id, ProviderTxnID: "tx-" + id, AmountFen: fen, Currency: "CNY", Succeeded: true}, nil
}

func (s *sandbox) Query(_ context.Context, id string) (app.Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return app.Notification{}, fault.New(fault.Unavailable, "DOWN", "provider down")
	}
	fen, ok := s.paid[id]
	return app.Notification{PaymentID: id, ProviderTxnID: "tx-" + id, AmountFen: fen, Currency: "CNY", Succeeded: ok}, nil
}

func (s *sandbox) Refund(_ context.Context, r app.RefundRequest) (app.RefundResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return app.RefundResult{}, fault.New(fault.Unavailable, "DOWN", "provider down")
	}
	if fen, ok := s.refunds[r.RefundID]; ok && fen != r.RefundFen {
		return app.RefundResult{}, fault.New(fault.Precondition, "REFUND_AMOUNT_CHANGED", "a refund number is reused with another amount")
	}
	s.refunds[r.RefundID] = r.RefundFen
	return app.RefundResult{ProviderRefundID: "pr-" + r.RefundID, Status: "SUCCESS"}, nil
}
