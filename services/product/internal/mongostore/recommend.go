package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/services/product/internal/domain"
)

// RecStore keeps what the recommender learns from: `rec_purchases` holds
// one document per paid order or refund (_id = the fact id, so an event
// delivered twice is stored once) and `rec_views` one per product view.
type RecStore struct {
	PurchaseColl, ViewColl *mongo.Collection
	// MaxViews bounds how many of the latest views a rebuild reads.
	MaxViews int64
}

// NewRecStore uses db's collections.
func NewRecStore(db *mongo.Database) *RecStore {
	return &RecStore{PurchaseColl: db.Collection("rec_purchases"), ViewColl: db.Collection("rec_views"), MaxViews: 50000}
}

type recLineDoc struct {
	ProductID  string `bson:"product_id"`
	CategoryID string `bson:"category_id,omitempty"`
	Quantity   int64  `bson:"quantity"`
}

type purchaseDoc struct {
	ID       string       `bson:"_id"`
	OrderID  string       `bson:"order_id"`
	MemberID string       `bson:"member_id"`
	At       time.Time    `bson:"at"`
	Refund   bool         `bson:"refund"`
	Lines    []recLineDoc `bson:"lines"`
}

type viewDoc struct {
	MemberID   string    `bson:"member_id"`
	ProductID  string    `bson:"product_id"`
	CategoryID string    `bson:"category_id,omitempty"`
	At         time.Time `bson:"at"`
}

// AddPurchase inserts the fact; a duplicate key means it was applied before.
func (s *RecStore) AddPurchase(ctx context.Context, p domain.Purchase) (bool, error) {
	d := purchaseDoc{ID: p.ID, OrderID: p.OrderID, MemberID: p.MemberID, At: p.At, Refund: p.Refund, Lines: make([]recLineDoc, len(p.Lines))}
	for i, l := range p.Lines {
		d.Lines[i] = recLineDoc{ProductID: l.ProductID, CategoryID: l.CategoryID, Quantity: l.Quantity}
	}
	_, err := s.PurchaseColl.InsertOne(ctx, d)
	if mongox.IsDuplicateKey(err) {
		return false, nil
	}
	return err == nil, err
}

// AddView inserts a view.
func (s *RecStore) AddView(ctx context.Context, v domain.View) error {
	_, err := s.ViewColl.InsertOne(ctx, viewDoc{MemberID: v.MemberID, ProductID: v.ProductID, CategoryID: v.CategoryID, At: v.At})
	return err
}

// Purchases returns every fact, oldest first.
func (s *RecStore) Purchases(ctx context.Context) ([]domain.Purchase, error) {
	return mongox.FindAll(ctx, s.PurchaseColl, bson.M{}, func(d purchaseDoc) domain.Purchase {
		p := domain.Purchase{ID: d.ID, OrderID: d.OrderID, MemberID: d.MemberID, At: d.At, Refund: d.Refund}
		for _, l := range d.Lines {
			p.Lines = append(p.Lines, domain.PurchaseLine{ProductID: l.ProductID, CategoryID: l.CategoryID, Quantity: l.Quantity})
		}
		return p
	}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
}

// Views returns the latest MaxViews views, oldest first.
func (s *RecStore) Views(ctx context.Context) ([]domain.View, error) {
	cur, err := s.ViewColl.Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(s.MaxViews))
	if err != nil {
		return nil, err
	}
	var docs []viewDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]domain.View, len(docs))
	for i, d := range docs {
		out[len(docs)-1-i] = domain.View{MemberID: d.MemberID, ProductID: d.ProductID, CategoryID: d.CategoryID, At: d.At}
	}
	return out, nil
}

var _ domain.RecRepository = (*RecStore)(nil)
