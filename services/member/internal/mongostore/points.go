package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/member/internal/domain"
	"siyu.dev/services/member/internal/events"
)

// Loyalty keeps the loyalty accounts (one document per member: points lots,
// holds, ledger, sign-in, growth) and the loyalty settings.
type Loyalty struct {
	Accounts, Settings *mongo.Collection
	// Flush publishes a document's outbox right after the write.
	Flush func(coll *mongo.Collection, id any)
}

// NewLoyalty uses db's collections.
func NewLoyalty(db *mongo.Database) *Loyalty {
	return &Loyalty{Accounts: db.Collection("loyalty_accounts"), Settings: db.Collection("loyalty_settings"), Flush: func(*mongo.Collection, any) {}}
}

// EnsureIndexes lets the expiry sweep find due accounts without a scan.
func (s *Loyalty) EnsureIndexes(ctx context.Context) error {
	return mongox.EnsureIndexes(ctx, s.Accounts, mongox.Index{Keys: bson.D{{Key: "next_expiry", Value: 1}}, Name: "by_next_expiry"})
}

type lotDoc struct {
	ID        string    `bson:"id"`
	Source    string    `bson:"src"`
	Points    int64     `bson:"pts"`
	Remaining int64     `bson:"rem"`
	EarnedAt  time.Time `bson:"at"`
	ExpiresAt time.Time `bson:"exp"`
}

type takeDoc struct {
	Lot    string `bson:"lot"`
	Points int64  `bson:"pts"`
}

type debitDoc struct {
	Key      string    `bson:"key"`
	Points   int64     `bson:"pts"`
	State    string    `bson:"state"`
	Takes    []takeDoc `bson:"takes"`
	Refunded int64     `bson:"refunded"`
	At       time.Time `bson:"at"`
}

type orderCreditDoc struct {
	OrderID        string `bson:"order"`
	PaidFen        int64  `bson:"paid"`
	RefundedFen    int64  `bson:"refunded"`
	Points         int64  `bson:"pts"`
	PointsReversed int64  `bson:"pts_rev"`
	Growth         int64  `bson:"growth"`
	GrowthReversed int64  `bson:"growth_rev"`
}

type entryDoc struct {
	Seq         int64     `bson:"seq"`
	Kind        string    `bson:"kind"`
	Delta       int64     `bson:"d"`
	FrozenDelta int64     `bson:"fd"`
	Available   int64     `bson:"avail"`
	Frozen      int64     `bson:"frozen"`
	Reason      string    `bson:"reason,omitempty"`
	Source      string    `bson:"src,omitempty"`
	Operator    string    `bson:"op,omitempty"`
	At          time.Time `bson:"at"`
}

type signInDoc struct {
	LastDay    string   `bson:"last"`
	Streak     int      `bson:"streak"`
	LastPoints int64    `bson:"last_pts"`
	Days       []string `bson:"days"`
}

type promoDoc struct {
	At    time.Time `bson:"at"`
	Kinds []string  `bson:"kinds"`
}

type tagMarkDoc struct {
	ID     string    `bson:"id"`
	Source string    `bson:"src"`
	At     time.Time `bson:"at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

type accountDoc struct {
	ID             string           `bson:"_id"`
	Version        int64            `bson:"version"`
	Lots           []lotDoc         `bson:"lots"`
	Debits         []debitDoc       `bson:"debits"`
	Orders         []orderCreditDoc `bson:"orders"`
	Sources        []string         `bson:"sources"`
	Entries        []entryDoc       `bson:"entries"`
	SignIn         signInDoc        `bson:"signin"`
	Growth         int64            `bson:"growth"`
	TierID         string           `bson:"tier"`
	LifetimeEarned int64            `bson:"lifetime_earned"`
	LotSeq         int64            `bson:"lot_seq"`
	// NextExpiry is when the sweeper next needs the account: the reminder
	// before the first lot with points left expires, then the expiry; nil
	// when no points are left. (Its name predates the reminder.)
	NextExpiry     *time.Time   `bson:"next_expiry"`
	RemindedExpiry *time.Time   `bson:"reminded_expiry,omitempty"`
	PromoOrders    []promoDoc   `bson:"promo_orders"`
	Tags           []tagMarkDoc `bson:"tags"`
	// Fields segments filter on, kept at the top level for plain queries.
	Available    int64      `bson:"available"`
	TagIDs       []string   `bson:"tag_ids"`
	RegisteredAt *time.Time `bson:"registered_at"`
	Channel      string     `bson:"channel"`
	LastActive   *time.Time `bson:"last_active"`
	OrderCount   int64      `bson:"order_count"`
	SpendFen     int64      `bson:"spend_fen"`
	Blocked      bool       `bson:"blocked"`
	BlockedAt    *time.Time `bson:"blocked_at"`
	Deleted      bool       `bson:"deleted"`
	// Excluded members (blocked or deleted) are in no segment.
	Excluded bool   `bson:"excluded"`
	Outbox   bson.A `bson:"outbox,omitempty"`
}

func toDoc(a domain.Account) accountDoc {
	d := accountDoc{ID: a.MemberID, Version: a.Version, Sources: append([]string{}, a.Sources...), Growth: a.Growth, TierID: a.TierID,
		LifetimeEarned: a.LifetimeEarned, LotSeq: a.LotSeq, Lots: []lotDoc{}, Debits: []debitDoc{}, Orders: []orderCreditDoc{}, Entries: []entryDoc{},
		SignIn: signInDoc{LastDay: a.SignIn.LastDay, Streak: a.SignIn.Streak, LastPoints: a.SignIn.LastPoints, Days: append([]string{}, a.SignIn.Days...)}}
	for _, l := range a.Lots {
		d.Lots = append(d.Lots, lotDoc(l))
	}
	for _, x := range a.Debits {
		dd := debitDoc{Key: x.Key, Points: x.Points, State: x.State, Refunded: x.Refunded, At: x.At, Takes: []takeDoc{}}
		for _, t := range x.Takes {
			dd.Takes = append(dd.Takes, takeDoc(t))
		}
		d.Debits = append(d.Debits, dd)
	}
	for _, o := range a.Orders {
		d.Orders = append(d.Orders, orderCreditDoc(o))
	}
	for _, e := range a.Entries {
		d.Entries = append(d.Entries, entryDoc(e))
	}
	if at := a.NextDue(); !at.IsZero() {
		d.NextExpiry = &at
	}
	if !a.RemindedExpiry.IsZero() {
		at := a.RemindedExpiry
		d.RemindedExpiry = &at
	}
	d.PromoOrders, d.Tags, d.TagIDs = []promoDoc{}, []tagMarkDoc{}, a.TagIDs()
	if d.TagIDs == nil {
		d.TagIDs = []string{}
	}
	for _, p := range a.Facts.PromoOrders {
		d.PromoOrders = append(d.PromoOrders, promoDoc(p))
	}
	for _, m := range a.Tags {
		d.Tags = append(d.Tags, tagMarkDoc(m))
	}
	d.Available, d.RegisteredAt, d.Channel, d.LastActive, d.OrderCount, d.SpendFen =
		a.Available(), timePtr(a.Facts.RegisteredAt), a.Facts.Channel, timePtr(a.Facts.LastActive), a.Facts.OrderCount, a.Facts.SpendFen
	d.Blocked, d.BlockedAt, d.Deleted, d.Excluded = a.Facts.Blocked, timePtr(a.Facts.BlockedAt), a.Facts.Deleted, a.Facts.Excluded()
	return d
}

func (d accountDoc) domain() domain.Account {
	a := domain.Account{MemberID: d.ID, Version: d.Version, Sources: d.Sources, Growth: d.Growth, TierID: d.TierID, LifetimeEarned: d.LifetimeEarned, LotSeq: d.LotSeq,
		SignIn: domain.SignInState{LastDay: d.SignIn.LastDay, Streak: d.SignIn.Streak, LastPoints: d.SignIn.LastPoints, Days: d.SignIn.Days}}
	if d.RemindedExpiry != nil {
		a.RemindedExpiry = d.RemindedExpiry.UTC()
	}
	for _, l := range d.Lots {
		a.Lots = append(a.Lots, domain.Lot{ID: l.ID, Source: l.Source, Points: l.Points, Remaining: l.Remaining, EarnedAt: l.EarnedAt.UTC(), ExpiresAt: l.ExpiresAt.UTC()})
	}
	for _, x := range d.Debits {
		dd := domain.Debit{Key: x.Key, Points: x.Points, State: x.State, Refunded: x.Refunded, At: x.At.UTC()}
		for _, t := range x.Takes {
			dd.Takes = append(dd.Takes, domain.Take(t))
		}
		a.Debits = append(a.Debits, dd)
	}
	for _, o := range d.Orders {
		a.Orders = append(a.Orders, domain.OrderCredit(o))
	}
	for _, e := range d.Entries {
		e.At = e.At.UTC()
		a.Entries = append(a.Entries, domain.Entry(e))
	}
	a.Facts = domain.Facts{RegisteredAt: timeVal(d.RegisteredAt), Channel: d.Channel, LastActive: timeVal(d.LastActive), OrderCount: d.OrderCount, SpendFen: d.SpendFen,
		Blocked: d.Blocked, BlockedAt: timeVal(d.BlockedAt), Deleted: d.Deleted}
	for _, p := range d.PromoOrders {
		a.Facts.PromoOrders = append(a.Facts.PromoOrders, domain.PromoOrder{At: p.At.UTC(), Kinds: p.Kinds})
	}
	for _, m := range d.Tags {
		a.Tags = append(a.Tags, domain.TagMark{ID: m.ID, Source: m.Source, At: m.At.UTC()})
	}
	return a
}

// LoyaltyAccounts is the domain.Accounts repository.
type LoyaltyAccounts struct{ *Loyalty }

// Get reads a member's account; a missing one is empty with version 0.
func (r LoyaltyAccounts) Get(ctx context.Context, memberID string) (domain.Account, error) {
	var d accountDoc
	err := r.Accounts.FindOne(ctx, bson.M{"_id": memberID}, options.FindOne().SetProjection(bson.M{"outbox": 0})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Account{MemberID: memberID}, nil
	}
	if err != nil {
		return domain.Account{}, err
	}
	return d.domain(), nil
}

// Save is a compare-and-set on the version: the whole account and its
// events in one single-document write, which the embedded store makes
// atomic, and which a concurrent writer of the same account can only lose.
func (r LoyaltyAccounts) Save(ctx context.Context, a domain.Account, ch domain.AccountChanges) (bool, error) {
	next := a.Version + 1
	evs, err := events.AccountChanges(ctx, a.MemberID, next, ch)
	if err != nil {
		return false, err
	}
	d := toDoc(a)
	d.Version = next
	if a.Version == 0 {
		if len(evs) > 0 {
			d.Outbox = bson.A{}
			for _, e := range evs {
				d.Outbox = append(d.Outbox, outbox.Entry(e, ch.At))
			}
		}
		_, err := r.Accounts.InsertOne(ctx, d)
		if mongox.IsDuplicateKey(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	} else {
		update := bson.M{"$set": bson.M{
			"version": d.Version, "lots": d.Lots, "debits": d.Debits, "orders": d.Orders, "sources": d.Sources, "entries": d.Entries,
			"signin": d.SignIn, "growth": d.Growth, "tier": d.TierID, "lifetime_earned": d.LifetimeEarned, "lot_seq": d.LotSeq, "next_expiry": d.NextExpiry, "reminded_expiry": d.RemindedExpiry,
			"promo_orders": d.PromoOrders, "tags": d.Tags, "available": d.Available, "tag_ids": d.TagIDs, "registered_at": d.RegisteredAt,
			"channel": d.Channel, "last_active": d.LastActive, "order_count": d.OrderCount, "spend_fen": d.SpendFen,
			"blocked": d.Blocked, "blocked_at": d.BlockedAt, "deleted": d.Deleted, "excluded": d.Excluded,
		}}
		if len(evs) > 0 {
			update["$push"] = outbox.Push(ch.At, evs...)
		}
		// By _id on the embedded store (mongox.UpdateIf): points, sign-in and
		// checkout cost the same however many members the shop has.
		ok, err := mongox.UpdateIf(ctx, r.Accounts, a.MemberID, bson.M{"version": a.Version}, update)
		if err != nil || !ok {
			return false, err
		}
	}
	if len(evs) > 0 {
		r.Flush(r.Accounts, a.MemberID)
	}
	return true, nil
}

// IDsAfter lists member ids after `after` in id order (the tag sweep's walk).
func (r LoyaltyAccounts) IDsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return r.ids(ctx, bson.M{"_id": bson.M{"$gt": after}}, bson.D{{Key: "_id", Value: 1}}, limit)
}

func (r LoyaltyAccounts) ids(ctx context.Context, filter bson.M, sort bson.D, limit int) ([]string, error) {
	cur, err := r.Accounts.Find(ctx, filter, options.Find().SetProjection(bson.M{"_id": 1}).SetSort(sort).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for _, d := range ids {
		out = append(out, d.ID)
	}
	return out, nil
}

// DueForExpiry lists members whose first lot expires at or before now.
func (r LoyaltyAccounts) DueForExpiry(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return r.ids(ctx, bson.M{"next_expiry": bson.M{"$lte": now}}, bson.D{{Key: "next_expiry", Value: 1}}, limit)
}

type tierDoc struct {
	ID               string `bson:"id"`
	Name             string `bson:"name"`
	GrowthThreshold  int64  `bson:"threshold"`
	DiscountPermille int    `bson:"discount_permille"`
	Benefits         string `bson:"benefits,omitempty"`
}

type settingsDoc struct {
	ID                    string    `bson:"_id"`
	EarnPermillePerYuan   int64     `bson:"earn_permille_per_yuan"`
	GrowthPermillePerYuan int64     `bson:"growth_permille_per_yuan"`
	ExpiryYears           int       `bson:"expiry_years"`
	SignInDailyPoints     int64     `bson:"signin_daily_points"`
	SignInBonusEveryDays  int       `bson:"signin_bonus_every_days"`
	SignInBonusPoints     int64     `bson:"signin_bonus_points"`
	InviteRewardPoints    int64     `bson:"invite_reward_points"`
	Tiers                 []tierDoc `bson:"tiers"`
}

// LoyaltySettings is the domain.SettingsStore repository: one document.
type LoyaltySettings struct{ *Loyalty }

const settingsID = "default"

// Get returns the stored settings or the defaults.
func (r LoyaltySettings) Get(ctx context.Context) (domain.Settings, error) {
	var d settingsDoc
	err := r.Settings.FindOne(ctx, bson.M{"_id": settingsID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.DefaultSettings(), nil
	}
	if err != nil {
		return domain.Settings{}, err
	}
	s := domain.Settings{EarnPermillePerYuan: d.EarnPermillePerYuan, GrowthPermillePerYuan: d.GrowthPermillePerYuan, ExpiryYears: d.ExpiryYears,
		SignInDailyPoints: d.SignInDailyPoints, SignInBonusEveryDays: d.SignInBonusEveryDays, SignInBonusPoints: d.SignInBonusPoints, InviteRewardPoints: d.InviteRewardPoints}
	for _, t := range d.Tiers {
		s.Tiers = append(s.Tiers, domain.Tier(t))
	}
	return s, nil
}

// Put replaces the settings.
func (r LoyaltySettings) Put(ctx context.Context, s domain.Settings) error {
	d := settingsDoc{ID: settingsID, EarnPermillePerYuan: s.EarnPermillePerYuan, GrowthPermillePerYuan: s.GrowthPermillePerYuan, ExpiryYears: s.ExpiryYears,
		SignInDailyPoints: s.SignInDailyPoints, SignInBonusEveryDays: s.SignInBonusEveryDays, SignInBonusPoints: s.SignInBonusPoints, InviteRewardPoints: s.InviteRewardPoints,
		Tiers: []tierDoc{}}
	for _, t := range s.Tiers {
		d.Tiers = append(d.Tiers, tierDoc(t))
	}
	_, err := r.Settings.ReplaceOne(ctx, bson.M{"_id": settingsID}, d, options.Replace().SetUpsert(true))
	return err
}
