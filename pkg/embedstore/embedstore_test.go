package embedstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestConcurrentConditionalDecrements proves DESIGN.md §6 on the client the
// store hands out: 100 concurrent "decrement if stock >= 1" against stock 10
// succeed exactly 10 times and leave stock at 0.
func TestConcurrentConditionalDecrements(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database("stocktest").Collection("skus")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "sku-1"}, {Key: "stock", Value: 10}}); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := coll.UpdateOne(ctx,
				bson.D{{Key: "_id", Value: "sku-1"}, {Key: "stock", Value: bson.D{{Key: "$gte", Value: 1}}}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: "stock", Value: -1}}}})
			if err != nil {
				t.Error(err)
				return
			}
			if res.ModifiedCount == 1 {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	var doc struct{ Stock int }
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "sku-1"}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if ok.Load() != 10 || doc.Stock != 0 {
		t.Fatalf("%d successes, stock %d; want 10 and 0", ok.Load(), doc.Stock)
	}
}

func TestRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		s, err := Start(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		client, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
		if err != nil {
			t.Fatal(err)
		}
		coll := client.Database("persist").Collection("c")
		if round == 0 {
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "x"}}); err != nil {
				t.Fatal(err)
			}
		} else if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
			t.Fatalf("after restart: %d docs, %v", n, err)
		}
		_ = client.Disconnect(ctx)
		s.Close()
	}
}
