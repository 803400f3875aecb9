package mongox_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/testkit"
)

func TestMatches(t *testing.T) {
	doc := bson.M{"stock": int32(3), "version": int64(7), "state": "open", "used": false, "hash": bson.Binary{Data: []byte{1, 2}},
		"outbox": bson.A{bson.M{"id": "e1"}, bson.D{{Key: "id", Value: "e2"}}}}
	cases := []struct {
		cond bson.M
		want bool
	}{
		{bson.M{}, true},
		{bson.M{"stock": bson.M{"$gte": 1}}, true},
		{bson.M{"stock": bson.M{"$gte": int64(4)}}, false},
		{bson.M{"stock": bson.M{"$lt": 3.5}}, true},
		{bson.M{"version": 7}, true},
		{bson.M{"version": int32(8)}, false},
		{bson.M{"state": "open", "used": false}, true},
		{bson.M{"used": true}, false},
		{bson.M{"state": bson.M{"$ne": "closed"}}, true},
		{bson.M{"missing": bson.M{"$exists": false}}, true},
		{bson.M{"missing": bson.M{"$ne": 1}}, true},
		{bson.M{"missing": bson.M{"$gte": 0}}, false},
		{bson.M{"state": bson.M{"$gt": 1}}, false}, // different types never compare
		{bson.M{"hash": []byte{1, 2}}, true},
		{bson.M{"hash": []byte{1, 3}}, false},
		{bson.M{"state": bson.M{"$in": bson.A{"closed", "open"}}}, true},
		{bson.M{"state": bson.M{"$in": bson.A{"closed"}}}, false},
		{bson.M{"missing": bson.M{"$in": bson.A{"x"}}}, false},
		{bson.M{"missing": bson.M{"$in": bson.A{"x", nil}}}, true},
		{bson.M{"outbox.0.id": "e1"}, true},
		{bson.M{"outbox.1.id": "e2"}, true},
		{bson.M{"outbox.0.id": "e2"}, false},
		{bson.M{"outbox.2.id": bson.M{"$exists": false}}, true},
		{bson.M{"outbox.x.id": bson.M{"$exists": true}}, false},
	}
	for _, c := range cases {
		if got, err := mongox.Matches(doc, c.cond); err != nil || got != c.want {
			t.Errorf("%v: %v %v", c.cond, got, err)
		}
	}
	for _, bad := range []bson.M{{"a": bson.M{"$nin": bson.A{1}}}, {"$or": bson.A{}}, {"state": bson.M{"$in": "open"}}} {
		if _, err := mongox.Matches(doc, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestUpdateIfExactUnderConcurrency: 100 concurrent "decrement if stock >=
// 1" on stock 10 succeed exactly 10 times, on the embedded store through
// its {_id}-only path.
func TestUpdateIfExactUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := testkit.DB(t)
	if !mongox.IsEmbedded(ctx, db.Client()) {
		t.Fatal("the test store is not recognised as the embedded store")
	}
	coll := db.Collection("skus")
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "sku-1", "stock": 10}); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			won, err := mongox.UpdateIf(ctx, coll, "sku-1", bson.M{"stock": bson.M{"$gte": 1}}, bson.M{"$inc": bson.M{"stock": -1}})
			if err != nil {
				t.Error(err)
			}
			if won {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	var doc struct {
		Stock int `bson:"stock"`
	}
	if err := coll.FindOne(ctx, bson.M{"_id": "sku-1"}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if ok.Load() != 10 || doc.Stock != 0 {
		t.Fatalf("%d successes, stock %d; want 10 and 0", ok.Load(), doc.Stock)
	}
	if won, err := mongox.UpdateIf(ctx, coll, "nope", bson.M{}, bson.M{"$set": bson.M{"x": 1}}); won || err != nil {
		t.Errorf("missing document: %v %v", won, err)
	}
}
