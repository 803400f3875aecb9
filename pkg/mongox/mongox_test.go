package mongox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/testkit"
)

func TestConnectErrorNamesHostNotPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := mongox.Connect(ctx, "mongodb://shop:hunter2@127.0.0.1:1/?serverSelectionTimeoutMS=500")
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error should name the host and hide the password: %v", err)
	}
	if _, err := mongox.Connect(ctx, "not a uri"); err == nil {
		t.Fatal("a malformed URI was accepted")
	}
}

func TestConnectAndUniqueIndex(t *testing.T) {
	ctx := context.Background()
	c, err := mongox.Connect(ctx, testkit.Store(t).URI())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	coll := c.Database(testkit.DBName(t)).Collection("things")
	defer coll.Database().Drop(ctx)
	idx := mongox.Index{Keys: bson.D{{Key: "code", Value: 1}}, Unique: true, Name: "code_unique"}
	other := mongox.Index{Keys: bson.D{{Key: "at", Value: -1}}, Name: "by_at"}
	for i := 0; i < 3; i++ { // declaring again, as every restart does, is harmless
		if err := mongox.EnsureIndexes(ctx, coll, idx, other); err != nil {
			t.Fatal(err)
		}
	}
	if err := mongox.EnsureIndexes(ctx, coll); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "a", "code": "X1"}); err != nil {
		t.Fatal(err)
	}
	_, err = coll.InsertOne(ctx, bson.M{"_id": "b", "code": "X1"})
	if !mongox.IsDuplicateKey(err) {
		t.Fatalf("second insert of a unique code: %v", err)
	}
	if mongox.IsDuplicateKey(nil) {
		t.Fatal("nil is not a duplicate key error")
	}
}

func TestFindAllConverts(t *testing.T) {
	ctx := context.Background()
	coll := testkit.DB(t).Collection("things")
	for i, code := range []string{"b", "a", "c"} {
		if _, err := coll.InsertOne(ctx, bson.M{"_id": i, "code": code}); err != nil {
			t.Fatal(err)
		}
	}
	type doc struct {
		Code string `bson:"code"`
	}
	got, err := mongox.FindAll(ctx, coll, bson.M{"code": bson.M{"$ne": "c"}}, func(d doc) string { return "code " + d.Code },
		options.Find().SetSort(bson.D{{Key: "code", Value: 1}}))
	if err != nil || strings.Join(got, ",") != "code a,code b" {
		t.Fatalf("FindAll = %v, %v", got, err)
	}
	if _, err := mongox.FindAll(ctx, coll, bson.M{"$bogus": 1}, func(d doc) string { return d.Code }); err == nil {
		t.Fatal("a bad filter should fail")
	}
}
