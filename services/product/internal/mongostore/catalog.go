package mongostore

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/events"
)

type brandDoc struct {
	ID          string `bson:"_id"`
	Name        string `bson:"name"`
	LogoURL     string `bson:"logo_url,omitempty"`
	Sort        int32  `bson:"sort"`
	Description string `bson:"description,omitempty"`
}

// CreateBrand inserts b.
func (s *Store) CreateBrand(ctx context.Context, b domain.Brand) error {
	_, err := s.BrandColl.InsertOne(ctx, brandDoc{ID: b.ID, Name: b.Name, LogoURL: b.LogoURL, Sort: b.Sort, Description: b.Description})
	if mongox.IsDuplicateKey(err) {
		return domain.ErrBrandExists
	}
	return err
}

// UpdateBrand overwrites b's fields.
func (s *Store) UpdateBrand(ctx context.Context, b domain.Brand) error {
	res, err := s.BrandColl.UpdateOne(ctx, bson.M{"_id": b.ID}, bson.M{"$set": bson.M{"name": b.Name, "logo_url": b.LogoURL, "sort": b.Sort, "description": b.Description}})
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return domain.ErrBrandNotFound
	}
	return nil
}

// DeleteBrand removes a brand; removing one that is gone is no error.
func (s *Store) DeleteBrand(ctx context.Context, id string) error {
	_, err := s.BrandColl.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

// Brands loads every brand.
func (s *Store) Brands(ctx context.Context) ([]domain.Brand, error) {
	return mongox.FindAll(ctx, s.BrandColl, bson.M{}, func(d brandDoc) domain.Brand {
		return domain.Brand{ID: d.ID, Name: d.Name, LogoURL: d.LogoURL, Sort: d.Sort, Description: d.Description}
	})
}

// UpdateCategory overwrites c's name, sort and icon.
func (s *Store) UpdateCategory(ctx context.Context, c domain.Category) error {
	res, err := s.CategoryColl.UpdateOne(ctx, bson.M{"_id": c.ID}, bson.M{"$set": bson.M{"name": c.Name, "sort": c.Sort, "icon_url": c.IconURL}})
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return domain.ErrCategoryMissing
	}
	return nil
}

// DeleteCategory removes a category; removing one that is gone is no error.
func (s *Store) DeleteCategory(ctx context.Context, id string) error {
	_, err := s.CategoryColl.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

// Product reads one product.
func (s *Store) Product(ctx context.Context, id string) (domain.Product, error) {
	var d productDoc
	err := s.ProductColl.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"outbox": 0})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Product{}, domain.ErrProductNotFound
	}
	if err != nil {
		return domain.Product{}, err
	}
	return fromDoc(d), nil
}

// ReplaceProduct writes p's fields and pushes ev in one update conditional
// on the version read. A document from before versions has no version
// field and counts as version 1.
func (s *Store) ReplaceProduct(ctx context.Context, p domain.Product, prev int64, ev domain.ProductEvent) error {
	e, err := events.Changed(ctx, ev)
	if err != nil {
		return err
	}
	d := toDoc(p)
	cond := bson.M{"version": prev}
	if prev == 1 {
		// Products from before versions have none.
		cond = bson.M{"version": bson.M{"$in": bson.A{int64(1), nil}}}
	}
	set := bson.M{"title": d.Title, "subtitle": d.Subtitle, "category_id": d.CategoryID, "image_urls": d.ImageURLs, "skus": d.Skus,
		"status": d.Status, "tags": d.Tags, "sort_weight": d.SortWeight, "updated_at": d.UpdatedAt, "version": d.Version,
		"brand_id": d.BrandID, "description_html": d.Description, "purchase_limit": d.PurchaseLimit, "spec_attributes": d.SpecAttrs}
	ok, err := mongox.UpdateIf(ctx, s.ProductColl, p.ID, cond, bson.M{"$set": set, "$push": outbox.Push(ev.At, e)})
	if err != nil {
		return err
	}
	if !ok {
		if _, err := s.Product(ctx, p.ID); err != nil {
			return err
		}
		return domain.ErrVersionMismatch
	}
	s.Flush(s.ProductColl, p.ID)
	return nil
}

// CountSale adds units to the (product, day) bucket unless the event is
// already in it. The bucket's event list and the count change in one
// update; a repeat matches no document, so the upsert collides with the
// existing _id, which is how a repeat is recognised. Buckets are per day,
// so their event lists stay as long as one day's orders of one product.
func (s *Store) CountSale(ctx context.Context, eventID, productID, day string, units int64) (bool, error) {
	id := productID + "@" + day
	filter := bson.M{"_id": id, "events": bson.M{"$ne": eventID}}
	update := bson.M{"$inc": bson.M{"units": units}, "$push": bson.M{"events": eventID}, "$setOnInsert": bson.M{"product_id": productID, "day": day}}
	_, err := s.SalesColl.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if !mongox.IsDuplicateKey(err) {
		return err == nil, err
	}
	// The duplicate key is either "counted before" or another instance
	// creating the bucket a moment ago; the bucket exists now, so the same
	// update without upsert tells them apart.
	res, err := s.SalesColl.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// SalesBuckets loads every bucket's count.
func (s *Store) SalesBuckets(ctx context.Context) ([]domain.SalesBucket, error) {
	cur, err := s.SalesColl.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"events": 0}))
	if err != nil {
		return nil, err
	}
	var docs []struct {
		ProductID string `bson:"product_id"`
		Day       string `bson:"day"`
		Units     int64  `bson:"units"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]domain.SalesBucket, len(docs))
	for i, d := range docs {
		out[i] = domain.SalesBucket{ProductID: d.ProductID, Day: d.Day, Units: d.Units}
	}
	return out, nil
}

var _ domain.SalesRepository = (*Store)(nil)
