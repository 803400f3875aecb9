package app

import (
	"context"
	"errors"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// Inventory timing: a reservation left pending, confirming or releasing for
// longer than staleAfter is finished by the sweeper (its caller crashed or
// gave up), and the sweeper's lease outlives one sweep comfortably.
const (
	staleAfter  = time.Minute
	leaseTTL    = 30 * time.Second
	sweeperName = "reservation-sweeper"
)

// Inventory is stock and the checkout's reservations: reserve, confirm and
// release by order id, the sweeper that finishes what callers left, and
// operators' stock adjustments. Every change reaches the read model, so
// shoppers see stock at once.
type Inventory struct {
	model *readmodel.Model
	repo  domain.InventoryRepository
	clk   clock.Clock
	// locks serialise this instance's writers of one SKU.
	locks keyLocks
}

// NewInventory builds the inventory use cases.
func NewInventory(model *readmodel.Model, repo domain.InventoryRepository, clk clock.Clock) *Inventory {
	return &Inventory{model: model, repo: repo, clk: clk}
}

// loadStock creates the stock of every SKU that has none yet (new products
// whose creation was cut short, and catalogues from before inventory) and
// puts all levels into the read model.
func (s *Inventory) loadStock(ctx context.Context, products []domain.Product) error {
	levels, err := s.repo.StockLevels(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range levels {
		have[l.SkuID] = true
	}
	var missing []domain.StockLevel
	for _, p := range products {
		for _, k := range p.Skus {
			if !have[k.ID] {
				missing = append(missing, domain.StockLevel{SkuID: k.ID, ProductID: p.ID, Available: k.Stock, LowThreshold: domain.DefaultLowThreshold})
			}
		}
	}
	if len(missing) > 0 {
		if err := s.repo.EnsureStock(ctx, missing); err != nil {
			return err
		}
		levels = append(levels, missing...)
	}
	s.model.SetStock(levels...)
	return nil
}

// mutate changes one SKU under the instance lock and keeps the read model in step.
func (s *Inventory) mutate(ctx context.Context, sku string, cause domain.StockCause, ref string, change func(*domain.Stock) (bool, error)) (domain.Stock, error) {
	unlock := s.locks.lock(sku)
	defer unlock()
	st, err := s.repo.MutateStock(ctx, sku, func(st *domain.Stock) (*domain.StockEvent, error) {
		before := st.Available
		changed, err := change(st)
		if err != nil || !changed {
			return nil, err
		}
		ev := &domain.StockEvent{ChangedID: newID("ev"), Level: st.StockLevel, Cause: cause, Ref: ref, At: s.clk.Now()}
		if domain.CrossedLow(before, st.Available, st.LowThreshold) {
			ev.Low, ev.LowID = true, newID("ev")
		}
		return ev, nil
	})
	if err != nil {
		return st, err
	}
	s.model.SetStock(st.StockLevel)
	return st, nil
}

// ReserveStock holds every line for orderID or none. The reservation
// document is written first as the anchor; each SKU then holds its units
// under the order id (so a repeated step changes nothing), and a line
// without stock undoes the lines before it. A crash part-way leaves a
// pending reservation that a retry completes or the sweeper undoes.
func (s *Inventory) ReserveStock(ctx context.Context, orderID string, lines []domain.Line, ttlSeconds int32) (domain.Reservation, error) {
	if err := domain.ValidateOrderID(orderID); err != nil {
		return domain.Reservation{}, err
	}
	lines, err := domain.NormalizeLines(lines)
	if err != nil {
		return domain.Reservation{}, err
	}
	ttl, err := domain.ReservationTTL(ttlSeconds)
	if err != nil {
		return domain.Reservation{}, err
	}
	for _, l := range lines {
		if !s.model.HasSku(l.SkuID) {
			return domain.Reservation{}, fault.New(domain.KindNotFound, "SKU_NOT_FOUND", "no such SKU: "+l.SkuID, "sku_id", l.SkuID)
		}
	}
	now := s.clk.Now()
	r := domain.Reservation{OrderID: orderID, Lines: lines, State: domain.ResPending, CreatedAt: now, ExpiresAt: now.Add(ttl), UpdatedAt: now}
	created, err := s.repo.CreateReservation(ctx, r)
	if err != nil {
		return domain.Reservation{}, err
	}
	if !created {
		old, err := s.repo.Reservation(ctx, orderID)
		if err != nil {
			return domain.Reservation{}, err
		}
		if !domain.SameLines(old.Lines, lines) {
			return old, domain.ErrReservationMismatch
		}
		switch old.State {
		case domain.ResPending:
			r = old // an earlier attempt stopped part-way: finish it
		case domain.ResFailed:
			return old, domain.ErrReservationFailed
		default:
			return old, nil
		}
	}
	for i, l := range r.Lines {
		_, err := s.mutate(ctx, l.SkuID, domain.CauseReserve, orderID, func(st *domain.Stock) (bool, error) { return st.Hold(orderID, l.Qty) })
		var de *domain.Error
		if errors.As(err, &de) && de.Reason == "OUT_OF_STOCK" {
			if created && i == 0 {
				// Nothing held yet, and any later repeat of this order gives
				// back what it holds once it finds the reservation failed.
				_, uerr := s.repo.MoveReservation(ctx, orderID, []domain.ResState{domain.ResPending}, domain.ResFailed, domain.ResFailed, s.clk.Now())
				if uerr != nil {
					return r, uerr
				}
				r.State = domain.ResFailed
				return r, err
			}
			if _, uerr := s.unwind(ctx, r, []domain.ResState{domain.ResPending}, domain.ResFailed); uerr != nil {
				return r, uerr
			}
			r.State = domain.ResFailed
			return r, err
		}
		if err != nil {
			return r, err
		}
	}
	now = s.clk.Now()
	moved, err := s.repo.MoveReservation(ctx, orderID, []domain.ResState{domain.ResPending}, domain.ResReserved, 0, now)
	if err != nil {
		return r, err
	}
	if moved {
		r.State, r.UpdatedAt = domain.ResReserved, now
		return r, nil
	}
	got, err := s.repo.Reservation(ctx, orderID)
	if err != nil {
		return r, err
	}
	if got.State != domain.ResReserved && got.State != domain.ResConfirmed && got.State != domain.ResConfirming {
		// A concurrent repeat or the sweeper ended the reservation while
		// this call re-held lines: give back whatever it held.
		s.releaseLines(ctx, got)
		if got.State == domain.ResFailed {
			return got, domain.ErrReservationFailed
		}
		return got, domain.ErrReservationReleased
	}
	return got, nil
}

// unwind gives a reservation's units back and ends it in outcome, moving it
// from one of from through releasing; it reports whether this call moved it.
func (s *Inventory) unwind(ctx context.Context, r domain.Reservation, from []domain.ResState, outcome domain.ResState) (bool, error) {
	moved, err := s.repo.MoveReservation(ctx, r.OrderID, from, domain.ResReleasing, outcome, s.clk.Now())
	if err != nil || !moved {
		return false, err
	}
	r.Outcome = outcome
	return true, s.finishRelease(ctx, r)
}

func (s *Inventory) releaseLines(ctx context.Context, r domain.Reservation) error {
	for _, l := range r.Lines {
		if _, err := s.mutate(ctx, l.SkuID, domain.CauseRelease, r.OrderID, func(st *domain.Stock) (bool, error) { return st.Unhold(r.OrderID, false), nil }); err != nil {
			return err
		}
	}
	return nil
}

func (s *Inventory) finishRelease(ctx context.Context, r domain.Reservation) error {
	if err := s.releaseLines(ctx, r); err != nil {
		return err
	}
	outcome := r.Outcome
	if outcome == 0 {
		outcome = domain.ResReleased
	}
	_, err := s.repo.MoveReservation(ctx, r.OrderID, []domain.ResState{domain.ResReleasing}, outcome, outcome, s.clk.Now())
	return err
}

func (s *Inventory) finishConfirm(ctx context.Context, r domain.Reservation) error {
	for _, l := range r.Lines {
		if _, err := s.mutate(ctx, l.SkuID, domain.CauseConfirm, r.OrderID, func(st *domain.Stock) (bool, error) { return st.Unhold(r.OrderID, true), nil }); err != nil {
			return err
		}
	}
	_, err := s.repo.MoveReservation(ctx, r.OrderID, []domain.ResState{domain.ResConfirming}, domain.ResConfirmed, 0, s.clk.Now())
	return err
}

// ConfirmReservation sells the held units. A reservation past its expiry
// that the sweeper has not reached yet expires now rather than selling.
func (s *Inventory) ConfirmReservation(ctx context.Context, orderID string) (domain.Reservation, error) {
	if err := domain.ValidateOrderID(orderID); err != nil {
		return domain.Reservation{}, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		r, err := s.repo.Reservation(ctx, orderID)
		if err != nil {
			return r, err
		}
		if r.State == domain.ResReserved && !s.clk.Now().Before(r.ExpiresAt) {
			if _, err := s.unwind(ctx, r, []domain.ResState{domain.ResReserved}, domain.ResExpired); err != nil {
				return r, err
			}
			continue
		}
		proceed, err := domain.ConfirmStep(r.State)
		if !proceed {
			return r, err
		}
		if r.State == domain.ResReserved {
			moved, err := s.repo.MoveReservation(ctx, orderID, []domain.ResState{domain.ResReserved}, domain.ResConfirming, 0, s.clk.Now())
			if err != nil {
				return r, err
			}
			if !moved {
				continue // someone else moved it; look again
			}
		}
		if err := s.finishConfirm(ctx, r); err != nil {
			return r, err
		}
		return s.repo.Reservation(ctx, orderID)
	}
	return domain.Reservation{}, domain.ErrStockConflict
}

// ReleaseReservation gives the held units back.
func (s *Inventory) ReleaseReservation(ctx context.Context, orderID string) (domain.Reservation, error) {
	if err := domain.ValidateOrderID(orderID); err != nil {
		return domain.Reservation{}, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		r, err := s.repo.Reservation(ctx, orderID)
		if err != nil {
			return r, err
		}
		proceed, err := domain.ReleaseStep(r.State)
		if !proceed {
			return r, err
		}
		if r.State == domain.ResReserved {
			moved, err := s.unwind(ctx, r, []domain.ResState{domain.ResReserved}, domain.ResReleased)
			if err != nil {
				return r, err
			}
			if !moved {
				continue
			}
		} else if err := s.finishRelease(ctx, r); err != nil {
			return r, err
		}
		return s.repo.Reservation(ctx, orderID)
	}
	return domain.Reservation{}, domain.ErrStockConflict
}

// GetReservation returns the reservation of an order.
func (s *Inventory) GetReservation(ctx context.Context, orderID string) (domain.Reservation, error) {
	if err := domain.ValidateOrderID(orderID); err != nil {
		return domain.Reservation{}, err
	}
	return s.repo.Reservation(ctx, orderID)
}

// SweepReservations finishes what callers left: expired reservations give
// their units back, and pending, confirming or releasing ones untouched for
// a minute are completed or undone. Only the holder of the sweeper lease
// works, so several instances never sweep at once. It returns how many
// reservations it finished.
func (s *Inventory) SweepReservations(ctx context.Context, holder string) (int, error) {
	now := s.clk.Now()
	ok, err := s.repo.ClaimLease(ctx, sweeperName, holder, now, now.Add(leaseTTL))
	if err != nil || !ok {
		return 0, err
	}
	stale, err := s.repo.StaleReservations(ctx, now, now.Add(-staleAfter), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range stale {
		var err error
		switch r.State {
		case domain.ResPending:
			_, err = s.unwind(ctx, r, []domain.ResState{domain.ResPending}, domain.ResExpired)
		case domain.ResReserved:
			_, err = s.unwind(ctx, r, []domain.ResState{domain.ResReserved}, domain.ResExpired)
		case domain.ResConfirming:
			err = s.finishConfirm(ctx, r)
		case domain.ResReleasing:
			err = s.finishRelease(ctx, r)
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// GetStock returns a SKU's levels.
func (s *Inventory) GetStock(ctx context.Context, skuID string) (domain.StockLevel, error) {
	if skuID == "" {
		return domain.StockLevel{}, fault.New(domain.KindInvalid, "SKU_ID_REQUIRED", "sku_id is required", "field", "sku_id")
	}
	st, err := s.repo.Stock(ctx, skuID)
	return st.StockLevel, err
}

// AdjustStock changes a SKU's available units on an operator's word,
// recorded with who, why and the levels before and after.
func (s *Inventory) AdjustStock(ctx context.Context, operator, skuID string, delta int64, reason, requestID string) (domain.StockLevel, domain.Adjustment, error) {
	if skuID == "" {
		return domain.StockLevel{}, domain.Adjustment{}, fault.New(domain.KindInvalid, "SKU_ID_REQUIRED", "sku_id is required", "field", "sku_id")
	}
	if err := domain.ValidateAdjustment(delta, reason, requestID); err != nil {
		return domain.StockLevel{}, domain.Adjustment{}, err
	}
	var got domain.Adjustment
	st, err := s.mutate(ctx, skuID, domain.CauseAdjust, requestID, func(st *domain.Stock) (bool, error) {
		a, changed, err := st.Adjust(domain.Adjustment{RequestID: requestID, Delta: delta, Reason: reason, Operator: operator, At: s.clk.Now()})
		got = a
		return changed, err
	})
	if err != nil {
		return domain.StockLevel{}, domain.Adjustment{}, err
	}
	return st.StockLevel, got, nil
}

// ListStockAdjustments pages through a SKU's adjustments, newest first.
func (s *Inventory) ListStockAdjustments(ctx context.Context, skuID string, pageSize int32, pageToken string) ([]domain.Adjustment, string, error) {
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return nil, "", err
	}
	filter := "adjustments sku=" + skuID
	tok, err := pagetoken.Decode(pageToken, filter)
	if err != nil {
		return nil, "", err
	}
	st, err := s.repo.Stock(ctx, skuID)
	if err != nil {
		return nil, "", err
	}
	all := st.Adjustments
	var out []domain.Adjustment
	for i := len(all) - 1 - tok.Offset; i >= 0 && len(out) < size; i-- {
		out = append(out, all[i])
	}
	next := ""
	if end := tok.Offset + len(out); end < len(all) {
		next = pagetoken.Encode(pagetoken.Token{Offset: end, Filter: filter})
	}
	return out, next, nil
}
