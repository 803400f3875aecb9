package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/channels"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/memstore"
)

type fakeMembers struct {
	mu       sync.Mutex
	contacts map[string]app.Contact
	segments map[string][]string
	calls    int
}

func (f *fakeMembers) Contact(_ context.Context, id string) (app.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	c, ok := f.contacts[id]
	if !ok {
		return c, fault.New(fault.NotFound, "MEMBER_NOT_FOUND", "no member")
	}
	return c, nil
}

func (f *fakeMembers) Segment(_ context.Context, id string, fn func(string) error) error {
	ids := append([]string(nil), f.segments[id]...)
	sort.Strings(ids)
	for _, m := range ids {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

type rig struct {
	clock      *clock.Fake
	store      *memstore.Store
	members    *fakeMembers
	wechat     *channels.Sandbox
	sms        *channels.Sandbox
	dispatcher *app.Dispatcher
	notifier   *app.Notifier
	inbox      *app.Inbox
	admin      *app.Admin
	broadcasts *app.BroadcastRunner
	waits      []time.Duration
}

// noon Shanghai: outside quiet hours.
var noon = time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)

func newRig(t *testing.T) *rig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := &rig{clock: clock.NewFake(noon), store: memstore.New(), members: &fakeMembers{contacts: map[string]app.Contact{}, segments: map[string][]string{}}}
	r.wechat = channels.NewSandbox(domain.ChannelWechatSubscribe, log)
	r.sms = channels.NewSandbox(domain.ChannelSMS, log)
	senders := map[domain.Channel]app.Sender{
		domain.ChannelInApp:           app.NewInboxChannel(r.store.Inboxes(), r.clock),
		domain.ChannelWechatSubscribe: r.wechat, domain.ChannelSMS: r.sms,
	}
	retry := domain.Retry{Attempts: 3, First: time.Minute, Max: 10 * time.Minute}
	r.dispatcher = app.NewDispatcher(r.store.Deliveries(), r.store.Settings(), r.members, senders, domain.DefaultPolicy(), retry, r.clock)
	r.notifier = app.NewNotifier(r.store.Rules(), r.store.Templates(), r.store.Deliveries(), r.dispatcher, r.clock, log)
	r.inbox = app.NewInbox(r.store.Inboxes(), r.store.Settings())
	r.admin = app.NewAdmin(r.store.Templates(), r.store.Rules(), r.store.Deliveries(), r.dispatcher, r.clock)
	r.broadcasts = app.NewBroadcastRunner(r.store.Broadcasts(), r.store.Templates(), r.store.Deliveries(), r.dispatcher, r.members, r.clock,
		func(_ context.Context, d time.Duration) error { r.waits = append(r.waits, d); return nil }, log)
	if err := r.admin.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) messages(t *testing.T, member string) ([]domain.InboxMessage, int) {
	t.Helper()
	got, _, unread, err := r.inbox.List(context.Background(), member, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	return got, unread
}

func paid(id, member string) app.Event {
	return app.Event{ID: id, Type: domain.EventOrderPaid, MemberID: member, Vars: map[string]string{"order_id": "ord_1", "amount": "128.00"}}
}

func TestPaidOrderSendsOneInboxAndOneWechatMessageEvenWhenRedelivered(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.members.contacts["m1"] = app.Contact{WechatBound: true, Phone: "13800000000"}
	if _, err := r.inbox.Grant(ctx, "m1", []string{app.WechatOrderPaidTemplate}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // the event redelivered twice
		if err := r.notifier.Handle(ctx, paid("ord_1.paid", "m1")); err != nil {
			t.Fatal(err)
		}
	}
	msgs, unread := r.messages(t, "m1")
	if len(msgs) != 1 || unread != 1 || msgs[0].Title != "支付成功" || msgs[0].Body != "订单 ord_1 已支付 ¥128.00，我们会尽快发货。" {
		t.Fatalf("inbox: %+v unread %d", msgs, unread)
	}
	if got := r.wechat.Sent("m1"); len(got) != 1 || got[0].Content.Params["amount2"] != "¥128.00" {
		t.Fatalf("wechat: %+v", got)
	}
	s, _ := r.inbox.Settings(ctx, "m1")
	if s.Quota[app.WechatOrderPaidTemplate] != 0 {
		t.Errorf("the subscription was not spent: %v", s.Quota)
	}
	// A second order has no subscription left: its WeChat message is
	// suppressed with the reason, its inbox message still arrives.
	if err := r.notifier.Handle(ctx, paid("ord_2.paid", "m1")); err != nil {
		t.Fatal(err)
	}
	if got := r.wechat.Sent("m1"); len(got) != 1 {
		t.Fatalf("sent without a subscription: %d", len(got))
	}
	ds, _ := r.admin.Deliveries(ctx, app.DeliveryFilter{MemberID: "m1", Status: domain.StatusSuppressed}, "", 10)
	if len(ds) != 1 || ds[0].Log[len(ds[0].Log)-1].Detail != string(domain.ReasonNoSubscription) {
		t.Fatalf("suppressed: %+v", ds)
	}
	if msgs, unread := r.messages(t, "m1"); len(msgs) != 2 || unread != 2 {
		t.Fatalf("inbox after the second order: %d, %d unread", len(msgs), unread)
	}
}

func TestInboxReadDeleteAndOtherMembersIDs(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	for i := range 3 {
		if err := r.notifier.Handle(ctx, paid(fmt.Sprintf("o%d.paid", i), "m1")); err != nil {
			t.Fatal(err)
		}
	}
	_ = r.notifier.Handle(ctx, paid("x.paid", "m2"))
	mine, _ := r.messages(t, "m1")
	theirs, _ := r.messages(t, "m2")
	if _, err := r.inbox.MarkRead(ctx, "m1", []string{theirs[0].ID}, false); fault.ReasonOf(err) != domain.ReasonMessageNotFound {
		t.Fatalf("marking another member's message: %v", err)
	}
	if _, err := r.inbox.Delete(ctx, "m1", theirs[0].ID); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("deleting another member's message: %v", err)
	}
	if n, err := r.inbox.MarkRead(ctx, "m1", []string{mine[0].ID}, false); err != nil || n != 2 {
		t.Fatalf("mark read: %d %v", n, err)
	}
	if n, err := r.inbox.Delete(ctx, "m1", mine[1].ID); err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	page, more, _, err := r.inbox.List(ctx, "m1", "", 1)
	if err != nil || len(page) != 1 || !more {
		t.Fatalf("page 1: %v %v %v", page, more, err)
	}
	page2, more, _, err := r.inbox.List(ctx, "m1", page[0].ID, 1)
	if err != nil || len(page2) != 1 || more || page2[0].ID == page[0].ID {
		t.Fatalf("page 2: %v %v %v", page2, more, err)
	}
	if n, err := r.inbox.MarkRead(ctx, "m1", nil, true); err != nil || n != 0 {
		t.Fatalf("mark all: %d %v", n, err)
	}
	if _, unread := r.messages(t, "m2"); unread != 1 {
		t.Fatalf("another member's unread count moved: %d", unread)
	}
}

func marketingTemplate(t *testing.T, r *rig) {
	t.Helper()
	_, err := r.admin.CreateTemplate(context.Background(), domain.Template{ID: "sale", Name: "双十二", Category: domain.Marketing,
		Variables: []domain.Variable{{Name: "discount", Sample: "8折"}},
		InApp:     &domain.InAppVariant{Title: "双十二 {{discount}}", Body: "全场 {{discount}}"},
		SMS:       &domain.SMSVariant{ProviderTemplate: "SMS_1", Text: "全场{{discount}}，回T退订", Params: map[string]string{"d": "{{discount}}"}}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMarketingSMSDefersInQuietHoursAndTheSweeperSendsIt(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	marketingTemplate(t, r)
	r.members.contacts["m1"] = app.Contact{Phone: "138", Consent: map[domain.Channel]bool{domain.ChannelSMS: true}}
	r.members.segments["seg"] = []string{"m1"}
	r.clock.Set(time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)) // 22:00 Shanghai
	b, err := r.broadcasts.Create(ctx, "req-1", domain.Broadcast{SegmentID: "seg", TemplateID: "sale", Channels: []domain.Channel{domain.ChannelSMS}, PerMinute: 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.broadcasts.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := r.broadcasts.Get(ctx, b.ID)
	if got.Status != domain.BroadcastDone || got.Counts.Deferred != 1 || len(r.sms.Sent("")) != 0 {
		t.Fatalf("at 22:00: %+v, %d sent", got, len(r.sms.Sent("")))
	}
	if n, _ := r.dispatcher.Sweep(ctx, 10); n != 0 {
		t.Fatalf("swept %d before the quiet hours ended", n)
	}
	r.clock.Set(time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)) // 09:00 Shanghai
	if n, err := r.dispatcher.Sweep(ctx, 10); err != nil || n != 1 {
		t.Fatalf("sweep at 09:00: %d %v", n, err)
	}
	if sent := r.sms.Sent("m1"); len(sent) != 1 || sent[0].Content.Body != "全场8折，回T退订" {
		t.Fatalf("sms: %+v", sent)
	}
}

func TestBroadcastRespectsConsentUnsubscribeCapsAndRate(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	marketingTemplate(t, r)
	yes := map[domain.Channel]bool{domain.ChannelInApp: true}
	r.members.contacts["a"] = app.Contact{Consent: yes}
	r.members.contacts["b"] = app.Contact{Consent: yes}
	r.members.contacts["c"] = app.Contact{}             // no consent
	r.members.contacts["d"] = app.Contact{Consent: yes} // unsubscribed below
	r.members.contacts["e"] = app.Contact{Consent: yes, Gone: true}
	r.members.segments["seg"] = []string{"e", "d", "c", "b", "a", "ghost"}
	if _, err := r.inbox.SetSubscribed(ctx, "d", domain.ChannelInApp, false); err != nil {
		t.Fatal(err)
	}
	first, err := r.broadcasts.Create(ctx, "r1", domain.Broadcast{SegmentID: "seg", TemplateID: "sale", Channels: []domain.Channel{domain.ChannelInApp}, PerMinute: 120})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := r.broadcasts.Create(ctx, "r1", domain.Broadcast{SegmentID: "other"}); again.ID != first.ID || again.SegmentID != "seg" {
		t.Fatalf("a repeated request made another broadcast: %+v", again)
	}
	if err := r.broadcasts.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := r.broadcasts.Get(ctx, first.ID)
	want := domain.Counts{Members: 6, Sent: 2, Suppressed: 4}
	if got.Counts != want || got.Status != domain.BroadcastDone {
		t.Fatalf("counts %+v, want %+v (%s)", got.Counts, want, got.Status)
	}
	if len(r.waits) != 6 || r.waits[0] != 500*time.Millisecond {
		t.Fatalf("throttle waits: %v", r.waits)
	}
	// A second broadcast the same day: the daily cap of 1 holds it back.
	second, _ := r.broadcasts.Create(ctx, "r2", domain.Broadcast{SegmentID: "seg", TemplateID: "sale", Channels: []domain.Channel{domain.ChannelInApp}, PerMinute: 6000})
	_ = r.broadcasts.RunDue(ctx)
	got, _ = r.broadcasts.Get(ctx, second.ID)
	if got.Counts.Sent != 0 || got.Counts.Suppressed != 6 {
		t.Fatalf("second broadcast: %+v", got.Counts)
	}
	capped, _ := r.admin.Deliveries(ctx, app.DeliveryFilter{MemberID: "a", Cause: second.ID}, "", 10)
	if len(capped) != 1 || capped[0].Log[len(capped[0].Log)-1].Detail != string(domain.ReasonDailyCap) {
		t.Fatalf("a's second delivery: %+v", capped)
	}
	// The next day it goes out.
	r.clock.Advance(24 * time.Hour)
	third, _ := r.broadcasts.Create(ctx, "r3", domain.Broadcast{SegmentID: "seg", TemplateID: "sale", Channels: []domain.Channel{domain.ChannelInApp}, PerMinute: 6000})
	_ = r.broadcasts.RunDue(ctx)
	if got, _ = r.broadcasts.Get(ctx, third.ID); got.Counts.Sent != 2 {
		t.Fatalf("third broadcast: %+v", got.Counts)
	}
	if msgs, _ := r.messages(t, "a"); len(msgs) != 2 {
		t.Fatalf("a has %d messages", len(msgs))
	}
	if msgs, _ := r.messages(t, "c"); len(msgs) != 0 {
		t.Fatalf("c, without consent, has %d messages", len(msgs))
	}
}

func TestConcurrentMarketingSendsRespectTheDailyCap(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	marketingTemplate(t, r)
	r.members.contacts["a"] = app.Contact{Consent: map[domain.Channel]bool{domain.ChannelInApp: true}}
	tpl, _ := r.admin.Template(ctx, "sale")
	content, _ := tpl.Render([]domain.Channel{domain.ChannelInApp}, map[string]string{"discount": "9折"})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := domain.Delivery{ID: fmt.Sprintf("race-%d:a:in_app", i), MemberID: "a", Channel: domain.ChannelInApp, Category: domain.Marketing,
				Status: domain.StatusQueued, NextAttempt: noon, CreatedAt: noon, Content: content[0], Version: 1}
			stored, _, err := r.store.Deliveries().Create(ctx, d)
			if err == nil {
				_, err = r.dispatcher.Process(ctx, stored)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if msgs, _ := r.messages(t, "a"); len(msgs) != 1 {
		t.Fatalf("%d marketing messages passed a daily cap of 1", len(msgs))
	}
}

func TestFailedSendsRetryWithBackoffThenDeadLetter(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.members.contacts["m1"] = app.Contact{WechatBound: true}
	_, _ = r.inbox.Grant(ctx, "m1", []string{app.WechatOrderPaidTemplate, app.WechatOrderPaidTemplate})
	boom := errors.New("wechat: system busy")
	r.wechat.FailNext(boom, boom)
	if err := r.notifier.Handle(ctx, paid("p1.paid", "m1")); err != nil {
		t.Fatal(err)
	}
	ds, _ := r.admin.Deliveries(ctx, app.DeliveryFilter{MemberID: "m1", Status: domain.StatusFailed}, "", 10)
	if len(ds) != 1 || !ds[0].NextAttempt.Equal(noon.Add(time.Minute)) {
		t.Fatalf("after the first failure: %+v", ds)
	}
	r.clock.Advance(time.Minute)
	_, _ = r.dispatcher.Sweep(ctx, 10)
	d, _ := r.store.Deliveries().Get(ctx, ds[0].ID)
	if d.Status != domain.StatusFailed || d.Attempts != 2 || !d.NextAttempt.Equal(noon.Add(3*time.Minute)) {
		t.Fatalf("after the second failure: %s attempts %d next %v", d.Status, d.Attempts, d.NextAttempt)
	}
	r.clock.Advance(2 * time.Minute)
	_, _ = r.dispatcher.Sweep(ctx, 10)
	if d, _ = r.store.Deliveries().Get(ctx, d.ID); d.Status != domain.StatusSent || d.Attempts != 3 {
		t.Fatalf("third attempt: %s", d.Status)
	}
	// One subscription spent for the one message, despite three attempts.
	if s, _ := r.inbox.Settings(ctx, "m1"); s.Quota[app.WechatOrderPaidTemplate] != 1 {
		t.Fatalf("quota after retries: %v", s.Quota)
	}
	// The next order fails three times: a dead letter.
	r.wechat.FailNext(boom, boom, boom)
	_ = r.notifier.Handle(ctx, paid("p2.paid", "m1"))
	for range 3 {
		r.clock.Advance(20 * time.Minute)
		_, _ = r.dispatcher.Sweep(ctx, 10)
	}
	dead, _ := r.admin.Deliveries(ctx, app.DeliveryFilter{Status: domain.StatusDead}, "", 10)
	if len(dead) != 1 || dead[0].Attempts != 3 || dead[0].Cause != "p2.paid" {
		t.Fatalf("dead letters: %+v", dead)
	}
	// A permanent refusal is dead at once.
	_, _ = r.inbox.Grant(ctx, "m1", []string{app.WechatOrderPaidTemplate})
	r.wechat.FailNext(channels.ErrRefused)
	_ = r.notifier.Handle(ctx, paid("p3.paid", "m1"))
	if dead, _ = r.admin.Deliveries(ctx, app.DeliveryFilter{Status: domain.StatusDead}, "", 10); len(dead) != 2 || dead[0].Attempts != 1 {
		t.Fatalf("permanent refusal: %+v", dead)
	}
}

func TestRulesAndTemplatesAdmin(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	if err := r.admin.DeleteTemplate(ctx, "order_paid"); fault.ReasonOf(err) != domain.ReasonTemplateInUse {
		t.Fatalf("deleting a template in use: %v", err)
	}
	if _, err := r.admin.SetRule(ctx, domain.Rule{EventType: "order.lost"}); fault.ReasonOf(err) != domain.ReasonEventTypeUnknown {
		t.Fatalf("unknown event: %v", err)
	}
	if _, err := r.admin.SetRule(ctx, domain.Rule{EventType: domain.EventOrderShipped, Targets: []domain.Target{{TemplateID: "order_paid", Channels: []domain.Channel{domain.ChannelInApp}}}}); fault.ReasonOf(err) != domain.ReasonVariableMissing {
		t.Fatalf("a template needing variables the event lacks: %v", err)
	}
	if _, err := r.admin.SetRule(ctx, domain.Rule{EventType: domain.EventOrderShipped, Targets: []domain.Target{{TemplateID: "order_shipped", Channels: []domain.Channel{domain.ChannelSMS}}}}); fault.ReasonOf(err) != domain.ReasonChannelNotInTemplate {
		t.Fatalf("a channel without a variant: %v", err)
	}
	tpl, _ := r.admin.Template(ctx, "order_shipped")
	tpl.Name = "已发货"
	updated, err := r.admin.UpdateTemplate(ctx, tpl)
	if err != nil || updated.Version != 2 {
		t.Fatalf("update: %v %v", updated.Version, err)
	}
	if _, err := r.admin.UpdateTemplate(ctx, tpl); fault.ReasonOf(err) != domain.ReasonTemplateVersion {
		t.Fatalf("stale update: %v", err)
	}
	out, err := r.admin.Preview(ctx, "order_shipped", nil, nil, map[string]string{"carrier": "京东"})
	if err != nil || len(out) != 1 || out[0].Body != "订单 ord_12345 已由京东发出，运单号 SF1234567890。" {
		t.Fatalf("preview: %+v %v", out, err)
	}
	if err := r.admin.DeleteRule(ctx, domain.EventOrderShipped); err != nil {
		t.Fatal(err)
	}
	if err := r.notifier.Handle(ctx, app.Event{ID: "s.shipped", Type: domain.EventOrderShipped, MemberID: "m1"}); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := r.messages(t, "m1"); len(msgs) != 0 {
		t.Fatal("an event without a rule sent a message")
	}
}

func TestLevelChangeReachesTheInboxWithoutAskingMember(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	_ = r.notifier.Handle(ctx, app.Event{ID: "lv1", Type: domain.EventMemberLevelChange, MemberID: "m9", Vars: map[string]string{"tier_id": "gold", "previous_tier_id": "silver"}})
	if msgs, _ := r.messages(t, "m9"); len(msgs) != 1 || msgs[0].Body != "您的会员等级已更新为 gold。" {
		t.Fatalf("level message: %+v", msgs)
	}
	if r.members.calls != 0 {
		t.Errorf("a transactional inbox message asked member %d times", r.members.calls)
	}
}

func TestADeadLetterIsRetriedOnceItsTemplateIsFixed(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.members.contacts["m1"] = app.Contact{WechatBound: true}
	_, _ = r.inbox.Grant(ctx, "m1", []string{app.WechatOrderPaidTemplate})
	long := paid("long.paid", "m1")
	long.Vars["order_id"] = strings.Repeat("9", 40) // longer than WeChat's 32 for a code
	if err := r.notifier.Handle(ctx, long); err != nil {
		t.Fatal(err)
	}
	dead, _ := r.admin.Deliveries(ctx, app.DeliveryFilter{Status: domain.StatusDead}, "", 10)
	if len(dead) != 1 || dead[0].Channel != domain.ChannelWechatSubscribe {
		t.Fatalf("dead letters: %+v", dead)
	}
	if _, err := r.admin.Retry(ctx, dead[0].ID, "op"); fault.ReasonOf(err) != domain.ReasonTemplateInvalid {
		t.Fatalf("a retry with the template unchanged: %v", err)
	}
	inApp, _ := r.admin.Deliveries(ctx, app.DeliveryFilter{Status: domain.StatusSent}, "", 10)
	if _, err := r.admin.Retry(ctx, inApp[0].ID, "op"); fault.ReasonOf(err) != domain.ReasonDeliveryNotDead {
		t.Fatalf("retrying a sent delivery: %v", err)
	}
	if _, err := r.admin.Retry(ctx, "nope", "op"); fault.ReasonOf(err) != domain.ReasonDeliveryNotFound {
		t.Fatalf("retrying nothing: %v", err)
	}
	// The operator moves the order id to a longer-limited field… by
	// dropping it from the WeChat fields.
	tpl, _ := r.admin.Template(ctx, "order_paid")
	delete(tpl.Wechat.Fields, "character_string1")
	if _, err := r.admin.UpdateTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	got, err := r.admin.Retry(ctx, dead[0].ID, "op")
	if err != nil || got.Status != domain.StatusSent || len(r.wechat.Sent("m1")) != 1 {
		t.Fatalf("retry: %+v %v", got, err)
	}
	if got.Log[len(got.Log)-2].Detail != "retried by op" {
		t.Errorf("the log does not say who retried: %+v", got.Log)
	}
}
