// Package mongostore keeps inboxes, subscriptions and deliveries in
// MongoDB. A member's inbox and subscriptions are one document each whose
// _id is the member id, and a delivery's _id is its idempotency key, so
// every write of a notification goes by _id and costs the same at any size
// on the embedded store; only operators' delivery log scans.
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

// Store implements the app's stores.
type Store struct {
	Inboxes, Grants, Deliveries, Broadcasts *mongo.Collection
}

// New uses db's collections.
func New(db *mongo.Database) *Store {
	return &Store{Inboxes: db.Collection("inboxes"), Grants: db.Collection("member_preferences"), Deliveries: db.Collection("deliveries"),
		Broadcasts: db.Collection("broadcasts")}
}

// EnsureIndexes creates the index of operators' delivery log on MongoDB.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return mongox.EnsureIndexes(ctx, s.Deliveries, mongox.Index{Name: "member_created", Keys: bson.D{{Key: "member_id", Value: 1}, {Key: "created_at", Value: -1}}})
}

// save inserts a new document (version 0) or replaces fields of one whose
// version is still version.
func save(ctx context.Context, c *mongo.Collection, id string, version int64, doc any, set bson.M) error {
	if version == 0 {
		_, err := c.InsertOne(ctx, doc)
		if mongox.IsDuplicateKey(err) {
			return app.ErrStale
		}
		return err
	}
	set["version"] = version + 1
	ok, err := mongox.UpdateIf(ctx, c, id, bson.M{"version": version}, bson.M{"$set": set})
	if err != nil {
		return err
	}
	if !ok {
		return app.ErrStale
	}
	return nil
}

type messageDoc struct {
	ID        string    `bson:"id"`
	Title     string    `bson:"title"`
	Body      string    `bson:"body"`
	Link      string    `bson:"link"`
	EventType string    `bson:"event_type"`
	Read      bool      `bson:"read"`
	At        time.Time `bson:"at"`
}

type inboxDoc struct {
	ID       string       `bson:"_id"`
	Messages []messageDoc `bson:"messages"`
	Version  int64        `bson:"version"`
}

// Inbox reads a member's inbox.
func (s *Store) Inbox(ctx context.Context, memberID string) (domain.Inbox, error) {
	var d inboxDoc
	err := s.Inboxes.FindOne(ctx, bson.M{"_id": memberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Inbox{MemberID: memberID}, nil
	}
	if err != nil {
		return domain.Inbox{}, err
	}
	b := domain.Inbox{MemberID: d.ID, Version: d.Version}
	for _, m := range d.Messages {
		b.Messages = append(b.Messages, domain.InboxMessage{ID: m.ID, Title: m.Title, Body: m.Body, Link: m.Link, EventType: m.EventType, Read: m.Read, At: m.At})
	}
	return b, nil
}

// SaveInbox writes an inbox over the version it was read at.
func (s *Store) SaveInbox(ctx context.Context, b domain.Inbox) error {
	msgs := make([]messageDoc, 0, len(b.Messages))
	for _, m := range b.Messages {
		msgs = append(msgs, messageDoc{ID: m.ID, Title: m.Title, Body: m.Body, Link: m.Link, EventType: m.EventType, Read: m.Read, At: m.At})
	}
	return save(ctx, s.Inboxes, b.MemberID, b.Version, inboxDoc{ID: b.MemberID, Messages: msgs, Version: 1}, bson.M{"messages": msgs})
}

type subscriptionsDoc struct {
	ID            string          `bson:"_id"`
	Quota         map[string]int  `bson:"quota"`
	Unsubscribed  map[string]bool `bson:"unsubscribed"`
	MarketingSent []time.Time     `bson:"marketing_sent"`
	Version       int64           `bson:"version"`
}

// Subscriptions reads a member's WeChat grants.
func (s *Store) Subscriptions(ctx context.Context, memberID string) (domain.Subscriptions, error) {
	var d subscriptionsDoc
	err := s.Grants.FindOne(ctx, bson.M{"_id": memberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Subscriptions{MemberID: memberID, Quota: map[string]int{}}, nil
	}
	if err != nil {
		return domain.Subscriptions{}, err
	}
	if d.Quota == nil {
		d.Quota = map[string]int{}
	}
	out := domain.Subscriptions{MemberID: d.ID, Quota: d.Quota, MarketingSent: d.MarketingSent, Version: d.Version, Unsubscribed: map[domain.Channel]bool{}}
	for k, v := range d.Unsubscribed {
		out.Unsubscribed[domain.Channel(k)] = v
	}
	return out, nil
}

// SaveSubscriptions writes a member's preferences over the version read.
func (s *Store) SaveSubscriptions(ctx context.Context, sub domain.Subscriptions) error {
	d := subscriptionsDoc{ID: sub.MemberID, Quota: sub.Quota, Unsubscribed: map[string]bool{}, MarketingSent: sub.MarketingSent, Version: 1}
	if d.Quota == nil {
		d.Quota = map[string]int{}
	}
	for k, v := range sub.Unsubscribed {
		d.Unsubscribed[string(k)] = v
	}
	if d.MarketingSent == nil {
		d.MarketingSent = []time.Time{}
	}
	return save(ctx, s.Grants, sub.MemberID, sub.Version, d, bson.M{"quota": d.Quota, "unsubscribed": d.Unsubscribed, "marketing_sent": d.MarketingSent})
}

type entryDoc struct {
	At     time.Time `bson:"at"`
	Status string    `bson:"status"`
	Detail string    `bson:"detail"`
}

type deliveryDoc struct {
	ID          string     `bson:"_id"`
	MemberID    string     `bson:"member_id"`
	Channel     string     `bson:"channel"`
	TemplateID  string     `bson:"template_id"`
	Category    int        `bson:"category"`
	Status      string     `bson:"status"`
	Attempts    int        `bson:"attempts"`
	NextAttempt time.Time  `bson:"next_attempt"`
	Log         []entryDoc `bson:"log"`
	CreatedAt   time.Time  `bson:"created_at"`
	Version     int64      `bson:"version"`
}

func toDelivery(d deliveryDoc) domain.Delivery {
	out := domain.Delivery{ID: d.ID, MemberID: d.MemberID, Channel: domain.Channel(d.Channel), TemplateID: d.TemplateID, Category: domain.Category(d.Category),
		Status: domain.Status(d.Status), Attempts: d.Attempts, NextAttempt: d.NextAttempt, Version: d.Version}
	for _, e := range d.Log {
		out.Log = append(out.Log, domain.Entry{At: e.At, Status: domain.Status(e.Status), Detail: e.Detail})
	}
	return out
}

func fromDelivery(d domain.Delivery) deliveryDoc {
	out := deliveryDoc{ID: d.ID, MemberID: d.MemberID, Channel: string(d.Channel), TemplateID: d.TemplateID, Category: int(d.Category), Status: string(d.Status),
		Attempts: d.Attempts, NextAttempt: d.NextAttempt, Version: d.Version, Log: []entryDoc{}}
	for _, e := range d.Log {
		out.Log = append(out.Log, entryDoc{At: e.At, Status: string(e.Status), Detail: e.Detail})
	}
	if len(d.Log) > 0 {
		out.CreatedAt = d.Log[0].At
	}
	return out
}

// Create stores a delivery unless its id exists.
func (s *Store) Create(ctx context.Context, d domain.Delivery) (domain.Delivery, bool, error) {
	d.Version = 1
	_, err := s.Deliveries.InsertOne(ctx, fromDelivery(d))
	if err == nil {
		return d, true, nil
	}
	if !mongox.IsDuplicateKey(err) {
		return domain.Delivery{}, false, err
	}
	var got deliveryDoc
	if err := s.Deliveries.FindOne(ctx, bson.M{"_id": d.ID}).Decode(&got); err != nil {
		return domain.Delivery{}, false, err
	}
	return toDelivery(got), false, nil
}

// Save writes a delivery over the version it was read at.
func (s *Store) Save(ctx context.Context, d domain.Delivery) (domain.Delivery, error) {
	doc := fromDelivery(d)
	ok, err := mongox.UpdateIf(ctx, s.Deliveries, d.ID, bson.M{"version": d.Version}, bson.M{"$set": bson.M{"status": doc.Status,
		"attempts": doc.Attempts, "next_attempt": doc.NextAttempt, "log": doc.Log, "version": d.Version + 1}})
	if err != nil {
		return d, err
	}
	if !ok {
		return d, app.ErrStale
	}
	d.Version++
	return d, nil
}

// ByMember lists a member's deliveries, newest first.
func (s *Store) ByMember(ctx context.Context, memberID string, limit int) ([]domain.Delivery, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit))
	return mongox.FindAll(ctx, s.Deliveries, bson.M{"member_id": memberID}, toDelivery, opts)
}

// Broadcasts. Operators create a handful a day, so listing them scans a
// small collection; each one is read and written by _id.

type broadcastDoc struct {
	ID               string           `bson:"_id"`
	RequestID        string           `bson:"request_id"`
	Name             string           `bson:"name"`
	SegmentID        string           `bson:"segment_id"`
	Title            string           `bson:"title"`
	Body             string           `bson:"body"`
	Link             string           `bson:"link"`
	Channels         []string         `bson:"channels"`
	WechatTemplateID string           `bson:"wechat_template_id"`
	SendAt           time.Time        `bson:"send_at"`
	PerSecond        int              `bson:"per_second"`
	Status           string           `bson:"status"`
	Targeted         int64            `bson:"targeted"`
	Sent             int64            `bson:"sent"`
	Failed           int64            `bson:"failed"`
	Suppressed       map[string]int64 `bson:"suppressed"`
	LeaseUntil       time.Time        `bson:"lease_until"`
	CreatedAt        time.Time        `bson:"created_at"`
	FinishedAt       time.Time        `bson:"finished_at"`
	Version          int64            `bson:"version"`
}

func toBroadcast(d broadcastDoc) domain.Broadcast {
	b := domain.Broadcast{ID: d.ID, RequestID: d.RequestID, Name: d.Name, SegmentID: d.SegmentID, Title: d.Title, Body: d.Body, Link: d.Link,
		WechatTemplateID: d.WechatTemplateID, SendAt: d.SendAt, PerSecond: d.PerSecond, Status: domain.BroadcastStatus(d.Status), Targeted: d.Targeted,
		Sent: d.Sent, Failed: d.Failed, Suppressed: d.Suppressed, LeaseUntil: d.LeaseUntil, CreatedAt: d.CreatedAt, FinishedAt: d.FinishedAt, Version: d.Version}
	for _, c := range d.Channels {
		b.Channels = append(b.Channels, domain.Channel(c))
	}
	if b.Suppressed == nil {
		b.Suppressed = map[string]int64{}
	}
	return b
}

func fromBroadcast(b domain.Broadcast) broadcastDoc {
	d := broadcastDoc{ID: b.ID, RequestID: b.RequestID, Name: b.Name, SegmentID: b.SegmentID, Title: b.Title, Body: b.Body, Link: b.Link,
		WechatTemplateID: b.WechatTemplateID, SendAt: b.SendAt, PerSecond: b.PerSecond, Status: string(b.Status), Targeted: b.Targeted, Sent: b.Sent,
		Failed: b.Failed, Suppressed: b.Suppressed, LeaseUntil: b.LeaseUntil, CreatedAt: b.CreatedAt, FinishedAt: b.FinishedAt, Version: b.Version}
	for _, c := range b.Channels {
		d.Channels = append(d.Channels, string(c))
	}
	if d.Suppressed == nil {
		d.Suppressed = map[string]int64{}
	}
	return d
}

// InsertBroadcast stores a new broadcast, or answers the one with its id.
func (s *Store) InsertBroadcast(ctx context.Context, b domain.Broadcast) (domain.Broadcast, bool, error) {
	b.Version = 1
	_, err := s.Broadcasts.InsertOne(ctx, fromBroadcast(b))
	if err == nil {
		return b, true, nil
	}
	if !mongox.IsDuplicateKey(err) {
		return domain.Broadcast{}, false, err
	}
	got, err := s.Broadcast(ctx, b.ID)
	return got, false, err
}

// Broadcast reads one broadcast.
func (s *Store) Broadcast(ctx context.Context, id string) (domain.Broadcast, error) {
	var d broadcastDoc
	err := s.Broadcasts.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Broadcast{}, fault.New(fault.NotFound, domain.ReasonBroadcastNotFound, "no such broadcast", "broadcast_id", id)
	}
	if err != nil {
		return domain.Broadcast{}, err
	}
	return toBroadcast(d), nil
}

// SaveBroadcast writes a broadcast over the version it was read at.
func (s *Store) SaveBroadcast(ctx context.Context, b domain.Broadcast) (domain.Broadcast, error) {
	d := fromBroadcast(b)
	ok, err := mongox.UpdateIf(ctx, s.Broadcasts, b.ID, bson.M{"version": b.Version}, bson.M{"$set": bson.M{"send_at": d.SendAt, "status": d.Status,
		"targeted": d.Targeted, "sent": d.Sent, "failed": d.Failed, "suppressed": d.Suppressed, "lease_until": d.LeaseUntil, "finished_at": d.FinishedAt,
		"version": b.Version + 1}})
	if err != nil {
		return b, err
	}
	if !ok {
		return b, app.ErrStale
	}
	b.Version++
	return b, nil
}

// RecentBroadcasts lists the latest broadcasts, newest first.
func (s *Store) RecentBroadcasts(ctx context.Context, limit int) ([]domain.Broadcast, error) {
	return mongox.FindAll(ctx, s.Broadcasts, bson.M{}, toBroadcast, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)))
}

// OpenBroadcasts lists the broadcasts not finished yet.
func (s *Store) OpenBroadcasts(ctx context.Context) ([]domain.Broadcast, error) {
	filter := bson.M{"status": bson.M{"$in": bson.A{string(domain.BroadcastScheduled), string(domain.BroadcastSending)}}}
	return mongox.FindAll(ctx, s.Broadcasts, filter, toBroadcast, options.Find().SetSort(bson.D{{Key: "send_at", Value: 1}}).SetLimit(100))
}
