package app

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/domain"
)

// memStore is an in-memory CartStore, QuoteStore and OrderStore with the
// same compare-and-set rules as the MongoDB store.
type memStore struct {
	mu       sync.Mutex
	carts    map[string]domain.Cart
	quotes   map[string]Quote
	orders   map[string]domain.Order
	requests map[string][2]string
	events   []natsx.Event
}

func newMemStore() *memStore {
	return &memStore{carts: map[string]domain.Cart{}, quotes: map[string]Quote{}, orders: map[string]domain.Order{}, requests: map[string][2]string{}}
}

func (m *memStore) Cart(_ context.Context, id string) (domain.Cart, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.carts[id]
	if !ok {
		return domain.Cart{MemberID: id}, nil
	}
	c.Lines = append([]domain.CartLine(nil), c.Lines...)
	return c, nil
}

func (m *memStore) SaveCart(_ context.Context, c domain.Cart) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.carts[c.MemberID].Version != c.Version {
		return ErrStale
	}
	c.Version++
	c.Lines = append([]domain.CartLine(nil), c.Lines...)
	m.carts[c.MemberID] = c
	return nil
}

func (m *memStore) SaveQuote(_ context.Context, q Quote) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.quotes[q.ID] = q
	return nil
}

func (m *memStore) Quote(_ context.Context, id string) (Quote, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.quotes[id]
	if !ok {
		return q, fault.New(fault.NotFound, domain.ReasonQuoteNotFound, "no such quote")
	}
	return q, nil
}

func (m *memStore) ClaimRequest(_ context.Context, memberID, requestID, orderID, hash string) (string, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memberID + "/" + requestID
	if r, ok := m.requests[k]; ok {
		return r[0], r[1], false, nil
	}
	m.requests[k] = [2]string{orderID, hash}
	return orderID, hash, true, nil
}

func (m *memStore) Insert(_ context.Context, o domain.Order) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orders[o.ID] = clone(o)
	return nil
}

func (m *memStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.orders, id)
	return nil
}

func (m *memStore) Order(_ context.Context, id string) (domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return o, fault.New(fault.NotFound, domain.ReasonOrderNotFound, "no such order")
	}
	return clone(o), nil
}

func (m *memStore) Update(_ context.Context, o domain.Order, evs ...natsx.Event) (domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.orders[o.ID]; !ok || cur.Version != o.Version {
		return domain.Order{}, ErrStale
	}
	o.Version++
	m.orders[o.ID] = clone(o)
	m.events = append(m.events, evs...)
	return o, nil
}

func (m *memStore) List(_ context.Context, memberID string, status domain.Status, after string, limit int) ([]domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Order
	for _, o := range m.orders {
		if o.Status.Visible() && (memberID == "" || o.MemberID == memberID) && (status == "" || o.Status == status) && (after == "" || o.ID < after) {
			out = append(out, clone(o))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out[:min(limit, len(out))], nil
}

func (m *memStore) Touched(_ context.Context, from, to time.Time) ([]domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Order
	for _, o := range m.orders {
		out = append(out, clone(o))
	}
	return out, nil
}

func (m *memStore) Due(_ context.Context, now time.Time, limit int) ([]domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Order
	for _, o := range m.orders {
		if !o.DueAt.IsZero() && !o.DueAt.After(now) {
			out = append(out, clone(o))
		}
	}
	return out[:min(limit, len(out))], nil
}

func (m *memStore) subjects() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.events {
		out = append(out, strings.TrimPrefix(e.Subject, "siyu.order."))
	}
	return out
}

func (m *memStore) count(s domain.Status) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, o := range m.orders {
		if o.Status == s {
			n++
		}
	}
	return n
}

func clone(o domain.Order) domain.Order {
	o.Lines = append([]domain.OrderLine(nil), o.Lines...)
	return o
}

// shop is the product and member services: stock with reservations by
// order id, points with holds by order id.
type shop struct {
	mu       sync.Mutex
	products map[string]ProductView
	stock    map[string]int64
	reserved map[string][]StockLine // order id → lines still held
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
	s := &shop{products: map[string]ProductView{}, stock: map[string]int64{}, reserved: map[string][]StockLine{},
		points: map[string]int64{}, frozen: map[string]int64{}, spent: map[string]bool{}, blocked: map[string]bool{}}
	s.addSKU("p1", "s1", 3000, 100)
	s.addSKU("p1", "s2", 5000, 100)
	s.addSKU("p2", "s3", 1990, 10)
	return s
}

func (s *shop) addSKU(product, sku string, price, stock int64) {
	p, ok := s.products[product]
	if !ok {
		p = ProductView{ID: product, Title: "商品 " + product, OnShelf: true, SKUs: map[string]domain.SKUView{}}
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

func (s *shop) Products(_ context.Context, ids []string) (map[string]ProductView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]ProductView{}
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

func (s *shop) Reserve(_ context.Context, orderID string, lines []StockLine, _ time.Duration) error {
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

func (s *shop) Restock(_ context.Context, orderID string, lines []StockLine) error {
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

func (s *shop) Standing(_ context.Context, memberID string) (MemberStanding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return MemberStanding{Blocked: s.blocked[memberID], LevelID: "silver", LevelPermille: s.permille, Points: s.points[memberID]}, nil
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
}

func newSandbox() *sandbox { return &sandbox{refunds: map[string]int64{}, paid: map[string]int64{}} }

func (*sandbox) Name() string { return "sandbox" }

func (*sandbox) Prepay(_ context.Context, r PrepayRequest) (PrepayResult, error) {
	return PrepayResult{PayURL: "/pay/" + r.PaymentID}, nil
}

func (*sandbox) ParseNotification(_ context.Context, h http.Header, body []byte) (Notification, error) {
	if h.Get("X-Signature") != "ok" {
		return Notification{}, fault.New(fault.Unauthenticated, domain.ReasonNotificationInvalid, "bad signature")
	}
	id, amount, _ := strings.Cut(string(body), ":")
	var fen int64
	for _, c := range amount {
		fen = fen*10 + int64(c-'0')
	}
	return Notification{PaymentID: id, ProviderTxnID: "tx-" + id, AmountFen: fen, Currency: "CNY", Succeeded: true}, nil
}

func (s *sandbox) Query(_ context.Context, id string) (Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fen, ok := s.paid[id]
	return Notification{PaymentID: id, ProviderTxnID: "tx-" + id, AmountFen: fen, Currency: "CNY", Succeeded: ok}, nil
}

func (s *sandbox) Refund(_ context.Context, r RefundRequest) (RefundResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refunds[r.RefundID] = r.RefundFen
	return RefundResult{ProviderRefundID: "pr-" + r.RefundID, Status: "SUCCESS"}, nil
}
