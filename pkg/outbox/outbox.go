// Package outbox implements the in-document outbox: a document that changes
// state carries its not-yet-published events in an `outbox` array written by
// the same single-document update, and a relay publishes them and removes
// each only after JetStream acknowledged it. A crash between the write and
// the publish therefore delays an event but never loses it, and a crash
// between the publish and the removal is absorbed by JetStream's
// deduplication on the event id. No multi-document transaction is needed,
// which the embedded store does not have.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/natsx"
)

// Field is the document field holding pending events.
const Field = "outbox"

type entry struct {
	ID        string            `bson:"id"`
	Subject   string            `bson:"subject"`
	Type      string            `bson:"type"`
	Payload   []byte            `bson:"payload"`
	Trace     map[string]string `bson:"trace,omitempty"`
	CreatedAt time.Time         `bson:"created_at"`
}

// Entry is the array element to $push (or set) with the state change.
func Entry(e natsx.Event, now time.Time) bson.M {
	return bson.M{"id": e.ID, "subject": e.Subject, "type": e.Type, "payload": e.Payload, "trace": e.Trace, "created_at": now}
}

// Push is the update operator that appends events to a document's outbox;
// merge it into the state-changing update.
func Push(now time.Time, events ...natsx.Event) bson.M {
	items := make(bson.A, 0, len(events))
	for _, e := range events {
		items = append(items, Entry(e, now))
	}
	return bson.M{Field: bson.M{"$each": items}}
}

// Relay publishes pending events of a set of collections.
type Relay struct {
	pub   *natsx.Publisher
	log   *slog.Logger
	colls []*mongo.Collection

	// pending are documents whose flush failed in this process; a sweep
	// retries them by _id. Everything else pending (left by a crash, or by
	// another instance) is found by the full scan every FullScanEvery.
	mu       sync.Mutex
	pending  map[pendingDoc]bool
	lastFull time.Time
	// FullScanEvery bounds how long an event left by a crash waits; a full
	// scan reads the whole collection on the embedded store, so it is not
	// done on every sweep (default one minute).
	FullScanEvery time.Duration
}

type pendingDoc struct {
	coll *mongo.Collection
	id   any
}

// NewRelay relays the outboxes of colls through pub.
func NewRelay(pub *natsx.Publisher, logger *slog.Logger, colls ...*mongo.Collection) *Relay {
	if logger == nil {
		logger = slog.Default()
	}
	return &Relay{pub: pub, log: logger, colls: colls, pending: map[pendingDoc]bool{}, FullScanEvery: time.Minute}
}

// Flush publishes the pending events of one document, oldest first, and
// removes each after its ack. It stops at the first failure; the sweep
// retries later.
//
// Removal pops the head of the array only while the head is still the event
// just published: two flushers racing on one document (a request's flush and
// the sweep) can then publish an event twice, which JetStream drops, but can
// never remove an event nobody published. ($pull with a condition would read
// better but is a no-op on the embedded store.) The pop is a
// mongox.UpdateIf, so on the embedded store it touches the document by _id
// only.
func (r *Relay) Flush(ctx context.Context, coll *mongo.Collection, id any) error {
	var doc struct {
		Outbox []entry `bson:"outbox"`
	}
	err := coll.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{Field: 1})).Decode(&doc)
	if err == mongo.ErrNoDocuments {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox read: %w", err)
	}
	for _, e := range doc.Outbox {
		ev := natsx.Event{ID: e.ID, Subject: e.Subject, Type: e.Type, Payload: e.Payload, Trace: e.Trace}
		if err := r.pub.Publish(ctx, ev); err != nil {
			return err
		}
		if _, err := mongox.UpdateIf(ctx, coll, id, bson.M{Field + ".0.id": e.ID}, bson.M{"$pop": bson.M{Field: -1}}); err != nil {
			return fmt.Errorf("outbox clear: %w", err)
		}
	}
	return nil
}

// FlushAsync flushes in the background, so a request does not wait for the
// broker; whatever fails is left to the sweep.
func (r *Relay) FlushAsync(coll *mongo.Collection, id any) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Flush(ctx, coll, id); err != nil {
			r.log.Warn("outbox flush failed; the sweep will retry", "collection", coll.Name(), "err", err)
			r.mu.Lock()
			r.pending[pendingDoc{coll, id}] = true
			r.mu.Unlock()
		}
	}()
}

// Sweep retries the documents whose flush failed here and, once every
// FullScanEvery (and on the first sweep), flushes every document that still
// has pending events.
func (r *Relay) Sweep(ctx context.Context) error {
	r.mu.Lock()
	retry := make([]pendingDoc, 0, len(r.pending))
	for d := range r.pending {
		retry = append(retry, d)
	}
	full := r.lastFull.IsZero() || time.Since(r.lastFull) >= r.FullScanEvery
	r.mu.Unlock()
	for _, d := range retry {
		if err := r.Flush(ctx, d.coll, d.id); err != nil {
			return err
		}
		r.mu.Lock()
		delete(r.pending, d)
		r.mu.Unlock()
	}
	if !full {
		return nil
	}
	if err := r.sweepAll(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.lastFull = time.Now()
	r.mu.Unlock()
	return nil
}

func (r *Relay) sweepAll(ctx context.Context) error {
	for _, c := range r.colls {
		cur, err := c.Find(ctx, bson.M{Field + ".0": bson.M{"$exists": true}}, options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(500))
		if err != nil {
			return fmt.Errorf("outbox sweep %s: %w", c.Name(), err)
		}
		var ids []struct {
			ID any `bson:"_id"`
		}
		if err := cur.All(ctx, &ids); err != nil {
			return err
		}
		for _, d := range ids {
			if err := r.Flush(ctx, c, d.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Run sweeps every interval until ctx is done (crash recovery and retries).
func (r *Relay) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("outbox sweep failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
