package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/mongox"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
)

// Activities keeps orders' activity holds, flash sales, their results and
// reservations, each by _id.
type Activities struct {
	holds, flash, results, counted, reservations, discounts, banners *mongo.Collection
}

// NewActivities uses db's collections.
func NewActivities(db *mongo.Database) *Activities {
	return &Activities{holds: db.Collection("order_holds"), flash: db.Collection("flash_sales"), results: db.Collection("activity_results"), counted: db.Collection("counted_orders"),
		reservations: db.Collection("flash_reservations"), discounts: db.Collection("discounts"), banners: db.Collection("banners")}
}

// Holds, FlashSales and Reservations are the ports.
func (a *Activities) Holds() app.Holds { return holds{a.holds} }
func (a *Activities) FlashSales() app.FlashSaleStore {
	return activityStore[domain.FlashSale]{c: a.flash, what: "flash sale",
		id: func(f domain.FlashSale) (string, int64) { return f.ID, f.Version }, set: func(f *domain.FlashSale, v int64) { f.Version = v }}
}
func (a *Activities) Reservations() app.Reservations { return reservations{a.reservations} }
func (a *Activities) Discounts() app.DiscountStore {
	return activityStore[domain.Discount]{c: a.discounts, what: "discount",
		id: func(d domain.Discount) (string, int64) { return d.ID, d.Version }, set: func(d *domain.Discount, v int64) { d.Version = v }}
}

type holdDoc struct {
	ID       string       `bson:"_id"`
	MemberID string       `bson:"member_id"`
	Activity app.Activity `bson:"activity"`
}

type holds struct{ c *mongo.Collection }

// Put records the hold; an order holds one activity, so a repeat writes
// the same document.
func (h holds) Put(ctx context.Context, x app.Hold) error {
	_, err := h.c.ReplaceOne(ctx, bson.M{"_id": x.OrderID}, holdDoc{ID: x.OrderID, MemberID: x.MemberID, Activity: x.Activity}, options.Replace().SetUpsert(true))
	return err
}

func (h holds) Get(ctx context.Context, orderID string) (app.Hold, bool, error) {
	var d holdDoc
	err := h.c.FindOne(ctx, bson.M{"_id": orderID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.Hold{}, false, nil
	}
	return app.Hold{OrderID: d.ID, MemberID: d.MemberID, Activity: d.Activity}, err == nil, err
}

type resultsDoc struct {
	ID          string `bson:"_id"`
	Orders      int64  `bson:"orders"`
	Paid        int64  `bson:"paid"`
	PaidFen     int64  `bson:"paid_fen"`
	DiscountFen int64  `bson:"discount_fen"`
}

// Results returns the store of activities' results.
func (a *Activities) Results() app.ResultStore { return results{a.results, a.counted} }

type results struct{ c, counted *mongo.Collection }

// Claim inserts the order's marker; a duplicate means it was counted.
func (r results) Claim(ctx context.Context, orderID string) (bool, error) {
	_, err := r.counted.InsertOne(ctx, bson.M{"_id": orderID})
	if mongox.IsDuplicateKey(err) {
		return false, nil
	}
	return err == nil, err
}

// Add increments by _id; only Add writes these documents.
func (r results) Add(ctx context.Context, id string, x app.Results) error {
	_, err := r.c.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$inc": bson.M{"orders": x.Orders, "paid": x.Paid, "paid_fen": x.PaidFen, "discount_fen": x.DiscountFen}},
		options.UpdateOne().SetUpsert(true))
	return err
}

func (r results) Results(ctx context.Context, id string) (app.Results, error) {
	var d resultsDoc
	err := r.c.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.Results{}, nil
	}
	return app.Results{Orders: d.Orders, Paid: d.Paid, PaidFen: d.PaidFen, DiscountFen: d.DiscountFen}, err
}

type reservationDoc struct {
	ID          string                   `bson:"_id"`
	FlashSaleID string                   `bson:"flash_sale_id"`
	MemberID    string                   `bson:"member_id"`
	Seq         uint64                   `bson:"seq"`
	Status      domain.ReservationStatus `bson:"status"`
	OrderID     string                   `bson:"order_id"`
	FailReason  string                   `bson:"fail_reason"`
	CreatedAt   time.Time                `bson:"created_at"`
	Version     int64                    `bson:"version"`
}

type reservations struct{ c *mongo.Collection }

func (r reservations) Reservation(ctx context.Context, id string) (domain.Reservation, int64, bool, error) {
	var d reservationDoc
	err := r.c.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Reservation{}, 0, false, nil
	}
	if err != nil {
		return domain.Reservation{}, 0, false, err
	}
	return domain.Reservation{ID: d.ID, FlashSaleID: d.FlashSaleID, MemberID: d.MemberID, Seq: d.Seq, Status: d.Status, OrderID: d.OrderID,
		FailReason: d.FailReason, CreatedAt: d.CreatedAt}, d.Version, true, nil
}

func (r reservations) Save(ctx context.Context, x domain.Reservation, version int64) error {
	d := reservationDoc{ID: x.ID, FlashSaleID: x.FlashSaleID, MemberID: x.MemberID, Seq: x.Seq, Status: x.Status, OrderID: x.OrderID,
		FailReason: x.FailReason, CreatedAt: x.CreatedAt, Version: version + 1}
	if version == 0 {
		_, err := r.c.InsertOne(ctx, d)
		if mongox.IsDuplicateKey(err) {
			return app.ErrStale
		}
		return err
	}
	ok, err := mongox.UpdateIf(ctx, r.c, x.ID, bson.M{"version": version}, bson.M{"$set": bson.M{"status": d.Status, "order_id": d.OrderID,
		"fail_reason": d.FailReason, "version": d.Version}})
	if err == nil && !ok {
		err = app.ErrStale
	}
	return err
}

// Banners returns the store of the home page's banners.
func (a *Activities) Banners() app.BannerStore { return banners{a.banners} }

type banners struct{ c *mongo.Collection }

func (b banners) Banners(ctx context.Context) ([]domain.Banner, bool, error) {
	var d struct {
		Banners []domain.Banner `bson:"banners"`
	}
	err := b.c.FindOne(ctx, bson.M{"_id": "home"}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, false, nil
	}
	return d.Banners, err == nil, err
}

func (b banners) SetBanners(ctx context.Context, bs []domain.Banner) error {
	_, err := b.c.ReplaceOne(ctx, bson.M{"_id": "home"}, bson.M{"_id": "home", "banners": bs}, options.Replace().SetUpsert(true))
	return err
}

// activityStore keeps one kind of operator activity: a document per
// activity, {_id, value, version}, written at the version read.
type activityStore[T any] struct {
	c    *mongo.Collection
	what string
	id   func(T) (id string, version int64)
	set  func(a *T, version int64)
}

type activityDoc[T any] struct {
	ID      string `bson:"_id"`
	Value   T      `bson:"value"`
	Version int64  `bson:"version"`
}

func (s activityStore[T]) domain(d activityDoc[T]) T {
	s.set(&d.Value, d.Version)
	return d.Value
}

func (s activityStore[T]) Create(ctx context.Context, a T) error {
	id, v := s.id(a)
	_, err := s.c.InsertOne(ctx, activityDoc[T]{ID: id, Value: a, Version: v})
	return err
}

func (s activityStore[T]) Get(ctx context.Context, id string) (T, error) {
	var d activityDoc[T]
	err := s.c.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		var zero T
		return zero, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such "+s.what, "id", id)
	}
	return s.domain(d), err
}

func (s activityStore[T]) Update(ctx context.Context, a T) error {
	id, v := s.id(a)
	return versioned(ctx, s.c, id, v, bson.M{"value": a})
}

func (s activityStore[T]) List(ctx context.Context) ([]T, error) {
	return mongox.FindAll(ctx, s.c, bson.M{}, s.domain, options.Find().SetSort(bson.D{{Key: "value.createdat", Value: -1}}))
}
