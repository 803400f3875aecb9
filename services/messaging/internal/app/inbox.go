package app

import (
	"context"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// Inbox is the member's side: their messages and settings.
type Inbox struct {
	inboxes  Inboxes
	settings SettingsStore
}

// NewInbox wires the member's inbox use cases.
func NewInbox(i Inboxes, s SettingsStore) *Inbox { return &Inbox{inboxes: i, settings: s} }

// List returns a page of the member's messages, newest first, whether more
// follow, and the unread count. One read by the member's id.
func (x *Inbox) List(ctx context.Context, memberID, after string, n int) ([]domain.InboxMessage, bool, int, error) {
	b, err := x.inboxes.Get(ctx, memberID)
	if err != nil {
		return nil, false, 0, err
	}
	page, more, err := b.Page(after, n)
	return page, more, b.Unread(), err
}

// MarkRead marks messages read and returns the unread count.
func (x *Inbox) MarkRead(ctx context.Context, memberID string, ids []string, all bool) (int, error) {
	if len(ids) == 0 && !all {
		return 0, fault.New(fault.Invalid, domain.ReasonMessageNotFound, "name message_ids or set all", "field", "message_ids")
	}
	unread := 0
	err := updateInbox(ctx, x.inboxes, memberID, func(b *domain.Inbox) error {
		before := b.Unread()
		if err := b.MarkRead(ids, all); err != nil {
			return err
		}
		unread = b.Unread()
		if unread == before {
			return errUnchanged
		}
		return nil
	})
	return unread, err
}

// Delete removes one message and returns the unread count.
func (x *Inbox) Delete(ctx context.Context, memberID, id string) (int, error) {
	unread := 0
	err := updateInbox(ctx, x.inboxes, memberID, func(b *domain.Inbox) error {
		if err := b.Delete(id); err != nil {
			return err
		}
		unread = b.Unread()
		return nil
	})
	return unread, err
}

// Settings returns the member's message settings.
func (x *Inbox) Settings(ctx context.Context, memberID string) (domain.Settings, error) {
	return x.settings.Get(ctx, memberID)
}

// SetSubscribed unsubscribes from (or subscribes again to) a channel.
func (x *Inbox) SetSubscribed(ctx context.Context, memberID string, ch domain.Channel, on bool) (domain.Settings, error) {
	return x.updateSettings(ctx, memberID, func(s *domain.Settings) error { return s.SetSubscribed(ch, on) })
}

// Grant records WeChat one-time subscriptions.
func (x *Inbox) Grant(ctx context.Context, memberID string, ids []string) (domain.Settings, error) {
	return x.updateSettings(ctx, memberID, func(s *domain.Settings) error { return s.Grant(ids) })
}

func (x *Inbox) updateSettings(ctx context.Context, memberID string, change func(*domain.Settings) error) (domain.Settings, error) {
	for range 8 {
		s, err := x.settings.Get(ctx, memberID)
		if err != nil {
			return s, err
		}
		s.MemberID = memberID
		if err := change(&s); err != nil {
			return s, err
		}
		prev := s.Version
		s.Version = prev + 1
		if err := x.settings.Save(ctx, s, prev); err == nil || !conflict(err) {
			return s, err
		}
	}
	return domain.Settings{}, fault.New(fault.Aborted, domain.ReasonConflict, "settings kept changing; try again")
}

// Forget deletes what messaging keeps about a member who deleted their
// account: their inbox and settings. Deliveries stay in the log (member id,
// channel, status; no address) as the record of what was sent.
func (x *Inbox) Forget(ctx context.Context, memberID string) error {
	if err := x.inboxes.Delete(ctx, memberID); err != nil {
		return err
	}
	return x.settings.Delete(ctx, memberID)
}
