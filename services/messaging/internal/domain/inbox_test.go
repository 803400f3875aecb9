package domain

import (
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

func TestInboxKeepsTheNewestAndIgnoresRepeats(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	var b Inbox
	for i := range InboxCap + 5 {
		if !b.Add(InboxMessage{ID: fmt.Sprint(i), At: t0.Add(time.Duration(i) * time.Minute)}) {
			t.Fatalf("message %d not added", i)
		}
	}
	if b.Add(InboxMessage{ID: fmt.Sprint(InboxCap + 4)}) {
		t.Fatal("a repeated message was added")
	}
	if len(b.Messages) != InboxCap || b.Messages[0].ID != "5" || b.Unread() != InboxCap {
		t.Fatalf("cap: %d messages, oldest %s", len(b.Messages), b.Messages[0].ID)
	}
}

func TestInboxReadDeleteAndPages(t *testing.T) {
	mk := func() Inbox {
		var b Inbox
		for _, id := range []string{"a", "b", "c", "d"} {
			b.Add(InboxMessage{ID: id})
		}
		return b
	}
	cases := []struct {
		name   string
		do     func(b *Inbox) error
		reason fault.Reason
		unread int
		left   int
	}{
		{"mark some", func(b *Inbox) error { return b.MarkRead([]string{"a", "c"}, false) }, "", 2, 4},
		{"mark all", func(b *Inbox) error { return b.MarkRead(nil, true) }, "", 0, 4},
		{"mark an unknown id changes nothing", func(b *Inbox) error { return b.MarkRead([]string{"a", "zz"}, false) }, ReasonMessageNotFound, 4, 4},
		{"delete", func(b *Inbox) error { return b.Delete("b") }, "", 3, 3},
		{"delete an unknown id", func(b *Inbox) error { return b.Delete("zz") }, ReasonMessageNotFound, 4, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := mk()
			err := c.do(&b)
			if fault.ReasonOf(err) != c.reason || b.Unread() != c.unread || len(b.Messages) != c.left {
				t.Fatalf("err %v, unread %d, left %d", err, b.Unread(), len(b.Messages))
			}
		})
	}
	b := mk()
	p1, more, _ := b.Page("", 3)
	p2, more2, _ := b.Page(p1[2].ID, 3)
	if len(p1) != 3 || p1[0].ID != "d" || !more || len(p2) != 1 || p2[0].ID != "a" || more2 {
		t.Fatalf("pages: %v %v / %v %v", p1, more, p2, more2)
	}
	if _, _, err := b.Page("gone", 3); fault.ReasonOf(err) != ReasonPageTokenInvalid {
		t.Fatalf("a page after a deleted message: %v", err)
	}
}

func TestSettingsReservationsAndGrants(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	var s Settings
	if err := s.Grant([]string{"T1", "T1", "T2"}); err != nil || s.Quota["T1"] != 2 {
		t.Fatalf("grant: %v %v", s.Quota, err)
	}
	for _, bad := range [][]string{nil, {"bad id!"}, make([]string, 21)} {
		if err := s.Grant(bad); fault.ReasonOf(err) != ReasonSubscriptionInvalid {
			t.Errorf("grant %v: %v", bad, err)
		}
	}
	s.Quota["T3"] = 50
	if err := s.Grant([]string{"T3"}); fault.ReasonOf(err) != ReasonSubscriptionInvalid {
		t.Errorf("a 51st subscription: %v", err)
	}
	s.Reserve(t0, "d1", true, "T1")
	s.Reserve(t0, "d1", true, "T1") // a retry of d1 spends nothing more
	if s.Quota["T1"] != 1 || len(s.Marks) != 1 {
		t.Fatalf("reserve: %v %v", s.Quota, s.Marks)
	}
	// d1's own reservation neither caps d1 nor spends its quota twice.
	r, sent := s.For("d1", Recipient{})
	if len(sent) != 0 || r.SubscribeQuota["T1"] != 2 {
		t.Fatalf("for d1: %v %v", sent, r.SubscribeQuota)
	}
	r, sent = s.For("d2", Recipient{})
	if len(sent) != 1 || r.SubscribeQuota["T1"] != 1 {
		t.Fatalf("for d2: %v %v", sent, r.SubscribeQuota)
	}
	// Marks older than the weekly window drop off at the next reservation.
	s.Reserve(t0.Add(9*24*time.Hour), "d3", false, "")
	if len(s.Marks) != 1 || s.Marks[0].DeliveryID != "d3" {
		t.Fatalf("old marks kept: %v", s.Marks)
	}
	if err := s.SetSubscribed("fax", false); fault.ReasonOf(err) != ReasonChannelInvalid {
		t.Fatalf("unknown channel: %v", err)
	}
	_ = s.SetSubscribed(ChannelSMS, false)
	_ = s.SetSubscribed(ChannelSMS, true)
	if s.Unsubscribed[ChannelSMS] {
		t.Fatal("subscribing again did not stick")
	}
}
