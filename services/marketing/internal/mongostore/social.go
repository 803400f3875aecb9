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
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
)

// Social keeps group-buy and bargain activities, groups, members' group
// quotas and bargains, each by _id.
type Social struct {
	groupBuys, groups, quotas, bargainActivities, bargains *mongo.Collection
}

// NewSocial uses db's collections.
func NewSocial(db *mongo.Database) *Social {
	return &Social{groupBuys: db.Collection("group_buys"), groups: db.Collection("groups"), quotas: db.Collection("group_quotas"),
		bargainActivities: db.Collection("bargain_activities"), bargains: db.Collection("bargains")}
}

// EnsureIndexes creates the indexes of the group listings and sweeper
// (MongoDB uses them; the embedded store scans groups off the shopper's
// hot path).
func (s *Social) EnsureIndexes(ctx context.Context) error {
	return mongox.EnsureIndexes(ctx, s.groups,
		mongox.Index{Name: "due", Keys: bson.D{{Key: "due", Value: 1}}},
		mongox.Index{Name: "open_by_activity", Keys: bson.D{{Key: "activity_id", Value: 1}, {Key: "open", Value: 1}, {Key: "group.deadline", Value: 1}}})
}

// Groups and Bargains are the ports.
func (s *Social) Groups() app.GroupStore     { return groupStore{s} }
func (s *Social) Bargains() app.BargainStore { return bargainStore{s} }

// versioned writes doc under id if the stored version is still version (0:
// insert), bumping it; otherwise app.ErrStale.
func versioned(ctx context.Context, c *mongo.Collection, id string, version int64, doc bson.M) error {
	doc["version"] = version + 1
	if version == 0 {
		doc["_id"] = id
		_, err := c.InsertOne(ctx, doc)
		if mongox.IsDuplicateKey(err) {
			return app.ErrStale
		}
		return err
	}
	ok, err := mongox.UpdateIf(ctx, c, id, bson.M{"version": version}, bson.M{"$set": doc})
	if err == nil && !ok {
		err = app.ErrStale
	}
	return err
}

type groupStore struct{ s *Social }

func (g groupStore) activities() activityStore[domain.GroupBuyActivity] {
	return activityStore[domain.GroupBuyActivity]{c: g.s.groupBuys, what: "group-buy",
		id: func(a domain.GroupBuyActivity) (string, int64) { return a.ID, a.Version }, set: func(a *domain.GroupBuyActivity, v int64) { a.Version = v }}
}

func (g groupStore) CreateGroupBuy(ctx context.Context, a domain.GroupBuyActivity) error {
	return g.activities().Create(ctx, a)
}

func (g groupStore) UpdateGroupBuy(ctx context.Context, a domain.GroupBuyActivity) error {
	return g.activities().Update(ctx, a)
}

func (g groupStore) ListGroupBuys(ctx context.Context) ([]domain.GroupBuyActivity, error) {
	return g.activities().List(ctx)
}

func (g groupStore) GroupBuy(ctx context.Context, id string) (domain.GroupBuyActivity, error) {
	return g.activities().Get(ctx, id)
}

type groupDoc struct {
	ID         string       `bson:"_id"`
	Group      domain.Group `bson:"group"`
	ActivityID string       `bson:"activity_id"`
	Open       bool         `bson:"open"`
	// Due is when the sweeper needs the group: its deadline while open,
	// now while an outcome waits to be handed to the order service.
	Due     *time.Time `bson:"due,omitempty"`
	Version int64      `bson:"version"`
}

func (d groupDoc) domain() domain.Group {
	g := d.Group
	g.Version = d.Version
	return g
}

func (g groupStore) Group(ctx context.Context, id string) (domain.Group, error) {
	var d groupDoc
	err := g.s.groups.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Group{}, fault.New(fault.NotFound, domain.ReasonGroupNotFound, "no such group", "group_id", id)
	}
	return d.domain(), err
}

func (g groupStore) SaveGroup(ctx context.Context, x domain.Group) error {
	doc := bson.M{"group": x, "activity_id": x.ActivityID, "open": x.Status == domain.GroupOpen && x.SeatsLeft() > 0}
	switch {
	case x.OutcomePending():
		doc["due"] = time.Unix(0, 0).UTC()
	case x.Status == domain.GroupOpen:
		doc["due"] = x.Deadline
	default:
		doc["due"] = nil
	}
	return versioned(ctx, g.s.groups, x.ID, x.Version, doc)
}

func (g groupStore) GroupQuota(ctx context.Context, activityID, memberID string) (domain.GroupQuota, error) {
	var d struct {
		Quota   domain.GroupQuota `bson:"quota"`
		Version int64             `bson:"version"`
	}
	err := g.s.quotas.FindOne(ctx, bson.M{"_id": activityID + ":" + memberID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.GroupQuota{ActivityID: activityID, MemberID: memberID}, nil
	}
	d.Quota.Version = d.Version
	return d.Quota, err
}

func (g groupStore) SaveGroupQuota(ctx context.Context, q domain.GroupQuota) error {
	return versioned(ctx, g.s.quotas, q.ActivityID+":"+q.MemberID, q.Version, bson.M{"quota": q})
}

func (g groupStore) OpenGroups(ctx context.Context, activityID string, limit int) ([]domain.Group, error) {
	return mongox.FindAll(ctx, g.s.groups, bson.M{"activity_id": activityID, "open": true}, groupDoc.domain,
		options.Find().SetSort(bson.D{{Key: "group.deadline", Value: 1}}).SetLimit(int64(limit)))
}

func (g groupStore) DueGroups(ctx context.Context, now time.Time, limit int) ([]domain.Group, error) {
	return mongox.FindAll(ctx, g.s.groups, bson.M{"due": bson.M{"$lte": now}}, groupDoc.domain,
		options.Find().SetSort(bson.D{{Key: "due", Value: 1}}).SetLimit(int64(limit)))
}

type bargainStore struct{ s *Social }

func (b bargainStore) activities() activityStore[domain.BargainActivity] {
	return activityStore[domain.BargainActivity]{c: b.s.bargainActivities, what: "bargain activity",
		id: func(a domain.BargainActivity) (string, int64) { return a.ID, a.Version }, set: func(a *domain.BargainActivity, v int64) { a.Version = v }}
}

func (b bargainStore) CreateBargainActivity(ctx context.Context, a domain.BargainActivity) error {
	return b.activities().Create(ctx, a)
}

func (b bargainStore) UpdateBargainActivity(ctx context.Context, a domain.BargainActivity) error {
	return b.activities().Update(ctx, a)
}

func (b bargainStore) ListBargainActivities(ctx context.Context) ([]domain.BargainActivity, error) {
	return b.activities().List(ctx)
}

func (b bargainStore) BargainActivity(ctx context.Context, id string) (domain.BargainActivity, error) {
	return b.activities().Get(ctx, id)
}

func (b bargainStore) Bargain(ctx context.Context, id string) (domain.Bargain, error) {
	var d struct {
		Bargain domain.Bargain `bson:"bargain"`
		Version int64          `bson:"version"`
	}
	err := b.s.bargains.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Bargain{}, fault.New(fault.NotFound, domain.ReasonBargainNotFound, "no such bargain", "bargain_id", id)
	}
	d.Bargain.Version = d.Version
	return d.Bargain, err
}

func (b bargainStore) SaveBargain(ctx context.Context, x domain.Bargain) error {
	return versioned(ctx, b.s.bargains, x.ID, x.Version, bson.M{"bargain": x})
}
