package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/events"
)

// ReviewStore keeps reviews in three collections:
//   - `reviewable_lines` (_id = the line's review id): a completed order
//     line, inserted once per line from siyu.order.completed;
//   - `reviews` (_id = the same id, so a line has at most one review, by
//     the unique key) carrying its product.reviewed event in its outbox;
//   - `review_summaries` (_id = product id): counts changed with $inc
//     right after the review write, so concurrent reviews never lose a
//     count. A crash between the two writes is repaired by RebuildSummaries
//     at startup, which recounts from the reviews.
type ReviewStore struct {
	LineColl, ReviewColl, SummaryColl *mongo.Collection
	// Flush publishes a review's outbox right after the write.
	Flush func(coll *mongo.Collection, id any)
}

// NewReviewStore uses db's collections.
func NewReviewStore(db *mongo.Database) *ReviewStore {
	return &ReviewStore{LineColl: db.Collection("reviewable_lines"), ReviewColl: db.Collection("reviews"), SummaryColl: db.Collection("review_summaries"),
		Flush: func(*mongo.Collection, any) {}}
}

// EnsureIndexes creates the listing indexes; running it again is a no-op.
func (s *ReviewStore) EnsureIndexes(ctx context.Context) error {
	// One index per call: the embedded store drops the connection when a
	// multi-index request names indexes that already exist.
	for _, x := range []struct {
		coll *mongo.Collection
		idx  mongox.Index
	}{
		{s.ReviewColl, mongox.Index{Name: "by_product", Keys: bson.D{{Key: "product_id", Value: 1}}}},
		{s.ReviewColl, mongox.Index{Name: "by_member", Keys: bson.D{{Key: "member_id", Value: 1}}}},
		{s.LineColl, mongox.Index{Name: "by_member", Keys: bson.D{{Key: "member_id", Value: 1}}}},
	} {
		if err := mongox.EnsureIndexes(ctx, x.coll, x.idx); err != nil {
			return err
		}
	}
	return nil
}

type reviewableDoc struct {
	ID          string    `bson:"_id"`
	OrderID     string    `bson:"order_id"`
	LineID      string    `bson:"line_id"`
	MemberID    string    `bson:"member_id"`
	ProductID   string    `bson:"product_id"`
	SkuID       string    `bson:"sku_id"`
	CompletedAt time.Time `bson:"completed_at"`
}

type reviewDoc struct {
	ID        string    `bson:"_id"`
	ProductID string    `bson:"product_id"`
	SkuID     string    `bson:"sku_id"`
	OrderID   string    `bson:"order_id"`
	LineID    string    `bson:"line_id"`
	MemberID  string    `bson:"member_id"`
	Nickname  string    `bson:"nickname,omitempty"`
	Anonymous bool      `bson:"anonymous"`
	Rating    int32     `bson:"rating"`
	Text      string    `bson:"text"`
	ImageURLs []string  `bson:"image_urls"`
	HasImages bool      `bson:"has_images"`
	Hidden    bool      `bson:"hidden"`
	Reply     string    `bson:"reply,omitempty"`
	ReplyAt   time.Time `bson:"reply_at,omitempty"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedAt time.Time `bson:"updated_at,omitempty"`
	Outbox    bson.A    `bson:"outbox,omitempty"`
}

func (d reviewDoc) domain() domain.Review {
	return domain.Review{ID: d.ID, ProductID: d.ProductID, SkuID: d.SkuID, OrderID: d.OrderID, LineID: d.LineID, MemberID: d.MemberID,
		Nickname: d.Nickname, Anonymous: d.Anonymous, Rating: d.Rating, Text: d.Text, ImageURLs: d.ImageURLs, Hidden: d.Hidden,
		Reply: d.Reply, ReplyAt: d.ReplyAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

type summaryDoc struct {
	ID         string `bson:"_id"`
	Count      int64  `bson:"count"`
	S1         int64  `bson:"s1"`
	S2         int64  `bson:"s2"`
	S3         int64  `bson:"s3"`
	S4         int64  `bson:"s4"`
	S5         int64  `bson:"s5"`
	WithImages int64  `bson:"with_images"`
}

func (d summaryDoc) domain() domain.RatingSummary {
	return domain.RatingSummary{ProductID: d.ID, Count: d.Count, Stars: [5]int64{d.S1, d.S2, d.S3, d.S4, d.S5}, WithImages: d.WithImages}
}

// AddReviewableLines inserts each line once; a redelivered event finds
// them there.
func (s *ReviewStore) AddReviewableLines(ctx context.Context, lines []domain.ReviewableLine) error {
	for _, l := range lines {
		_, err := s.LineColl.InsertOne(ctx, reviewableDoc{ID: domain.ReviewID(l.OrderID, l.LineID), OrderID: l.OrderID, LineID: l.LineID,
			MemberID: l.MemberID, ProductID: l.ProductID, SkuID: l.SkuID, CompletedAt: l.CompletedAt})
		if err != nil && !mongox.IsDuplicateKey(err) {
			return err
		}
	}
	return nil
}

func (d reviewableDoc) domain() domain.ReviewableLine {
	return domain.ReviewableLine{OrderID: d.OrderID, LineID: d.LineID, MemberID: d.MemberID, ProductID: d.ProductID, SkuID: d.SkuID, CompletedAt: d.CompletedAt}
}

// ReviewableLine finds a recorded line.
func (s *ReviewStore) ReviewableLine(ctx context.Context, orderID, lineID string) (domain.ReviewableLine, error) {
	var d reviewableDoc
	err := s.LineColl.FindOne(ctx, bson.M{"_id": domain.ReviewID(orderID, lineID)}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.ReviewableLine{}, domain.ErrReviewNotEligible
	}
	return d.domain(), err
}

// MemberLines lists a member's recorded lines, newest first.
func (s *ReviewStore) MemberLines(ctx context.Context, memberID string) ([]domain.ReviewableLine, error) {
	return mongox.FindAll(ctx, s.LineColl, bson.M{"member_id": memberID}, reviewableDoc.domain, options.Find().SetSort(bson.D{{Key: "completed_at", Value: -1}, {Key: "_id", Value: 1}}))
}

func summaryInc(r domain.Review, sign int64) bson.M {
	inc := bson.M{"count": sign, fmt.Sprintf("s%d", r.Rating): sign}
	if len(r.ImageURLs) > 0 {
		inc["with_images"] = sign
	}
	return inc
}

// CreateReview inserts the review with product.reviewed in its outbox,
// then counts it.
func (s *ReviewStore) CreateReview(ctx context.Context, r domain.Review, ev domain.Reviewed) error {
	e, err := events.Reviewed(ctx, ev)
	if err != nil {
		return err
	}
	d := reviewDoc{ID: r.ID, ProductID: r.ProductID, SkuID: r.SkuID, OrderID: r.OrderID, LineID: r.LineID, MemberID: r.MemberID,
		Nickname: r.Nickname, Anonymous: r.Anonymous, Rating: r.Rating, Text: r.Text, ImageURLs: r.ImageURLs, HasImages: len(r.ImageURLs) > 0,
		CreatedAt: r.CreatedAt, Outbox: bson.A{outbox.Entry(e, ev.At)}}
	if d.ImageURLs == nil {
		d.ImageURLs = []string{}
	}
	if _, err := s.ReviewColl.InsertOne(ctx, d); err != nil {
		if mongox.IsDuplicateKey(err) {
			return domain.ErrReviewExists
		}
		return err
	}
	s.Flush(s.ReviewColl, r.ID)
	return s.count(ctx, r, 1)
}

func (s *ReviewStore) count(ctx context.Context, r domain.Review, sign int64) error {
	_, err := s.SummaryColl.UpdateOne(ctx, bson.M{"_id": r.ProductID}, bson.M{"$inc": summaryInc(r, sign)}, options.UpdateOne().SetUpsert(true))
	if mongox.IsDuplicateKey(err) {
		// Two first reviews of a product raced on the upsert; the loser retries as an update.
		_, err = s.SummaryColl.UpdateOne(ctx, bson.M{"_id": r.ProductID}, bson.M{"$inc": summaryInc(r, sign)})
	}
	return err
}

// Review reads one review.
func (s *ReviewStore) Review(ctx context.Context, id string) (domain.Review, error) {
	var d reviewDoc
	err := s.ReviewColl.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Review{}, domain.ErrReviewNotFound
	}
	return d.domain(), err
}

// SetHidden flips the flag only if it differs (the condition makes two
// concurrent hides count once), then moves the review in or out of its
// product's summary.
func (s *ReviewStore) SetHidden(ctx context.Context, id string, hidden bool) (domain.Review, bool, error) {
	var d reviewDoc
	err := s.ReviewColl.FindOneAndUpdate(ctx, bson.M{"_id": id, "hidden": !hidden}, bson.M{"$set": bson.M{"hidden": hidden}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		r, err := s.Review(ctx, id)
		return r, false, err
	}
	if err != nil {
		return domain.Review{}, false, err
	}
	r := d.domain()
	sign := int64(1)
	if hidden {
		sign = -1
	}
	return r, true, s.count(ctx, r, sign)
}

// SetReply sets the shop's reply.
func (s *ReviewStore) SetReply(ctx context.Context, id, text string, at time.Time) (domain.Review, error) {
	var d reviewDoc
	err := s.ReviewColl.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"reply": text, "reply_at": at}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Review{}, domain.ErrReviewNotFound
	}
	return d.domain(), err
}

// EditReview updates the review only if memberID wrote it: the member is
// part of the filter, so another member's id matches nothing.
func (s *ReviewStore) EditReview(ctx context.Context, id, memberID string, e domain.ReviewEdit, at time.Time) (domain.Review, error) {
	set := bson.M{"updated_at": at}
	if e.Text != nil {
		set["text"] = *e.Text
	}
	if e.Anonymous != nil {
		set["anonymous"] = *e.Anonymous
	}
	var d reviewDoc
	err := s.ReviewColl.FindOneAndUpdate(ctx, bson.M{"_id": id, "member_id": memberID}, bson.M{"$set": set},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Review{}, domain.ErrReviewNotFound
	}
	return d.domain(), err
}

// ListReviews pages through matching reviews, newest first.
func (s *ReviewStore) ListReviews(ctx context.Context, f domain.ReviewFilter, offset, limit int) ([]domain.Review, int, error) {
	q := bson.M{}
	if f.ProductID != "" {
		q["product_id"] = f.ProductID
	}
	if f.MemberID != "" {
		q["member_id"] = f.MemberID
	}
	if f.Rating != 0 {
		q["rating"] = f.Rating
	}
	if f.WithImages {
		q["has_images"] = true
	}
	if !f.IncludeHidden {
		q["hidden"] = false
	}
	total, err := s.ReviewColl.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	out, err := mongox.FindAll(ctx, s.ReviewColl, q, reviewDoc.domain, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: 1}}).
		SetSkip(int64(offset)).SetLimit(int64(limit)).SetProjection(bson.M{"outbox": 0}))
	return out, int(total), err
}

// Summary reads a product's summary; a product without reviews has zeros.
func (s *ReviewStore) Summary(ctx context.Context, productID string) (domain.RatingSummary, error) {
	var d summaryDoc
	err := s.SummaryColl.FindOne(ctx, bson.M{"_id": productID}).Decode(&d)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return domain.RatingSummary{}, err
	}
	d.ID = productID
	return d.domain(), nil
}

// Summaries lists every stored summary.
func (s *ReviewStore) Summaries(ctx context.Context) ([]domain.RatingSummary, error) {
	return mongox.FindAll(ctx, s.SummaryColl, bson.M{}, summaryDoc.domain)
}

// RebuildSummaries recounts every product's summary from its visible
// reviews. It runs at startup, before this instance writes reviews.
func (s *ReviewStore) RebuildSummaries(ctx context.Context) error {
	cur, err := s.ReviewColl.Find(ctx, bson.M{"hidden": false}, options.Find().SetProjection(bson.M{"product_id": 1, "rating": 1, "image_urls": 1}))
	if err != nil {
		return err
	}
	var docs []reviewDoc
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	sums := map[string]*domain.RatingSummary{}
	for _, d := range docs {
		if d.Rating < 1 || d.Rating > 5 {
			continue
		}
		if sums[d.ProductID] == nil {
			sums[d.ProductID] = &domain.RatingSummary{ProductID: d.ProductID}
		}
		sums[d.ProductID].Add(d.domain(), 1)
	}
	// Products whose reviews all went are reset to zero by the same loop.
	cur2, err := s.SummaryColl.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return err
	}
	var have []summaryDoc
	if err := cur2.All(ctx, &have); err != nil {
		return err
	}
	for _, h := range have {
		if sums[h.ID] == nil {
			sums[h.ID] = &domain.RatingSummary{ProductID: h.ID}
		}
	}
	for id, sm := range sums {
		d := summaryDoc{ID: id, Count: sm.Count, S1: sm.Stars[0], S2: sm.Stars[1], S3: sm.Stars[2], S4: sm.Stars[3], S5: sm.Stars[4], WithImages: sm.WithImages}
		if _, err := s.SummaryColl.ReplaceOne(ctx, bson.M{"_id": id}, d, options.Replace().SetUpsert(true)); err != nil {
			return err
		}
	}
	return nil
}

var _ domain.ReviewRepository = (*ReviewStore)(nil)
