package domain

import (
	"time"

	"siyu.dev/pkg/fault"
)

// InboxCap is how many messages an inbox keeps; older ones drop off. The
// whole inbox is one document reached by the member's id, so listing it,
// counting unread and marking read cost the same whatever the number of
// members, and the cap bounds the document.
const InboxCap = 200

// InboxMessage is one entry of a member's inbox.
type InboxMessage struct {
	ID       string
	Title    string
	Body     string
	Link     string
	Category Category
	Read     bool
	At       time.Time
}

// Inbox is a member's in-app messages, oldest first.
type Inbox struct {
	MemberID string
	Messages []InboxMessage
	// Version counts writes (0: never stored); saves compare it.
	Version int64
}

var errMessageNotFound = fault.New(fault.NotFound, ReasonMessageNotFound, "no such message")

// Add appends m unless a message with its id is already there (a delivery
// retried after a crash), dropping the oldest beyond InboxCap. It reports
// whether it added.
func (b *Inbox) Add(m InboxMessage) bool {
	for _, x := range b.Messages {
		if x.ID == m.ID {
			return false
		}
	}
	b.Messages = append(b.Messages, m)
	if over := len(b.Messages) - InboxCap; over > 0 {
		b.Messages = append([]InboxMessage(nil), b.Messages[over:]...)
	}
	return true
}

// Unread counts the unread messages.
func (b Inbox) Unread() int {
	n := 0
	for _, m := range b.Messages {
		if !m.Read {
			n++
		}
	}
	return n
}

// MarkRead marks ids (or every message) read. An id not in the inbox —
// another member's, or deleted — is NOT_FOUND and nothing changes.
func (b *Inbox) MarkRead(ids []string, all bool) error {
	idx := make([]int, 0, len(ids))
	for _, id := range ids {
		i := b.find(id)
		if i < 0 {
			return errMessageNotFound
		}
		idx = append(idx, i)
	}
	for i := range b.Messages {
		if all {
			b.Messages[i].Read = true
		}
	}
	for _, i := range idx {
		b.Messages[i].Read = true
	}
	return nil
}

// Delete removes one message; NOT_FOUND when it is not there.
func (b *Inbox) Delete(id string) error {
	i := b.find(id)
	if i < 0 {
		return errMessageNotFound
	}
	b.Messages = append(b.Messages[:i:i], b.Messages[i+1:]...)
	return nil
}

func (b Inbox) find(id string) int {
	for i, m := range b.Messages {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// Page returns up to n messages newest first, starting after the message
// with id after (empty: from the newest), and whether more follow.
func (b Inbox) Page(after string, n int) ([]InboxMessage, bool, error) {
	start := len(b.Messages) - 1
	if after != "" {
		i := b.find(after)
		if i < 0 {
			// The message the token points at was deleted or dropped off:
			// the listing cannot resume where it was.
			return nil, false, fault.New(fault.Invalid, ReasonPageTokenInvalid, "the page token's message is gone; list again from the start", "field", "page_token")
		}
		start = i - 1
	}
	var out []InboxMessage
	for i := start; i >= 0 && len(out) < n; i-- {
		out = append(out, b.Messages[i])
	}
	more := start-len(out) >= 0
	return out, more, nil
}
