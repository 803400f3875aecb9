package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/pkg/mongox"
	"siyu.dev/services/product/internal/domain"
)

// Member lists live one document per member and list (`favourites`,
// `history`, _id = member id), items newest first, with a version for
// compare-and-set writes.

type savedDoc struct {
	ProductID string    `bson:"product_id"`
	At        time.Time `bson:"at"`
}

type listDoc struct {
	ID    string     `bson:"_id"`
	Items []savedDoc `bson:"items"`
	V     int64      `bson:"v"`
}

func (s *Store) listColl(kind domain.ListKind) *mongo.Collection {
	if kind == domain.Favourites {
		return s.FavouriteColl
	}
	return s.HistoryColl
}

func (s *Store) list(ctx context.Context, kind domain.ListKind, memberID string) (listDoc, error) {
	var d listDoc
	err := s.listColl(kind).FindOne(ctx, bson.M{"_id": memberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return listDoc{ID: memberID, V: -1}, nil
	}
	return d, err
}

func toItems(d listDoc) []domain.SavedItem {
	out := make([]domain.SavedItem, len(d.Items))
	for i, it := range d.Items {
		out[i] = domain.SavedItem{ProductID: it.ProductID, At: it.At}
	}
	return out
}

// SavedItems reads a member's list.
func (s *Store) SavedItems(ctx context.Context, kind domain.ListKind, memberID string) ([]domain.SavedItem, error) {
	d, err := s.list(ctx, kind, memberID)
	if err != nil {
		return nil, err
	}
	return toItems(d), nil
}

// MutateSaved writes the changed list only if the version read is still
// current (the first write inserts the document), otherwise reads again.
func (s *Store) MutateSaved(ctx context.Context, kind domain.ListKind, memberID string, change func([]domain.SavedItem) ([]domain.SavedItem, bool, error)) ([]domain.SavedItem, error) {
	coll := s.listColl(kind)
	for attempt := 0; attempt < 20; attempt++ {
		d, err := s.list(ctx, kind, memberID)
		if err != nil {
			return nil, err
		}
		items, changed, err := change(toItems(d))
		if err != nil || !changed {
			return items, err
		}
		docs := make([]savedDoc, len(items))
		for i, it := range items {
			docs[i] = savedDoc{ProductID: it.ProductID, At: it.At}
		}
		if d.V < 0 {
			_, err := coll.InsertOne(ctx, listDoc{ID: memberID, Items: docs, V: 0})
			if mongox.IsDuplicateKey(err) {
				continue
			}
			return items, err
		}
		// By _id on the embedded store: a member's list costs the same
		// however many members keep one.
		ok, err := mongox.UpdateIf(ctx, coll, memberID, bson.M{"v": d.V}, bson.M{"$set": bson.M{"items": docs}, "$inc": bson.M{"v": 1}})
		if err != nil {
			return nil, err
		}
		if ok {
			return items, nil
		}
	}
	return nil, domain.ErrListConflict
}

var _ domain.ShopperRepository = (*Store)(nil)
