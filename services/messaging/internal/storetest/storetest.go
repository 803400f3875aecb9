// Package storetest is the contract every messaging store keeps: the
// MongoDB store and the in-memory one run the same suite, so use-case tests
// on the in-memory store test what production does.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Stores is what a messaging store offers.
type Stores interface {
	Deliveries() app.Deliveries
	Inboxes() app.Inboxes
	Settings() app.SettingsStore
	Templates() app.Templates
	Rules() app.Rules
	Broadcasts() app.Broadcasts
}

func conflict(err error) bool { return fault.ReasonOf(err) == domain.ReasonConflict }

// Run checks s against the contract.
func Run(t *testing.T, s Stores) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	t.Run("deliveries", func(t *testing.T) {
		ds := s.Deliveries()
		mk := func(i int, member string) domain.Delivery {
			return domain.Delivery{ID: fmt.Sprintf("c%d:%s:in_app", i, member), Cause: fmt.Sprintf("c%d", i), MemberID: member, Channel: domain.ChannelInApp,
				Category: domain.Transactional, Status: domain.StatusQueued, NextAttempt: now, CreatedAt: now.Add(time.Duration(i) * time.Second), Version: 1,
				Content: domain.Rendered{Channel: domain.ChannelInApp, Title: "t", Params: map[string]string{"a": "b"}}}
		}
		for i := range 5 {
			if _, created, err := ds.Create(ctx, mk(i, "m1")); err != nil || !created {
				t.Fatal(created, err)
			}
		}
		if got, created, err := ds.Create(ctx, mk(0, "m1")); err != nil || created || got.Cause != "c0" {
			t.Fatalf("a second create: %v %v %v", got, created, err)
		}
		_, _, _ = ds.Create(ctx, mk(9, "m2"))
		d, err := ds.Get(ctx, "c1:m1:in_app")
		if err != nil || d.Content.Params["a"] != "b" || !d.CreatedAt.Equal(now.Add(time.Second)) || d.Version != 1 {
			t.Fatalf("get: %+v %v", d, err)
		}
		if _, err := ds.Get(ctx, "nope"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("missing: %v", err)
		}
		if err := ds.Save(ctx, d, 0); !conflict(err) {
			t.Fatalf("a save over version 0: %v", err) // stored deliveries start at 1
		}
		_ = d.Sent(now, "p1")
		d.Version = 2
		if err := ds.Save(ctx, d, 1); err != nil {
			t.Fatal(err)
		}
		if err := ds.Save(ctx, d, 1); !conflict(err) {
			t.Fatalf("a stale save: %v", err)
		}
		later := mk(2, "m1")
		later.NextAttempt, later.Version = now.Add(time.Hour), 2
		if err := ds.Save(ctx, later, 1); err != nil {
			t.Fatal(err)
		}
		due, err := ds.Due(ctx, now, 10)
		if err != nil || len(due) != 4 { // c0, c3, c4 of m1 and c9 of m2; c1 sent, c2 later
			t.Fatalf("due: %d %v", len(due), err)
		}
		if due, _ := ds.Due(ctx, now, 2); len(due) != 2 {
			t.Fatalf("due limit: %d", len(due))
		}
		page1, err := ds.List(ctx, app.DeliveryFilter{MemberID: "m1"}, "", 3)
		if err != nil || len(page1) != 3 || page1[0].Cause != "c4" || page1[2].Cause != "c2" {
			t.Fatalf("list page 1: %v %v", causes(page1), err)
		}
		page2, _ := ds.List(ctx, app.DeliveryFilter{MemberID: "m1"}, page1[2].ID, 3)
		if len(page2) != 2 || page2[0].Cause != "c1" {
			t.Fatalf("list page 2: %v", causes(page2))
		}
		if sent, _ := ds.List(ctx, app.DeliveryFilter{Status: domain.StatusSent}, "", 10); len(sent) != 1 || sent[0].Cause != "c1" {
			t.Fatalf("by status: %v", causes(sent))
		}
		if byCause, _ := ds.List(ctx, app.DeliveryFilter{Cause: "c9"}, "", 10); len(byCause) != 1 || byCause[0].MemberID != "m2" {
			t.Fatalf("by cause: %v", causes(byCause))
		}
		// A dead letter leaves the sweeper's view; requeued, it is back.
		dead, _ := ds.Get(ctx, "c3:m1:in_app")
		_ = dead.Failed(now, "refused", true, domain.DefaultRetry())
		dead.Version = 2
		if err := ds.Save(ctx, dead, 1); err != nil {
			t.Fatal(err)
		}
		if due, _ := ds.Due(ctx, now, 10); len(due) != 3 {
			t.Fatalf("due with a dead letter: %v", causes(due))
		}
		_ = dead.Requeue(now, dead.Content, "op")
		dead.Version = 3
		if err := ds.Save(ctx, dead, 2); err != nil {
			t.Fatal(err)
		}
		if due, _ := ds.Due(ctx, now, 10); len(due) != 4 {
			t.Fatalf("due after the requeue: %v", causes(due))
		}
	})

	t.Run("inboxes", func(t *testing.T) {
		ib := s.Inboxes()
		b, err := ib.Get(ctx, "m1")
		if err != nil || b.Version != 0 || len(b.Messages) != 0 {
			t.Fatal(b, err)
		}
		b.Add(domain.InboxMessage{ID: "x", Title: "hi", At: now, Category: domain.Marketing})
		b.Version = 1
		if err := ib.Save(ctx, b, 0); err != nil {
			t.Fatal(err)
		}
		if err := ib.Save(ctx, b, 0); !conflict(err) {
			t.Fatalf("a second first save: %v", err)
		}
		b.Messages[0].Read, b.Version = true, 2
		if err := ib.Save(ctx, b, 1); err != nil {
			t.Fatal(err)
		}
		got, _ := ib.Get(ctx, "m1")
		if got.Version != 2 || len(got.Messages) != 1 || !got.Messages[0].Read || !got.Messages[0].At.Equal(now) || got.Messages[0].Category != domain.Marketing {
			t.Fatalf("read back: %+v", got)
		}
		if err := ib.Delete(ctx, "m1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := ib.Get(ctx, "m1"); got.Version != 0 || len(got.Messages) != 0 {
			t.Fatalf("after delete: %+v", got)
		}
	})

	t.Run("settings", func(t *testing.T) {
		ss := s.Settings()
		v, _ := ss.Get(ctx, "m1")
		_ = v.Grant([]string{"tpl"})
		_ = v.SetSubscribed(domain.ChannelSMS, false)
		v.Reserve(now, "d1", true, "tpl")
		v.Version = 1
		if err := ss.Save(ctx, v, 0); err != nil {
			t.Fatal(err)
		}
		if err := ss.Save(ctx, v, 0); !conflict(err) {
			t.Fatalf("stale: %v", err)
		}
		got, _ := ss.Get(ctx, "m1")
		if got.Version != 1 || !got.Unsubscribed[domain.ChannelSMS] || !got.Reserved("d1") || !got.Marks[0].At.Equal(now) {
			t.Fatalf("read back: %+v", got)
		}
		_ = ss.Delete(ctx, "m1")
		if got, _ := ss.Get(ctx, "m1"); got.Version != 0 || got.Reserved("d1") {
			t.Fatalf("after delete: %+v", got)
		}
	})

	t.Run("templates and rules", func(t *testing.T) {
		ts := s.Templates()
		tpl := app.DefaultTemplates()[0]
		tpl.Version, tpl.UpdatedAt = 1, now
		if err := ts.Create(ctx, tpl); err != nil {
			t.Fatal(err)
		}
		if err := ts.Create(ctx, tpl); fault.ReasonOf(err) != domain.ReasonTemplateExists {
			t.Fatalf("duplicate: %v", err)
		}
		got, err := ts.Get(ctx, tpl.ID)
		if err != nil || got.Wechat.Fields["amount2"] != tpl.Wechat.Fields["amount2"] || got.Version != 1 || !got.UpdatedAt.Equal(now) {
			t.Fatalf("get: %+v %v", got, err)
		}
		got.Name, got.Version = "x", 2
		if err := ts.Save(ctx, got, 1); err != nil {
			t.Fatal(err)
		}
		if err := ts.Save(ctx, got, 1); !conflict(err) {
			t.Fatalf("stale: %v", err)
		}
		if list, _ := ts.List(ctx); len(list) != 1 || list[0].Name != "x" {
			t.Fatalf("list: %+v", list)
		}
		_ = ts.Delete(ctx, tpl.ID)
		if _, err := ts.Get(ctx, tpl.ID); fault.ReasonOf(err) != domain.ReasonTemplateNotFound {
			t.Fatalf("deleted: %v", err)
		}
		rs := s.Rules()
		r := app.DefaultRules()[0]
		r.UpdatedAt = now
		if err := rs.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Targets[0].Channels = r.Targets[0].Channels[:1]
		_ = rs.Put(ctx, r)
		if got, ok, err := rs.Get(ctx, r.EventType); err != nil || !ok || len(got.Targets[0].Channels) != 1 {
			t.Fatalf("rule: %+v %v %v", got, ok, err)
		}
		if _, ok, _ := rs.Get(ctx, "order.none"); ok {
			t.Fatal("a missing rule was found")
		}
		_ = rs.Delete(ctx, r.EventType)
		if list, _ := rs.List(ctx); len(list) != 0 {
			t.Fatalf("rules after delete: %v", list)
		}
	})

	t.Run("broadcasts", func(t *testing.T) {
		bs := s.Broadcasts()
		for i := range 3 {
			b := domain.Broadcast{ID: fmt.Sprintf("b%d", i), SegmentID: "s", Status: domain.BroadcastScheduled, CreatedAt: now.Add(time.Duration(i) * time.Second), Version: 1,
				Channels: []domain.Channel{domain.ChannelInApp}, SendAt: now}
			if _, created, err := bs.Create(ctx, b); err != nil || !created {
				t.Fatal(created, err)
			}
		}
		if _, created, _ := bs.Create(ctx, domain.Broadcast{ID: "b0", SegmentID: "other"}); created {
			t.Fatal("a duplicate broadcast was created")
		}
		b, _ := bs.Get(ctx, "b1")
		b.Status, b.Counts.Sent, b.Version = domain.BroadcastDone, 7, 2
		if err := bs.Save(ctx, b, 1); err != nil {
			t.Fatal(err)
		}
		if err := bs.Save(ctx, b, 1); !conflict(err) {
			t.Fatalf("stale: %v", err)
		}
		if list, _ := bs.List(ctx, 2); len(list) != 2 || list[0].ID != "b2" {
			t.Fatalf("list: %v", list)
		}
		if open, _ := bs.Unfinished(ctx); len(open) != 2 || open[0].ID != "b0" {
			t.Fatalf("unfinished: %v", open)
		}
		if got, _ := bs.Get(ctx, "b1"); got.Counts.Sent != 7 || !got.SendAt.Equal(now) {
			t.Fatalf("read back: %+v", got)
		}
		if _, err := bs.Get(ctx, "zz"); fault.ReasonOf(err) != domain.ReasonBroadcastNotFound {
			t.Fatalf("missing: %v", err)
		}
	})
}

func causes(ds []domain.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Cause)
	}
	return out
}
