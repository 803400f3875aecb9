package domain

import (
	"slices"
	"time"

	"siyu.dev/pkg/fault"
)

// InboxMessage is one entry of a member's in-app inbox.
type InboxMessage struct {
	ID, Title, Body, Link string
	EventType             string
	Read                  bool
	At                    time.Time
}

// Inbox is a member's in-app messages, newest last; it keeps the latest
// InboxLimit so a member's document stays small however long they shop.
type Inbox struct {
	MemberID string
	Messages []InboxMessage
	Version  int64
}

// InboxLimit is how many messages an inbox keeps.
const InboxLimit = 200

var errNoMessage = fault.New(fault.NotFound, ReasonMessageNotFound, "no such message")

// Add appends m unless a message with its id is there (a redelivered event
// adds nothing); the oldest go beyond the limit. It reports whether m was added.
func (b *Inbox) Add(m InboxMessage) bool {
	if slices.ContainsFunc(b.Messages, func(x InboxMessage) bool { return x.ID == m.ID }) {
		return false
	}
	b.Messages = append(b.Messages, m)
	if n := len(b.Messages) - InboxLimit; n > 0 {
		b.Messages = slices.Delete(b.Messages, 0, n)
	}
	return true
}

// Unread counts the unread messages.
func (b *Inbox) Unread() int {
	n := 0
	for _, m := range b.Messages {
		if !m.Read {
			n++
		}
	}
	return n
}

// MarkRead marks ids read (every message with all); an unknown id is
// MESSAGE_NOT_FOUND and nothing changes.
func (b *Inbox) MarkRead(ids []string, all bool) error {
	for _, id := range ids {
		if !slices.ContainsFunc(b.Messages, func(x InboxMessage) bool { return x.ID == id }) {
			return errNoMessage.With("message_id", id)
		}
	}
	for i := range b.Messages {
		if all || slices.Contains(ids, b.Messages[i].ID) {
			b.Messages[i].Read = true
		}
	}
	return nil
}

// Delete removes message id.
func (b *Inbox) Delete(id string) error {
	i := slices.IndexFunc(b.Messages, func(x InboxMessage) bool { return x.ID == id })
	if i < 0 {
		return errNoMessage.With("message_id", id)
	}
	b.Messages = slices.Delete(b.Messages, i, i+1)
	return nil
}

// Page is up to size messages, newest first, starting after the message
// with id after ("" from the newest), and whether more follow.
func (b *Inbox) Page(after string, size int, unreadOnly bool) ([]InboxMessage, bool, error) {
	start := len(b.Messages) - 1
	if after != "" {
		i := slices.IndexFunc(b.Messages, func(x InboxMessage) bool { return x.ID == after })
		if i < 0 {
			return nil, false, fault.New(fault.Invalid, ReasonPageTokenInvalid, "page_token does not name a message of this inbox", "field", "page_token")
		}
		start = i - 1
	}
	var out []InboxMessage
	for i := start; i >= 0; i-- {
		if unreadOnly && b.Messages[i].Read {
			continue
		}
		if len(out) == size {
			return out, true, nil
		}
		out = append(out, b.Messages[i])
	}
	return out, false, nil
}

// Subscriptions are a member's messaging preferences kept by this service:
// one-time WeChat subscribe permissions per template id, the channels the
// member unsubscribed from marketing on, and when marketing last reached
// them (for the caps).
type Subscriptions struct {
	MemberID      string
	Quota         map[string]int
	Unsubscribed  map[Channel]bool
	MarketingSent []time.Time
	Version       int64
}

// marketingMemory is how many marketing send times are kept: enough for a
// weekly cap.
const marketingMemory = 50

// Marketed records a marketing message sent at at.
func (s *Subscriptions) Marketed(at time.Time) {
	s.MarketingSent = append(s.MarketingSent, at)
	if n := len(s.MarketingSent) - marketingMemory; n > 0 {
		s.MarketingSent = slices.Delete(s.MarketingSent, 0, n)
	}
}

// SetUnsubscribed records the member's choice for marketing on channel.
func (s *Subscriptions) SetUnsubscribed(ch Channel, off bool) error {
	if !ch.Valid() {
		return fault.New(fault.Invalid, ReasonChannelInvalid, "channel is in_app, sms or wechat_subscribe", "field", "channel")
	}
	if s.Unsubscribed == nil {
		s.Unsubscribed = map[Channel]bool{}
	}
	s.Unsubscribed[ch] = off
	return nil
}

// Limits of a subscription report.
const (
	maxReportedTemplates = 20
	maxTemplateIDLen     = 64
	// maxQuota bounds what one template accumulates: WeChat itself keeps
	// one-time grants, so a runaway client cannot pile up more.
	maxQuota = 100
)

// Grant adds one permission per reported template id.
func (s *Subscriptions) Grant(templateIDs []string) error {
	if len(templateIDs) == 0 || len(templateIDs) > maxReportedTemplates {
		return fault.New(fault.Invalid, ReasonSubscriptionInvalid, "report 1-20 template ids", "field", "template_ids")
	}
	for _, id := range templateIDs {
		if id == "" || len(id) > maxTemplateIDLen {
			return fault.New(fault.Invalid, ReasonSubscriptionInvalid, "a template id is 1-64 characters", "field", "template_ids")
		}
	}
	if s.Quota == nil {
		s.Quota = map[string]int{}
	}
	for _, id := range templateIDs {
		s.Quota[id] = min(s.Quota[id]+1, maxQuota)
	}
	return nil
}

// Spend uses one permission of templateID, reporting whether there was one.
func (s *Subscriptions) Spend(templateID string) bool {
	if s.Quota[templateID] <= 0 {
		return false
	}
	s.Quota[templateID]--
	return true
}
