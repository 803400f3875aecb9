// Package mongostore keeps the member service's documents in MongoDB. Every
// state change is one single-document atomic write (the embedded store has
// no transactions), and events travel in the changed document's outbox.
package mongostore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/mongox"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/domain"
	"siyu.dev/services/member/internal/events"
)

// Store holds the collections.
type Store struct {
	Members, Codes, Sessions, Admins *mongo.Collection
	// WechatIDs claims each WeChat openid/unionid for one member: its _id is
	// the key, so the unique primary key settles races between members.
	WechatIDs *mongo.Collection
	// SmsIPQuota counts code requests per client IP and hour.
	SmsIPQuota *mongo.Collection
	// AdminAttempts counts operator login attempts and remembers trusted networks.
	AdminAttempts *mongo.Collection
	// Phones maps a phone (its _id) to its live member, so a login finds the
	// member by _id rather than scanning members by phone.
	Phones *mongo.Collection
	// Flush publishes a document's outbox right after the write; the relay's
	// sweep covers whatever it misses.
	Flush func(coll *mongo.Collection, id any)
}

// New uses db's collections.
func New(db *mongo.Database) *Store {
	return &Store{Members: db.Collection("members"), Codes: db.Collection("sms_codes"), Sessions: db.Collection("sessions"), Admins: db.Collection("admins"),
		WechatIDs: db.Collection("wechat_ids"), SmsIPQuota: db.Collection("sms_ip_quota"), AdminAttempts: db.Collection("admin_login_attempts"), Phones: db.Collection("member_phones"), Flush: func(*mongo.Collection, any) {}}
}

// EnsureIndexes declares the indexes the rules rely on.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := mongox.EnsureIndexes(ctx, s.Members, mongox.Index{Keys: bson.D{{Key: "phone", Value: 1}}, Unique: true, Name: "phone_unique"}); err != nil {
		return err
	}
	if err := mongox.EnsureIndexes(ctx, s.WechatIDs, mongox.Index{Keys: bson.D{{Key: "member_id", Value: 1}}, Name: "by_member"}); err != nil {
		return err
	}
	if err := mongox.EnsureIndexes(ctx, s.SmsIPQuota, mongox.Index{Keys: bson.D{{Key: "hour", Value: 1}}, Name: "by_hour"}); err != nil {
		return err
	}
	if err := mongox.EnsureIndexes(ctx, s.Sessions, mongox.Index{Keys: bson.D{{Key: "subject", Value: 1}}, Name: "by_subject"}); err != nil {
		return err
	}
	return s.backfillPhones(ctx)
}

// backfillPhones writes the phone lookups of members saved before they
// existed (or in a crash between a member's insert and its lookup's), once
// at start: a scan then, so that no login scans later.
func (s *Store) backfillPhones(ctx context.Context) error {
	members, err := s.Members.CountDocuments(ctx, bson.M{"deleted": bson.M{"$ne": true}})
	if err != nil {
		return err
	}
	if phones, err := s.Phones.CountDocuments(ctx, bson.M{}); err != nil || phones >= members {
		return err
	}
	cur, err := s.Members.Find(ctx, bson.M{"deleted": bson.M{"$ne": true}}, options.Find().SetProjection(bson.M{"phone": 1}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d struct {
			ID    string `bson:"_id"`
			Phone string `bson:"phone"`
		}
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if err := s.setPhone(ctx, d.Phone, d.ID); err != nil {
			return err
		}
	}
	return cur.Err()
}

func (s *Store) setPhone(ctx context.Context, phone, memberID string) error {
	_, err := s.Phones.UpdateOne(ctx, bson.M{"_id": phone}, bson.M{"$set": bson.M{"member_id": memberID}}, options.UpdateOne().SetUpsert(true))
	if mongox.IsDuplicateKey(err) { // two writers upserting at once: the other wrote it
		return nil
	}
	return err
}

func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.ErrNotFound
	}
	return err
}

// memberDoc is a member with its address book: keeping the addresses in
// the member's document lets one conditional write change them together
// (limit, single default) and lets deletion wipe them in the same write.
type memberDoc struct {
	ID        string     `bson:"_id"`
	Phone     string     `bson:"phone"`
	Nickname  string     `bson:"nickname"`
	AvatarURL string     `bson:"avatar_url,omitempty"`
	Gender    string     `bson:"gender,omitempty"`
	Birthday  string     `bson:"birthday,omitempty"`
	Consent   consentDoc `bson:"consent"`
	Channel   string     `bson:"channel,omitempty"`
	InviterID string     `bson:"inviter_id,omitempty"`
	OpenID    string     `bson:"openid,omitempty"`
	// OpenIDs are the openids in the shop's other WeChat apps, by app id.
	OpenIDs   map[string]string `bson:"openids,omitempty"`
	UnionID   string            `bson:"unionid,omitempty"`
	Blocked   bool              `bson:"blocked"`
	Deleted   bool              `bson:"deleted,omitempty"`
	CreatedAt time.Time         `bson:"created_at"`
	AddrRev   int64             `bson:"addr_rev"`
	Outbox    bson.A            `bson:"outbox,omitempty"`
}

type consentDoc struct {
	SMS             bool `bson:"sms"`
	WechatSubscribe bool `bson:"wechat_subscribe"`
	InApp           bool `bson:"in_app"`
}

func (d memberDoc) domain() domain.Member {
	return domain.Member{ID: d.ID, Phone: d.Phone, Nickname: d.Nickname, AvatarURL: d.AvatarURL, Gender: domain.Gender(d.Gender), Birthday: d.Birthday,
		Consent: domain.Consent{SMS: d.Consent.SMS, WechatSubscribe: d.Consent.WechatSubscribe, InApp: d.Consent.InApp},
		Channel: d.Channel, InviterID: d.InviterID, OpenID: d.OpenID, OtherOpenIDs: d.OpenIDs, UnionID: d.UnionID, Blocked: d.Blocked, Deleted: d.Deleted, CreatedAt: d.CreatedAt}
}

// memberFields leaves the address book and the outbox out of member reads.
var memberFields = bson.M{"addresses": 0, "outbox": 0}

// Members is the domain.Members repository.
type Members struct{ *Store }

// Create inserts the member with member.registered in its outbox.
func (r Members) Create(ctx context.Context, m domain.Member, ev domain.Registered) error {
	e, err := events.Registered(ctx, ev)
	if err != nil {
		return err
	}
	_, err = r.Members.InsertOne(ctx, memberDoc{ID: m.ID, Phone: m.Phone, Nickname: m.Nickname, AvatarURL: m.AvatarURL, Channel: m.Channel, InviterID: m.InviterID, CreatedAt: m.CreatedAt,
		Outbox: bson.A{outbox.Entry(e, ev.At)}})
	if mongox.IsDuplicateKey(err) {
		// Another registration of the phone won; make sure its lookup exists
		// (it may have crashed before writing it) so the caller finds it.
		var d memberDoc
		if ferr := r.Members.FindOne(ctx, bson.M{"phone": m.Phone}, options.FindOne().SetProjection(bson.M{"_id": 1})).Decode(&d); ferr == nil {
			if serr := r.setPhone(ctx, m.Phone, d.ID); serr != nil {
				return serr
			}
		}
		return app.ErrConflict
	}
	if err != nil {
		return err
	}
	r.Flush(r.Members, m.ID)
	return r.setPhone(ctx, m.Phone, m.ID)
}

// Get finds a member by id.
func (r Members) Get(ctx context.Context, id string) (domain.Member, error) {
	var d memberDoc
	err := r.Members.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(memberFields)).Decode(&d)
	return d.domain(), notFound(err)
}

// ByPhone finds a member by phone through the phone's lookup document: two
// reads by _id. A lookup whose member no longer has the phone (the account
// was deleted and anonymised) is stale and means no member.
func (r Members) ByPhone(ctx context.Context, phone string) (domain.Member, error) {
	var l struct {
		MemberID string `bson:"member_id"`
	}
	if err := r.Phones.FindOne(ctx, bson.M{"_id": phone}).Decode(&l); err != nil {
		return domain.Member{}, notFound(err)
	}
	m, err := r.Get(ctx, l.MemberID)
	if errors.Is(err, app.ErrNotFound) || (err == nil && m.Phone != phone) {
		_, derr := r.Phones.DeleteOne(ctx, bson.M{"_id": phone, "member_id": l.MemberID})
		if derr != nil {
			return domain.Member{}, derr
		}
		return domain.Member{}, app.ErrNotFound
	}
	return m, err
}

type codeDoc struct {
	Phone     string    `bson:"_id"`
	Salt      []byte    `bson:"salt"`
	Hash      []byte    `bson:"hash"`
	SentAt    time.Time `bson:"sent_at"`
	ExpiresAt time.Time `bson:"expires_at"`
	Attempts  int       `bson:"attempts"`
	Used      bool      `bson:"used"`
	Day       string    `bson:"day"`
	DayCount  int       `bson:"day_count"`
}

// Codes is the domain.SmsCodes repository: one document per phone.
type Codes struct{ *Store }

// Get returns the live code of phone, or nil.
func (r Codes) Get(ctx context.Context, phone string) (*domain.SmsCode, error) {
	var d codeDoc
	err := r.Codes.FindOne(ctx, bson.M{"_id": phone}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &domain.SmsCode{Phone: d.Phone, Salt: d.Salt, Hash: d.Hash, SentAt: d.SentAt, ExpiresAt: d.ExpiresAt, Attempts: d.Attempts, Used: d.Used, Day: d.Day, DayCount: d.DayCount}, nil
}

// Replace swaps in next if the stored code is still prev (compare-and-set on its hash).
func (r Codes) Replace(ctx context.Context, prev *domain.SmsCode, next domain.SmsCode) (bool, error) {
	doc := codeDoc{Phone: next.Phone, Salt: next.Salt, Hash: next.Hash, SentAt: next.SentAt, ExpiresAt: next.ExpiresAt, Day: next.Day, DayCount: next.DayCount}
	if prev == nil {
		_, err := r.Codes.InsertOne(ctx, doc)
		if mongox.IsDuplicateKey(err) {
			return false, nil
		}
		return err == nil, err
	}
	// Every write of a code goes through mongox.UpdateIf, so on the embedded
	// store it stays an _id-only, and so indexed, step.
	return mongox.UpdateIf(ctx, r.Codes, next.Phone, bson.M{"hash": prev.Hash}, bson.M{"$set": bson.M{
		"salt": doc.Salt, "hash": doc.Hash, "sent_at": doc.SentAt, "expires_at": doc.ExpiresAt, "attempts": 0, "used": false,
		"day": doc.Day, "day_count": doc.DayCount}})
}

// Consume marks the code used; only one caller can win.
func (r Codes) Consume(ctx context.Context, phone string, hash []byte) (bool, error) {
	return mongox.UpdateIf(ctx, r.Codes, phone, bson.M{"hash": hash, "used": false}, bson.M{"$set": bson.M{"used": true}})
}

// TakeAttempt counts a guess before it is compared: one compare-and-set, so
// concurrent guesses can never check more than max.
func (r Codes) TakeAttempt(ctx context.Context, phone string, hash []byte, max int) (bool, error) {
	return mongox.UpdateIf(ctx, r.Codes, phone, bson.M{"hash": hash, "used": false, "attempts": bson.M{"$lt": max}},
		bson.M{"$inc": bson.M{"attempts": 1}})
}

type sessionDoc struct {
	ID        string    `bson:"_id"`
	Subject   string    `bson:"subject"`
	Kind      string    `bson:"kind"`
	Roles     []string  `bson:"roles,omitempty"`
	Method    string    `bson:"method,omitempty"`
	Current   []byte    `bson:"current"`
	Previous  [][]byte  `bson:"previous"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
	Revoked   bool      `bson:"revoked"`
	Outbox    bson.A    `bson:"outbox,omitempty"`
}

// Sessions is the domain.Sessions repository.
type Sessions struct{ *Store }

// Create inserts a session with member.logged_in (members only) in its outbox.
func (r Sessions) Create(ctx context.Context, s domain.Session, ev domain.LoggedIn) error {
	d := sessionDoc{ID: s.ID, Subject: s.Subject, Kind: s.Kind, Roles: s.Roles, Method: s.Method, Current: s.Current, Previous: [][]byte{}, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}
	if s.Kind == "member" {
		e, err := events.LoggedIn(ctx, ev)
		if err != nil {
			return err
		}
		d.Outbox = bson.A{outbox.Entry(e, ev.At)}
	}
	if _, err := r.Sessions.InsertOne(ctx, d); err != nil {
		return err
	}
	if d.Outbox != nil {
		r.Flush(r.Sessions, s.ID)
	}
	return nil
}

// Get finds a session.
func (r Sessions) Get(ctx context.Context, id string) (domain.Session, error) {
	var d sessionDoc
	err := r.Sessions.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	return d.domain(), notFound(err)
}

func (d sessionDoc) domain() domain.Session {
	return domain.Session{ID: d.ID, Subject: d.Subject, Kind: d.Kind, Roles: d.Roles, Method: d.Method, Current: d.Current, Previous: d.Previous, CreatedAt: d.CreatedAt, ExpiresAt: d.ExpiresAt, Revoked: d.Revoked}
}

// ListLive returns the subject's usable sessions, oldest first.
func (r Sessions) ListLive(ctx context.Context, subject string, now time.Time) ([]domain.Session, error) {
	return mongox.FindAll(ctx, r.Sessions, bson.M{"subject": subject, "revoked": false, "expires_at": bson.M{"$gt": now}}, sessionDoc.domain,
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetProjection(bson.M{"previous": 0, "outbox": 0}).SetLimit(200))
}

// RevokeOwned revokes a live session only when subject owns it, so an id
// of someone else's session changes nothing.
func (r Sessions) RevokeOwned(ctx context.Context, id, subject string) (bool, error) {
	return mongox.UpdateIf(ctx, r.Sessions, id, bson.M{"subject": subject, "revoked": false}, bson.M{"$set": bson.M{"revoked": true}})
}

// RevokeAll revokes every session of subject.
func (r Sessions) RevokeAll(ctx context.Context, subject string) error {
	_, err := r.Sessions.UpdateMany(ctx, bson.M{"subject": subject, "revoked": false}, bson.M{"$set": bson.M{"revoked": true}})
	return err
}

// Rotate is a compare-and-set on the live secret: of two refreshes with the
// same token exactly one succeeds.
func (r Sessions) Rotate(ctx context.Context, id string, old, next []byte, expires time.Time) (bool, error) {
	// A refresh is a shopper's hot path: on the embedded store UpdateIf keeps
	// it to {_id} operations.
	return mongox.UpdateIf(ctx, r.Sessions, id, bson.M{"current": old, "revoked": false}, bson.M{
		"$set":  bson.M{"current": next, "expires_at": expires},
		"$push": bson.M{"previous": bson.M{"$each": bson.A{old}, "$slice": -domain.MaxRemembered}},
	})
}

// Revoke ends a session for good.
func (r Sessions) Revoke(ctx context.Context, id string) error {
	_, err := r.Sessions.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"revoked": true}})
	return err
}

type adminDoc struct {
	Username     string    `bson:"_id"`
	PasswordHash string    `bson:"password_hash"`
	Roles        []string  `bson:"roles"`
	CreatedAt    time.Time `bson:"created_at"`
}

// Admins is the domain.Admins repository.
type Admins struct{ *Store }

// Create inserts an operator unless the username exists.
func (r Admins) Create(ctx context.Context, a domain.Admin) (bool, error) {
	_, err := r.Admins.InsertOne(ctx, adminDoc{Username: a.Username, PasswordHash: a.PasswordHash, Roles: a.Roles, CreatedAt: a.CreatedAt})
	if mongox.IsDuplicateKey(err) {
		return false, nil
	}
	return err == nil, err
}

// Get finds an operator; a missing one is ErrAdminCredentials.
func (r Admins) Get(ctx context.Context, username string) (domain.Admin, error) {
	var d adminDoc
	err := r.Admins.FindOne(ctx, bson.M{"_id": username}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Admin{}, domain.ErrAdminCredentials
	}
	return domain.Admin{Username: d.Username, PasswordHash: d.PasswordHash, Roles: d.Roles, CreatedAt: d.CreatedAt}, err
}

// IPQuota is the domain.SmsIPQuota repository: one counter document per
// client IP and hour. The embedded store has no TTL indexes, so the first
// request of a new counter removes the counters of past hours.
type IPQuota struct{ *Store }

// Take increments the hour's counter unless it reached limit, in one
// conditional upsert. When the counter is full the upsert collides with the
// existing document; two first requests racing to create it collide the
// same way, so a collision retries once as a plain conditional increment.
func (r IPQuota) Take(ctx context.Context, ip string, hour time.Time, limit int) (bool, error) {
	return takeSlot(ctx, r.SmsIPQuota, ip+"|"+hour.UTC().Format("2006010215"), hour, hour, limit)
}

// takeSlot counts one under id (a key and its window) unless limit were
// counted: one conditional upsert, and the first count of a window clears
// windows that ended before staleBefore.
func takeSlot(ctx context.Context, coll *mongo.Collection, id string, window, staleBefore time.Time, limit int) (bool, error) {
	filter := bson.M{"_id": id, "n": bson.M{"$lt": limit}}
	res, err := coll.UpdateOne(ctx, filter, bson.M{"$inc": bson.M{"n": 1}, "$setOnInsert": bson.M{"hour": window}}, options.UpdateOne().SetUpsert(true))
	if err == nil {
		if res.UpsertedCount == 1 {
			_, err = coll.DeleteMany(ctx, bson.M{"hour": bson.M{"$lt": staleBefore}})
		}
		return true, err
	}
	if !mongox.IsDuplicateKey(err) {
		return false, err
	}
	res, err = coll.UpdateOne(ctx, filter, bson.M{"$inc": bson.M{"n": 1}})
	if err != nil {
		return false, err
	}
	return res.ModifiedCount == 1, nil
}

// LoginAttempts is the domain.LoginAttempts repository: one counter document
// per key and window, and one trust document per username and network.
type LoginAttempts struct{ *Store }

func attemptID(key string, window time.Time) string {
	return key + "|" + strconv.FormatInt(window.Unix(), 10)
}

// Take counts an attempt in one conditional upsert.
func (r LoginAttempts) Take(ctx context.Context, key string, window time.Time, limit int) (bool, error) {
	// Windows are at most an hour long: counters older than a day are stale.
	return takeSlot(ctx, r.AdminAttempts, attemptID(key, window), window, window.Add(-24*time.Hour), limit)
}

// Forget drops a counter.
func (r LoginAttempts) Forget(ctx context.Context, key string, window time.Time) error {
	_, err := r.AdminAttempts.DeleteOne(ctx, bson.M{"_id": attemptID(key, window)})
	return err
}

// Trusted reads a trust document by id.
func (r LoginAttempts) Trusted(ctx context.Context, key string, now time.Time) (bool, error) {
	var d struct {
		Until time.Time `bson:"until"`
	}
	err := r.AdminAttempts.FindOne(ctx, bson.M{"_id": key}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil && d.Until.After(now), err
}

// Trust writes a trust document.
func (r LoginAttempts) Trust(ctx context.Context, key string, until time.Time) error {
	_, err := r.AdminAttempts.UpdateOne(ctx, bson.M{"_id": key}, bson.M{"$set": bson.M{"until": until}}, options.UpdateOne().SetUpsert(true))
	return err
}
