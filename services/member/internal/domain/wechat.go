package domain

// WechatSession is what code2session answers for a mini-program login code.
type WechatSession struct {
	OpenID  string
	UnionID string // empty unless the mini-program is tied to an open platform account
	// SessionKey decrypts data the mini-program signs; it is never stored
	// or returned, since the phone number comes from the phone-number code.
	SessionKey string
}

// OpenIDKey is the key under which an openid is claimed by one member.
func OpenIDKey(openid string) string { return "openid:" + openid }

// UnionIDKey is the key under which a unionid is claimed by one member.
func UnionIDKey(unionid string) string { return "unionid:" + unionid }

// Errors of WeChat login and binding.
var (
	ErrWechatNotConfigured    = newErr(KindFailedPrecondition, "WECHAT_NOT_CONFIGURED", "WeChat login is not configured on this server")
	ErrWechatCodeRequired     = newErr(KindInvalid, "WECHAT_CODE_REQUIRED", "code from wx.login is required")
	ErrWechatCodeInvalid      = newErr(KindInvalid, "WECHAT_CODE_INVALID", "WeChat rejected the login code (invalid, expired or used); call wx.login again")
	ErrWechatPhoneRequired    = newErr(KindFailedPrecondition, "WECHAT_PHONE_REQUIRED", "this WeChat account is not bound yet: send phone_code from the getPhoneNumber button")
	ErrWechatPhoneCodeInvalid = newErr(KindInvalid, "WECHAT_PHONE_CODE_INVALID", "WeChat rejected the phone-number code; ask for the phone number again")
	ErrWechatAlreadyBound     = newErr(KindConflict, "WECHAT_ALREADY_BOUND", "this WeChat account is bound to another member")
	ErrWechatBoundToOther     = newErr(KindFailedPrecondition, "WECHAT_BOUND_TO_OTHER", "this member is bound to a different WeChat account")
	ErrWechatAppUnknown       = newErr(KindInvalid, "WECHAT_APP_UNKNOWN", "app_id is not a WeChat app this shop is configured for")
	ErrWechatAccountConflict  = newErr(KindConflict, "WECHAT_ACCOUNT_CONFLICT", "this WeChat account's openid and unionid are bound to different members; ask customer service to merge them")
)
