package mongostore

import (
	"context"
	"errors"
	"regexp"
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

// live is the condition of a member that has not deleted the account.
// Documents written before deletion existed have no field, hence $ne.
func live() bson.M { return bson.M{"deleted": bson.M{"$ne": true}} }

// updateLive applies update to a live member and reads it back. Every
// writer of a member document goes through mongox.UpdateIf, so on the
// embedded store each write touches the document by _id only.
func (r Members) updateLive(ctx context.Context, id string, cond, update bson.M) (bool, error) {
	for k, v := range live() {
		cond[k] = v
	}
	return mongox.UpdateIf(ctx, r.Members, id, cond, update)
}

func (r Members) findAndUpdate(ctx context.Context, id string, update bson.M) (domain.Member, error) {
	ok, err := r.updateLive(ctx, id, bson.M{}, update)
	if err != nil {
		return domain.Member{}, err
	}
	if !ok {
		return domain.Member{}, app.ErrNotFound
	}
	return r.Get(ctx, id)
}

// UpdateProfile sets the fields the change names.
func (r Members) UpdateProfile(ctx context.Context, id string, p domain.ProfileChange) (domain.Member, error) {
	set := bson.M{}
	if p.Nickname != nil {
		set["nickname"] = *p.Nickname
	}
	if p.AvatarURL != nil {
		set["avatar_url"] = *p.AvatarURL
	}
	if p.Gender != nil {
		set["gender"] = string(*p.Gender)
	}
	if p.Birthday != nil {
		set["birthday"] = *p.Birthday
	}
	if p.SMS != nil {
		set["consent.sms"] = *p.SMS
	}
	if p.WechatSubscribe != nil {
		set["consent.wechat_subscribe"] = *p.WechatSubscribe
	}
	if p.InApp != nil {
		set["consent.in_app"] = *p.InApp
	}
	return r.findAndUpdate(ctx, id, bson.M{"$set": set})
}

// SetBlocked writes the flag and member.blocked together.
func (r Members) SetBlocked(ctx context.Context, id string, ev domain.BlockChanged) (domain.Member, error) {
	e, err := events.Blocked(ctx, ev)
	if err != nil {
		return domain.Member{}, err
	}
	m, err := r.findAndUpdate(ctx, id, bson.M{"$set": bson.M{"blocked": ev.Blocked}, "$push": outbox.Push(ev.At, e)})
	if err == nil {
		r.Flush(r.Members, id)
	}
	return m, err
}

// Anonymise overwrites the personal data, empties the address book and
// queues member.deleted, all in one write that only a live member matches.
func (r Members) Anonymise(ctx context.Context, anon domain.Member, ev domain.Deleted) (bool, error) {
	e, err := events.Deleted(ctx, ev)
	if err != nil {
		return false, err
	}
	done, err := r.updateLive(ctx, anon.ID, bson.M{}, bson.M{
		"$set": bson.M{"phone": anon.Phone, "nickname": anon.Nickname, "avatar_url": "", "gender": "", "birthday": "",
			"consent": consentDoc{}, "deleted": true, "deleted_at": ev.At, "addresses": bson.A{}},
		"$unset": bson.M{"openid": "", "openids": "", "unionid": ""},
		"$inc":   bson.M{"addr_rev": 1},
		"$push":  outbox.Push(ev.At, e),
	})
	if err != nil {
		return false, err
	}
	if done {
		r.Flush(r.Members, anon.ID)
	}
	// The WeChat ids are free again; a crash before this line is finished by
	// the member's retry, which releases even when nothing was left to anonymise.
	return done, r.release(ctx, anon.ID, nil)
}

// Search filters live members and pages by id order.
func (r Members) Search(ctx context.Context, q domain.MemberQuery, offset, limit int) ([]domain.Member, error) {
	f := bson.M{"deleted": bson.M{"$ne": true}}
	if q.Phone != "" {
		f["phone"] = q.Phone
	}
	if q.Nickname != "" {
		f["nickname"] = bson.M{"$regex": regexp.QuoteMeta(q.Nickname)}
	}
	if q.Channel != "" {
		f["channel"] = q.Channel
	}
	return mongox.FindAll(ctx, r.Members, f, memberDoc.domain, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetSkip(int64(offset)).SetLimit(int64(limit)).SetProjection(memberFields))
}

type addressDoc struct {
	ID           string    `bson:"id"`
	ReceiverName string    `bson:"receiver_name"`
	Phone        string    `bson:"phone"`
	Province     string    `bson:"province"`
	City         string    `bson:"city"`
	District     string    `bson:"district"`
	Detail       string    `bson:"detail"`
	IsDefault    bool      `bson:"is_default"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`
}

// AddressBook reads the addresses of a live member.
func (r Members) AddressBook(ctx context.Context, memberID string) (domain.AddressBook, error) {
	var d struct {
		Addresses []addressDoc `bson:"addresses"`
		Rev       int64        `bson:"addr_rev"`
		Deleted   bool         `bson:"deleted"`
	}
	err := r.Members.FindOne(ctx, bson.M{"_id": memberID}, options.FindOne().SetProjection(bson.M{"addresses": 1, "addr_rev": 1, "deleted": 1})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) || d.Deleted {
		return domain.AddressBook{}, app.ErrNotFound
	}
	if err != nil {
		return domain.AddressBook{}, err
	}
	b := domain.AddressBook{Rev: d.Rev, Addresses: make([]domain.Address, len(d.Addresses))}
	for i, a := range d.Addresses {
		b.Addresses[i] = domain.Address{ID: a.ID, ReceiverName: a.ReceiverName, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District,
			Detail: a.Detail, IsDefault: a.IsDefault, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	}
	return b, nil
}

// SaveAddressBook is the compare-and-set on the book's revision.
func (r Members) SaveAddressBook(ctx context.Context, memberID string, rev int64, list []domain.Address) (bool, error) {
	docs := make([]addressDoc, len(list))
	for i, a := range list {
		docs[i] = addressDoc{ID: a.ID, ReceiverName: a.ReceiverName, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District,
			Detail: a.Detail, IsDefault: a.IsDefault, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	}
	cond := bson.M{"addr_rev": rev}
	if rev == 0 {
		// Members created before address books existed have no revision yet.
		cond["addr_rev"] = bson.M{"$in": bson.A{int64(0), nil}}
	}
	return r.updateLive(ctx, memberID, cond, bson.M{"$set": bson.M{"addresses": docs}, "$inc": bson.M{"addr_rev": 1}})
}

type wechatIDDoc struct {
	Key      string    `bson:"_id"`
	MemberID string    `bson:"member_id"`
	At       time.Time `bson:"created_at"`
}

// ByWechat follows a WeChat id claim to its member.
func (r Members) ByWechat(ctx context.Context, key string) (domain.Member, error) {
	var d wechatIDDoc
	if err := r.WechatIDs.FindOne(ctx, bson.M{"_id": key}).Decode(&d); err != nil {
		return domain.Member{}, notFound(err)
	}
	return r.Get(ctx, d.MemberID)
}

// claim makes key memberID's: ok is false when another member holds it,
// inserted tells whether this call made the claim (rather than finding it).
func (r Members) claim(ctx context.Context, key, memberID string) (ok, inserted bool, err error) {
	_, err = r.WechatIDs.InsertOne(ctx, wechatIDDoc{Key: key, MemberID: memberID, At: time.Now().UTC()})
	if err == nil {
		return true, true, nil
	}
	if !mongox.IsDuplicateKey(err) {
		return false, false, err
	}
	var d wechatIDDoc
	if err := r.WechatIDs.FindOne(ctx, bson.M{"_id": key}).Decode(&d); err != nil {
		return false, false, err
	}
	return d.MemberID == memberID, false, nil
}

// release gives up the given claims of memberID (all of them when keys is
// nil); claims of other members are never touched.
func (r Members) release(ctx context.Context, memberID string, keys []string) error {
	f := bson.M{"member_id": memberID}
	if keys != nil {
		if len(keys) == 0 {
			return nil
		}
		f["_id"] = bson.M{"$in": keys}
	}
	_, err := r.WechatIDs.DeleteMany(ctx, f)
	return err
}

// BindWechat claims the ids first (the unique _id decides between members),
// then records them on the member if it has no other openid. A claim left
// behind by a failed step is released before returning.
func (r Members) BindWechat(ctx context.Context, memberID, app, openid, unionid string) (domain.Member, error) {
	keys := []string{domain.OpenIDKey(openid)}
	if unionid != "" {
		keys = append(keys, domain.UnionIDKey(unionid))
	}
	claimed := []string{} // made by this call, so undone on failure
	for _, k := range keys {
		ok, inserted, err := r.claim(ctx, k, memberID)
		if err != nil || !ok {
			_ = r.release(ctx, memberID, claimed)
			if err == nil {
				err = domain.ErrWechatAlreadyBound
			}
			return domain.Member{}, err
		}
		if inserted {
			claimed = append(claimed, k)
		}
	}
	// The main app's openid keeps its original field, so members bound
	// before other apps existed read the same; app ids are validated
	// (letters, digits, '_', '-') before they become a field name.
	field := "openid"
	if app != "" {
		field = "openids." + app
	}
	set := bson.M{field: openid}
	if unionid != "" {
		set["unionid"] = unionid
	}
	ok, err := r.updateLive(ctx, memberID, bson.M{field: bson.M{"$in": bson.A{nil, "", openid}}}, bson.M{"$set": set})
	if err != nil {
		_ = r.release(ctx, memberID, claimed)
		return domain.Member{}, err
	}
	if !ok {
		_ = r.release(ctx, memberID, claimed)
		if _, gerr := r.Get(ctx, memberID); gerr != nil {
			return domain.Member{}, notFound(gerr)
		}
		return domain.Member{}, domain.ErrWechatBoundToOther
	}
	return r.Get(ctx, memberID)
}
