package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/events"
)

// Stock lives in one document per SKU (`stock`, _id = SKU id) carrying its
// levels, the holds of open reservations keyed by order id, its adjustment
// audit, a version and its outbox: every stock change is one conditional
// update of that document. Reservations (`reservations`, _id = order id)
// anchor an order's holds; `leases` elect the one sweeper.

type adjustmentDoc struct {
	RequestID string    `bson:"request_id"`
	Delta     int64     `bson:"delta"`
	Reason    string    `bson:"reason"`
	Operator  string    `bson:"operator"`
	Before    int64     `bson:"before"`
	After     int64     `bson:"after"`
	At        time.Time `bson:"at"`
}

type stockDoc struct {
	ID           string           `bson:"_id"`
	ProductID    string           `bson:"product_id"`
	Available    int64            `bson:"available"`
	Reserved     int64            `bson:"reserved"`
	Sold         int64            `bson:"sold"`
	LowThreshold int64            `bson:"low_threshold"`
	Holds        map[string]int64 `bson:"holds"`
	Adjustments  []adjustmentDoc  `bson:"adjustments"`
	V            int64            `bson:"v"`
}

func (d stockDoc) domain() domain.Stock {
	st := domain.Stock{StockLevel: domain.StockLevel{SkuID: d.ID, ProductID: d.ProductID, Available: d.Available, Reserved: d.Reserved, Sold: d.Sold, LowThreshold: d.LowThreshold},
		Holds: map[string]int64{}}
	for k, v := range d.Holds {
		st.Holds[k] = v
	}
	for _, a := range d.Adjustments {
		st.Adjustments = append(st.Adjustments, domain.Adjustment{RequestID: a.RequestID, SkuID: d.ID, Delta: a.Delta, Reason: a.Reason, Operator: a.Operator, Before: a.Before, After: a.After, At: a.At})
	}
	return st
}

// EnsureStock inserts the stock documents that do not exist yet.
func (s *Store) EnsureStock(ctx context.Context, levels []domain.StockLevel) error {
	for _, l := range levels {
		_, err := s.StockColl.InsertOne(ctx, stockDoc{ID: l.SkuID, ProductID: l.ProductID, Available: l.Available, LowThreshold: l.LowThreshold,
			Holds: map[string]int64{}, Adjustments: []adjustmentDoc{}})
		if err != nil && !mongox.IsDuplicateKey(err) {
			return err
		}
	}
	return nil
}

// StockLevels loads every SKU's levels.
func (s *Store) StockLevels(ctx context.Context) ([]domain.StockLevel, error) {
	return mongox.FindAll(ctx, s.StockColl, bson.M{}, func(d stockDoc) domain.StockLevel { return d.domain().StockLevel },
		options.Find().SetProjection(bson.M{"holds": 0, "adjustments": 0, outbox.Field: 0}))
}

func (s *Store) stock(ctx context.Context, skuID string) (stockDoc, error) {
	var d stockDoc
	err := s.StockColl.FindOne(ctx, bson.M{"_id": skuID}, options.FindOne().SetProjection(bson.M{outbox.Field: 0})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return d, domain.ErrSkuNotFound
	}
	return d, err
}

// Stock reads one SKU.
func (s *Store) Stock(ctx context.Context, skuID string) (domain.Stock, error) {
	d, err := s.stock(ctx, skuID)
	if err != nil {
		return domain.Stock{}, err
	}
	return d.domain(), nil
}

// MutateStock reads the SKU, lets change compute the new state, and writes
// it only if nobody wrote in between (the version matches), with the
// change's events in the outbox; otherwise it reads again. The write is a
// mongox.UpdateIf on v: a conditional update on MongoDB, and on the
// embedded store a read and write by _id, so it costs the same however
// many SKUs there are.
func (s *Store) MutateStock(ctx context.Context, skuID string, change func(*domain.Stock) (*domain.StockEvent, error)) (domain.Stock, error) {
	for attempt := 0; attempt < 50; attempt++ {
		d, err := s.stock(ctx, skuID)
		if err != nil {
			return domain.Stock{}, err
		}
		st := d.domain()
		known := len(st.Adjustments)
		ev, err := change(&st)
		if err != nil || ev == nil {
			return st, err
		}
		evs, err := events.Stock(ctx, *ev)
		if err != nil {
			return st, err
		}
		push := outbox.Push(ev.At, evs...)
		for _, a := range st.Adjustments[known:] {
			push["adjustments"] = adjustmentDoc{RequestID: a.RequestID, Delta: a.Delta, Reason: a.Reason, Operator: a.Operator, Before: a.Before, After: a.After, At: a.At}
		}
		ok, err := mongox.UpdateIf(ctx, s.StockColl, skuID, bson.M{"v": d.V}, bson.M{
			"$set":  bson.M{"available": st.Available, "reserved": st.Reserved, "sold": st.Sold, "holds": st.Holds},
			"$inc":  bson.M{"v": 1},
			"$push": push,
		})
		if err != nil {
			return st, err
		}
		if ok {
			s.Flush(s.StockColl, skuID)
			return st, nil
		}
	}
	return domain.Stock{}, domain.ErrStockConflict
}

type lineDoc struct {
	SkuID string `bson:"sku_id"`
	Qty   int64  `bson:"qty"`
}

type reservationDoc struct {
	ID        string    `bson:"_id"`
	Lines     []lineDoc `bson:"lines"`
	State     int       `bson:"state"`
	Outcome   int       `bson:"outcome"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
	UpdatedAt time.Time `bson:"updated_at"`
}

func (d reservationDoc) domain() domain.Reservation {
	r := domain.Reservation{OrderID: d.ID, State: domain.ResState(d.State), Outcome: domain.ResState(d.Outcome), CreatedAt: d.CreatedAt, ExpiresAt: d.ExpiresAt, UpdatedAt: d.UpdatedAt}
	for _, l := range d.Lines {
		r.Lines = append(r.Lines, domain.Line{SkuID: l.SkuID, Qty: l.Qty})
	}
	return r
}

// CreateReservation inserts r unless its order has one; false then.
func (s *Store) CreateReservation(ctx context.Context, r domain.Reservation) (bool, error) {
	d := reservationDoc{ID: r.OrderID, State: int(r.State), CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, UpdatedAt: r.UpdatedAt}
	for _, l := range r.Lines {
		d.Lines = append(d.Lines, lineDoc{SkuID: l.SkuID, Qty: l.Qty})
	}
	_, err := s.Reservations.InsertOne(ctx, d)
	if mongox.IsDuplicateKey(err) {
		return false, nil
	}
	return err == nil, err
}

// Reservation reads one order's reservation.
func (s *Store) Reservation(ctx context.Context, orderID string) (domain.Reservation, error) {
	var d reservationDoc
	err := s.Reservations.FindOne(ctx, bson.M{"_id": orderID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Reservation{}, domain.ErrReservationNotFound
	}
	if err != nil {
		return domain.Reservation{}, err
	}
	return d.domain(), nil
}

// MoveReservation is a conditional state change (by _id on the embedded
// store: reservations are as many as orders).
func (s *Store) MoveReservation(ctx context.Context, orderID string, from []domain.ResState, to, outcome domain.ResState, now time.Time) (bool, error) {
	in := make(bson.A, len(from))
	for i, f := range from {
		in[i] = int(f)
	}
	return mongox.UpdateIf(ctx, s.Reservations, orderID, bson.M{"state": bson.M{"$in": in}},
		bson.M{"$set": bson.M{"state": int(to), "outcome": int(outcome), "updated_at": now}})
}

// StaleReservations lists what the sweeper must finish.
func (s *Store) StaleReservations(ctx context.Context, now, stale time.Time, limit int) ([]domain.Reservation, error) {
	filter := bson.M{"$or": bson.A{
		bson.M{"state": bson.M{"$in": bson.A{int(domain.ResPending), int(domain.ResConfirming), int(domain.ResReleasing)}}, "updated_at": bson.M{"$lt": stale}},
		bson.M{"state": int(domain.ResReserved), "expires_at": bson.M{"$lte": now}},
	}}
	return mongox.FindAll(ctx, s.Reservations, filter, reservationDoc.domain, options.Find().SetLimit(int64(limit)))
}

// ClaimLease takes the lease when it is free or expired, or renews it for
// its holder, in one conditional update.
func (s *Store) ClaimLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	_, err := s.Leases.InsertOne(ctx, bson.M{"_id": name, "holder": "", "until": time.Unix(0, 0).UTC()})
	if err != nil && !mongox.IsDuplicateKey(err) {
		return false, err
	}
	res, err := s.Leases.UpdateOne(ctx, bson.M{"_id": name, "$or": bson.A{bson.M{"until": bson.M{"$lt": now}}, bson.M{"holder": holder}}},
		bson.M{"$set": bson.M{"holder": holder, "until": until}})
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

var _ domain.InventoryRepository = (*Store)(nil)
