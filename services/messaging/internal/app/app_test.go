package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/mongostore"
)

// flakyWechat fails its first failures sends, then accepts.
type flakyWechat struct {
	mu       sync.Mutex
	failures int
	sent     []string
}

func (f *flakyWechat) Send(_ context.Context, memberID string, r domain.Rendered) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return "", errors.New("platform busy")
	}
	f.sent = append(f.sent, memberID+"/"+r.ProviderTemplate)
	return "wx-1", nil
}

type world struct {
	store    *mongostore.Store
	wechat   *flakyWechat
	notifier *app.Notifier
	inboxes  *app.Inboxes
}

func newWorld(t *testing.T) *world {
	store := mongostore.New(testkit.DB(t))
	w := &world{store: store, wechat: &flakyWechat{}}
	rules := domain.DefaultRules(map[string]string{domain.EventOrderPaid: "tpl-paid"})
	w.notifier = app.NewNotifier(rules, domain.DefaultPolicy(), store, store, store, w.wechat, clock.NewFake(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)))
	w.inboxes = app.NewInboxes(store, store)
	return w
}

func paid(event, member string) app.Notice {
	return app.Notice{EventID: event, EventType: domain.EventOrderPaid, MemberID: member, At: time.Now(),
		Vars: map[string]string{"order_id": "o1", "amount": "128.00", "title": "真丝围巾"}}
}

func statuses(t *testing.T, w *world, member string) map[domain.Channel]domain.Status {
	t.Helper()
	ds, err := w.notifier.Deliveries(context.Background(), member)
	if err != nil {
		t.Fatal(err)
	}
	out := map[domain.Channel]domain.Status{}
	for _, d := range ds {
		out[d.Channel] = d.Status
	}
	return out
}

func TestPaidOrderNotifiesOnceOnEachChannel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.inboxes.Subscribe(ctx, "m1", []string{"tpl-paid"}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // the event is redelivered
		if err := w.notifier.Notify(ctx, paid("o1.paid", "m1")); err != nil {
			t.Fatal(err)
		}
	}
	page, err := w.inboxes.List(ctx, "m1", "", 10, false)
	if err != nil || len(page.Messages) != 1 || page.Unread != 1 || page.Messages[0].Title != "支付成功" || page.Messages[0].Link != "/orders/o1" {
		t.Fatalf("inbox: %+v %v", page, err)
	}
	if len(w.wechat.sent) != 1 {
		t.Fatalf("subscribe messages: %v", w.wechat.sent)
	}
	if st := statuses(t, w, "m1"); st[domain.ChannelInApp] != domain.StatusSent || st[domain.ChannelWechatSubscribe] != domain.StatusSent {
		t.Fatalf("deliveries: %v", st)
	}
	if other, _ := w.inboxes.List(ctx, "m2", "", 10, false); len(other.Messages) != 0 {
		t.Fatal("another member's inbox is empty")
	}
	if _, err := w.inboxes.MarkRead(ctx, "m2", []string{page.Messages[0].ID}, false); fault.ReasonOf(err) != domain.ReasonMessageNotFound {
		t.Fatalf("another member's message id: %v", err)
	}
	// A second order: the one grant was spent, so only the inbox hears of it.
	if err := w.notifier.Notify(ctx, paid("o2.paid", "m1")); err != nil {
		t.Fatal(err)
	}
	ds, _ := w.notifier.Deliveries(ctx, "m1")
	suppressed := 0
	for _, d := range ds {
		if d.Status == domain.StatusSuppressed && d.Log[len(d.Log)-1].Detail == string(domain.ReasonNoSubscription) {
			suppressed++
		}
	}
	if suppressed != 1 || len(w.wechat.sent) != 1 {
		t.Fatalf("without a grant the subscribe message is suppressed: %d, sent %v", suppressed, w.wechat.sent)
	}
}

func TestAFailedSendIsRetriedWithTheEvent(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.wechat.failures = 1
	_, _ = w.inboxes.Subscribe(ctx, "m1", []string{"tpl-paid", "tpl-paid"})
	if err := w.notifier.Notify(ctx, paid("o1.paid", "m1")); err == nil {
		t.Fatal("a failed send asks for the event again")
	}
	if st := statuses(t, w, "m1"); st[domain.ChannelWechatSubscribe] != domain.StatusFailed || st[domain.ChannelInApp] != domain.StatusSent {
		t.Fatalf("after the failure: %v", st)
	}
	if err := w.notifier.Notify(ctx, paid("o1.paid", "m1")); err != nil {
		t.Fatal(err)
	}
	page, _ := w.inboxes.List(ctx, "m1", "", 10, false)
	if st := statuses(t, w, "m1"); st[domain.ChannelWechatSubscribe] != domain.StatusSent || len(w.wechat.sent) != 1 || len(page.Messages) != 1 {
		t.Fatalf("after the retry: %v %v, %d in the inbox", st, w.wechat.sent, len(page.Messages))
	}
}

func TestConcurrentRedeliveriesAddOneMessage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _ = w.notifier.Notify(ctx, paid("o1.paid", "m1")) })
	}
	wg.Wait()
	if page, _ := w.inboxes.List(ctx, "m1", "", 10, false); len(page.Messages) != 1 {
		t.Fatalf("%d messages", len(page.Messages))
	}
}
