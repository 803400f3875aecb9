package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// ConversationStore keeps conversations by id and each member's list of
// them by member id.
type ConversationStore interface {
	Get(ctx context.Context, id string) (domain.Conversation, error)
	// Save writes c if the stored version is prev (0: insert).
	Save(ctx context.Context, c domain.Conversation, prev int64) error
	// Queue lists up to n conversations with status (and assignee, when
	// not empty; "none" for unassigned), least recently updated first.
	Queue(ctx context.Context, status, assignee string, n int) ([]domain.Conversation, error)
	Index(ctx context.Context, memberID string) (domain.MemberConversations, error)
	SaveIndex(ctx context.Context, m domain.MemberConversations, prev int64) error
	// Forget deletes the member's list and the conversations it names.
	Forget(ctx context.Context, memberID string, ids []string) error
}

// QuickReplies and Faqs keep the canned replies and FAQ entries by id.
type QuickReplies interface {
	Put(ctx context.Context, q domain.QuickReply) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context) ([]domain.QuickReply, error)
}

type Faqs interface {
	Put(ctx context.Context, f domain.Faq) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context) ([]domain.Faq, error)
}

// Conversations is customer service on both sides.
type Conversations struct {
	store   ConversationStore
	replies QuickReplies
	faqs    Faqs
	clock   clock.Clock
}

// NewConversations wires customer service.
func NewConversations(s ConversationStore, q QuickReplies, f Faqs, c clock.Clock) *Conversations {
	return &Conversations{store: s, replies: q, faqs: f, clock: c}
}

func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

var errConversationNotFound = fault.New(fault.NotFound, domain.ReasonConversationNotFound, "no such conversation")

// Open adds m to the member's open conversation, or opens one with it. The
// member's list names the new id before the conversation is written, so
// concurrent opens agree on one id; whoever then writes the conversation
// first creates it and the others add their message to it. A list naming a
// conversation never written (a crash in between) gets it written now.
func (x *Conversations) Open(ctx context.Context, memberID string, m domain.ConvMessage) (domain.Conversation, error) {
	create := func(id string) (domain.Conversation, error) {
		now := x.clock.Now()
		c := domain.Conversation{ID: id, MemberID: memberID, Status: domain.ConversationOpen, CreatedAt: now, UpdatedAt: now, Version: 1}
		first := m
		first.ID, first.Sender, first.At, first.OperatorID = newID("cm_"), domain.SenderMember, now, ""
		if err := c.Add(first); err != nil {
			return c, err
		}
		return c, x.store.Save(ctx, c, 0)
	}
	for range 8 {
		idx, err := x.store.Index(ctx, memberID)
		if err != nil {
			return domain.Conversation{}, err
		}
		if idx.Open != "" {
			c, err := x.store.Get(ctx, idx.Open)
			switch {
			case err == nil && c.Status == domain.ConversationOpen:
				return x.Send(ctx, memberID, c.ID, m)
			case fault.KindOf(err) == fault.NotFound:
				c, err := create(idx.Open)
				if conflict(err) {
					continue // another open wrote it first: add to it
				}
				return c, err
			case err != nil:
				return c, err
			}
		}
		id := newID("cv_")
		prev := idx.Version
		idx.MemberID = memberID
		idx.Opened(id)
		idx.Version = prev + 1
		if err := x.store.SaveIndex(ctx, idx, prev); conflict(err) {
			continue
		} else if err != nil {
			return domain.Conversation{}, err
		}
		c, err := create(id)
		if conflict(err) {
			continue
		}
		return c, err
	}
	return domain.Conversation{}, fault.New(fault.Aborted, domain.ReasonConflict, "conversations kept changing; try again")
}

// update applies change to a conversation with compare-and-set; owner,
// when set, must be its member (otherwise NOT_FOUND: ids reveal nothing).
func (x *Conversations) update(ctx context.Context, id, owner string, change func(*domain.Conversation) (bool, error)) (domain.Conversation, error) {
	for range 8 {
		c, err := x.store.Get(ctx, id)
		if err != nil {
			return c, err
		}
		if owner != "" && c.MemberID != owner {
			return domain.Conversation{}, errConversationNotFound
		}
		changed, err := change(&c)
		if err != nil || !changed {
			return c, err
		}
		prev := c.Version
		c.Version = prev + 1
		if err := x.store.Save(ctx, c, prev); err == nil || !conflict(err) {
			return c, err
		}
	}
	return domain.Conversation{}, fault.New(fault.Aborted, domain.ReasonConflict, "the conversation kept changing; try again")
}

// Send adds the member's message to their conversation.
func (x *Conversations) Send(ctx context.Context, memberID, id string, m domain.ConvMessage) (domain.Conversation, error) {
	m.ID, m.Sender, m.At, m.OperatorID = newID("cm_"), domain.SenderMember, x.clock.Now(), ""
	return x.update(ctx, id, memberID, func(c *domain.Conversation) (bool, error) { return true, c.Add(m) })
}

// Mine lists the member's conversations, newest first, and their unread
// replies in all. Each is read by its id.
func (x *Conversations) Mine(ctx context.Context, memberID string) ([]domain.Conversation, int, error) {
	idx, err := x.store.Index(ctx, memberID)
	if err != nil {
		return nil, 0, err
	}
	var out []domain.Conversation
	unread := 0
	for _, id := range slices.Backward(idx.IDs) {
		c, err := x.store.Get(ctx, id)
		if fault.KindOf(err) == fault.NotFound {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
		unread += c.UnreadByMember
	}
	return out, unread, nil
}

// GetMine returns one of the member's conversations and marks the replies read.
func (x *Conversations) GetMine(ctx context.Context, memberID, id string) (domain.Conversation, error) {
	return x.update(ctx, id, memberID, func(c *domain.Conversation) (bool, error) { return c.ReadBy(domain.SenderMember), nil })
}

// Queue lists conversations for staff.
func (x *Conversations) Queue(ctx context.Context, status, assignee string) ([]domain.Conversation, error) {
	if status == "" {
		status = domain.ConversationOpen
	}
	if status != domain.ConversationOpen && status != domain.ConversationClosed {
		return nil, fault.New(fault.Invalid, domain.ReasonConversationMessage, "status is open or closed", "field", "status")
	}
	return x.store.Queue(ctx, status, assignee, 100)
}

// Get returns a conversation to staff and marks the member's messages read.
func (x *Conversations) Get(ctx context.Context, id string) (domain.Conversation, error) {
	return x.update(ctx, id, "", func(c *domain.Conversation) (bool, error) { return c.ReadBy(domain.SenderStaff), nil })
}

// Reply adds operator's reply; their reading the thread marks it read.
func (x *Conversations) Reply(ctx context.Context, operator, id string, m domain.ConvMessage) (domain.Conversation, error) {
	m.ID, m.Sender, m.At, m.OperatorID = newID("cm_"), domain.SenderStaff, x.clock.Now(), operator
	return x.update(ctx, id, "", func(c *domain.Conversation) (bool, error) {
		if err := c.Add(m); err != nil {
			return false, err
		}
		c.ReadBy(domain.SenderStaff)
		return true, nil
	})
}

// Transfer assigns a conversation to another operator.
func (x *Conversations) Transfer(ctx context.Context, id, operator string) (domain.Conversation, error) {
	return x.update(ctx, id, "", func(c *domain.Conversation) (bool, error) { return true, c.Transfer(operator) })
}

// Close closes a conversation.
func (x *Conversations) Close(ctx context.Context, id string) (domain.Conversation, error) {
	now := x.clock.Now()
	return x.update(ctx, id, "", func(c *domain.Conversation) (bool, error) { return c.Close(now), nil })
}

// Forget deletes a member's conversations when they delete their account:
// what they wrote to customer service goes with them.
func (x *Conversations) Forget(ctx context.Context, memberID string) error {
	idx, err := x.store.Index(ctx, memberID)
	if err != nil {
		return err
	}
	return x.store.Forget(ctx, memberID, idx.IDs)
}

// QuickReplies lists the canned replies.
func (x *Conversations) QuickReplies(ctx context.Context) ([]domain.QuickReply, error) {
	return x.replies.List(ctx)
}

// SetQuickReply stores a canned reply.
func (x *Conversations) SetQuickReply(ctx context.Context, q domain.QuickReply) (domain.QuickReply, error) {
	if err := q.Validate(); err != nil {
		return q, err
	}
	return q, x.replies.Put(ctx, q)
}

// DeleteQuickReply removes a canned reply.
func (x *Conversations) DeleteQuickReply(ctx context.Context, id string) error {
	return x.replies.Delete(ctx, id)
}

// SetFaq stores an FAQ entry.
func (x *Conversations) SetFaq(ctx context.Context, f domain.Faq) (domain.Faq, error) {
	if err := f.Validate(); err != nil {
		return f, err
	}
	return f, x.faqs.Put(ctx, f)
}

// DeleteFaq removes an FAQ entry.
func (x *Conversations) DeleteFaq(ctx context.Context, id string) error {
	return x.faqs.Delete(ctx, id)
}

// SearchFaqs returns the entries matching query. The FAQ is a shop's few
// dozen or hundred answers, read whole and matched in memory.
func (x *Conversations) SearchFaqs(ctx context.Context, query string) ([]domain.Faq, error) {
	all, err := x.faqs.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []domain.Faq
	for _, f := range all {
		if f.Matches(query) {
			out = append(out, f)
		}
	}
	return out, nil
}
