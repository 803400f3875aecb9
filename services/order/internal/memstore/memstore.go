// Package memstore is an in-memory CartStore, QuoteStore and OrderStore
// with the same compare-and-set rules as the MongoDB store; the store
// contract suite (internal/storetest) runs against both, so use-case tests
// on it cannot drift from the real store.
package memstore

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// Store keeps everything in maps behind one mutex.
type Store struct {
	mu       sync.Mutex
	carts    map[string]domain.Cart
	quotes   map[string]app.Quote
	orders   map[string]domain.Order
	requests map[string][2]string
	events   []natsx.Event
}

// New is an empty store.
func New() *Store {
	return &Store{carts: map[string]domain.Cart{}, quotes: map[string]app.Quote{}, orders: map[string]domain.Order{}, requests: map[string][2]string{}}
}

func (m *Store) Cart(_ context.Context, id string) (domain.Cart, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.carts[id]
	if !ok {
		return domain.Cart{MemberID: id}, nil
	}
	c.Lines = append([]domain.CartLine(nil), c.Lines...)
	return c, nil
}

func (m *Store) SaveCart(_ context.Context, c domain.Cart) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.carts[c.MemberID].Version != c.Version {
		return app.ErrStale
	}
	c.Version++
	c.Lines = append([]domain.CartLine(nil), c.Lines...)
	m.carts[c.MemberID] = c
	return nil
}

func (m *Store) SaveQuote(_ context.Context, q app.Quote) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.quotes[q.ID] = q
	return nil
}

func (m *Store) Quote(_ context.Context, id string) (app.Quote, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.quotes[id]
	if !ok {
		return q, fault.New(fault.NotFound, domain.ReasonQuoteNotFound, "no such quote")
	}
	return q, nil
}

func (m *Store) ClaimRequest(_ context.Context, memberID, requestID, orderID, hash string) (string, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memberID + "/" + requestID
	if r, ok := m.requests[k]; ok {
		return r[0], r[1], false, nil
	}
	m.requests[k] = [2]string{orderID, hash}
	return orderID, hash, true, nil
}

func (m *Store) Insert(_ context.Context, o domain.Order) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orders[o.ID] = clone(o)
	return nil
}

func (m *Store) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.orders, id)
	return nil
}

func (m *Store) Order(_ context.Context, id string) (domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return o, fault.New(fault.NotFound, domain.ReasonOrderNotFound, "no such order")
	}
	return clone(o), nil
}

func (m *Store) Update(_ context.Context, o domain.Order, evs ...natsx.Event) (domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.orders[o.ID]; !ok || cur.Version != o.Version {
		return domain.Order{}, app.ErrStale
	}
	o.Version++
	m.orders[o.ID] = clone(o)
	m.events = append(m.events, evs...)
	return o, nil
}

func (m *Store) List(_ context.Context, f domain.OrderFilter, after string, limit int) ([]domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Order
	for _, o := range m.orders {
		if f.Matches(o) && (after == "" || o.ID < after) {
			out = append(out, clone(o))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out[:min(limit, len(out))], nil
}

func (m *Store) Touched(_ context.Context, from, to time.Time) ([]domain.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	var out []domain.Order
	for _, o := range m.orders {
		if in(o.CreatedAt) || in(o.PaidAt) || in(o.CancelledAt) || in(o.RefundedAt) {
			out = append(out, clone(o))
		}
	}
	return out, nil
}

func (m *Store) Due(_ context.Context, now time.Time, limit int) ([]domain.Order, error) {
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

// Subjects are the published event names, in order ("created", "paid", ...).
func (m *Store) Subjects() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.events {
		out = append(out, strings.TrimPrefix(e.Subject, "siyu.order."))
	}
	return out
}

// Count is how many orders are in status s.
func (m *Store) Count(s domain.Status) int {
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

// clone copies every slice an order holds, so callers never share memory
// with the store (as they do not with a database).
func clone(o domain.Order) domain.Order {
	o.Lines = slices.Clone(o.Lines)
	o.Promotions = slices.Clone(o.Promotions)
	o.Shipments = slices.Clone(o.Shipments)
	for i := range o.Shipments {
		o.Shipments[i].Lines = slices.Clone(o.Shipments[i].Lines)
	}
	o.Refunds = slices.Clone(o.Refunds)
	for i := range o.Refunds {
		o.Refunds[i].Lines = slices.Clone(o.Refunds[i].Lines)
	}
	o.AfterSales = slices.Clone(o.AfterSales)
	for i := range o.AfterSales {
		a := &o.AfterSales[i]
		a.Lines, a.Photos, a.Timeline = slices.Clone(a.Lines), slices.Clone(a.Photos), slices.Clone(a.Timeline)
	}
	return o
}
