package mongostore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"siyu.dev/pkg/testkit"
)

// TestKeywordCounts runs against the embedded store: a client counts a
// keyword once a day (a redelivered event too), days sum over the window,
// old days and old client markers are pruned, and the block list keeps.
func TestKeywordCounts(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t))
	for i, c := range []struct {
		client, kw, day string
		fresh           bool
	}{
		{"m1", "连衣裙", "2026-11-20", true},
		{"m1", "连衣裙", "2026-11-20", false}, // the same client again, or a redelivery
		{"m2", "连衣裙", "2026-11-20", true},
		{"m1", "连衣裙", "2026-11-23", true}, // another day
		{"m1", "连衣裙", "2026-11-23", false},
		{"m1", "碎花", "2026-11-23", true},
		{"m2", "碎花", "2026-11-23", true},
		{"net:ab", "碎花", "2026-11-23", true},
		{"m3", "手机壳", "2026-11-23", true},
		{"m4", "口红", "2026-11-10", true}, // outside the window below
	} {
		fresh, err := s.CountSearch(ctx, c.client, c.kw, c.day)
		if err != nil || fresh != c.fresh {
			t.Errorf("count %d (%s %s): fresh %v err %v, want %v", i, c.client, c.kw, fresh, err, c.fresh)
		}
	}
	top, err := s.TopKeywords(ctx, "2026-11-17", 10)
	if err != nil || fmt.Sprint(top) != "[{碎花 3} {连衣裙 3} {手机壳 1}]" {
		t.Fatalf("top: %v %v", top, err)
	}
	if top, _ := s.TopKeywords(ctx, "2026-11-17", 1); fmt.Sprint(top) != "[{碎花 3}]" {
		t.Errorf("limit 1: %v", top)
	}

	// Many clients at once: each counts exactly once.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			for range 2 {
				if _, err := s.CountSearch(ctx, fmt.Sprintf("b%d", i), "茶", "2026-11-23"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var doc struct {
		Count int64 `bson:"count"`
	}
	if err := s.KeywordColl.FindOne(ctx, bson.M{"_id": "2026-11-23/茶"}).Decode(&doc); err != nil || doc.Count != 40 {
		t.Errorf("40 clients twice each: count %d %v", doc.Count, err)
	}

	if err := s.PruneKeywords(ctx, "2026-11-17", "2026-11-22"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.KeywordColl.CountDocuments(ctx, bson.M{"keyword": "口红"}); n != 0 {
		t.Errorf("old day kept: %d", n)
	}
	if n, _ := s.KeywordColl.CountDocuments(ctx, bson.M{}); n != 5 {
		t.Errorf("documents after pruning: %d", n)
	}
	// Finished days keep their counts but not their client markers.
	if n, _ := s.KeywordClients.CountDocuments(ctx, bson.M{"day": bson.M{"$lt": "2026-11-22"}}); n != 0 {
		t.Errorf("old client markers: %d", n)
	}
	if top, _ := s.TopKeywords(ctx, "2026-11-17", 10); fmt.Sprint(top) != "[{茶 40} {碎花 3} {连衣裙 3} {手机壳 1}]" {
		t.Errorf("top after pruning: %v", top)
	}

	// The block list, and forgetting a keyword's counts.
	for _, kw := range []string{"连衣裙", "广告", "连衣裙"} {
		if err := s.BlockKeyword(ctx, kw); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UnblockKeyword(ctx, "广告"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.BlockedKeywords(ctx); err != nil || fmt.Sprint(list) != "[连衣裙]" {
		t.Errorf("blocked: %v %v", list, err)
	}
	if err := s.DeleteKeyword(ctx, "碎花"); err != nil {
		t.Fatal(err)
	}
	if top, _ := s.TopKeywords(ctx, "2026-11-17", 10); fmt.Sprint(top) != "[{茶 40} {连衣裙 3} {手机壳 1}]" {
		t.Errorf("top after deleting 碎花: %v", top)
	}
}
