package app

import (
	"context"
	"errors"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// Inboxes are members' own inbox and subscription use cases.
type Inboxes struct {
	inboxes InboxStore
	subs    SubscriptionStore
}

// NewInboxes builds the inbox use cases.
func NewInboxes(inboxes InboxStore, subs SubscriptionStore) *Inboxes {
	return &Inboxes{inboxes: inboxes, subs: subs}
}

// Page is a page of a member's inbox.
type Page struct {
	Messages []domain.InboxMessage
	Unread   int
	// After is the id to continue after, "" on the last page.
	After string
}

// List pages through the member's inbox, newest first.
func (s *Inboxes) List(ctx context.Context, memberID, after string, size int, unreadOnly bool) (Page, error) {
	if size < 0 {
		return Page{}, fault.New(fault.Invalid, domain.ReasonPageSizeInvalid, "page_size must not be negative", "field", "page_size")
	}
	if size == 0 {
		size = 20
	}
	size = min(size, 50)
	b, err := s.inboxes.Inbox(ctx, memberID)
	if err != nil {
		return Page{}, err
	}
	msgs, more, err := b.Page(after, size, unreadOnly)
	if err != nil {
		return Page{}, err
	}
	p := Page{Messages: msgs, Unread: b.Unread()}
	if more {
		p.After = msgs[len(msgs)-1].ID
	}
	return p, nil
}

// MarkRead marks the member's messages read and answers the unread count.
func (s *Inboxes) MarkRead(ctx context.Context, memberID string, ids []string, all bool) (int, error) {
	b, err := modifyInbox(ctx, s.inboxes, memberID, func(b *domain.Inbox) (bool, error) {
		return len(b.Messages) > 0, b.MarkRead(ids, all)
	})
	return b.Unread(), err
}

// Delete removes one of the member's messages and answers the unread count.
func (s *Inboxes) Delete(ctx context.Context, memberID, id string) (int, error) {
	b, err := modifyInbox(ctx, s.inboxes, memberID, func(b *domain.Inbox) (bool, error) { return true, b.Delete(id) })
	return b.Unread(), err
}

// Subscribe records the member's one-time WeChat grants.
func (s *Inboxes) Subscribe(ctx context.Context, memberID string, templateIDs []string) (map[string]int, error) {
	for range casAttempts {
		subs, err := s.subs.Subscriptions(ctx, memberID)
		if err != nil {
			return nil, err
		}
		subs.MemberID = memberID
		if err := subs.Grant(templateIDs); err != nil {
			return nil, err
		}
		err = s.subs.SaveSubscriptions(ctx, subs)
		if errors.Is(err, ErrStale) {
			continue
		}
		return subs.Quota, err
	}
	return nil, ErrStale
}

// SetUnsubscribed records the member's marketing choice on a channel and
// answers every channel's.
func (s *Inboxes) SetUnsubscribed(ctx context.Context, memberID string, ch domain.Channel, off bool) (map[domain.Channel]bool, error) {
	for range casAttempts {
		subs, err := s.subs.Subscriptions(ctx, memberID)
		if err != nil {
			return nil, err
		}
		subs.MemberID = memberID
		if err := subs.SetUnsubscribed(ch, off); err != nil {
			return nil, err
		}
		err = s.subs.SaveSubscriptions(ctx, subs)
		if errors.Is(err, ErrStale) {
			continue
		}
		return subs.Unsubscribed, err
	}
	return nil, ErrStale
}
