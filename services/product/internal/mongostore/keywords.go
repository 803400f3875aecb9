package mongostore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/services/product/internal/domain"
)

// CountSearch counts keyword once for client on day. The client's marker
// (its _id is day, keyword and client) decides first: inserted means fresh,
// a duplicate means this client counted already today (a redelivered event
// included). Then the day's count goes up. A crash between the two loses
// one count; nothing ever counts twice.
func (s *Store) CountSearch(ctx context.Context, client, keyword, day string) (bool, error) {
	// The day has a fixed width, so day + "/" + keyword cannot collide.
	id := day + "/" + keyword
	_, err := s.KeywordClients.InsertOne(ctx, bson.M{"_id": id + "/" + client, "day": day})
	if mongox.IsDuplicateKey(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	update := bson.M{"$inc": bson.M{"count": 1}, "$setOnInsert": bson.M{"day": day, "keyword": keyword}}
	_, err = s.KeywordColl.UpdateOne(ctx, bson.M{"_id": id}, update, options.UpdateOne().SetUpsert(true))
	if mongox.IsDuplicateKey(err) {
		// Another consumer created the day's document a moment ago.
		_, err = s.KeywordColl.UpdateOne(ctx, bson.M{"_id": id}, update)
	}
	return err == nil, err
}

// DeleteKeyword forgets every count of keyword.
func (s *Store) DeleteKeyword(ctx context.Context, keyword string) error {
	_, err := s.KeywordColl.DeleteMany(ctx, bson.M{"keyword": keyword})
	return err
}

// BlockKeyword adds keyword to the block list.
func (s *Store) BlockKeyword(ctx context.Context, keyword string) error {
	_, err := s.KeywordBlocks.UpdateOne(ctx, bson.M{"_id": keyword}, bson.M{"$setOnInsert": bson.M{"_id": keyword}}, options.UpdateOne().SetUpsert(true))
	if mongox.IsDuplicateKey(err) {
		return nil
	}
	return err
}

// UnblockKeyword removes keyword from the block list.
func (s *Store) UnblockKeyword(ctx context.Context, keyword string) error {
	_, err := s.KeywordBlocks.DeleteOne(ctx, bson.M{"_id": keyword})
	return err
}

// BlockedKeywords lists the block list, in keyword order.
func (s *Store) BlockedKeywords(ctx context.Context) ([]string, error) {
	return mongox.FindAll(ctx, s.KeywordBlocks, bson.M{}, func(d struct {
		ID string `bson:"_id"`
	}) string {
		return d.ID
	}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(domain.MaxBlockedKeywords))
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
// collection holds a bounded number of days, and the client markers of days
// before clientsBeforeDay: those days take no more searches.
func (s *Store) PruneKeywords(ctx context.Context, beforeDay, clientsBeforeDay string) error {
	if _, err := s.KeywordColl.DeleteMany(ctx, bson.M{"day": bson.M{"$lt": beforeDay}}); err != nil {
		return err
	}
	_, err := s.KeywordClients.DeleteMany(ctx, bson.M{"day": bson.M{"$lt": clientsBeforeDay}})
	return err
}

var _ domain.KeywordRepository = (*Store)(nil)
