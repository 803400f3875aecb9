package channels_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/channels"
	"siyu.dev/services/messaging/internal/domain"
)

// fakePlatform plays WeChat's stable-token and subscribe-send APIs; each
// send answers the next of codes (0 when they run out).
type fakePlatform struct {
	mu     sync.Mutex
	codes  []int
	tokens int
	sent   []map[string]any
	token  string
}

func (f *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/cgi-bin/stable_token":
		f.tokens++
		f.token = "AT" + string(rune('0'+f.tokens))
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": f.token, "expires_in": 7200})
	case "/cgi-bin/message/subscribe/send":
		if r.URL.Query().Get("access_token") != f.token {
			_, _ = w.Write([]byte(`{"errcode":40001,"errmsg":"invalid credential"}`))
			return
		}
		code := 0
		if len(f.codes) > 0 {
			code, f.codes = f.codes[0], f.codes[1:]
		}
		if code == 0 {
			b, _ := io.ReadAll(r.Body)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			f.sent = append(f.sent, m)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": "x"})
	default:
		http.NotFound(w, r)
	}
}

func TestWechatSubscribeSend(t *testing.T) {
	f := &fakePlatform{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	openids := map[string]string{"m1": "oid-1"}
	w := channels.NewWechat("wx-app", "s3cret", srv.URL, func(_ context.Context, id string) (string, error) { return openids[id], nil })
	d := domain.Delivery{ID: "e1/order_paid:m1:wechat_subscribe", MemberID: "m1", Channel: domain.ChannelWechatSubscribe,
		Content: domain.Rendered{ProviderTemplate: "TPL", Link: "/pages/order?id=1", Params: map[string]string{"amount2": "¥1.00"}}}
	ctx := context.Background()

	if _, err := w.Send(ctx, d, app.Contact{}); err != nil {
		t.Fatal(err)
	}
	got := f.sent[0]
	if got["touser"] != "oid-1" || got["template_id"] != "TPL" || got["page"] != "/pages/order?id=1" || got["data"].(map[string]any)["amount2"].(map[string]any)["value"] != "¥1.00" {
		t.Fatalf("sent: %v", got)
	}
	// The platform forgets the token: a new one is fetched and the send retried once.
	f.mu.Lock()
	f.token = "rotated"
	f.mu.Unlock()
	if _, err := w.Send(ctx, d, app.Contact{}); err != nil || f.tokens != 2 || len(f.sent) != 2 {
		t.Fatalf("after the token expired: %v, %d tokens, %d sent", err, f.tokens, len(f.sent))
	}
	f.codes = []int{43101}
	if _, err := w.Send(ctx, d, app.Contact{}); err == nil || !app.IsPermanent(err) {
		t.Fatalf("no subscription left: %v, want a permanent failure", err)
	}
	f.codes = []int{-1}
	if _, err := w.Send(ctx, d, app.Contact{}); err == nil || app.IsPermanent(err) {
		t.Fatalf("system busy: %v, want a failure to retry", err)
	}
	d.MemberID = "m2"
	if _, err := w.Send(ctx, d, app.Contact{}); !app.IsPermanent(err) {
		t.Fatalf("no openid: %v", err)
	}
}
