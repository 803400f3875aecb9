package mongostore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/services/product/internal/domain"
)

// RecentSearchIDs is how many of the latest event ids a keyword's day
// document remembers on MongoDB. A redelivery comes within the consumer's ack
// wait and backoff (well under a minute), so it is counted twice only if the
// same keyword was searched more than this many times in between: a
// negligible error on a keyword that hot, while the document stays small.
// The embedded store (FerretDB v1.24) ignores $slice, so there the list
// grows with the keyword's searches of the day, a developer's handful;
// PruneKeywords drops the ids of finished days on both.
const RecentSearchIDs = 200

// CountSearch adds one search of keyword to its day document in one atomic
// update: the filter skips an event id the document already holds, $inc
// counts, and $push keeps the last RecentSearchIDs ids. When the filter
// misses, the upsert collides with the existing _id. That duplicate key
// means either "counted before" or "another consumer created the document
// a moment ago"; the same update without upsert tells them apart, since
// the document now exists.
func (s *Store) CountSearch(ctx context.Context, eventID, keyword, day string) (bool, error) {
	// The day has a fixed width, so day + "/" + keyword cannot collide.
	id := day + "/" + keyword
	filter := bson.M{"_id": id, "recent": bson.M{"$ne": eventID}}
	update := bson.M{
		"$inc":         bson.M{"count": 1},
		"$push":        bson.M{"recent": bson.M{"$each": bson.A{eventID}, "$slice": -RecentSearchIDs}},
		"$setOnInsert": bson.M{"day": day, "keyword": keyword},
	}
	_, err := s.KeywordColl.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if !mongox.IsDuplicateKey(err) {
		return err == nil, err
	}
	res, err := s.KeywordColl.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// TopKeywords sums the day documents from fromDay on per keyword.
func (s *Store) TopKeywords(ctx context.Context, fromDay string, limit int) ([]domain.KeywordCount, error) {
	cur, err := s.KeywordColl.Aggregate(ctx, bson.A{
		bson.M{"$match": bson.M{"day": bson.M{"$gte": fromDay}}},
		bson.M{"$group": bson.M{"_id": "$keyword", "count": bson.M{"$sum": "$count"}}},
		bson.M{"$sort": bson.D{{Key: "count", Value: -1}, {Key: "_id", Value: 1}}},
		bson.M{"$limit": limit},
	})
	if err != nil {
		return nil, err
	}
	var docs []struct {
		Keyword string `bson:"_id"`
		Count   int64  `bson:"count"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]domain.KeywordCount, len(docs))
	for i, d := range docs {
		out[i] = domain.KeywordCount{Keyword: d.Keyword, Count: d.Count}
	}
	return out, nil
}

// PruneKeywords deletes the day documents before beforeDay, so the
// collection holds a bounded number of days, and forgets the event ids of
// days before idsBeforeDay: no redelivery comes that late.
func (s *Store) PruneKeywords(ctx context.Context, beforeDay, idsBeforeDay string) error {
	if _, err := s.KeywordColl.DeleteMany(ctx, bson.M{"day": bson.M{"$lt": beforeDay}}); err != nil {
		return err
	}
	_, err := s.KeywordColl.UpdateMany(ctx, bson.M{"day": bson.M{"$lt": idsBeforeDay}, "recent": bson.M{"$exists": true}}, bson.M{"$unset": bson.M{"recent": ""}})
	return err
}

var _ domain.KeywordRepository = (*Store)(nil)
