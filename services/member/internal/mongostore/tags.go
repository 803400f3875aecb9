package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/services/member/internal/domain"
)

type tagRuleDoc struct {
	ID         string    `bson:"_id"`
	Name       string    `bson:"name"`
	Kind       string    `bson:"kind"`
	Threshold  int64     `bson:"threshold"`
	WindowDays int       `bson:"window_days"`
	Promotions []string  `bson:"promotions"`
	Enabled    bool      `bson:"enabled"`
	CreatedAt  time.Time `bson:"created_at"`
}

func (d tagRuleDoc) domain() domain.TagRule {
	return domain.TagRule{ID: d.ID, Name: d.Name, Kind: d.Kind, Threshold: d.Threshold, WindowDays: d.WindowDays, Promotions: d.Promotions, Enabled: d.Enabled, CreatedAt: d.CreatedAt.UTC()}
}

func tagRuleToDoc(r domain.TagRule) tagRuleDoc {
	p := r.Promotions
	if p == nil {
		p = []string{}
	}
	return tagRuleDoc{ID: r.ID, Name: r.Name, Kind: r.Kind, Threshold: r.Threshold, WindowDays: r.WindowDays, Promotions: p, Enabled: r.Enabled, CreatedAt: r.CreatedAt}
}

// TagRules is the domain.TagRules repository.
type TagRules struct {
	*Loyalty
	Now func() time.Time
}

func (r TagRules) coll() *mongo.Collection { return r.Accounts.Database().Collection("tag_rules") }

// List returns the rules, storing the default ones in a shop that has none.
func (r TagRules) List(ctx context.Context) ([]domain.TagRule, error) {
	out, err := r.list(ctx)
	if err != nil || len(out) > 0 {
		return out, err
	}
	for _, d := range domain.DefaultTagRules(r.Now().UTC()) {
		if _, err := r.coll().InsertOne(ctx, tagRuleToDoc(d)); err != nil && !mongox.IsDuplicateKey(err) {
			return nil, err
		}
	}
	return r.list(ctx)
}

func (r TagRules) list(ctx context.Context) ([]domain.TagRule, error) {
	return mongox.FindAll(ctx, r.coll(), bson.M{}, tagRuleDoc.domain, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// Create inserts a rule unless its id exists.
func (r TagRules) Create(ctx context.Context, rule domain.TagRule) (bool, error) {
	if _, err := r.List(ctx); err != nil { // the defaults first, so they cannot shadow a new rule later
		return false, err
	}
	_, err := r.coll().InsertOne(ctx, tagRuleToDoc(rule))
	if mongox.IsDuplicateKey(err) {
		return false, nil
	}
	return err == nil, err
}

// Disable turns a rule off.
func (r TagRules) Disable(ctx context.Context, id string) (domain.TagRule, error) {
	if _, err := r.List(ctx); err != nil {
		return domain.TagRule{}, err
	}
	var d tagRuleDoc
	err := r.coll().FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"enabled": false}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.TagRule{}, domain.ErrTagRuleNotFound
	}
	return d.domain(), err
}

type segmentDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	Filter    filterDoc `bson:"filter"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedAt time.Time `bson:"updated_at,omitempty"`
	// Version is absent on segments saved before versions existed: read as 1.
	Version int64 `bson:"version,omitempty"`
}

type filterDoc struct {
	TierIDs          []string   `bson:"tier_ids,omitempty"`
	Tags             []string   `bson:"tags,omitempty"`
	MinPoints        *int64     `bson:"min_points,omitempty"`
	MaxPoints        *int64     `bson:"max_points,omitempty"`
	RegisteredAfter  *time.Time `bson:"registered_after,omitempty"`
	RegisteredBefore *time.Time `bson:"registered_before,omitempty"`
	Channels         []string   `bson:"channels,omitempty"`
	ActiveAfter      *time.Time `bson:"active_after,omitempty"`
	InactiveSince    *time.Time `bson:"inactive_since,omitempty"`
	MinOrders        *int64     `bson:"min_orders,omitempty"`
	MaxOrders        *int64     `bson:"max_orders,omitempty"`
	MinSpendFen      *int64     `bson:"min_spend_fen,omitempty"`
	MaxSpendFen      *int64     `bson:"max_spend_fen,omitempty"`
	Consents         []string   `bson:"consents,omitempty"`
}

// Segments is the domain.Segments repository; members are resolved over
// the loyalty accounts.
type Segments struct{ *Loyalty }

func (r Segments) coll() *mongo.Collection { return r.Accounts.Database().Collection("segments") }

func segmentToDoc(s domain.Segment) segmentDoc {
	f := s.Filter
	return segmentDoc{ID: s.ID, Name: s.Name, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version, Filter: filterDoc{
		TierIDs: f.TierIDs, Tags: f.Tags, MinPoints: f.MinPoints, MaxPoints: f.MaxPoints, RegisteredAfter: timePtr(f.RegisteredAfter), RegisteredBefore: timePtr(f.RegisteredBefore),
		Channels: f.Channels, ActiveAfter: timePtr(f.ActiveAfter), InactiveSince: timePtr(f.InactiveSince), MinOrders: f.MinOrders, MaxOrders: f.MaxOrders,
		MinSpendFen: f.MinSpendFen, MaxSpendFen: f.MaxSpendFen, Consents: f.Consents}}
}

// Create inserts a segment.
func (r Segments) Create(ctx context.Context, s domain.Segment) error {
	_, err := r.coll().InsertOne(ctx, segmentToDoc(s))
	return err
}

// versionIs matches a segment stored at version v; version 1 also matches
// segments saved before versions existed.
func versionIs(id string, v int64) bson.M {
	if v == 1 {
		return bson.M{"_id": id, "$or": bson.A{bson.M{"version": int64(1)}, bson.M{"version": bson.M{"$exists": false}}}}
	}
	return bson.M{"_id": id, "version": v}
}

// Update replaces the segment if it is still at the version before s.
// Segments are operator data, not a shopper's hot path: the conditional
// filter is fine on the embedded store too.
func (r Segments) Update(ctx context.Context, s domain.Segment) error {
	res, err := r.coll().ReplaceOne(ctx, versionIs(s.ID, s.Version-1), segmentToDoc(s))
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return r.missingOrStale(ctx, s.ID)
	}
	return nil
}

// Delete removes the segment if it is still at version.
func (r Segments) Delete(ctx context.Context, id string, version int64) error {
	res, err := r.coll().DeleteOne(ctx, versionIs(id, version))
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return r.missingOrStale(ctx, id)
	}
	return nil
}

func (r Segments) missingOrStale(ctx context.Context, id string) error {
	if _, err := r.Get(ctx, id); err != nil {
		return err
	}
	return domain.ErrSegmentVersion
}

func (d segmentDoc) domain() domain.Segment {
	f := d.Filter
	return domain.Segment{ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: max(d.Version, 1), Filter: domain.SegmentFilter{
		TierIDs: f.TierIDs, Tags: f.Tags, MinPoints: f.MinPoints, MaxPoints: f.MaxPoints, RegisteredAfter: timeVal(f.RegisteredAfter), RegisteredBefore: timeVal(f.RegisteredBefore),
		Channels: f.Channels, ActiveAfter: timeVal(f.ActiveAfter), InactiveSince: timeVal(f.InactiveSince), MinOrders: f.MinOrders, MaxOrders: f.MaxOrders,
		MinSpendFen: f.MinSpendFen, MaxSpendFen: f.MaxSpendFen, Consents: f.Consents}}
}

// List returns the segments, oldest first.
func (r Segments) List(ctx context.Context) ([]domain.Segment, error) {
	return mongox.FindAll(ctx, r.coll(), bson.M{}, segmentDoc.domain, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(500))
}

// Get finds a segment.
func (r Segments) Get(ctx context.Context, id string) (domain.Segment, error) {
	var d segmentDoc
	err := r.coll().FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Segment{}, domain.ErrSegmentNotFound
	}
	return d.domain(), err
}

// query turns a filter into a query over the accounts' top-level fields.
// Consent lives in the member document and is checked by the caller.
func query(f domain.SegmentFilter) bson.M {
	and := bson.A{bson.M{"excluded": false}}
	rng := func(field string, lo, hi *int64) {
		if lo != nil {
			and = append(and, bson.M{field: bson.M{"$gte": *lo}})
		}
		if hi != nil {
			and = append(and, bson.M{field: bson.M{"$lte": *hi}})
		}
	}
	if len(f.TierIDs) > 0 {
		and = append(and, bson.M{"tier": bson.M{"$in": f.TierIDs}})
	}
	for _, t := range f.Tags {
		and = append(and, bson.M{"tag_ids": t})
	}
	rng("available", f.MinPoints, f.MaxPoints)
	rng("order_count", f.MinOrders, f.MaxOrders)
	rng("spend_fen", f.MinSpendFen, f.MaxSpendFen)
	if !f.RegisteredAfter.IsZero() {
		and = append(and, bson.M{"registered_at": bson.M{"$gte": f.RegisteredAfter}})
	}
	if !f.RegisteredBefore.IsZero() {
		and = append(and, bson.M{"registered_at": bson.M{"$lt": f.RegisteredBefore}})
	}
	if len(f.Channels) > 0 {
		and = append(and, bson.M{"channel": bson.M{"$in": f.Channels}})
	}
	if !f.ActiveAfter.IsZero() {
		and = append(and, bson.M{"last_active": bson.M{"$gte": f.ActiveAfter}})
	}
	if !f.InactiveSince.IsZero() {
		and = append(and, bson.M{"last_active": bson.M{"$lt": f.InactiveSince}})
	}
	return bson.M{"$and": and}
}

var memberProjection = bson.M{"_id": 1, "tier": 1, "available": 1, "tag_ids": 1, "channel": 1, "order_count": 1, "spend_fen": 1, "last_active": 1}

func (d accountDoc) segmentMember() domain.SegmentMember {
	return domain.SegmentMember{MemberID: d.ID, TierID: d.TierID, Available: d.Available, Tags: d.TagIDs, Channel: d.Channel, OrderCount: d.OrderCount, SpendFen: d.SpendFen, LastActive: timeVal(d.LastActive)}
}

// Count counts the matching members.
func (r Segments) Count(ctx context.Context, f domain.SegmentFilter) (int64, error) {
	return r.Accounts.CountDocuments(ctx, query(f))
}

// Members pages through the matching members in id order.
func (r Segments) Members(ctx context.Context, f domain.SegmentFilter, offset, limit int) ([]domain.SegmentMember, error) {
	return mongox.FindAll(ctx, r.Accounts, query(f), accountDoc.segmentMember,
		options.Find().SetProjection(memberProjection).SetSort(bson.D{{Key: "_id", Value: 1}}).SetSkip(int64(offset)).SetLimit(int64(limit)))
}

// Each walks the matching members in id order, a batch at a time, so a
// long stream holds no cursor open between batches.
func (r Segments) Each(ctx context.Context, f domain.SegmentFilter, fn func(domain.SegmentMember) error) error {
	q := query(f)
	after := ""
	for {
		page := bson.M{"$and": bson.A{q, bson.M{"_id": bson.M{"$gt": after}}}}
		cur, err := r.Accounts.Find(ctx, page, options.Find().SetProjection(memberProjection).SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(500))
		if err != nil {
			return err
		}
		var docs []accountDoc
		if err := cur.All(ctx, &docs); err != nil {
			return err
		}
		for _, d := range docs {
			if err := fn(d.segmentMember()); err != nil {
				return err
			}
			after = d.ID
		}
		if len(docs) < 500 {
			return nil
		}
	}
}
