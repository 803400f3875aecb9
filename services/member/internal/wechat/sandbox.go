// Package wechat holds the WeChat mini-program providers: the platform
// adapter built on github.com/silenceper/wechat/v2 and a sandbox for
// development and tests.
package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"siyu.dev/services/member/internal/domain"
)

// Sandbox stands in for the WeChat platform where there is no mini-program
// account. Its codes are predictable so that a developer (or a test) can
// play several WeChat users:
//
//   - login code "<user>" gives openid "sb-o-<hash of user>" and a unionid
//     "sb-u-<hash of user>"; "<user>" starting with "nounion-" gives none;
//     a code starting with "invalid" is rejected like an expired code.
//   - the sandbox playing another app of the shop (App set) gives the same
//     user another openid, "sb-o-<hash of app/user>", and the same unionid,
//     as WeChat does for apps under one open-platform account.
//   - phone code "phone-<11 digits>" gives that phone number; any other
//     phone code is rejected.
type Sandbox struct {
	// App is the app id played; empty for the shop's main mini-program.
	App string
}

func short(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// Code2Session maps the code to stable fake ids.
func (s Sandbox) Code2Session(_ context.Context, code string) (domain.WechatSession, error) {
	if strings.HasPrefix(code, "invalid") {
		return domain.WechatSession{}, domain.ErrWechatCodeInvalid
	}
	user := code
	if s.App != "" {
		user = s.App + "/" + code
	}
	ws := domain.WechatSession{OpenID: "sb-o-" + short(user), SessionKey: short("key" + user)}
	if !strings.HasPrefix(code, "nounion-") {
		ws.UnionID = "sb-u-" + short(code)
	}
	return ws, nil
}

// PhoneNumber reads the phone out of the code.
func (Sandbox) PhoneNumber(_ context.Context, phoneCode string) (string, error) {
	phone, ok := strings.CutPrefix(phoneCode, "phone-")
	if !ok {
		return "", domain.ErrWechatPhoneCodeInvalid
	}
	return phone, nil
}
