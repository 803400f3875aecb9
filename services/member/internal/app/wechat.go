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

func (s *Service) wechatSession(ctx context.Context, code string) (domain.WechatSession, error) {
	if s.opt.WeChat == nil {
		return domain.WechatSession{}, domain.ErrWechatNotConfigured
	}
	if code == "" {
		return domain.WechatSession{}, domain.ErrWechatCodeRequired
	}
	if len(code) > 128 {
		return domain.WechatSession{}, domain.ErrWechatCodeInvalid
	}
	ws, err := s.opt.WeChat.Code2Session(ctx, code)
	if err == nil && ws.OpenID == "" {
		err = domain.ErrWechatCodeInvalid
	}
	return ws, err
}

// byWechat finds the member bound to the openid, or else to the unionid.
func (s *Service) byWechat(ctx context.Context, ws domain.WechatSession) (domain.Member, error) {
	m, err := s.members.ByWechat(ctx, domain.OpenIDKey(ws.OpenID))
	if errors.Is(err, ErrNotFound) && ws.UnionID != "" {
		m, err = s.members.ByWechat(ctx, domain.UnionIDKey(ws.UnionID))
	}
	if err == nil && m.Deleted {
		return domain.Member{}, ErrNotFound
	}
	return m, err
}

// WechatLogin signs a shopper in with a mini-program login code. An
// unbound WeChat account needs the phone-number code: the verified phone
// finds (or registers) the member, and the WeChat ids are bound to it.
func (s *Service) WechatLogin(ctx context.Context, code, phoneCode string, reg Registration) (LoginResult, error) {
	if err := domain.ValidateChannel(reg.Channel); err != nil {
		return LoginResult{}, err
	}
	inviter, err := s.inviter(ctx, reg)
	if err != nil {
		return LoginResult{}, err
	}
	ws, err := s.wechatSession(ctx, code)
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
		phone, perr := s.opt.WeChat.PhoneNumber(ctx, phoneCode)
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
	if m.OpenID != ws.OpenID {
		if m.OpenID != "" {
			return LoginResult{}, domain.ErrWechatBoundToOther
		}
		if m, err = s.members.BindWechat(ctx, m.ID, ws.OpenID, ws.UnionID); err != nil {
			return LoginResult{}, err
		}
	}
	tok, err := s.openSession(ctx, auth.Identity{Subject: m.ID, Kind: auth.KindMember}, s.opt.AccessTTL, "wechat")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Tokens: tok, Member: m, Registered: registered}, nil
}

// BindWechat binds the WeChat account of code to the calling member.
func (s *Service) BindWechat(ctx context.Context, memberID, code string) (domain.Member, error) {
	ws, err := s.wechatSession(ctx, code)
	if err != nil {
		return domain.Member{}, err
	}
	m, err := s.Me(ctx, memberID)
	if err != nil {
		return domain.Member{}, err
	}
	switch {
	case m.OpenID == ws.OpenID:
		return m, nil
	case m.OpenID != "":
		return domain.Member{}, domain.ErrWechatBoundToOther
	}
	m, err = s.members.BindWechat(ctx, memberID, ws.OpenID, ws.UnionID)
	if errors.Is(err, ErrNotFound) {
		return domain.Member{}, domain.ErrMemberNotFound
	}
	return m, err
}
