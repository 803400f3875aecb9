package domain

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// Who wrote a conversation message.
const (
	SenderMember = "member"
	SenderStaff  = "staff"
)

// Conversation statuses.
const (
	ConversationOpen   = "open"
	ConversationClosed = "closed"
)

// Kinds of conversation messages: text, or a card pointing at a product or
// an order.
const (
	KindText    = "text"
	KindProduct = "product"
	KindOrder   = "order"
)

// MaxConversationMessages bounds one conversation's document; a thread that
// long is better closed and a new one opened.
const MaxConversationMessages = 500

// ConvMessage is one message of a conversation.
type ConvMessage struct {
	ID         string
	Sender     string
	OperatorID string
	Kind       string
	Text       string
	RefID      string
	At         time.Time
}

var refID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func badMessage(msg string) error {
	return fault.New(fault.Invalid, ReasonConversationMessage, msg, "field", "message")
}

// NewConvMessage checks what a sender wrote: text of 1-1000 characters, or
// a product or order card with an id and an optional note.
func NewConvMessage(kind, text, ref string) (ConvMessage, error) {
	text = strings.TrimSpace(text)
	if kind == "" {
		kind = KindText
	}
	switch kind {
	case KindText:
		if text == "" {
			return ConvMessage{}, badMessage("a text message needs text")
		}
		ref = ""
	case KindProduct, KindOrder:
		if !refID.MatchString(ref) {
			return ConvMessage{}, badMessage("a " + kind + " card needs the " + kind + " id in ref_id")
		}
	default:
		return ConvMessage{}, badMessage(fmt.Sprintf("kind %q is not text, product or order", kind))
	}
	if utf8.RuneCountInString(text) > 1000 {
		return ConvMessage{}, badMessage("a message is at most 1000 characters")
	}
	return ConvMessage{Kind: kind, Text: text, RefID: ref}, nil
}

// Conversation is a member's thread with customer service.
type Conversation struct {
	ID             string
	MemberID       string
	Status         string
	Assignee       string
	UnreadByMember int
	UnreadByStaff  int
	Messages       []ConvMessage
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

var errClosed = fault.New(fault.Precondition, ReasonConversationClosed, "the conversation is closed; open a new one")

// Add appends m (its Sender, ID and At set by the caller) and counts it
// unread for the other side. A staff message assigns an unassigned
// conversation to its operator.
func (c *Conversation) Add(m ConvMessage) error {
	if c.Status == ConversationClosed {
		return errClosed
	}
	if len(c.Messages) >= MaxConversationMessages {
		return fault.New(fault.Precondition, ReasonConversationClosed, "the conversation is full; close it and open a new one")
	}
	c.Messages = append(c.Messages, m)
	c.UpdatedAt = m.At
	if m.Sender == SenderStaff {
		c.UnreadByMember++
		if c.Assignee == "" {
			c.Assignee = m.OperatorID
		}
	} else {
		c.UnreadByStaff++
	}
	return nil
}

// ReadBy marks the other side's messages read by sender's side and reports
// whether anything changed.
func (c *Conversation) ReadBy(sender string) bool {
	if sender == SenderMember {
		changed := c.UnreadByMember > 0
		c.UnreadByMember = 0
		return changed
	}
	changed := c.UnreadByStaff > 0
	c.UnreadByStaff = 0
	return changed
}

// Transfer assigns the open conversation to operator.
func (c *Conversation) Transfer(operator string) error {
	if strings.TrimSpace(operator) == "" {
		return fault.New(fault.Invalid, ReasonConversationMessage, "operator_id is required", "field", "operator_id")
	}
	if c.Status == ConversationClosed {
		return errClosed
	}
	c.Assignee = operator
	return nil
}

// Close ends the conversation; closing twice changes nothing.
func (c *Conversation) Close(at time.Time) bool {
	if c.Status == ConversationClosed {
		return false
	}
	c.Status, c.UpdatedAt = ConversationClosed, at
	return true
}

// MemberConversations is the member's list of conversation ids (the newest
// 20) and the open one: one document by the member's id, so the member's
// side never scans the conversations.
type MemberConversations struct {
	MemberID string
	IDs      []string
	Open     string
	Version  int64
}

// MaxMemberConversations is how many a member's list keeps.
const MaxMemberConversations = 20

// Opened records a new open conversation.
func (m *MemberConversations) Opened(id string) {
	m.Open = id
	m.IDs = append(m.IDs, id)
	if over := len(m.IDs) - MaxMemberConversations; over > 0 {
		m.IDs = append([]string(nil), m.IDs[over:]...)
	}
}

// QuickReply is a canned reply.
type QuickReply struct {
	ID, Title, Text string
}

var simpleID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Validate checks a quick reply.
func (q QuickReply) Validate() error {
	switch {
	case !simpleID.MatchString(q.ID):
		return fault.New(fault.Invalid, ReasonQuickReplyInvalid, "id: 1-64 lowercase letters, digits, '_' or '-'", "field", "quick_reply_id")
	case strings.TrimSpace(q.Title) == "" || utf8.RuneCountInString(q.Title) > 40:
		return fault.New(fault.Invalid, ReasonQuickReplyInvalid, "title: 1-40 characters", "field", "title")
	case strings.TrimSpace(q.Text) == "" || utf8.RuneCountInString(q.Text) > 1000:
		return fault.New(fault.Invalid, ReasonQuickReplyInvalid, "text: 1-1000 characters", "field", "text")
	}
	return nil
}

// Faq is a question members can search.
type Faq struct {
	ID, Question, Answer string
	Keywords             []string
}

// Validate checks an FAQ entry.
func (f Faq) Validate() error {
	switch {
	case !simpleID.MatchString(f.ID):
		return fault.New(fault.Invalid, ReasonFaqInvalid, "id: 1-64 lowercase letters, digits, '_' or '-'", "field", "faq_id")
	case strings.TrimSpace(f.Question) == "" || utf8.RuneCountInString(f.Question) > 200:
		return fault.New(fault.Invalid, ReasonFaqInvalid, "question: 1-200 characters", "field", "question")
	case strings.TrimSpace(f.Answer) == "" || utf8.RuneCountInString(f.Answer) > 2000:
		return fault.New(fault.Invalid, ReasonFaqInvalid, "answer: 1-2000 characters", "field", "answer")
	case len(f.Keywords) > 20:
		return fault.New(fault.Invalid, ReasonFaqInvalid, "at most 20 keywords", "field", "keywords")
	}
	return nil
}

// Matches reports whether every space-separated word of query appears in
// the question, answer or keywords, ignoring case. Chinese text has no
// spaces, so a word like 退货 matches inside 如何退货.
func (f Faq) Matches(query string) bool {
	hay := strings.ToLower(f.Question + "\n" + f.Answer + "\n" + strings.Join(f.Keywords, "\n"))
	for _, w := range strings.Fields(strings.ToLower(query)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
