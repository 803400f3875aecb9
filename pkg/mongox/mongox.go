// Package mongox connects to MongoDB (or the embedded MongoDB-compatible
// store) and declares indexes.
package mongox

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Connect opens a client for uri and pings it, so a wrong address fails at
// startup with a message naming the host (never the password).
func Connect(ctx context.Context, uri string) (*mongo.Client, error) {
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("mongodb %s: %w", redact(uri), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := c.Ping(pctx, nil); err != nil {
		_ = c.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb %s: not reachable: %w", redact(uri), err)
	}
	return c, nil
}

func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	return u.Host
}

// Index declares one index.
type Index struct {
	Keys        bson.D
	Unique      bool
	Name        string
	ExpireAfter time.Duration
	// Partial limits the index to matching documents.
	Partial bson.D
}

// EnsureIndexes creates the indexes; existing identical ones are left alone.
// Each index is its own command: the embedded store fails a createIndexes
// naming several indexes that already exist (it drops the connection), which
// would stop a service from restarting.
func EnsureIndexes(ctx context.Context, c *mongo.Collection, idx ...Index) error {
	for _, i := range idx {
		o := options.Index().SetName(i.Name)
		if i.Unique {
			o.SetUnique(true)
		}
		if i.ExpireAfter > 0 {
			o.SetExpireAfterSeconds(int32(i.ExpireAfter.Seconds()))
		}
		if i.Partial != nil {
			o.SetPartialFilterExpression(i.Partial)
		}
		if _, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: i.Keys, Options: o}); err != nil {
			return fmt.Errorf("index %s on %s: %w", i.Name, c.Name(), err)
		}
	}
	return nil
}

// IsDuplicateKey reports a unique index violation.
func IsDuplicateKey(err error) bool { return mongo.IsDuplicateKeyError(err) }

// FindAll runs a find and converts every decoded document with conv: the
// one place a repository turns a cursor of storage documents into domain
// values.
func FindAll[D, T any](ctx context.Context, c *mongo.Collection, filter any, conv func(D) T, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	var docs []D
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]T, len(docs))
	for i, d := range docs {
		out[i] = conv(d)
	}
	return out, nil
}
