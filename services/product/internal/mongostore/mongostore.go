// Package mongostore keeps the catalogue in MongoDB: categories, products
// (with their SKUs embedded, so a product changes in one atomic write) and
// a sku_codes collection whose _id enforces codes unique across products.
package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/events"
)

// Store is the domain.Repository.
type Store struct {
	CategoryColl, ProductColl, SkuCodes *mongo.Collection
	StockColl, Reservations, Leases     *mongo.Collection
	FavouriteColl, HistoryColl          *mongo.Collection
	BrandColl, SalesColl                *mongo.Collection
	// KeywordColl counts searches per keyword and Shanghai day.
	KeywordColl *mongo.Collection
	// KeywordClients holds one document per keyword, day and client that
	// searched it: a keyword counts once per client and day.
	KeywordClients *mongo.Collection
	// KeywordBlocks are the keywords operators keep off the public lists.
	KeywordBlocks *mongo.Collection
	// Flush publishes a product's outbox right after the write; the relay's
	// sweep covers whatever it misses.
	Flush func(coll *mongo.Collection, id any)
}

// New uses db's collections.
func New(db *mongo.Database) *Store {
	return &Store{CategoryColl: db.Collection("categories"), ProductColl: db.Collection("products"), SkuCodes: db.Collection("sku_codes"),
		StockColl: db.Collection("stock"), Reservations: db.Collection("reservations"), Leases: db.Collection("leases"),
		FavouriteColl: db.Collection("favourites"), HistoryColl: db.Collection("history"),
		BrandColl: db.Collection("brands"), SalesColl: db.Collection("sales"), KeywordColl: db.Collection("search_keywords"),
		KeywordClients: db.Collection("search_keyword_clients"), KeywordBlocks: db.Collection("search_keyword_blocks"),
		Flush: func(*mongo.Collection, any) {}}
}

type categoryDoc struct {
	ID       string `bson:"_id"`
	ParentID string `bson:"parent_id,omitempty"`
	Name     string `bson:"name"`
	Sort     int32  `bson:"sort"`
	IconURL  string `bson:"icon_url,omitempty"`
	Level    int32  `bson:"level"`
}

// CreateCategory inserts c.
func (s *Store) CreateCategory(ctx context.Context, c domain.Category) error {
	_, err := s.CategoryColl.InsertOne(ctx, categoryDoc{ID: c.ID, ParentID: c.ParentID, Name: c.Name, Sort: c.Sort, IconURL: c.IconURL, Level: c.Level})
	if mongox.IsDuplicateKey(err) {
		return domain.ErrCategoryExists
	}
	return err
}

// Categories loads every category.
func (s *Store) Categories(ctx context.Context) ([]domain.Category, error) {
	return mongox.FindAll(ctx, s.CategoryColl, bson.M{}, func(d categoryDoc) domain.Category {
		return domain.Category{ID: d.ID, ParentID: d.ParentID, Name: d.Name, Sort: d.Sort, IconURL: d.IconURL, Level: d.Level}
	})
}

// ReserveSkuCodes claims each code for productID, one document per code.
// A code already held by the same product (a retried create) is fine.
func (s *Store) ReserveSkuCodes(ctx context.Context, productID string, codes []string) error {
	for _, code := range codes {
		_, err := s.SkuCodes.InsertOne(ctx, bson.M{"_id": code, "product_id": productID})
		if !mongox.IsDuplicateKey(err) {
			if err != nil {
				return err
			}
			continue
		}
		var held struct {
			ProductID string `bson:"product_id"`
		}
		if err := s.SkuCodes.FindOne(ctx, bson.M{"_id": code}).Decode(&held); err != nil {
			return fmt.Errorf("sku code %s: %w", code, err)
		}
		if held.ProductID != productID {
			return domain.SkuCodeTaken(code)
		}
	}
	return nil
}

type skuDoc struct {
	ID           string            `bson:"id"`
	Code         string            `bson:"code"`
	Specs        map[string]string `bson:"specs,omitempty"`
	PriceFen     int64             `bson:"price_fen"`
	ListPriceFen int64             `bson:"list_price_fen"`
	Stock        int64             `bson:"stock"`
}

type productDoc struct {
	ID         string    `bson:"_id"`
	Title      string    `bson:"title"`
	Subtitle   string    `bson:"subtitle,omitempty"`
	CategoryID string    `bson:"category_id"`
	ImageURLs  []string  `bson:"image_urls"`
	Skus       []skuDoc  `bson:"skus"`
	Status     int       `bson:"status"`
	Tags       []string  `bson:"tags,omitempty"`
	SortWeight int32     `bson:"sort_weight"`
	CreatedAt  time.Time `bson:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at"`
	Outbox     bson.A    `bson:"outbox,omitempty"`
	// Documents from before versions have none: they read as version 1.
	Version       int64         `bson:"version,omitempty"`
	BrandID       string        `bson:"brand_id,omitempty"`
	Description   string        `bson:"description_html,omitempty"`
	PurchaseLimit int32         `bson:"purchase_limit,omitempty"`
	SpecAttrs     []specAttrDoc `bson:"spec_attributes,omitempty"`
}

type specAttrDoc struct {
	Name    string   `bson:"name"`
	Options []string `bson:"options"`
}

func toDoc(p domain.Product) productDoc {
	d := productDoc{ID: p.ID, Title: p.Title, Subtitle: p.Subtitle, CategoryID: p.CategoryID, ImageURLs: p.ImageURLs, Status: int(p.Status),
		Tags: p.Tags, SortWeight: p.SortWeight, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Version: p.Version, BrandID: p.BrandID, Description: p.DescriptionHTML, PurchaseLimit: p.PurchaseLimit}
	for _, k := range p.Skus {
		d.Skus = append(d.Skus, skuDoc{ID: k.ID, Code: k.Code, Specs: k.Specs, PriceFen: k.PriceFen, ListPriceFen: k.ListPriceFen, Stock: k.Stock})
	}
	for _, a := range p.SpecAttrs {
		d.SpecAttrs = append(d.SpecAttrs, specAttrDoc{Name: a.Name, Options: a.Options})
	}
	return d
}

func fromDoc(d productDoc) domain.Product {
	p := domain.Product{ID: d.ID, Title: d.Title, Subtitle: d.Subtitle, CategoryID: d.CategoryID, ImageURLs: d.ImageURLs, Status: domain.Status(d.Status),
		Tags: d.Tags, SortWeight: d.SortWeight, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		Version: max(d.Version, 1), BrandID: d.BrandID, DescriptionHTML: d.Description, PurchaseLimit: d.PurchaseLimit}
	for _, k := range d.Skus {
		p.Skus = append(p.Skus, domain.Sku{ID: k.ID, Code: k.Code, Specs: k.Specs, PriceFen: k.PriceFen, ListPriceFen: k.ListPriceFen, Stock: k.Stock})
	}
	for _, a := range d.SpecAttrs {
		p.SpecAttrs = append(p.SpecAttrs, domain.SpecAttr{Name: a.Name, Options: a.Options})
	}
	return p
}

// CreateProduct inserts p with product.created in its outbox.
func (s *Store) CreateProduct(ctx context.Context, p domain.Product, ev domain.Created) error {
	e, err := events.Created(ctx, ev)
	if err != nil {
		return err
	}
	d := toDoc(p)
	d.Outbox = bson.A{outbox.Entry(e, ev.At)}
	if _, err := s.ProductColl.InsertOne(ctx, d); err != nil {
		if mongox.IsDuplicateKey(err) {
			return domain.ErrProductExists
		}
		return err
	}
	s.Flush(s.ProductColl, p.ID)
	return nil
}

// Products loads every product.
func (s *Store) Products(ctx context.Context) ([]domain.Product, error) {
	cur, err := s.ProductColl.Find(ctx, bson.M{})
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var out []domain.Product
	for cur.Next(ctx) {
		var d productDoc
		if err := cur.Decode(&d); err != nil {
			return nil, err
		}
		out = append(out, fromDoc(d))
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

var _ domain.Repository = (*Store)(nil)
