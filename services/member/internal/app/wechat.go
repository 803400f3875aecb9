package app

import (
	"context"
	"errors"

	"siyu.dev/pkg/auth"
	"siyu.dev/services/member/internal/domain"
)

// WeChat is the mini-program platform: it verifies login codes and
// phone-number codes. Adapters map the platform's "bad code" answers to
// domain.ErrWechatCodeInvalid and domain.ErrWechatPhoneCodeInvalid.
type WeChat interface {
	Code2Session(ctx context.Context, code string) (domain.WechatSession, error)
	// PhoneNumber returns the verified phone number (without country code).
	PhoneNumber(ctx context.Context, phoneCode string) (string, error)
}

// wechatApp resolves a client's app id to the app key members are bound
// under ("" for the main mini-program) and that app's platform.
func (s *Service) wechatApp(appID string) (string, WeChat, error) {
	if s.opt.WeChat == nil {
		return "", nil, domain.ErrWechatNotConfigured
	}
	if appID == "" || appID == s.opt.WeChatAppID {
		return "", s.opt.WeChat, nil
	}
	if w, ok := s.opt.WeChatApps[appID]; ok {
		return appID, w, nil
	}
	return "", nil, domain.ErrWechatAppUnknown
}

func (s *Service) wechatSession(ctx context.Context, w WeChat, code string) (domain.WechatSession, error) {
	if code == "" {
		return domain.WechatSession{}, domain.ErrWechatCodeRequired
	}
	if len(code) > 128 {
		return domain.WechatSession{}, domain.ErrWechatCodeInvalid
	}
	ws, err := w.Code2Session(ctx, code)
	if err == nil && ws.OpenID == "" {
		err = domain.ErrWechatCodeInvalid
	}
	return ws, err
}

// byWechat finds the member bound to the openid, or else to the unionid:
// a shopper known from one of the shop's apps is the same member in the
// next. An openid and a unionid bound to two different members is a
// conflict no login can settle.
func (s *Service) byWechat(ctx context.Context, ws domain.WechatSession) (domain.Member, error) {
	m, err := s.members.ByWechat(ctx, domain.OpenIDKey(ws.OpenID))
	if err == nil && ws.UnionID != "" {
		u, uerr := s.members.ByWechat(ctx, domain.UnionIDKey(ws.UnionID))
		switch {
		case uerr == nil && u.ID != m.ID:
			return domain.Member{}, domain.ErrWechatAccountConflict
		case uerr != nil && !errors.Is(uerr, ErrNotFound):
			return domain.Member{}, uerr
		}
	}
	if errors.Is(err, ErrNotFound) && ws.UnionID != "" {
		m, err = s.members.ByWechat(ctx, domain.UnionIDKey(ws.UnionID))
	}
	if err == nil && m.Deleted {
		return domain.Member{}, ErrNotFound
	}
	return m, err
}

// WechatLogin signs a shopper in with a login code from the WeChat app
// appID ("" for the main mini-program). A WeChat account known by its
// openid or its unionid logs its member in, binding the app's openid on
// first use; an unknown one needs the phone-number code: the verified
// phone finds (or registers) the member, and the WeChat ids are bound to it.
func (s *Service) WechatLogin(ctx context.Context, appID, code, phoneCode string, reg Registration) (LoginResult, error) {
	if err := domain.ValidateChannel(reg.Channel); err != nil {
		return LoginResult{}, err
	}
	inviter, err := s.inviter(ctx, reg)
	if err != nil {
		return LoginResult{}, err
	}
	app, w, err := s.wechatApp(appID)
	if err != nil {
		return LoginResult{}, err
	}
	ws, err := s.wechatSession(ctx, w, code)
	if err != nil {
		return LoginResult{}, err
	}
	registered := false
	m, err := s.byWechat(ctx, ws)
	if errors.Is(err, ErrNotFound) {
		if phoneCode == "" {
			return LoginResult{}, domain.ErrWechatPhoneRequired
		}
		if len(phoneCode) > 128 {
			return LoginResult{}, domain.ErrWechatPhoneCodeInvalid
		}
		phone, perr := w.PhoneNumber(ctx, phoneCode)
		if perr != nil {
			return LoginResult{}, perr
		}
		if err := domain.ValidatePhone(phone); err != nil {
			return LoginResult{}, err
		}
		m, registered, err = s.memberFor(ctx, phone, reg.Channel, inviter, s.clk.Now())
	}
	if err != nil {
		return LoginResult{}, err
	}
	if m.Blocked {
		return LoginResult{}, domain.ErrMemberBlocked
	}
	if bound := m.OpenIDFor(app); bound != ws.OpenID {
		if bound != "" {
			return LoginResult{}, domain.ErrWechatBoundToOther
		}
		if m, err = s.members.BindWechat(ctx, m.ID, app, ws.OpenID, ws.UnionID); err != nil {
			return LoginResult{}, err
		}
	}
	tok, err := s.openSession(ctx, auth.Identity{Subject: m.ID, Kind: auth.KindMember}, s.opt.AccessTTL, "wechat")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Tokens: tok, Member: m, Registered: registered}, nil
}

// BindWechat binds the WeChat account of code, from app appID, to the
// calling member.
func (s *Service) BindWechat(ctx context.Context, memberID, appID, code string) (domain.Member, error) {
	app, w, err := s.wechatApp(appID)
	if err != nil {
		return domain.Member{}, err
	}
	ws, err := s.wechatSession(ctx, w, code)
	if err != nil {
		return domain.Member{}, err
	}
	m, err := s.Me(ctx, memberID)
	if err != nil {
		return domain.Member{}, err
	}
	switch bound := m.OpenIDFor(app); {
	case bound == ws.OpenID:
		return m, nil
	case bound != "":
		return domain.Member{}, domain.ErrWechatBoundToOther
	}
	m, err = s.members.BindWechat(ctx, memberID, app, ws.OpenID, ws.UnionID)
	if errors.Is(err, ErrNotFound) {
		return domain.Member{}, domain.ErrMemberNotFound
	}
	return m, err
}
