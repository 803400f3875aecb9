// Package mongostore keeps the messaging documents in MongoDB (or the
// embedded store). Every path a shopper's request or an event takes reaches
// its document by _id: a member's inbox and settings are one document each
// under the member id, a delivery is keyed by its cause, member and
// channel, a template by its id, a rule by its event type. Writes are
// single-document compare-and-set on a version (mongox.UpdateIf).
//
// The sweeper's "what is due" query reads the small pending collection,
// which holds only unfinished deliveries (an entry may be early: Due checks
// the delivery and moves the entry), so its scan on the embedded store
// grows with the deliveries still waiting, not with the whole log. Back-office
// listings (the delivery log by member, status or cause) scan on the
// embedded store and use indexes on MongoDB.
package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/mongox"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Store holds the service's collections.
type Store struct {
	deliveries, pending, inboxes, settings, templates, rules, broadcasts *mongo.Collection
}

// New uses db's collections.
func New(db *mongo.Database) *Store {
	return &Store{deliveries: db.Collection("deliveries"), pending: db.Collection("pending_deliveries"), inboxes: db.Collection("inboxes"),
		settings: db.Collection("settings"), templates: db.Collection("templates"), rules: db.Collection("rules"), broadcasts: db.Collection("broadcasts")}
}

// EnsureIndexes creates the indexes of the back-office listings and the
// sweeper (MongoDB uses them; the embedded store scans).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := mongox.EnsureIndexes(ctx, s.deliveries,
		mongox.Index{Name: "member_created", Keys: bson.D{{Key: "member_id", Value: 1}, {Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
		mongox.Index{Name: "status_created", Keys: bson.D{{Key: "status", Value: 1}, {Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
		mongox.Index{Name: "cause_created", Keys: bson.D{{Key: "cause", Value: 1}, {Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
	); err != nil {
		return err
	}
	if err := mongox.EnsureIndexes(ctx, s.pending, mongox.Index{Name: "next_attempt", Keys: bson.D{{Key: "next_attempt", Value: 1}}}); err != nil {
		return err
	}
	return mongox.EnsureIndexes(ctx, s.broadcasts, mongox.Index{Name: "finished_created", Keys: bson.D{{Key: "finished", Value: 1}, {Key: "created_at", Value: -1}}})
}

var errConflict = fault.New(fault.Aborted, domain.ReasonConflict, "the document changed meanwhile")

// Views as the app's ports.
func (s *Store) Deliveries() app.Deliveries  { return deliveries{s} }
func (s *Store) Inboxes() app.Inboxes        { return inboxes{s} }
func (s *Store) Settings() app.SettingsStore { return settingsStore{s} }
func (s *Store) Templates() app.Templates    { return templates{s} }
func (s *Store) Rules() app.Rules            { return rules{s} }
func (s *Store) Broadcasts() app.Broadcasts  { return broadcasts{s} }

// saveIf replaces the document id with doc if its version is prev; prev 0
// inserts it (a duplicate is a conflict).
func saveIf(ctx context.Context, c *mongo.Collection, id string, prev int64, doc any) error {
	if prev == 0 {
		_, err := c.InsertOne(ctx, doc)
		if mongox.IsDuplicateKey(err) {
			return errConflict
		}
		return err
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	var set bson.M
	if err := bson.Unmarshal(raw, &set); err != nil {
		return err
	}
	delete(set, "_id")
	ok, err := mongox.UpdateIf(ctx, c, id, bson.M{"version": prev}, bson.M{"$set": set})
	if err == nil && !ok {
		return errConflict
	}
	return err
}

// getByID decodes the document id into out; found false when missing.
func getByID(ctx context.Context, c *mongo.Collection, id string, out any) (bool, error) {
	err := c.FindOne(ctx, bson.M{"_id": id}).Decode(out)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// Deliveries.

type deliveryDoc struct {
	ID          string          `bson:"_id"`
	Cause       string          `bson:"cause"`
	MemberID    string          `bson:"member_id"`
	Status      string          `bson:"status"`
	NextAttempt time.Time       `bson:"next_attempt"`
	CreatedAt   time.Time       `bson:"created_at"`
	Version     int64           `bson:"version"`
	D           domain.Delivery `bson:"d"`
}

type pendingDoc struct {
	ID          string    `bson:"_id"`
	NextAttempt time.Time `bson:"next_attempt"`
}

func toDeliveryDoc(d domain.Delivery) deliveryDoc {
	return deliveryDoc{ID: d.ID, Cause: d.Cause, MemberID: d.MemberID, Status: string(d.Status), NextAttempt: d.NextAttempt, CreatedAt: d.CreatedAt, Version: d.Version, D: d}
}

type deliveries struct{ *Store }

// track keeps the pending entry in step with d: present with its next
// attempt while unfinished, gone once final.
func (s deliveries) track(ctx context.Context, d domain.Delivery) error {
	if d.Status.Final() {
		_, err := s.pending.DeleteOne(ctx, bson.M{"_id": d.ID})
		return err
	}
	_, err := s.pending.UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{"$set": bson.M{"next_attempt": d.NextAttempt}}, options.UpdateOne().SetUpsert(true))
	return err
}

func (s deliveries) Create(ctx context.Context, d domain.Delivery) (domain.Delivery, bool, error) {
	if _, err := s.deliveries.InsertOne(ctx, toDeliveryDoc(d)); mongox.IsDuplicateKey(err) {
		got, err := s.Get(ctx, d.ID)
		if err != nil {
			return got, false, err
		}
		// A create that crashed before its pending entry is repeated by the
		// event's redelivery (or the broadcast's resumption): make sure the
		// sweeper knows the delivery.
		return got, false, s.track(ctx, got)
	} else if err != nil {
		return d, false, err
	}
	if d.Status.Final() {
		return d, true, nil
	}
	_, err := s.pending.InsertOne(ctx, pendingDoc{ID: d.ID, NextAttempt: d.NextAttempt})
	if mongox.IsDuplicateKey(err) {
		err = nil
	}
	return d, true, err
}

func (s deliveries) Get(ctx context.Context, id string) (domain.Delivery, error) {
	var doc deliveryDoc
	found, err := getByID(ctx, s.deliveries, id, &doc)
	if err != nil {
		return domain.Delivery{}, err
	}
	if !found {
		return domain.Delivery{}, fault.New(fault.NotFound, domain.ReasonDeliveryNotFound, "no such delivery")
	}
	return fromDeliveryDoc(doc), nil
}

func fromDeliveryDoc(doc deliveryDoc) domain.Delivery {
	d := doc.D
	d.Version = doc.Version
	d.NextAttempt, d.CreatedAt = d.NextAttempt.UTC(), d.CreatedAt.UTC()
	return d
}

func (s deliveries) Save(ctx context.Context, d domain.Delivery, prev int64) error {
	if prev == 0 {
		return errConflict
	}
	if err := saveIf(ctx, s.deliveries, d.ID, prev, toDeliveryDoc(d)); err != nil {
		return err
	}
	if d.Status == domain.StatusQueued && len(d.Log) == 1 {
		// A claim of a new delivery (its one log line says queued): its
		// entry (from Create) is early, and Due moves early entries after
		// reading the delivery, so the common claim-then-send path writes
		// the pending collection only to delete. A requeued dead letter has
		// a longer log and gets its entry back here.
		return nil
	}
	return s.track(ctx, d)
}

func (s deliveries) Due(ctx context.Context, now time.Time, n int) ([]domain.Delivery, error) {
	var out []domain.Delivery
	entries, err := mongox.FindAll(ctx, s.pending, bson.M{"next_attempt": bson.M{"$lte": now}}, func(p pendingDoc) pendingDoc { return p },
		options.Find().SetSort(bson.D{{Key: "next_attempt", Value: 1}}).SetLimit(int64(n)))
	if err != nil {
		return nil, err
	}
	for _, p := range entries {
		d, err := s.Get(ctx, p.ID)
		if fault.KindOf(err) == fault.NotFound {
			_, err = s.pending.DeleteOne(ctx, bson.M{"_id": p.ID})
			if err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if !d.Due(now) {
			// A stale entry (a crash between the two writes): bring it in step.
			if err := s.track(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

func (s deliveries) List(ctx context.Context, f app.DeliveryFilter, after string, n int) ([]domain.Delivery, error) {
	filter := bson.M{}
	if f.MemberID != "" {
		filter["member_id"] = f.MemberID
	}
	if f.Status != "" {
		filter["status"] = string(f.Status)
	}
	if f.Cause != "" {
		filter["cause"] = f.Cause
	}
	if after != "" {
		last, err := s.Get(ctx, after)
		if err != nil {
			return nil, err
		}
		filter["$or"] = bson.A{
			bson.M{"created_at": bson.M{"$lt": last.CreatedAt}},
			bson.M{"created_at": last.CreatedAt, "_id": bson.M{"$lt": last.ID}},
		}
	}
	return mongox.FindAll(ctx, s.deliveries, filter, fromDeliveryDoc,
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(n)))
}

// Inboxes and settings: one document per member under the member id.

type inboxDoc struct {
	ID       string                `bson:"_id"`
	Version  int64                 `bson:"version"`
	Messages []domain.InboxMessage `bson:"messages"`
}

type inboxes struct{ *Store }

func (s inboxes) Get(ctx context.Context, memberID string) (domain.Inbox, error) {
	var doc inboxDoc
	if _, err := getByID(ctx, s.inboxes, memberID, &doc); err != nil {
		return domain.Inbox{}, err
	}
	for i := range doc.Messages {
		doc.Messages[i].At = doc.Messages[i].At.UTC()
	}
	return domain.Inbox{MemberID: memberID, Messages: doc.Messages, Version: doc.Version}, nil
}

func (s inboxes) Save(ctx context.Context, b domain.Inbox, prev int64) error {
	msgs := b.Messages
	if msgs == nil {
		msgs = []domain.InboxMessage{}
	}
	return saveIf(ctx, s.inboxes, b.MemberID, prev, inboxDoc{ID: b.MemberID, Version: b.Version, Messages: msgs})
}

func (s inboxes) Delete(ctx context.Context, memberID string) error {
	_, err := s.inboxes.DeleteOne(ctx, bson.M{"_id": memberID})
	return err
}

type settingsDoc struct {
	ID       string          `bson:"_id"`
	Version  int64           `bson:"version"`
	Settings domain.Settings `bson:"s"`
}

type settingsStore struct{ *Store }

func (s settingsStore) Get(ctx context.Context, memberID string) (domain.Settings, error) {
	var doc settingsDoc
	if _, err := getByID(ctx, s.settings, memberID, &doc); err != nil {
		return domain.Settings{}, err
	}
	v := doc.Settings
	v.MemberID, v.Version = memberID, doc.Version
	for i := range v.Marks {
		v.Marks[i].At = v.Marks[i].At.UTC()
	}
	return v, nil
}

func (s settingsStore) Save(ctx context.Context, v domain.Settings, prev int64) error {
	return saveIf(ctx, s.settings, v.MemberID, prev, settingsDoc{ID: v.MemberID, Version: v.Version, Settings: v})
}

func (s settingsStore) Delete(ctx context.Context, memberID string) error {
	_, err := s.settings.DeleteOne(ctx, bson.M{"_id": memberID})
	return err
}

// Templates and rules.

type templateDoc struct {
	ID       string          `bson:"_id"`
	Version  int64           `bson:"version"`
	Template domain.Template `bson:"t"`
}

type templates struct{ *Store }

func (s templates) Create(ctx context.Context, t domain.Template) error {
	_, err := s.templates.InsertOne(ctx, templateDoc{ID: t.ID, Version: t.Version, Template: t})
	if mongox.IsDuplicateKey(err) {
		return fault.New(fault.Conflict, domain.ReasonTemplateExists, "a template with this id exists", "template_id", t.ID)
	}
	return err
}

func fromTemplateDoc(d templateDoc) domain.Template {
	t := d.Template
	t.Version, t.UpdatedAt = d.Version, t.UpdatedAt.UTC()
	return t
}

func (s templates) Get(ctx context.Context, id string) (domain.Template, error) {
	var doc templateDoc
	found, err := getByID(ctx, s.templates, id, &doc)
	if err == nil && !found {
		err = fault.New(fault.NotFound, domain.ReasonTemplateNotFound, "no such template", "template_id", id)
	}
	return fromTemplateDoc(doc), err
}

func (s templates) Save(ctx context.Context, t domain.Template, prev int64) error {
	return saveIf(ctx, s.templates, t.ID, prev, templateDoc{ID: t.ID, Version: t.Version, Template: t})
}

func (s templates) List(ctx context.Context) ([]domain.Template, error) {
	return mongox.FindAll(ctx, s.templates, bson.M{}, fromTemplateDoc, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

func (s templates) Delete(ctx context.Context, id string) error {
	_, err := s.templates.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

type ruleDoc struct {
	ID   string      `bson:"_id"`
	Rule domain.Rule `bson:"r"`
}

type rules struct{ *Store }

func (s rules) Put(ctx context.Context, r domain.Rule) error {
	_, err := s.rules.ReplaceOne(ctx, bson.M{"_id": r.EventType}, ruleDoc{ID: r.EventType, Rule: r}, options.Replace().SetUpsert(true))
	return err
}

func fromRuleDoc(d ruleDoc) domain.Rule {
	r := d.Rule
	r.UpdatedAt = r.UpdatedAt.UTC()
	return r
}

func (s rules) Get(ctx context.Context, eventType string) (domain.Rule, bool, error) {
	var doc ruleDoc
	found, err := getByID(ctx, s.rules, eventType, &doc)
	return fromRuleDoc(doc), found, err
}

func (s rules) List(ctx context.Context) ([]domain.Rule, error) {
	return mongox.FindAll(ctx, s.rules, bson.M{}, fromRuleDoc, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

func (s rules) Delete(ctx context.Context, eventType string) error {
	_, err := s.rules.DeleteOne(ctx, bson.M{"_id": eventType})
	return err
}

// Broadcasts.

type broadcastDoc struct {
	ID        string           `bson:"_id"`
	Version   int64            `bson:"version"`
	Finished  bool             `bson:"finished"`
	CreatedAt time.Time        `bson:"created_at"`
	Broadcast domain.Broadcast `bson:"b"`
}

func toBroadcastDoc(b domain.Broadcast) broadcastDoc {
	return broadcastDoc{ID: b.ID, Version: b.Version, Finished: b.Status.Finished(), CreatedAt: b.CreatedAt, Broadcast: b}
}

func fromBroadcastDoc(d broadcastDoc) domain.Broadcast {
	b := d.Broadcast
	b.Version = d.Version
	b.SendAt, b.CreatedAt, b.FinishedAt = b.SendAt.UTC(), b.CreatedAt.UTC(), b.FinishedAt.UTC()
	return b
}

type broadcasts struct{ *Store }

func (s broadcasts) Create(ctx context.Context, b domain.Broadcast) (domain.Broadcast, bool, error) {
	_, err := s.broadcasts.InsertOne(ctx, toBroadcastDoc(b))
	if mongox.IsDuplicateKey(err) {
		got, gerr := s.Get(ctx, b.ID)
		return got, false, gerr
	}
	return b, err == nil, err
}

func (s broadcasts) Get(ctx context.Context, id string) (domain.Broadcast, error) {
	var doc broadcastDoc
	found, err := getByID(ctx, s.broadcasts, id, &doc)
	if err == nil && !found {
		err = fault.New(fault.NotFound, domain.ReasonBroadcastNotFound, "no such broadcast")
	}
	return fromBroadcastDoc(doc), err
}

func (s broadcasts) Save(ctx context.Context, b domain.Broadcast, prev int64) error {
	return saveIf(ctx, s.broadcasts, b.ID, prev, toBroadcastDoc(b))
}

func (s broadcasts) List(ctx context.Context, n int) ([]domain.Broadcast, error) {
	return mongox.FindAll(ctx, s.broadcasts, bson.M{}, fromBroadcastDoc,
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(n)))
}

func (s broadcasts) Unfinished(ctx context.Context) ([]domain.Broadcast, error) {
	return mongox.FindAll(ctx, s.broadcasts, bson.M{"finished": false}, fromBroadcastDoc, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
}
