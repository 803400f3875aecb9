package app_test

import (
	"context"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/mongostore"
)

// segment is the member service's stream: the members consenting to the
// asked channels.
type segment map[string][]string

func (s segment) Each(_ context.Context, id string, _ []string, fn func(string) error) error {
	members, ok := s[id]
	if !ok {
		return fault.New(fault.NotFound, "SEGMENT_NOT_FOUND", "no such segment")
	}
	for _, m := range members {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func TestBroadcastRespectsCapsUnsubscribesAndQuietHours(t *testing.T) {
	ctx := context.Background()
	store := mongostore.New(testkit.DB(t))
	// 02:00 UTC is 10:00 in Shanghai: not quiet.
	clk := clock.NewFake(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC))
	policy := domain.DefaultPolicy()
	notifier := app.NewNotifier(nil, policy, store, store, store, &flakyWechat{}, clk)
	inboxes := app.NewInboxes(store, store)
	bs := app.NewBroadcasts(store, segment{"vip": {"m1", "m2", "m3"}}, notifier, policy, clk)
	app.NoPause(bs)

	if _, err := inboxes.SetUnsubscribed(ctx, "m2", domain.ChannelInApp, true); err != nil {
		t.Fatal(err)
	}
	spring := domain.Broadcast{Name: "春季上新", SegmentID: "vip", Title: "春季新品 8 折", Body: "会员专享，限时三天。", Link: "/sale", Channels: []domain.Channel{domain.ChannelInApp}}
	_, err := bs.Create(ctx, "", spring)
	wantReason(t, err, domain.ReasonRequestIDRequired)
	bad := spring
	bad.Channels = []domain.Channel{"fax"}
	_, err = bs.Create(ctx, "r0", bad)
	wantReason(t, err, domain.ReasonBroadcastInvalid)
	b, err := bs.Create(ctx, "r1", spring)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := bs.Create(ctx, "r1", spring); err != nil || again.ID != b.ID {
		t.Fatalf("a retried create answers the first broadcast: %v", err)
	}
	other := spring
	other.Title = "别的内容"
	_, err = bs.Create(ctx, "r1", other)
	wantReason(t, err, domain.ReasonRequestIDReused)

	if err := bs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := bs.Get(ctx, b.ID)
	if got.Status != domain.BroadcastDone || got.Targeted != 3 || got.Sent != 2 || got.Suppressed[string(domain.ReasonUnsubscribed)] != 1 {
		t.Fatalf("first broadcast: %+v", got)
	}
	// A second one the same day: the daily cap (1) holds for m1 and m3.
	second := spring
	second.Title = "再来一波"
	b2, _ := bs.Create(ctx, "r2", second)
	if err := bs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = bs.Get(ctx, b2.ID)
	if got.Sent != 0 || got.Suppressed[string(domain.ReasonDailyCap)] != 2 || got.Suppressed[string(domain.ReasonUnsubscribed)] != 1 {
		t.Fatalf("second broadcast: %+v", got)
	}
	if page, _ := inboxes.List(ctx, "m1", "", 10, false); len(page.Messages) != 1 || page.Messages[0].Title != "春季新品 8 折" {
		t.Fatalf("m1's inbox: %+v", page.Messages)
	}

	// At 22:00 Shanghai a WeChat broadcast waits for 09:00; in-app does not.
	clk.Advance(12 * time.Hour)
	wx := spring
	wx.Title, wx.Channels, wx.WechatTemplateID = "晚间推送", []domain.Channel{domain.ChannelWechatSubscribe}, "tpl-news"
	b3, _ := bs.Create(ctx, "r3", wx)
	if err := bs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = bs.Get(ctx, b3.ID)
	morning := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	if got.Status != domain.BroadcastScheduled || !got.SendAt.Equal(morning) || got.Targeted != 0 {
		t.Fatalf("held for the morning: %+v", got)
	}
	if _, err := bs.Cancel(ctx, b3.ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(12 * time.Hour)
	if err := bs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ = bs.Get(ctx, b3.ID); got.Status != domain.BroadcastCancelled || got.Targeted != 0 {
		t.Fatalf("a cancelled broadcast never goes: %+v", got)
	}
	_, err = bs.Cancel(ctx, b.ID)
	wantReason(t, err, domain.ReasonBroadcastState)
}

func wantReason(t *testing.T, err error, r fault.Reason) {
	t.Helper()
	if fault.ReasonOf(err) != r {
		t.Fatalf("want %s, got %v", r, err)
	}
}
