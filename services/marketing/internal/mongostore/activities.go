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
func (a *Activities) Holds() app.Holds               { return holds{a.holds} }
func (a *Activities) FlashSales() app.FlashSaleStore { return flashSales{a.flash} }
func (a *Activities) Reservations() app.Reservations { return reservations{a.reservations} }
func (a *Activities) Discounts() app.DiscountStore   { return discounts{a.discounts} }

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

type flashDoc struct {
	ID        string           `bson:"_id"`
	FlashSale domain.FlashSale `bson:"flash_sale"`
	Version   int64            `bson:"version"`
}

type flashSales struct{ c *mongo.Collection }

func (f flashSales) Create(ctx context.Context, x domain.FlashSale) error {
	_, err := f.c.InsertOne(ctx, flashDoc{ID: x.ID, FlashSale: x, Version: x.Version})
	return err
}

func (d flashDoc) domain() domain.FlashSale {
	x := d.FlashSale
	x.ID, x.Version = d.ID, d.Version
	return x
}

func (f flashSales) FlashSale(ctx context.Context, id string) (domain.FlashSale, error) {
	var d flashDoc
	err := f.c.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.FlashSale{}, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such flash sale", "flash_sale_id", id)
	}
	return d.domain(), err
}

func (f flashSales) Update(ctx context.Context, x domain.FlashSale) error {
	ok, err := mongox.UpdateIf(ctx, f.c, x.ID, bson.M{"version": x.Version}, bson.M{"$set": bson.M{"flash_sale": x, "version": x.Version + 1}})
	if err == nil && !ok {
		err = app.ErrStale
	}
	return err
}

func (f flashSales) List(ctx context.Context) ([]domain.FlashSale, error) {
	return mongox.FindAll(ctx, f.c, bson.M{}, flashDoc.domain, options.Find().SetSort(bson.D{{Key: "flash_sale.createdat", Value: -1}}))
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

type discountDoc struct {
	ID       string          `bson:"_id"`
	Discount domain.Discount `bson:"discount"`
	Version  int64           `bson:"version"`
}

func (d discountDoc) domain() domain.Discount {
	x := d.Discount
	x.ID, x.Version = d.ID, d.Version
	return x
}

type discounts struct{ c *mongo.Collection }

func (d discounts) Create(ctx context.Context, x domain.Discount) error {
	_, err := d.c.InsertOne(ctx, discountDoc{ID: x.ID, Discount: x, Version: x.Version})
	return err
}

func (d discounts) Discount(ctx context.Context, id string) (domain.Discount, error) {
	var doc discountDoc
	err := d.c.FindOne(ctx, bson.M{"_id": id}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Discount{}, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such discount", "discount_id", id)
	}
	return doc.domain(), err
}

func (d discounts) Update(ctx context.Context, x domain.Discount) error {
	ok, err := mongox.UpdateIf(ctx, d.c, x.ID, bson.M{"version": x.Version}, bson.M{"$set": bson.M{"discount": x, "version": x.Version + 1}})
	if err == nil && !ok {
		err = app.ErrStale
	}
	return err
}

func (d discounts) List(ctx context.Context) ([]domain.Discount, error) {
	return mongox.FindAll(ctx, d.c, bson.M{}, discountDoc.domain, options.Find().SetSort(bson.D{{Key: "discount.createdat", Value: -1}}))
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
