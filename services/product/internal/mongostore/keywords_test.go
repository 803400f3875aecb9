package mongostore

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"siyu.dev/pkg/testkit"
)

// TestKeywordCounts runs against the embedded store: redelivered event ids
// count once, the remembered ids stay bounded, days sum over the window and
// old days are pruned.
func TestKeywordCounts(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.DB(t))
	for i, c := range []struct {
		ev, kw, day string
		fresh       bool
	}{
		{"e1", "连衣裙", "2026-11-20", true},
		{"e1", "连衣裙", "2026-11-20", false}, // redelivered
		{"e2", "连衣裙", "2026-11-20", true},
		{"e3", "连衣裙", "2026-11-23", true},
		{"e3", "连衣裙", "2026-11-23", false},
		{"e4", "碎花", "2026-11-23", true},
		{"e5", "碎花", "2026-11-23", true},
		{"e6", "碎花", "2026-11-23", true},
		{"e7", "手机壳", "2026-11-23", true},
		{"e8", "口红", "2026-11-10", true}, // outside the window below
	} {
		fresh, err := s.CountSearch(ctx, c.ev, c.kw, c.day)
		if err != nil || fresh != c.fresh {
			t.Errorf("count %d (%s %s): fresh %v err %v, want %v", i, c.ev, c.kw, fresh, err, c.fresh)
		}
	}
	top, err := s.TopKeywords(ctx, "2026-11-17", 10)
	if err != nil || fmt.Sprint(top) != "[{碎花 3} {连衣裙 3} {手机壳 1}]" {
		t.Fatalf("top: %v %v", top, err)
	}
	if top, _ := s.TopKeywords(ctx, "2026-11-17", 1); fmt.Sprint(top) != "[{碎花 3}]" {
		t.Errorf("limit 1: %v", top)
	}

	// Many searches of one keyword: each counts, the latest id is remembered.
	for i := 0; i < RecentSearchIDs+5; i++ {
		if _, err := s.CountSearch(ctx, fmt.Sprintf("b%d", i), "茶", "2026-11-23"); err != nil {
			t.Fatal(err)
		}
	}
	var doc struct {
		Count  int64    `bson:"count"`
		Recent []string `bson:"recent"`
	}
	if err := s.KeywordColl.FindOne(ctx, bson.M{"_id": "2026-11-23/茶"}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Count != RecentSearchIDs+5 || len(doc.Recent) < 1 || doc.Recent[len(doc.Recent)-1] != fmt.Sprintf("b%d", RecentSearchIDs+4) {
		t.Errorf("count %d, %d ids remembered", doc.Count, len(doc.Recent))
	}
	if fresh, _ := s.CountSearch(ctx, fmt.Sprintf("b%d", RecentSearchIDs+4), "茶", "2026-11-23"); fresh {
		t.Errorf("the latest id counted twice")
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
	// The finished day keeps its count but not its ids; today keeps both.
	if n, _ := s.KeywordColl.CountDocuments(ctx, bson.M{"recent": bson.M{"$exists": true}}); n != 4 {
		t.Errorf("documents with ids: %d", n)
	}
	if top, _ := s.TopKeywords(ctx, "2026-11-17", 10); fmt.Sprint(top) != "[{茶 205} {碎花 3} {连衣裙 3} {手机壳 1}]" {
		t.Errorf("top after pruning: %v", top)
	}
}
