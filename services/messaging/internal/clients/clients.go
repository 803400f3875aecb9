// Package clients are the messaging service's adapters to the member
// service. Calls carry the messaging service's own short-lived service
// token: reading a member's consent (GetMember, a staff read that service
// tokens pass) and streaming a segment (service-only).
package clients

import (
	"context"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Tokens is the messaging service's own identity (pkg/auth.ServiceToken).
type Tokens = auth.ServiceToken

// Members reads members and segments from the member service.
type Members struct {
	members  memberv1.MemberServiceClient
	segments memberv1.SegmentServiceClient
	tokens   *Tokens
}

// NewMembers uses conn to the member service.
func NewMembers(conn grpc.ClientConnInterface, tokens *Tokens) *Members {
	return &Members{members: memberv1.NewMemberServiceClient(conn), segments: memberv1.NewSegmentServiceClient(conn), tokens: tokens}
}

// Contact reads the member's consent, phone and WeChat binding; an unknown
// member comes back as member's NOT_FOUND fault.
func (m *Members) Contact(ctx context.Context, memberID string) (app.Contact, error) {
	ctx, err := m.tokens.As(ctx)
	if err != nil {
		return app.Contact{}, err
	}
	resp, err := m.members.GetMember(ctx, &memberv1.GetMemberRequest{MemberId: memberID})
	if err != nil {
		return app.Contact{}, errs.Fault(err)
	}
	p := resp.GetMember()
	c := p.GetMarketingConsent()
	return app.Contact{
		Consent:     map[domain.Channel]bool{domain.ChannelSMS: c.GetSms(), domain.ChannelWechatSubscribe: c.GetWechatSubscribe(), domain.ChannelInApp: c.GetInApp()},
		Phone:       p.GetPhone(),
		WechatBound: p.GetWechatBound(),
		Gone:        p.GetBlocked() || p.GetDeleted(),
	}, nil
}

// Segment streams the segment's members (in member id order) to fn.
func (m *Members) Segment(ctx context.Context, segmentID string, fn func(memberID string) error) error {
	sctx, err := m.tokens.As(ctx)
	if err != nil {
		return err
	}
	return errs.Fault(memberv1.EachSegmentMember(sctx, m.segments, segmentID, fn))
}

// OpenID returns the member's openid in the shop's main mini-program, ""
// when they have not bound it.
func (m *Members) OpenID(ctx context.Context, memberID string) (string, error) {
	ctx, err := m.tokens.As(ctx)
	if err != nil {
		return "", err
	}
	resp, err := m.members.GetMemberWechatOpenId(ctx, &memberv1.GetMemberWechatOpenIdRequest{MemberId: memberID})
	if err != nil {
		return "", errs.Fault(err)
	}
	return resp.GetOpenid(), nil
}
