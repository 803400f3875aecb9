// Package mongostore keeps carts, quotes and orders in MongoDB. Every
// shopper path reaches its document by _id (a cart's _id is the member id,
// an order's its id, a request's the member and request id), so it costs
// the same at any size on the embedded store. Each write is one atomic
// single-document update; an order's events ride in its outbox.
package mongostore

import (
	"context"
	"errors"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// OrdersCollection holds the orders and their outboxes.
const OrdersCollection = "orders"

// Store implements the app's CartStore, QuoteStore and OrderStore.
type Store struct {
	Carts, Quotes, Orders, Requests, Deadlines, MemberOrders *mongo.Collection
	flush                                                    func(coll *mongo.Collection, id any)
}

// New uses db's collections; flush publishes an order's outbox right after
// a write (the relay's sweep covers whatever it misses; nil: only the sweep).
func New(db *mongo.Database, flush func(coll *mongo.Collection, id any)) *Store {
	if flush == nil {
		flush = func(*mongo.Collection, any) {}
	}
	return &Store{Carts: db.Collection("carts"), Quotes: db.Collection("quotes"), Orders: db.Collection(OrdersCollection),
		Requests: db.Collection("order_requests"), Deadlines: db.Collection("order_deadlines"),
		MemberOrders: db.Collection("member_orders"), flush: flush}
}

// EnsureIndexes creates the secondary indexes of listings and the sweeper
// (MongoDB uses them; the embedded store scans within the stated bound).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := mongox.EnsureIndexes(ctx, s.Orders,
		mongox.Index{Name: "member_created", Keys: bson.D{{Key: "member_id", Value: 1}, {Key: "_id", Value: -1}}},
		mongox.Index{Name: "due_at", Keys: bson.D{{Key: "due_at", Value: 1}}}); err != nil {
		return err
	}
	if err := mongox.EnsureIndexes(ctx, s.Deadlines, mongox.Index{Name: "due_at", Keys: bson.D{{Key: "due_at", Value: 1}}}); err != nil {
		return err
	}
	// MongoDB drops expired quotes itself (an hour late, so an order from a
	// just-expired quote still answers QUOTE_EXPIRED); the embedded store
	// has no TTL indexes, so DeleteExpiredQuotes runs there as a job.
	if !mongox.IsEmbedded(ctx, s.Quotes.Database().Client()) {
		if err := mongox.EnsureIndexes(ctx, s.Quotes, mongox.Index{Name: "expires_at", Keys: bson.D{{Key: "expires_at", Value: 1}}, ExpireAfter: QuoteKeep}); err != nil {
			return err
		}
	}
	if err := s.rebuildDeadlines(ctx); err != nil {
		return err
	}
	return s.backfillMemberOrders(ctx)
}

// Member order lists. A member's orders are listed from a document whose
// _id is the member id and which names every order the member placed, so
// "my orders" reads one document and the page's orders by _id: its cost
// follows the member's own orders, not the shop's. The id is added when
// the order is inserted (still invisible), so no order becomes visible
// without it; ids of orders deleted after a failed placing are skipped.

type memberOrdersDoc struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

func (s *Store) indexOrder(ctx context.Context, memberID, orderID string) error {
	_, err := s.MemberOrders.UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$addToSet": bson.M{"ids": orderID}}, options.UpdateOne().SetUpsert(true))
	return err
}

// backfillMemberOrders writes the lists of a store from before they existed
// (one scan, only when there are orders and no lists).
func (s *Store) backfillMemberOrders(ctx context.Context) error {
	if n, err := s.MemberOrders.EstimatedDocumentCount(ctx); err != nil || n > 0 {
		return err
	}
	cur, err := s.Orders.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1, "member_id": 1}))
	if err != nil {
		return err
	}
	var docs []struct {
		ID       string `bson:"_id"`
		MemberID string `bson:"member_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	for _, d := range docs {
		if err := s.indexOrder(ctx, d.MemberID, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// listMember pages through one member's orders newest first (order ids
// sort by creation), applying the rest of f to each.
func (s *Store) listMember(ctx context.Context, f domain.OrderFilter, after string, limit int) ([]domain.Order, error) {
	var d memberOrdersDoc
	err := s.MemberOrders.FindOne(ctx, bson.M{"_id": f.MemberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(d.IDs)))
	var out []domain.Order
	for _, id := range d.IDs {
		if len(out) == limit {
			break
		}
		if after != "" && id >= after {
			continue
		}
		o, err := s.Order(ctx, id)
		if fault.ReasonOf(err) == domain.ReasonOrderNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if o.MemberID == f.MemberID && f.Matches(o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// Deadlines. An order with a deadline also has a small hint document in
// order_deadlines ({_id: order id, due_at}), so the sweeper reads the
// orders that are waiting for something (unpaid, shipped, in their
// after-sales window), never every order ever placed: on the embedded
// store a range filter scans its whole collection. A hint is written after
// its order ($min keeps the earliest, so a hint is never later than the
// order's deadline); Due sets early or stale hints right; hints lost in a
// crash between the two writes are rebuilt from the orders at start.

type deadlineDoc struct {
	ID    string    `bson:"_id"`
	DueAt time.Time `bson:"due_at"`
}

func (s *Store) hint(ctx context.Context, id string, due *time.Time) error {
	if due == nil {
		return nil // a stale hint is removed by Due
	}
	_, err := s.Deadlines.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$min": bson.M{"due_at": *due}}, options.UpdateOne().SetUpsert(true))
	return err
}

// rebuildDeadlines writes the hint of every order with a deadline (one
// scan, at start).
func (s *Store) rebuildDeadlines(ctx context.Context) error {
	cur, err := s.Orders.Find(ctx, bson.M{"due_at": bson.M{"$exists": true}}, options.Find().SetProjection(bson.M{"_id": 1, "due_at": 1}))
	if err != nil {
		return err
	}
	var docs []deadlineDoc
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	for _, d := range docs {
		if err := s.hint(ctx, d.ID, &d.DueAt); err != nil {
			return err
		}
	}
	return nil
}

// Carts.

type cartDoc struct {
	ID        string            `bson:"_id"`
	Lines     []domain.CartLine `bson:"lines"`
	Version   int64             `bson:"version"`
	UpdatedAt time.Time         `bson:"updated_at"`
}

// Cart returns the member's cart, empty when there is none.
func (s *Store) Cart(ctx context.Context, memberID string) (domain.Cart, error) {
	var d cartDoc
	err := s.Carts.FindOne(ctx, bson.M{"_id": memberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Cart{MemberID: memberID}, nil
	}
	if err != nil {
		return domain.Cart{}, err
	}
	return domain.Cart{MemberID: d.ID, Lines: d.Lines, Version: d.Version, UpdatedAt: d.UpdatedAt}, nil
}

// SaveCart writes c if nobody else did since it was read.
func (s *Store) SaveCart(ctx context.Context, c domain.Cart) error {
	d := cartDoc{ID: c.MemberID, Lines: c.Lines, Version: c.Version + 1, UpdatedAt: c.UpdatedAt}
	if d.Lines == nil {
		d.Lines = []domain.CartLine{}
	}
	if c.Version == 0 {
		_, err := s.Carts.InsertOne(ctx, d)
		if mongox.IsDuplicateKey(err) {
			return app.ErrStale
		}
		return err
	}
	return cas(ctx, s.Carts, c.MemberID, c.Version, bson.M{"$set": bson.M{"lines": d.Lines, "version": d.Version, "updated_at": d.UpdatedAt}})
}

// cas applies update to the document _id if its version is still version:
// a conditional update on MongoDB, and on the embedded store a read and a
// write by _id under mongox.UpdateIf's lock, so it costs the same at any
// collection size. Every writer of carts and orders goes through it (the
// outbox relay's pops too).
func cas(ctx context.Context, coll *mongo.Collection, id string, version int64, update bson.M) error {
	ok, err := mongox.UpdateIf(ctx, coll, id, bson.M{"version": version}, update)
	if err != nil {
		return err
	}
	if !ok {
		return app.ErrStale
	}
	return nil
}

// Quotes.

type quoteDoc struct {
	ID        string    `bson:"_id"`
	Quote     app.Quote `bson:"quote"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// SaveQuote stores q.
func (s *Store) SaveQuote(ctx context.Context, q app.Quote) error {
	_, err := s.Quotes.InsertOne(ctx, quoteDoc{ID: q.ID, Quote: q, ExpiresAt: q.ExpiresAt})
	return err
}

// QuoteKeep is how long an expired quote is kept.
const QuoteKeep = time.Hour

// DeleteExpiredQuotes removes quotes that expired before before (a
// background job: it scans the quotes on the embedded store).
func (s *Store) DeleteExpiredQuotes(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.Quotes.DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": before}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

// Quote returns a quote by id.
func (s *Store) Quote(ctx context.Context, id string) (app.Quote, error) {
	var d quoteDoc
	err := s.Quotes.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.Quote{}, fault.New(fault.NotFound, domain.ReasonQuoteNotFound, "no such quote", "quote_id", id)
	}
	return d.Quote, err
}

// Orders.

type orderDoc struct {
	ID        string        `bson:"_id"`
	MemberID  string        `bson:"member_id"`
	Status    domain.Status `bson:"status"`
	Visible   bool          `bson:"visible"`
	DueAt     *time.Time    `bson:"due_at,omitempty"`
	Version   int64         `bson:"version"`
	Order     domain.Order  `bson:"order"`
	CreatedAt time.Time     `bson:"created_at"`
	// Listing keys lifted out of the order: its products and the statuses
	// of its after-sales requests (absent when it has none).
	ProductIDs        []string `bson:"product_ids"`
	AfterSaleStatuses []string `bson:"after_sale_statuses,omitempty"`
}

func toDoc(o domain.Order) orderDoc {
	d := orderDoc{ID: o.ID, MemberID: o.MemberID, Status: o.Status, Visible: o.Status.Visible(), Version: o.Version, Order: o, CreatedAt: o.CreatedAt,
		ProductIDs: o.ProductIDs(), AfterSaleStatuses: o.AfterSaleStatuses()}
	if !o.DueAt.IsZero() {
		t := o.DueAt
		d.DueAt = &t
	}
	return d
}

type requestDoc struct {
	ID      string `bson:"_id"`
	OrderID string `bson:"order_id"`
	Hash    string `bson:"hash"`
}

// ClaimRequest records the member's request id, or returns who had it.
func (s *Store) ClaimRequest(ctx context.Context, memberID, requestID, orderID, hash string) (string, string, bool, error) {
	key := memberID + "/" + requestID
	_, err := s.Requests.InsertOne(ctx, requestDoc{ID: key, OrderID: orderID, Hash: hash})
	if err == nil {
		return orderID, hash, true, nil
	}
	if !mongox.IsDuplicateKey(err) {
		return "", "", false, err
	}
	var d requestDoc
	if err := s.Requests.FindOne(ctx, bson.M{"_id": key}).Decode(&d); err != nil {
		return "", "", false, err
	}
	return d.OrderID, d.Hash, false, nil
}

// Insert stores a new order.
func (s *Store) Insert(ctx context.Context, o domain.Order) error {
	d := toDoc(o)
	if err := s.indexOrder(ctx, o.MemberID, o.ID); err != nil {
		return err
	}
	if _, err := s.Orders.InsertOne(ctx, d); err != nil {
		return err
	}
	return s.hint(ctx, o.ID, d.DueAt)
}

// Delete removes an order.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.Orders.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

// Order returns an order by id.
func (s *Store) Order(ctx context.Context, id string) (domain.Order, error) {
	var d orderDoc
	err := s.Orders.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{outbox.Field: 0})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Order{}, fault.New(fault.NotFound, domain.ReasonOrderNotFound, "no such order", "order_id", id)
	}
	if err != nil {
		return domain.Order{}, err
	}
	d.Order.Version = d.Version
	return d.Order, nil
}

// Update writes o over the version it was read at, with its events.
func (s *Store) Update(ctx context.Context, o domain.Order, events ...natsx.Event) (domain.Order, error) {
	prev := o.Version
	o.Version++
	d := toDoc(o)
	set := bson.M{"status": d.Status, "visible": d.Visible, "version": d.Version, "order": d.Order, "product_ids": d.ProductIDs}
	unset := bson.M{}
	if d.DueAt != nil {
		set["due_at"] = d.DueAt
	} else {
		unset["due_at"] = ""
	}
	if len(d.AfterSaleStatuses) > 0 {
		set["after_sale_statuses"] = d.AfterSaleStatuses
	} else {
		unset["after_sale_statuses"] = ""
	}
	update := bson.M{"$set": set}
	if len(unset) > 0 {
		update["$unset"] = unset
	}
	if len(events) > 0 {
		update["$push"] = outbox.Push(o.UpdatedAt, events...)
	}
	if err := cas(ctx, s.Orders, o.ID, prev, update); err != nil {
		return domain.Order{}, err
	}
	if len(events) > 0 {
		s.flush(s.Orders, o.ID)
	}
	// The order is written: a failed hint is rebuilt at the next start.
	_ = s.hint(ctx, o.ID, d.DueAt)
	return o, nil
}

// List pages through visible orders newest first (ids sort by creation).
func (s *Store) List(ctx context.Context, f domain.OrderFilter, after string, limit int) ([]domain.Order, error) {
	if f.MemberID != "" {
		return s.listMember(ctx, f, after, limit)
	}
	filter := bson.M{"visible": true}
	if f.MemberID != "" {
		filter["member_id"] = f.MemberID
	}
	if f.Status != "" {
		filter["status"] = f.Status
	}
	created := bson.M{}
	if !f.From.IsZero() {
		created["$gte"] = f.From
	}
	if !f.To.IsZero() {
		created["$lt"] = f.To
	}
	if len(created) > 0 {
		filter["created_at"] = created
	}
	if f.Phone != "" {
		filter["order.address.phone"] = f.Phone
	}
	total := bson.M{"$gte": f.MinFen}
	if f.MaxFen > 0 {
		total["$lte"] = f.MaxFen
	}
	if f.MinFen > 0 || f.MaxFen > 0 {
		filter["order.totalfen"] = total
	}
	if f.ProductID != "" {
		filter["product_ids"] = f.ProductID
	}
	switch {
	case f.AfterSaleStatus != "":
		filter["after_sale_statuses"] = string(f.AfterSaleStatus)
	case f.WithAfterSales:
		filter["after_sale_statuses"] = bson.M{"$exists": true}
	}
	if after != "" {
		filter["_id"] = bson.M{"$lt": after}
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)).SetProjection(bson.M{outbox.Field: 0})
	return mongox.FindAll(ctx, s.Orders, filter, fromDoc, opts)
}

func fromDoc(d orderDoc) domain.Order {
	d.Order.Version = d.Version
	return d.Order
}

// Due returns orders whose deadline passed, through their hints; a hint
// whose order has no deadline any more is removed, an early one moved to
// the order's deadline.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]domain.Order, error) {
	opts := options.Find().SetSort(bson.D{{Key: "due_at", Value: 1}}).SetLimit(int64(limit))
	hints, err := mongox.FindAll(ctx, s.Deadlines, bson.M{"due_at": bson.M{"$lte": now}}, func(d deadlineDoc) deadlineDoc { return d }, opts)
	if err != nil {
		return nil, err
	}
	var out []domain.Order
	for _, h := range hints {
		o, err := s.Order(ctx, h.ID)
		switch {
		case fault.ReasonOf(err) == domain.ReasonOrderNotFound || (err == nil && o.DueAt.IsZero()):
			_, err = s.Deadlines.DeleteOne(ctx, bson.M{"_id": h.ID, "due_at": h.DueAt})
		case err == nil && o.DueAt.After(now):
			_, err = s.Deadlines.UpdateOne(ctx, bson.M{"_id": h.ID, "due_at": h.DueAt}, bson.M{"$set": bson.M{"due_at": o.DueAt}})
		case err == nil:
			out = append(out, o)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Touched returns orders with a placing, payment, cancellation or refund
// between from and to. It scans on the embedded store (a back-office read).
func (s *Store) Touched(ctx context.Context, from, to time.Time) ([]domain.Order, error) {
	span := bson.M{"$gte": from, "$lt": to}
	filter := bson.M{"$or": bson.A{bson.M{"order.createdat": span}, bson.M{"order.paidat": span}, bson.M{"order.cancelledat": span}, bson.M{"order.refundedat": span}}}
	return mongox.FindAll(ctx, s.Orders, filter, fromDoc, options.Find().SetProjection(bson.M{outbox.Field: 0}))
}
