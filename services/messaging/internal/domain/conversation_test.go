package domain

import (
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

func TestNewConvMessage(t *testing.T) {
	cases := []struct {
		kind, text, ref string
		ok              bool
	}{
		{"", "你好", "", true},
		{"text", "  ", "", false},
		{"product", "", "p-1", true},
		{"order", "这单呢", "ord_1", true},
		{"order", "", "", false},
		{"order", "", "bad id!", false},
		{"voice", "x", "", false},
		{"text", strings.Repeat("字", 1001), "", false},
	}
	for _, c := range cases {
		m, err := NewConvMessage(c.kind, c.text, c.ref)
		if (err == nil) != c.ok || (err != nil && fault.ReasonOf(err) != ReasonConversationMessage) {
			t.Errorf("%q %q %q: %v", c.kind, c.text, c.ref, err)
		}
		if err == nil && m.Kind == "" {
			t.Errorf("%q: no kind", c.text)
		}
	}
}

func TestConversationUnreadAssignAndClose(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	c := Conversation{Status: ConversationOpen}
	_ = c.Add(ConvMessage{Sender: SenderMember, At: t0})
	_ = c.Add(ConvMessage{Sender: SenderMember, At: t0})
	if c.UnreadByStaff != 2 || c.UnreadByMember != 0 || c.Assignee != "" {
		t.Fatalf("after the member: %+v", c)
	}
	_ = c.Add(ConvMessage{Sender: SenderStaff, OperatorID: "cs-1", At: t0.Add(time.Minute)})
	if c.UnreadByMember != 1 || c.Assignee != "cs-1" || !c.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the reply: %+v", c)
	}
	_ = c.Add(ConvMessage{Sender: SenderStaff, OperatorID: "cs-2", At: t0})
	if c.Assignee != "cs-1" {
		t.Fatal("a second operator's reply took the conversation over")
	}
	if !c.ReadBy(SenderStaff) || c.UnreadByStaff != 0 || c.ReadBy(SenderStaff) {
		t.Fatal("staff read")
	}
	if !c.Close(t0) || c.Close(t0) {
		t.Fatal("close is not idempotent")
	}
	if err := c.Add(ConvMessage{Sender: SenderMember}); fault.ReasonOf(err) != ReasonConversationClosed {
		t.Fatalf("add to closed: %v", err)
	}
	if err := c.Transfer("op"); fault.ReasonOf(err) != ReasonConversationClosed {
		t.Fatalf("transfer closed: %v", err)
	}
	var idx MemberConversations
	for i := range MaxMemberConversations + 3 {
		idx.Opened(string(rune('a' + i)))
	}
	if len(idx.IDs) != MaxMemberConversations || idx.IDs[0] != "d" || idx.Open != string(rune('a'+MaxMemberConversations+2)) {
		t.Fatalf("member list: %+v", idx)
	}
}

func TestFaqMatches(t *testing.T) {
	f := Faq{ID: "return", Question: "如何退货？", Answer: "收货 7 天内申请", Keywords: []string{"Refund"}}
	for q, want := range map[string]bool{"退货": true, "refund": true, "退货 7": true, "退货 换货": false, "": true} {
		if f.Matches(q) != want {
			t.Errorf("%q: want %v", q, want)
		}
	}
}
