package mongox

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// UpdateIf is the one compare-and-set of the services: it applies update to
// the document with _id id if the document's top-level fields satisfy cond
// (a filter of equality, $eq, $ne, $lt, $lte, $gt, $gte, $in and $exists;
// a field may be a dotted path into embedded documents and arrays, such as
// "outbox.0.id"), and reports whether it did.
//
// On MongoDB it is one conditional update ({_id, ...cond}), atomic and
// indexed. On the embedded store any filter but a bare {_id} scans the
// collection (DESIGN.md §6), so there it is an equivalent atomic step built
// only of {_id} operations: under a per-document lock, read by _id, test
// cond in memory, update by _id. That is atomic because the embedded
// process is its store's only writer and every writer of the document goes
// through UpdateIf or writes by _id under the same lock.
func UpdateIf(ctx context.Context, c *mongo.Collection, id any, cond bson.M, update any) (bool, error) {
	if !IsEmbedded(ctx, c.Database().Client()) {
		f := bson.M{"_id": id}
		for k, v := range cond {
			f[k] = v
		}
		res, err := c.UpdateOne(ctx, f, update)
		if err != nil {
			return false, err
		}
		return res.MatchedCount == 1, nil
	}
	mu := docLock(c, id)
	mu.Lock()
	defer mu.Unlock()
	// Only the fields the condition reads travel and get decoded: the
	// documents behind hot paths (orders, accounts, stock) are large.
	proj := bson.M{"_id": 1}
	for field := range cond {
		proj[strings.SplitN(field, ".", 2)[0]] = 1
	}
	var doc bson.M
	err := c.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(proj)).Decode(&doc)
	if err == mongo.ErrNoDocuments {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ok, err := Matches(doc, cond)
	if err != nil || !ok {
		return false, err
	}
	res, err := c.UpdateOne(ctx, bson.M{"_id": id}, update)
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// docLocks stripe the embedded path's per-document locks.
var docLocks [256]sync.Mutex

func docLock(c *mongo.Collection, id any) *sync.Mutex {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s/%v", c.Database().Name(), c.Name(), id)
	return &docLocks[h.Sum32()%uint32(len(docLocks))]
}

// embedded remembers, per client, whether its server is FerretDB.
var embedded sync.Map // *mongo.Client → bool

// IsEmbedded reports whether client talks to the embedded FerretDB store
// rather than MongoDB (FerretDB answers buildInfo with a "ferretdbVersion" field).
func IsEmbedded(ctx context.Context, client *mongo.Client) bool {
	if v, ok := embedded.Load(client); ok {
		return v.(bool)
	}
	var info bson.M
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false // not cached: asked again next time
	}
	_, ferret := info["ferretdbVersion"]
	embedded.Store(client, ferret)
	return ferret
}

// Matches evaluates cond, a filter of the operators UpdateIf supports, on
// doc's top-level fields. Any other operator is an error rather than a
// silently different answer from the one MongoDB would give.
func Matches(doc bson.M, cond bson.M) (bool, error) {
	for field, want := range cond {
		if strings.HasPrefix(field, "$") {
			return false, fmt.Errorf("mongox.UpdateIf: unsupported condition field %q", field)
		}
		got, present := lookup(doc, field)
		ops, isOps := want.(bson.M)
		if !isOps {
			if !present || compare(got, want) != 0 {
				return false, nil
			}
			continue
		}
		for op, v := range ops {
			var ok bool
			switch op {
			case "$exists":
				b, _ := v.(bool)
				ok = present == b
			case "$eq":
				ok = present && compare(got, v) == 0
			case "$ne":
				ok = !present || compare(got, v) != 0
			case "$in":
				list, isList := v.(bson.A)
				if !isList {
					return false, fmt.Errorf("mongox.UpdateIf: $in takes a bson.A, not %T", v)
				}
				// As on MongoDB, a null in the list also matches a missing field.
				for _, x := range list {
					ok = ok || (present && compare(got, x) == 0) || (!present && x == nil)
				}
			case "$lt", "$lte", "$gt", "$gte":
				c, comparable := order(got, v, present)
				ok = comparable && map[string]bool{"$lt": c < 0, "$lte": c <= 0, "$gt": c > 0, "$gte": c >= 0}[op]
			default:
				return false, fmt.Errorf("mongox.UpdateIf: unsupported operator %s", op)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// lookup finds a dotted path in doc: names of embedded documents, indexes
// of arrays.
func lookup(doc bson.M, path string) (any, bool) {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case bson.M:
			next, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = next
		case bson.D:
			found := false
			for _, e := range v {
				if e.Key == part {
					cur, found = e.Value, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case bson.A:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// compare is 0 when a and b are equal as MongoDB compares them (numbers by
// value whatever their width, binary data by its bytes), non-zero otherwise.
func compare(a, b any) int {
	if c, ok := order(a, b, true); ok {
		return c
	}
	if x, ok := binary(a); ok {
		if y, ok := binary(b); ok {
			return bytes.Compare(x, y)
		}
	}
	if fmt.Sprintf("%T%v", a, a) == fmt.Sprintf("%T%v", b, b) {
		return 0
	}
	return 1
}

// order compares numbers with numbers and strings with strings; ok is false
// for anything else (MongoDB's range operators match only the same type).
func order(a, b any, present bool) (int, bool) {
	if !present {
		return 0, false
	}
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	}
	return 0, false
}

func binary(v any) ([]byte, bool) {
	switch b := v.(type) {
	case []byte:
		return b, true
	case bson.Binary:
		return b.Data, true
	}
	return nil, false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
