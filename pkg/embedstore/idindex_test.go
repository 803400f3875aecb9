package embedstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// idIndexes returns, per collection table of db's file under dir, whether
// the _id expression index exists and whether SQLite plans a lookup by _id
// through it.
func idIndexes(t *testing.T, dir, db string) map[string]string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dir, db+".sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT name, table_name FROM "_ferretdb_collections"`)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]string{}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			t.Fatal(err)
		}
		tables[name] = table
	}
	rows.Close()
	out := map[string]string{}
	for name, table := range tables {
		var plan []string
		r, err := conn.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"x"`)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var id, parent, unused int
			var detail string
			if err := r.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		r.Close()
		out[name] = strings.Join(plan, "; ")
	}
	return out
}

func usesIndex(plan string) bool {
	return strings.Contains(plan, "USING INDEX") && strings.Contains(plan, idIndexSuffix)
}

// TestIDIndexAccelerator: every collection gets an index on the expression
// FerretDB's _id lookups use, collections created while the store runs
// included; it survives a restart, and a store created without it (by an
// earlier release) gets it when it starts.
func TestIDIndexAccelerator(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatal(err)
	}
	coll := client.Database("shop").Collection("members")
	docs := make([]any, 500)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("m%04d", i)}, {Key: "n", Value: i}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if plan := idIndexes(t, dir, "shop")["members"]; usesIndex(plan) {
		t.Fatalf("indexed before the accelerator ran: %s", plan)
	}
	if n, err := IndexIDs(ctx, dir); err != nil || n != 1 {
		t.Fatalf("IndexIDs: %d %v", n, err)
	}
	if n, _ := IndexIDs(ctx, dir); n != 0 {
		t.Fatalf("second run created %d", n)
	}
	if plan := idIndexes(t, dir, "shop")["members"]; !usesIndex(plan) {
		t.Fatalf("lookup by _id does not use the index: %s", plan)
	}
	// Reads, updates and the unique _id behave as before.
	var got struct {
		N int `bson:"n"`
	}
	if err := coll.FindOne(ctx, bson.M{"_id": "m0420"}).Decode(&got); err != nil || got.N != 420 {
		t.Fatalf("find by _id: %v %v", got, err)
	}
	if res, err := coll.UpdateOne(ctx, bson.M{"_id": "m0007"}, bson.M{"$inc": bson.M{"n": 1000}}); err != nil || res.ModifiedCount != 1 {
		t.Fatalf("update by _id: %v %v", res, err)
	}
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "m0007"}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("duplicate _id: %v", err)
	}
	// A collection created while the store runs is indexed by the loop.
	if _, err := client.Database("shop").Collection("sessions").InsertOne(ctx, bson.M{"_id": "s1"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return usesIndex(idIndexes(t, dir, "shop")["sessions"]) })
	_ = client.Disconnect(ctx)
	s.Close()

	// An earlier release's store: no index in the file. Start adds it
	// before serving, and the data is intact.
	drop, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "shop.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drop.Exec(`DROP INDEX "` + mustTable(t, drop, "members") + idIndexSuffix + `"`); err != nil {
		t.Fatal(err)
	}
	drop.Close()
	if plan := idIndexes(t, dir, "shop")["members"]; usesIndex(plan) {
		t.Fatal("index still there after dropping it")
	}
	s, err = Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, plan := range idIndexes(t, dir, "shop") {
		if !usesIndex(plan) {
			t.Errorf("after restart, %s: %s", name, plan)
		}
	}
	client, err = mongo.Connect(options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	if n, err := client.Database("shop").Collection("members").CountDocuments(ctx, bson.M{}); err != nil || n != 500 {
		t.Fatalf("members after restart: %d %v", n, err)
	}
}

func mustTable(t *testing.T, db *sql.DB, collection string) string {
	t.Helper()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM "_ferretdb_collections" WHERE name = ?`, collection).Scan(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkIDLookup measures finds and updates by _id in a collection of
// 20,000 documents with the accelerator's index and without it (the store
// as FerretDB leaves it), and reports their ratio.
func BenchmarkIDLookup(b *testing.B) {
	const docs = 20000
	ctx := context.Background()
	rate := map[bool]float64{}
	for _, indexed := range []bool{false, true} {
		dir := b.TempDir()
		s, err := start(ctx, dir, indexed)
		if err != nil {
			b.Fatal(err)
		}
		client, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
		if err != nil {
			b.Fatal(err)
		}
		coll := client.Database("bench").Collection("members")
		batch := make([]any, 0, 1000)
		for i := range docs {
			batch = append(batch, bson.D{{Key: "_id", Value: fmt.Sprintf("m%06d", i)}, {Key: "n", Value: 0}})
			if len(batch) == cap(batch) {
				if _, err := coll.InsertMany(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		if indexed {
			if _, err := IndexIDs(ctx, dir); err != nil {
				b.Fatal(err)
			}
		}
		n := max(b.N/10, 20)
		if !indexed {
			n = max(n/20, 10) // a scan per call: fewer rounds
		}
		t0 := time.Now()
		for i := range n {
			id := fmt.Sprintf("m%06d", (i*7919)%docs)
			if err := coll.FindOne(ctx, bson.M{"_id": id}).Err(); err != nil {
				b.Fatal(err)
			}
			if _, err := coll.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$inc": bson.M{"n": 1}}); err != nil {
				b.Fatal(err)
			}
		}
		rate[indexed] = float64(n) / time.Since(t0).Seconds()
		_ = client.Disconnect(ctx)
		s.Close()
	}
	b.ReportMetric(rate[false], "scan-find+update/s")
	b.ReportMetric(rate[true], "indexed-find+update/s")
	b.ReportMetric(rate[true]/rate[false], "speedup")
}
