// Package mongostore keeps tracked events: each batch one document, and
// each Shanghai day's counts by type in one document keyed by the day, so
// counting is one increment by _id.
package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/services/analytics/internal/domain"
)

// Store is the analytics service's storage.
type Store struct{ batches, days *mongo.Collection }

// New uses db's collections.
func New(db *mongo.Database) *Store {
	return &Store{batches: db.Collection("event_batches"), days: db.Collection("event_days")}
}

// Append inserts the batch, then counts its events by day and type.
func (s *Store) Append(ctx context.Context, b domain.Batch) error {
	var id [12]byte
	_, _ = rand.Read(id[:])
	if _, err := s.batches.InsertOne(ctx, bson.M{"_id": hex.EncodeToString(id[:]), "device_id": b.DeviceID, "member_id": b.MemberID,
		"received_at": b.ReceivedAt, "events": b.Events}); err != nil {
		return err
	}
	byDay := map[string]bson.M{}
	for _, e := range b.Events {
		d := domain.Day(e.At)
		if byDay[d] == nil {
			byDay[d] = bson.M{}
		}
		n, _ := byDay[d]["counts."+e.Type].(int64)
		byDay[d]["counts."+e.Type] = n + 1
	}
	for day, inc := range byDay {
		if _, err := s.days.UpdateOne(ctx, bson.M{"_id": day}, bson.M{"$inc": inc}, options.UpdateOne().SetUpsert(true)); err != nil {
			return err
		}
	}
	return nil
}

// Counts reads a day's document.
func (s *Store) Counts(ctx context.Context, day string) (map[string]int64, error) {
	var d struct {
		Counts map[string]int64 `bson:"counts"`
	}
	err := s.days.FindOne(ctx, bson.M{"_id": day}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return map[string]int64{}, nil
	}
	return d.Counts, err
}
