package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/mongox"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Conversations are one document each by id; a member's list of them one
// document by member id; the staff queue scans conversations by status on
// the embedded store (an index on MongoDB).
type Conversations struct {
	convs, index, replies, faqs *mongo.Collection
}

// NewConversations uses db's collections.
func NewConversations(db *mongo.Database) *Conversations {
	return &Conversations{convs: db.Collection("conversations"), index: db.Collection("member_conversations"),
		replies: db.Collection("quick_replies"), faqs: db.Collection("faqs")}
}

// EnsureIndexes creates the queue's index.
func (s *Conversations) EnsureIndexes(ctx context.Context) error {
	return mongox.EnsureIndexes(ctx, s.convs, mongox.Index{Name: "status_assignee_updated",
		Keys: bson.D{{Key: "status", Value: 1}, {Key: "assignee", Value: 1}, {Key: "updated_at", Value: 1}}})
}

// Views as the app's ports.
func (s *Conversations) Store() app.ConversationStore   { return convStore{s} }
func (s *Conversations) QuickReplies() app.QuickReplies { return replyStore{s} }
func (s *Conversations) Faqs() app.Faqs                 { return faqStore{s} }

type convDoc struct {
	ID        string              `bson:"_id"`
	Version   int64               `bson:"version"`
	Status    string              `bson:"status"`
	Assignee  string              `bson:"assignee"`
	UpdatedAt time.Time           `bson:"updated_at"`
	C         domain.Conversation `bson:"c"`
}

func fromConvDoc(d convDoc) domain.Conversation {
	c := d.C
	c.Version = d.Version
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	for i := range c.Messages {
		c.Messages[i].At = c.Messages[i].At.UTC()
	}
	return c
}

type convStore struct{ *Conversations }

func (s convStore) Get(ctx context.Context, id string) (domain.Conversation, error) {
	var d convDoc
	found, err := getByID(ctx, s.convs, id, &d)
	if err == nil && !found {
		err = fault.New(fault.NotFound, domain.ReasonConversationNotFound, "no such conversation")
	}
	return fromConvDoc(d), err
}

func (s convStore) Save(ctx context.Context, c domain.Conversation, prev int64) error {
	return saveIf(ctx, s.convs, c.ID, prev, convDoc{ID: c.ID, Version: c.Version, Status: c.Status, Assignee: c.Assignee, UpdatedAt: c.UpdatedAt, C: c})
}

func (s convStore) Queue(ctx context.Context, status, assignee string, n int) ([]domain.Conversation, error) {
	f := bson.M{"status": status}
	switch assignee {
	case "":
	case "none":
		f["assignee"] = ""
	default:
		f["assignee"] = assignee
	}
	return mongox.FindAll(ctx, s.convs, f, fromConvDoc, options.Find().SetSort(bson.D{{Key: "updated_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(n)))
}

type indexDoc struct {
	ID      string                     `bson:"_id"`
	Version int64                      `bson:"version"`
	M       domain.MemberConversations `bson:"m"`
}

func (s convStore) Index(ctx context.Context, memberID string) (domain.MemberConversations, error) {
	var d indexDoc
	if _, err := getByID(ctx, s.index, memberID, &d); err != nil {
		return domain.MemberConversations{}, err
	}
	m := d.M
	m.MemberID, m.Version = memberID, d.Version
	return m, nil
}

func (s convStore) SaveIndex(ctx context.Context, m domain.MemberConversations, prev int64) error {
	return saveIf(ctx, s.index, m.MemberID, prev, indexDoc{ID: m.MemberID, Version: m.Version, M: m})
}

func (s convStore) Forget(ctx context.Context, memberID string, ids []string) error {
	// Conversations first: a crash between leaves the list, and the next
	// redelivery of the deletion finds and deletes the rest.
	for _, id := range ids {
		if _, err := s.convs.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			return err
		}
	}
	_, err := s.index.DeleteOne(ctx, bson.M{"_id": memberID})
	return err
}

type replyDoc struct {
	ID string            `bson:"_id"`
	Q  domain.QuickReply `bson:"q"`
}

type replyStore struct{ *Conversations }

func (s replyStore) Put(ctx context.Context, q domain.QuickReply) error {
	_, err := s.replies.ReplaceOne(ctx, bson.M{"_id": q.ID}, replyDoc{ID: q.ID, Q: q}, options.Replace().SetUpsert(true))
	return err
}

func (s replyStore) Delete(ctx context.Context, id string) error {
	_, err := s.replies.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

func (s replyStore) List(ctx context.Context) ([]domain.QuickReply, error) {
	return mongox.FindAll(ctx, s.replies, bson.M{}, func(d replyDoc) domain.QuickReply { return d.Q }, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

type faqDoc struct {
	ID string     `bson:"_id"`
	F  domain.Faq `bson:"f"`
}

type faqStore struct{ *Conversations }

func (s faqStore) Put(ctx context.Context, f domain.Faq) error {
	_, err := s.faqs.ReplaceOne(ctx, bson.M{"_id": f.ID}, faqDoc{ID: f.ID, F: f}, options.Replace().SetUpsert(true))
	return err
}

func (s faqStore) Delete(ctx context.Context, id string) error {
	_, err := s.faqs.DeleteOne(ctx, bson.M{"_id": id})
	return err
}

func (s faqStore) List(ctx context.Context) ([]domain.Faq, error) {
	return mongox.FindAll(ctx, s.faqs, bson.M{}, func(d faqDoc) domain.Faq { return d.F }, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}
