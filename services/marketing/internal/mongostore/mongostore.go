// Package mongostore keeps the marketing service's documents in MongoDB (or
// the embedded store): coupon templates by id, one wallet per member by
// member id, exchange codes by code. Every hot read and write goes by _id.
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

// Store is the marketing service's storage.
type Store struct {
	templates, wallets, codes *mongo.Collection
}

// New uses db's collections.
func New(db *mongo.Database) *Store {
	return &Store{templates: db.Collection("coupon_templates"), wallets: db.Collection("coupon_wallets"), codes: db.Collection("coupon_codes")}
}

// EnsureIndexes creates the sweeper's index (MongoDB uses it; the embedded
// store scans wallets off the shopper's path).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return mongox.EnsureIndexes(ctx, s.wallets, mongox.Index{Name: "due", Keys: bson.D{{Key: "due", Value: 1}}})
}

// Templates, Wallets and Codes are the store's ports.
func (s *Store) Templates() app.Templates { return templates{s.templates} }
func (s *Store) Wallets() app.Wallets     { return wallets{s.wallets} }
func (s *Store) Codes() app.Codes         { return codes{s.codes} }

// Templates.

type templateDoc struct {
	ID       string          `bson:"_id"`
	Template domain.Template `bson:"template"`
	// Counters kept apart from the rules so Take need not read them all.
	Issued  int64 `bson:"issued"`
	Total   int64 `bson:"total"`
	Ended   bool  `bson:"ended"`
	Version int64 `bson:"version"`
}

type templates struct{ c *mongo.Collection }

func (t templates) Create(ctx context.Context, tpl domain.Template) error {
	_, err := t.c.InsertOne(ctx, templateDoc{ID: tpl.ID, Template: tpl, Total: tpl.TotalQuantity, Version: tpl.Version})
	return err
}

func (d templateDoc) domain() domain.Template {
	t := d.Template
	t.ID, t.Issued, t.TotalQuantity, t.Ended, t.Version = d.ID, d.Issued, d.Total, d.Ended, d.Version
	return t
}

func (t templates) Template(ctx context.Context, id string) (domain.Template, error) {
	var d templateDoc
	err := t.c.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Template{}, fault.New(fault.NotFound, domain.ReasonTemplateNotFound, "no such coupon template", "template_id", id)
	}
	return d.domain(), err
}

func (t templates) Update(ctx context.Context, tpl domain.Template) error {
	ok, err := mongox.UpdateIf(ctx, t.c, tpl.ID, bson.M{"version": tpl.Version, "issued": bson.M{"$lte": tpl.TotalQuantity}},
		bson.M{"$set": bson.M{"template": tpl, "total": tpl.TotalQuantity, "version": tpl.Version + 1}})
	if err == nil && !ok {
		err = app.ErrStale
	}
	return err
}

func (t templates) End(ctx context.Context, id string) error {
	_, err := mongox.UpdateIf(ctx, t.c, id, bson.M{}, bson.M{"$set": bson.M{"ended": true}})
	return err
}

func (t templates) List(ctx context.Context) ([]domain.Template, error) {
	return mongox.FindAll(ctx, t.c, bson.M{}, templateDoc.domain, options.Find().SetSort(bson.D{{Key: "template.createdat", Value: -1}}))
}

// Take reads the total and adds n to issued only while the total is that
// and issued stays within it: one conditional step, exact under any
// number of concurrent claims.
func (t templates) Take(ctx context.Context, id string, n int64) (bool, error) {
	for range 20 {
		var d templateDoc
		err := t.c.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"total": 1, "ended": 1, "issued": 1})).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return false, nil
		}
		if err != nil || d.Ended || d.Issued+n > d.Total {
			return false, err
		}
		ok, err := mongox.UpdateIf(ctx, t.c, id, bson.M{"total": d.Total, "ended": false, "issued": bson.M{"$lte": d.Total - n}}, bson.M{"$inc": bson.M{"issued": n}})
		if err != nil || ok {
			return ok, err
		}
		// The total changed or the template ended meanwhile: look again.
	}
	return false, app.ErrStale
}

func (t templates) Give(ctx context.Context, id string, n int64) error {
	_, err := mongox.UpdateIf(ctx, t.c, id, bson.M{"issued": bson.M{"$gte": n}}, bson.M{"$inc": bson.M{"issued": -n}})
	return err
}

// Wallets.

type walletDoc struct {
	ID      string            `bson:"_id"`
	Coupons []domain.Coupon   `bson:"coupons"`
	Grants  map[string]string `bson:"grants"`
	Seq     int64             `bson:"seq"`
	Version int64             `bson:"version"`
	// Due is when the sweeper next needs the wallet; absent when never.
	Due *time.Time `bson:"due,omitempty"`
}

type wallets struct{ c *mongo.Collection }

func (d walletDoc) domain() domain.Wallet {
	return domain.Wallet{MemberID: d.ID, Coupons: d.Coupons, Grants: d.Grants, Seq: d.Seq, Version: d.Version}
}

func (w wallets) Wallet(ctx context.Context, memberID string) (domain.Wallet, error) {
	var d walletDoc
	err := w.c.FindOne(ctx, bson.M{"_id": memberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Wallet{MemberID: memberID}, nil
	}
	return d.domain(), err
}

func (w wallets) Save(ctx context.Context, wl domain.Wallet, due time.Time) error {
	d := walletDoc{ID: wl.MemberID, Coupons: wl.Coupons, Grants: wl.Grants, Seq: wl.Seq, Version: wl.Version + 1}
	if d.Coupons == nil {
		d.Coupons = []domain.Coupon{}
	}
	if !due.IsZero() {
		d.Due = &due
	}
	if wl.Version == 0 {
		_, err := w.c.InsertOne(ctx, d)
		if mongox.IsDuplicateKey(err) {
			return app.ErrStale
		}
		return err
	}
	set := bson.M{"coupons": d.Coupons, "grants": d.Grants, "seq": d.Seq, "version": d.Version}
	update := bson.M{"$set": set}
	if d.Due != nil {
		set["due"] = *d.Due
	} else {
		update["$unset"] = bson.M{"due": ""}
	}
	ok, err := mongox.UpdateIf(ctx, w.c, wl.MemberID, bson.M{"version": wl.Version}, update)
	if err == nil && !ok {
		err = app.ErrStale
	}
	return err
}

func (w wallets) Due(ctx context.Context, now time.Time, limit int) ([]domain.Wallet, error) {
	return mongox.FindAll(ctx, w.c, bson.M{"due": bson.M{"$lte": now}}, walletDoc.domain, options.Find().SetLimit(int64(limit)))
}

func (w wallets) Delete(ctx context.Context, memberID string) error {
	_, err := w.c.DeleteOne(ctx, bson.M{"_id": memberID})
	return err
}

// Codes.

type codeDoc struct {
	ID         string    `bson:"_id"`
	TemplateID string    `bson:"template_id"`
	RedeemedBy string    `bson:"redeemed_by"`
	CreatedAt  time.Time `bson:"created_at"`
}

type codes struct{ c *mongo.Collection }

func (k codes) Insert(ctx context.Context, cs []app.Code) error {
	docs := make([]any, len(cs))
	for i, c := range cs {
		docs[i] = codeDoc{ID: c.Code, TemplateID: c.TemplateID, CreatedAt: c.CreatedAt}
	}
	_, err := k.c.InsertMany(ctx, docs)
	return err
}

func (k codes) Code(ctx context.Context, code string) (app.Code, error) {
	var d codeDoc
	err := k.c.FindOne(ctx, bson.M{"_id": code}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.Code{}, fault.New(fault.NotFound, domain.ReasonCodeNotFound, "no such code")
	}
	return app.Code{Code: d.ID, TemplateID: d.TemplateID, RedeemedBy: d.RedeemedBy, CreatedAt: d.CreatedAt}, err
}

func (k codes) Redeem(ctx context.Context, code, memberID string) (string, error) {
	if _, err := mongox.UpdateIf(ctx, k.c, code, bson.M{"redeemed_by": ""}, bson.M{"$set": bson.M{"redeemed_by": memberID}}); err != nil {
		return "", err
	}
	c, err := k.Code(ctx, code)
	return c.RedeemedBy, err
}
