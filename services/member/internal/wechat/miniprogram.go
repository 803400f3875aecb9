package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	sdk "github.com/silenceper/wechat/v2"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/miniprogram/auth"
	mpconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/util"

	"siyu.dev/services/member/internal/domain"
)

// Platform error codes that mean "this code is no good" rather than "the
// platform or our configuration failed": 40029 invalid code, 40163 code
// already used, 40226 login refused for a high-risk user.
var badCode = map[int64]bool{40029: true, 40163: true, 40226: true}

// callTimeout bounds one platform call; the SDK's HTTP client has none.
const callTimeout = 10 * time.Second

// MiniProgram talks to the WeChat platform for one mini-program through
// github.com/silenceper/wechat/v2: code2session for login codes and
// getuserphonenumber (with a cached access token) for phone-number codes.
type MiniProgram struct {
	auth   *auth.Auth
	secret string
}

// PlatformBase is where the SDK sends its calls.
const PlatformBase = "https://api.weixin.qq.com"

// NewMiniProgram uses the mini-program's AppID and AppSecret. Access tokens
// are cached in memory per process. apiBase, when not empty, replaces
// PlatformBase (an egress proxy, or a fake platform in tests); the SDK
// keeps that setting process-wide.
func NewMiniProgram(appID, appSecret, apiBase string) *MiniProgram {
	if apiBase != "" {
		base := strings.TrimRight(apiBase, "/")
		util.SetURIModifier(func(uri string) string {
			if rest, ok := strings.CutPrefix(uri, PlatformBase); ok {
				return base + rest
			}
			return uri
		})
	}
	mp := sdk.NewWechat().GetMiniProgram(&mpconfig.Config{AppID: appID, AppSecret: appSecret, Cache: cache.NewMemory()})
	return &MiniProgram{auth: mp.GetAuth(), secret: appSecret}
}

// scrub keeps the AppSecret out of errors (and so out of logs): the SDK's
// transport errors quote request URLs, and code2session and the token call
// carry the secret in their query strings.
func (m *MiniProgram) scrub(api string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if m.secret != "" {
		msg = strings.ReplaceAll(msg, m.secret, "***")
	}
	return fmt.Errorf("wechat %s: %s", api, msg)
}

// Code2Session exchanges a wx.login code for the user's ids.
func (m *MiniProgram) Code2Session(ctx context.Context, code string) (domain.WechatSession, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := m.auth.Code2SessionContext(ctx, code)
	if res.ErrCode != 0 {
		if badCode[res.ErrCode] {
			return domain.WechatSession{}, domain.ErrWechatCodeInvalid
		}
		return domain.WechatSession{}, fmt.Errorf("wechat code2session: errcode %d: %s", res.ErrCode, res.ErrMsg)
	}
	if err != nil {
		return domain.WechatSession{}, m.scrub("code2session", err)
	}
	return domain.WechatSession{OpenID: res.OpenID, UnionID: res.UnionID, SessionKey: res.SessionKey}, nil
}

// PhoneNumber exchanges a getPhoneNumber code for the verified number.
// Numbers outside mainland China keep their country code, so they fail
// the mainland phone rule instead of passing as something they are not.
func (m *MiniProgram) PhoneNumber(ctx context.Context, phoneCode string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := m.auth.GetPhoneNumberContext(ctx, phoneCode)
	var ce *util.CommonError
	if errors.As(err, &ce) {
		if badCode[ce.ErrCode] {
			return "", domain.ErrWechatPhoneCodeInvalid
		}
		return "", fmt.Errorf("wechat getuserphonenumber: errcode %d: %s", ce.ErrCode, ce.ErrMsg)
	}
	if err != nil {
		return "", m.scrub("getuserphonenumber", err)
	}
	info := res.PhoneInfo
	if info.CountryCode != "" && info.CountryCode != "86" {
		return "+" + info.CountryCode + info.PurePhoneNumber, nil
	}
	return info.PurePhoneNumber, nil
}
