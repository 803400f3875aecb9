// Package idempotency makes mutating RPCs safe to retry (AIP-155): the first
// call with a request id runs and its answer is stored; a repeat returns that
// answer without running again; the same id with a different request is an
// error, not a silent replay.
package idempotency

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/mongox"
)

// Store keeps answers in one collection, keyed by scope and request id.
type Store struct {
	coll *mongo.Collection
	clk  clock.Clock
}

// NewStore uses coll (e.g. "idempotency" in the service's database).
func NewStore(coll *mongo.Collection, clk clock.Clock) *Store { return &Store{coll: coll, clk: clk} }

// EnsureIndexes expires records after a week: clients retry within minutes.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return mongox.EnsureIndexes(ctx, s.coll, mongox.Index{Keys: bson.D{{Key: "created_at", Value: 1}}, Name: "ttl", ExpireAfter: 7 * 24 * time.Hour})
}

type record struct {
	ID        string    `bson:"_id"`
	Hash      []byte    `bson:"hash"`
	Done      bool      `bson:"done"`
	Response  []byte    `bson:"response,omitempty"`
	CreatedAt time.Time `bson:"created_at"`
}

// Do runs fn once per (scope, requestID). resp receives the answer, whether
// fresh or replayed. An empty requestID runs fn without bookkeeping.
func (s *Store) Do(ctx context.Context, scope, requestID string, req, resp proto.Message, fn func(ctx context.Context) (proto.Message, error)) error {
	if requestID == "" {
		out, err := fn(ctx)
		if err != nil {
			return err
		}
		proto.Merge(resp, out)
		return nil
	}
	if len(requestID) > 128 {
		return errs.Invalid("siyu.dev", "REQUEST_ID_INVALID", "request_id is longer than 128 characters")
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	key := scope + "/" + requestID
	_, err = s.coll.InsertOne(ctx, record{ID: key, Hash: sum[:], CreatedAt: s.clk.Now()})
	if mongox.IsDuplicateKey(err) {
		var prev record
		if err := s.coll.FindOne(ctx, bson.M{"_id": key}).Decode(&prev); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				return errs.New(codes.Aborted, "siyu.dev", "REQUEST_IN_PROGRESS", "the first call with this request_id failed; retry")
			}
			return err
		}
		if string(prev.Hash) != string(sum[:]) {
			return errs.New(codes.FailedPrecondition, "siyu.dev", "REQUEST_ID_REUSED", "request_id was already used for a different request")
		}
		if !prev.Done {
			return errs.New(codes.Aborted, "siyu.dev", "REQUEST_IN_PROGRESS", "a call with this request_id is still running; retry shortly")
		}
		return proto.Unmarshal(prev.Response, resp)
	}
	if err != nil {
		return err
	}
	out, err := fn(ctx)
	if err != nil {
		// Forget the attempt so the client can retry with the same id.
		_, _ = s.coll.DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": key})
		return err
	}
	ob, err := proto.Marshal(out)
	if err != nil {
		return err
	}
	if _, err := s.coll.UpdateOne(ctx, bson.M{"_id": key}, bson.M{"$set": bson.M{"done": true, "response": ob}}); err != nil {
		return err
	}
	proto.Merge(resp, out)
	return nil
}
