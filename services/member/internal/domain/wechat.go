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
