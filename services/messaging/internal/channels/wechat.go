package channels

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	sdk "github.com/silenceper/wechat/v2"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	mpconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/util"

	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// PlatformBase is where the WeChat SDK sends its calls.
const PlatformBase = "https://api.weixin.qq.com"

// OpenIDs finds a member's openid in the mini-program ("" when not bound).
type OpenIDs func(ctx context.Context, memberID string) (string, error)

// Wechat sends mini-program subscribe messages through
// github.com/silenceper/wechat/v2. It takes its access token from the
// platform's stable-token API, which hands every caller the same token, so
// it does not invalidate the member service's token for the same app.
type Wechat struct {
	appID, secret string
	openIDs       OpenIDs

	mu  sync.Mutex
	sub *subscribe.Subscribe
}

// Platform error codes that no retry fixes: 43101 the user has no
// subscription left (refused, or spent), 40003 a bad openid, 40037 a bad
// template id, 47003 data that does not fit the template.
var refused = map[int64]bool{43101: true, 40003: true, 40037: true, 47003: true}

// tokenExpired codes make the next send fetch a new token.
var tokenExpired = map[int64]bool{40001: true, 42001: true, 40014: true}

// NewWechat sends for the mini-program appID. apiBase, when not empty,
// replaces PlatformBase (an egress proxy, or a fake platform in tests); the
// SDK keeps that setting process-wide.
func NewWechat(appID, secret, apiBase string, openIDs OpenIDs) *Wechat {
	if apiBase != "" {
		base := strings.TrimRight(apiBase, "/")
		util.SetURIModifier(func(uri string) string {
			if rest, ok := strings.CutPrefix(uri, PlatformBase); ok {
				return base + rest
			}
			return uri
		})
	}
	// Subscribe.Send takes no context and the SDK's client has no timeout:
	// bound every SDK call of the process, once.
	if util.DefaultHTTPClient == http.DefaultClient {
		util.DefaultHTTPClient = &http.Client{Timeout: callTimeout}
	}
	return &Wechat{appID: appID, secret: secret, openIDs: openIDs}
}

// callTimeout bounds one platform call.
const callTimeout = 10 * time.Second

// subscriber returns the SDK client, made afresh after a token expired so
// the next call fetches a new one.
func (w *Wechat) subscriber(fresh bool) *subscribe.Subscribe {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sub == nil || fresh {
		mp := sdk.NewWechat().GetMiniProgram(&mpconfig.Config{AppID: w.appID, AppSecret: w.secret, Cache: cache.NewMemory()})
		mp.SetAccessTokenHandle(credential.NewStableAccessToken(w.appID, w.secret, "siyu_messaging", cache.NewMemory()))
		w.sub = mp.GetSubscribe()
	}
	return w.sub
}

// scrub keeps the AppSecret out of errors (and logs): transport errors
// quote request URLs.
func (w *Wechat) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if w.secret != "" {
		msg = strings.ReplaceAll(msg, w.secret, "***")
	}
	return fmt.Errorf("wechat subscribe send: %s", msg)
}

// Send delivers d to the member's openid.
func (w *Wechat) Send(ctx context.Context, d domain.Delivery, _ app.Contact) (string, error) {
	openid, err := w.openIDs(ctx, d.MemberID)
	if err != nil {
		return "", err
	}
	if openid == "" {
		return "", app.Permanent(errors.New("wechat: the member has no openid in this mini-program"))
	}
	msg := &subscribe.Message{ToUser: openid, TemplateID: d.Content.ProviderTemplate, Page: d.Content.Link, Lang: "zh_CN", Data: map[string]*subscribe.DataItem{}}
	for k, v := range d.Content.Params {
		msg.Data[k] = &subscribe.DataItem{Value: v}
	}
	for attempt := range 2 {
		err = w.subscriber(attempt > 0).Send(msg)
		var ce *util.CommonError
		switch {
		case err == nil:
			return "wechat-" + app.MessageID(d.ID), nil
		case errors.As(err, &ce) && tokenExpired[ce.ErrCode] && attempt == 0:
			continue
		case errors.As(err, &ce) && refused[ce.ErrCode]:
			return "", app.Permanent(fmt.Errorf("wechat refused: errcode %d %s", ce.ErrCode, ce.ErrMsg))
		case errors.As(err, &ce):
			return "", fmt.Errorf("wechat: errcode %d %s", ce.ErrCode, ce.ErrMsg)
		}
		return "", w.scrub(err)
	}
	return "", w.scrub(err)
}
