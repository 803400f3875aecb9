package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Counter counts an activity's reserved units: a JetStream stream per
// activity whose size is the stock. Reserve is idempotent by request id.
type Counter interface {
	// Ensure creates or resizes the activity's counter.
	Ensure(ctx context.Context, f domain.FlashSale) error
	// Reserve takes one unit for the member (FLASH_SALE_SOLD_OUT,
	// FLASH_SALE_LIMIT_REACHED), with payload for the order to come.
	Reserve(ctx context.Context, flashSaleID, memberID, requestID string, payload []byte) (seq uint64, err error)
	// Unit returns who reserved a unit and its payload; found false when
	// there is no such unit (never taken, or given back).
	Unit(ctx context.Context, flashSaleID string, seq uint64) (memberID string, payload []byte, found bool, err error)
	// Free gives a unit back; freeing it again is a no-op.
	Free(ctx context.Context, flashSaleID string, seq uint64) error
	// Reserved is how many units are taken now.
	Reserved(ctx context.Context, flashSaleID string) (int64, error)
}

// Reservations keeps reservations that reached the order service, by id.
type Reservations interface {
	// Reservation is found false when there is none yet.
	Reservation(ctx context.Context, id string) (r domain.Reservation, version int64, found bool, err error)
	// Save writes r if its stored version is still version (0: new);
	// otherwise ErrStale.
	Save(ctx context.Context, r domain.Reservation, version int64) error
}

// OrderPlacer places an order for a member (order service).
type OrderPlacer interface {
	PlaceFor(ctx context.Context, in PlaceFor) (orderID string, err error)
}

// Address is where an order goes.
type Address struct {
	Name, Phone, Province, City, District, Detail string
}

// PlaceFor is an order marketing places for a member.
type PlaceFor struct {
	MemberID, RequestID string
	Address             Address
	ProductID, SKUID    string
	Quantity            int64
	Activity            Activity
}

// reservationPayload travels in the counter with the unit.
type reservationPayload struct {
	MemberID  string    `json:"member_id"`
	Address   Address   `json:"address"`
	RequestID string    `json:"request_id"`
	At        time.Time `json:"at"`
}

// FlashSales runs flash sales: operators' activities, shoppers'
// reservations against the counter, orders placed from reservations, and
// the flash-sale desk at checkout.
type FlashSales struct {
	store        FlashSaleStore
	results      ResultStore
	counter      Counter
	reservations Reservations
	orders       OrderPlacer
	clk          clock.Clock
	log          *slog.Logger

	// Activities are read from memory on the reservation path, refreshed
	// from the store every refreshEvery (other instances' writes).
	mu        sync.RWMutex
	cache     map[string]domain.FlashSale
	refreshed time.Time
}

const refreshEvery = 2 * time.Second

// NewFlashSales builds the flash-sale use cases.
func NewFlashSales(store FlashSaleStore, results ResultStore, counter Counter, reservations Reservations, orders OrderPlacer, clk clock.Clock, log *slog.Logger) *FlashSales {
	if log == nil {
		log = slog.Default()
	}
	return &FlashSales{store: store, results: results, counter: counter, reservations: reservations, orders: orders, clk: clk, log: log, cache: map[string]domain.FlashSale{}}
}

// activity reads an activity from memory, refreshing the cache when stale.
func (s *FlashSales) activity(ctx context.Context, id string) (domain.FlashSale, error) {
	s.mu.RLock()
	f, ok := s.cache[id]
	fresh := time.Since(s.refreshed) < refreshEvery
	s.mu.RUnlock()
	if ok && fresh {
		return f, nil
	}
	if err := s.Refresh(ctx); err != nil {
		return domain.FlashSale{}, err
	}
	s.mu.RLock()
	f, ok = s.cache[id]
	s.mu.RUnlock()
	if !ok {
		return f, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such flash sale", "flash_sale_id", id)
	}
	return f, nil
}

// Refresh reloads every activity into memory and makes sure each has its
// counter (an instance that starts after an activity was made).
func (s *FlashSales) Refresh(ctx context.Context) error {
	all, err := s.store.List(ctx)
	if err != nil {
		return err
	}
	next := make(map[string]domain.FlashSale, len(all))
	for _, f := range all {
		next[f.ID] = f
	}
	s.mu.Lock()
	s.cache, s.refreshed = next, time.Now()
	s.mu.Unlock()
	return nil
}

func (s *FlashSales) remember(f domain.FlashSale) {
	s.mu.Lock()
	s.cache[f.ID] = f
	s.mu.Unlock()
}

// Create saves a new activity and its counter.
func (s *FlashSales) Create(ctx context.Context, f domain.FlashSale) (domain.FlashSale, error) {
	if err := f.Validate(); err != nil {
		return f, err
	}
	f.ID, f.Ended, f.Version, f.CreatedAt = newID("fs"), false, 1, s.clk.Now()
	// The counter first: an activity is never visible without one.
	if err := s.counter.Ensure(ctx, f); err != nil {
		return f, err
	}
	if err := s.store.Create(ctx, f); err != nil {
		return f, err
	}
	s.remember(f)
	return f, nil
}

// Update changes an activity that has not started.
func (s *FlashSales) Update(ctx context.Context, f domain.FlashSale) (domain.FlashSale, error) {
	if err := f.Validate(); err != nil {
		return f, err
	}
	cur, err := s.store.Get(ctx, f.ID)
	if err != nil {
		return f, err
	}
	if cur.Version != f.Version {
		return f, fault.New(fault.Precondition, domain.ReasonActivityVersion, "the flash sale changed since it was read")
	}
	if !s.clk.Now().Before(cur.Start) || cur.Ended {
		return f, fault.New(fault.Precondition, domain.ReasonActivityNotOpen, "a flash sale cannot change once it started or ended")
	}
	f.CreatedAt, f.Ended = cur.CreatedAt, false
	if err := s.counter.Ensure(ctx, f); err != nil {
		return f, err
	}
	if err := s.store.Update(ctx, f); errors.Is(err, ErrStale) {
		return f, fault.New(fault.Precondition, domain.ReasonActivityVersion, "the flash sale changed since it was read")
	} else if err != nil {
		return f, err
	}
	f.Version++
	s.remember(f)
	return f, nil
}

// End stops reservations.
func (s *FlashSales) End(ctx context.Context, id string) (domain.FlashSale, error) {
	f, err := endNow(ctx, s.store, id, func(f *domain.FlashSale) bool {
		was := f.Ended
		f.Ended = true
		return !was
	})
	if err == nil {
		s.remember(f)
	}
	return f, err
}

// Listed is an activity with its units.
type Listed struct {
	FlashSale           domain.FlashSale
	Reserved, Remaining int64
	Results             Results
}

func (s *FlashSales) listed(ctx context.Context, f domain.FlashSale) (Listed, error) {
	n, err := s.counter.Reserved(ctx, f.ID)
	return Listed{FlashSale: f, Reserved: n, Remaining: max(0, f.Stock-n)}, err
}

// List returns activities running now or starting within a day.
func (s *FlashSales) List(ctx context.Context) ([]Listed, error) {
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	now := s.clk.Now()
	s.mu.RLock()
	var open []domain.FlashSale
	for _, f := range s.cache {
		if !f.Ended && now.Before(f.End) && f.Start.Before(now.Add(24*time.Hour)) {
			open = append(open, f)
		}
	}
	s.mu.RUnlock()
	sort.Slice(open, func(a, b int) bool { return open[a].Start.Before(open[b].Start) })
	out := make([]Listed, 0, len(open))
	for _, f := range open {
		l, err := s.listed(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// Get returns one activity with its units.
func (s *FlashSales) Get(ctx context.Context, id string) (Listed, error) {
	f, err := s.activity(ctx, id)
	if err != nil {
		return Listed{}, err
	}
	return s.listed(ctx, f)
}

// AdminList returns every activity with its units and results.
func (s *FlashSales) AdminList(ctx context.Context) ([]Listed, error) {
	all, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(all))
	for _, f := range all {
		l, err := s.listed(ctx, f)
		if err != nil {
			return nil, err
		}
		if l.Results, err = s.results.Results(ctx, f.ID); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// Reserve takes one unit of an open activity for the member. Only memory
// and the counter are touched: the order follows asynchronously.
func (s *FlashSales) Reserve(ctx context.Context, memberID, flashSaleID, requestID string, a Address) (domain.Reservation, error) {
	if strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.Phone) == "" || strings.TrimSpace(a.Province) == "" || strings.TrimSpace(a.Detail) == "" {
		return domain.Reservation{}, fault.New(fault.Invalid, domain.ReasonAddressRequired, "an address needs a name, a phone, a province and a street", "field", "address")
	}
	if len(requestID) > 64 {
		return domain.Reservation{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "request_id is at most 64 characters", "field", "request_id")
	}
	f, err := s.activity(ctx, flashSaleID)
	if err != nil {
		return domain.Reservation{}, err
	}
	now := s.clk.Now()
	if err := f.Open(now); err != nil {
		return domain.Reservation{}, err
	}
	if requestID == "" {
		requestID = newID("r")
	}
	payload, err := json.Marshal(reservationPayload{MemberID: memberID, Address: a, RequestID: requestID, At: now})
	if err != nil {
		return domain.Reservation{}, err
	}
	seq, err := s.counter.Reserve(ctx, f.ID, memberID, requestID, payload)
	if err != nil {
		return domain.Reservation{}, err
	}
	return domain.Reservation{ID: domain.ReservationID(f.ID, seq), FlashSaleID: f.ID, MemberID: memberID, Seq: seq,
		Status: domain.ReservationQueued, CreatedAt: now}, nil
}

var errNoReservation = fault.New(fault.NotFound, domain.ReasonReservationNotFound, "no such reservation")

// Mine returns one of the member's reservations; anyone else's is
// RESERVATION_NOT_FOUND.
func (s *FlashSales) Mine(ctx context.Context, memberID, id string) (domain.Reservation, error) {
	fsID, seq, ok := domain.ParseReservationID(id)
	if !ok {
		return domain.Reservation{}, errNoReservation
	}
	r, _, found, err := s.reservations.Reservation(ctx, id)
	if err != nil {
		return r, err
	}
	if found {
		if r.MemberID != memberID {
			return domain.Reservation{}, errNoReservation
		}
		return r, nil
	}
	holder, payload, found, err := s.counter.Unit(ctx, fsID, seq)
	if err != nil {
		return domain.Reservation{}, err
	}
	if !found || holder != memberID {
		return domain.Reservation{}, errNoReservation
	}
	var p reservationPayload
	_ = json.Unmarshal(payload, &p)
	return domain.Reservation{ID: id, FlashSaleID: fsID, MemberID: memberID, Seq: seq, Status: domain.ReservationQueued, CreatedAt: p.At}, nil
}

// modifyReservation applies f to a reservation (a new one starts from
// seed), retrying when another writer came first.
func (s *FlashSales) modifyReservation(ctx context.Context, seed domain.Reservation, f func(r *domain.Reservation) (bool, error)) (domain.Reservation, error) {
	for range casAttempts {
		r, v, found, err := s.reservations.Reservation(ctx, seed.ID)
		if err != nil {
			return r, err
		}
		if !found {
			r, v = seed, 0
		}
		changed, err := f(&r)
		if err != nil || !changed {
			return r, err
		}
		if err := s.reservations.Save(ctx, r, v); errors.Is(err, ErrStale) {
			continue
		} else if err != nil {
			return r, err
		}
		return r, nil
	}
	return domain.Reservation{}, ErrStale
}

// PlaceOrder turns a reserved unit into an order (the counter's consumer
// calls it for every unit, again after a crash). A rule the order service
// refuses on (the SKU out of stock, the member blocked) fails the
// reservation and gives the unit back; anything else is returned, and the
// unit is tried again.
func (s *FlashSales) PlaceOrder(ctx context.Context, flashSaleID string, seq uint64) error {
	memberID, payload, found, err := s.counter.Unit(ctx, flashSaleID, seq)
	if err != nil || !found {
		return err
	}
	var p reservationPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a reservation that cannot be read")
	}
	f, err := s.store.Get(ctx, flashSaleID)
	if err != nil {
		return err
	}
	id := domain.ReservationID(flashSaleID, seq)
	r, _, found, err := s.reservations.Reservation(ctx, id)
	if err != nil {
		return err
	}
	if found && r.Status != domain.ReservationQueued {
		return nil // placed (or failed, or given back) before
	}
	orderID, err := s.orders.PlaceFor(ctx, PlaceFor{MemberID: memberID, RequestID: id, Address: p.Address, ProductID: f.ProductID, SKUID: f.SKUID, Quantity: 1,
		Activity: Activity{Kind: domain.KindFlashSale, ID: flashSaleID, Ref: id}})
	if err == nil {
		// The order held the reservation while it was placed (Hold bound
		// it); now the shopper may pay it.
		_, err = s.modifyReservation(ctx, domain.Reservation{ID: id}, func(r *domain.Reservation) (bool, error) { return r.Placed(orderID), nil })
		return err
	}
	if !fault.Permanent(err) {
		return err
	}
	seed := domain.Reservation{ID: id, FlashSaleID: flashSaleID, MemberID: memberID, Seq: seq, Status: domain.ReservationQueued, CreatedAt: p.At}
	if _, err := s.modifyReservation(ctx, seed, func(r *domain.Reservation) (bool, error) {
		if r.Status != domain.ReservationQueued {
			return false, nil
		}
		r.Status, r.FailReason = domain.ReservationFailed, string(fault.ReasonOf(err))
		return true, nil
	}); err != nil {
		return err
	}
	s.log.Info("flash-sale reservation failed", "reservation_id", id, "reason", fault.ReasonOf(err))
	return s.counter.Free(ctx, flashSaleID, seq)
}

// The flash-sale desk at checkout.

// reservationOf checks that a reservation is the member's unit of the activity.
func (s *FlashSales) reservationOf(ctx context.Context, memberID string, a Activity) (domain.FlashSale, domain.Reservation, error) {
	fsID, seq, ok := domain.ParseReservationID(a.Ref)
	if !ok || fsID != a.ID {
		return domain.FlashSale{}, domain.Reservation{}, errNoReservation
	}
	f, err := s.store.Get(ctx, fsID)
	if err != nil {
		return f, domain.Reservation{}, err
	}
	holder, payload, found, err := s.counter.Unit(ctx, fsID, seq)
	if err != nil {
		return f, domain.Reservation{}, err
	}
	if !found || holder != memberID {
		return f, domain.Reservation{}, errNoReservation
	}
	var p reservationPayload
	_ = json.Unmarshal(payload, &p)
	return f, domain.Reservation{ID: a.Ref, FlashSaleID: fsID, MemberID: memberID, Seq: seq, Status: domain.ReservationQueued, CreatedAt: p.At}, nil
}

// Price prices one unit at the flash price.
func (s *FlashSales) Price(ctx context.Context, memberID string, a Activity, lines []domain.Line) (domain.Applied, error) {
	f, _, err := s.reservationOf(ctx, memberID, a)
	if err != nil {
		return domain.Applied{}, err
	}
	return f.Discount(lines)
}

// Hold binds the reservation to the order.
func (s *FlashSales) Hold(ctx context.Context, memberID, orderID string, a Activity) (Activity, error) {
	return a, s.hold(ctx, memberID, orderID, a)
}

func (s *FlashSales) hold(ctx context.Context, memberID, orderID string, a Activity) error {
	_, seed, err := s.reservationOf(ctx, memberID, a)
	if err != nil {
		return err
	}
	bound := false
	_, err = s.modifyReservation(ctx, seed, func(r *domain.Reservation) (bool, error) {
		ch, err := r.Bind(orderID)
		bound = ch
		return ch, err
	})
	if err != nil || !bound {
		return err
	}
	return s.results.Add(ctx, a.ID, Results{Orders: 1})
}

// Release gives the unit back: the order failed or was cancelled unpaid.
func (s *FlashSales) Release(ctx context.Context, memberID, orderID string, a Activity) error {
	fsID, seq, ok := domain.ParseReservationID(a.Ref)
	if !ok {
		return nil
	}
	seed := domain.Reservation{ID: a.Ref, FlashSaleID: fsID, MemberID: memberID, Seq: seq, Status: domain.ReservationQueued, CreatedAt: s.clk.Now()}
	if _, err := s.modifyReservation(ctx, seed, func(r *domain.Reservation) (bool, error) {
		if r.MemberID != memberID || r.Status == domain.ReservationReleased || r.Status == domain.ReservationPaid || (r.OrderID != "" && r.OrderID != orderID) {
			return false, nil
		}
		r.Status = domain.ReservationReleased
		return true, nil
	}); err != nil {
		return err
	}
	r, _, _, err := s.reservations.Reservation(ctx, a.Ref)
	if err != nil || r.Status != domain.ReservationReleased {
		return err
	}
	return s.counter.Free(ctx, fsID, seq)
}

// Paid records the sale.
func (s *FlashSales) Paid(ctx context.Context, memberID, orderID string, a Activity, paidFen, discountFen int64) error {
	changed := false
	if _, err := s.modifyReservation(ctx, domain.Reservation{ID: a.Ref}, func(r *domain.Reservation) (bool, error) {
		if r.OrderID != orderID || (r.Status != domain.ReservationOrdered && r.Status != domain.ReservationPlacing) {
			return false, nil
		}
		r.Status, changed = domain.ReservationPaid, true
		return true, nil
	}); err != nil || !changed {
		return err
	}
	return s.results.Add(ctx, a.ID, Results{Paid: 1, PaidFen: paidFen, DiscountFen: discountFen})
}

// Recent lists the activities whose units may still need orders: not
// ended more than a week ago.
func (s *FlashSales) Recent(ctx context.Context) ([]string, error) {
	s.mu.RLock()
	fresh := time.Since(s.refreshed) < refreshEvery
	s.mu.RUnlock()
	if !fresh {
		if err := s.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	cutoff := s.clk.Now().Add(-7 * 24 * time.Hour)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for id, f := range s.cache {
		if f.End.After(cutoff) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
