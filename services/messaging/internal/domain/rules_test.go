package domain

import "testing"

func TestDefaultRulesAreValidTemplates(t *testing.T) {
	for _, withWechat := range []bool{false, true} {
		tpl := map[string]string{}
		if withWechat {
			tpl = map[string]string{EventOrderPaid: "tpl-paid", EventOrderShipped: "tpl-shipped", EventOrderRefunded: "tpl-refunded"}
		}
		for _, r := range DefaultRules(tpl) {
			if err := r.Template.Validate(); err != nil {
				t.Errorf("%s (wechat %v): %v", r.EventType, withWechat, err)
			}
			if got := len(r.Template.Channels()); (withWechat && got != 2) || (!withWechat && got != 1) {
				t.Errorf("%s (wechat %v): channels %v", r.EventType, withWechat, r.Template.Channels())
			}
		}
	}
}

func TestInbox(t *testing.T) {
	var b Inbox
	for i := range InboxLimit + 5 {
		if !b.Add(InboxMessage{ID: string(rune('a'+i%26)) + string(rune('0'+i/26))}) {
			t.Fatalf("message %d not added", i)
		}
	}
	if len(b.Messages) != InboxLimit || b.Unread() != InboxLimit {
		t.Fatalf("kept %d, unread %d", len(b.Messages), b.Unread())
	}
	last := b.Messages[len(b.Messages)-1]
	if b.Add(last) {
		t.Fatal("a message with a known id is not added twice")
	}
	page, more, err := b.Page("", 3, false)
	if err != nil || len(page) != 3 || !more || page[0].ID != last.ID {
		t.Fatalf("first page: %v %v %v", page, more, err)
	}
	if err := b.MarkRead([]string{page[0].ID}, false); err != nil || b.Unread() != InboxLimit-1 {
		t.Fatalf("mark read: %v %d", err, b.Unread())
	}
	if err := b.MarkRead([]string{"nope"}, false); err == nil {
		t.Fatal("an unknown id is not found")
	}
	unread, _, _ := b.Page("", 1, true)
	if unread[0].ID != page[1].ID {
		t.Fatalf("unread only skips read messages: %v", unread)
	}
	next, _, err := b.Page(page[2].ID, 1, false)
	if err != nil || next[0].ID == page[2].ID {
		t.Fatalf("next page: %v %v", next, err)
	}
	if err := b.Delete(page[0].ID); err != nil || b.Delete(page[0].ID) == nil {
		t.Fatalf("delete once: %v", err)
	}
	if _, _, err := b.Page("nope", 1, false); err == nil {
		t.Fatal("a token naming no message is refused")
	}
	if err := b.MarkRead(nil, true); err != nil || b.Unread() != 0 {
		t.Fatalf("all read: %v", err)
	}
}

func TestSubscriptions(t *testing.T) {
	var s Subscriptions
	if err := s.Grant(nil); err == nil {
		t.Fatal("an empty report is refused")
	}
	if err := s.Grant([]string{"tpl", "tpl"}); err != nil || s.Quota["tpl"] != 2 {
		t.Fatalf("%v %v", err, s.Quota)
	}
	if !s.Spend("tpl") || !s.Spend("tpl") || s.Spend("tpl") || s.Spend("other") {
		t.Fatal("each grant allows one message")
	}
}
