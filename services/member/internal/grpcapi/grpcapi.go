// Package grpcapi serves the member service's gRPC API: it converts between
// protobuf and the domain, checks who may see what, and maps domain errors
// to status codes with ErrorInfo reasons.
package grpcapi

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/logx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/domain"
)

const errDomain = "member.siyu.dev"

// Policy is who may call what, over every part of the service.
var Policy = auth.Merge(identityPolicy, LoyaltyPolicy, TagPolicy)

// identityPolicy guards sign-in, profiles, addresses and the back office.
var identityPolicy = auth.Policy{
	memberv1.AuthService_SendSmsCode_FullMethodName:  auth.Public,
	memberv1.AuthService_SmsLogin_FullMethodName:     auth.Public,
	memberv1.AuthService_RefreshToken_FullMethodName: auth.Public,
	memberv1.AuthService_Logout_FullMethodName:       auth.Public,
	memberv1.AuthService_AdminLogin_FullMethodName:   auth.Public,
	memberv1.MemberService_GetMe_FullMethodName:      auth.MemberOnly,
	memberv1.MemberService_GetMember_FullMethodName:  auth.Staff,

	memberv1.MemberService_UpdateMe_FullMethodName:               auth.MemberOnly,
	memberv1.MemberService_DeleteMe_FullMethodName:               auth.MemberOnly,
	memberv1.MemberService_ListMySessions_FullMethodName:         auth.MemberOnly,
	memberv1.MemberService_RevokeMySession_FullMethodName:        auth.MemberOnly,
	memberv1.MemberService_SearchMembers_FullMethodName:          auth.Staff,
	memberv1.MemberService_BlockMember_FullMethodName:            auth.Operators,
	memberv1.MemberService_UnblockMember_FullMethodName:          auth.Operators,
	memberv1.MemberService_CreateOperator_FullMethodName:         auth.OwnerOnly,
	memberv1.MemberService_ListOperatorSessions_FullMethodName:   auth.OwnerOnly,
	memberv1.MemberService_RevokeOperatorSessions_FullMethodName: auth.OwnerOnly,
	memberv1.AddressService_ListMyAddresses_FullMethodName:       auth.MemberOnly,
	memberv1.AddressService_GetMyAddress_FullMethodName:          auth.MemberOnly,
	memberv1.AddressService_CreateMyAddress_FullMethodName:       auth.MemberOnly,
	memberv1.AddressService_UpdateMyAddress_FullMethodName:       auth.MemberOnly,
	memberv1.AddressService_DeleteMyAddress_FullMethodName:       auth.MemberOnly,
	memberv1.AuthService_WechatLogin_FullMethodName:              auth.Public,
	memberv1.MemberService_BindWechat_FullMethodName:             auth.MemberOnly,
	memberv1.MemberService_ListMemberAddresses_FullMethodName:    auth.Staff,
	memberv1.MemberService_ListMemberSessions_FullMethodName:     auth.Staff,
	memberv1.MemberService_GetMemberOverview_FullMethodName:      auth.Staff,
	// Any signed-in caller asks about its own token; the handler refuses none.
	memberv1.MemberService_CheckSession_FullMethodName: auth.Public,
	// Messaging addresses WeChat subscribe messages with it.
	memberv1.MemberService_GetMemberWechatOpenId_FullMethodName: auth.ServiceOnly,
}

// Register adds the identity, profile and address services to s; loyalty
// completes the member 360 view with points, level and tags.
func Register(s *grpc.Server, svc *app.Service, loyalty *app.Loyalty) {
	memberv1.RegisterAuthServiceServer(s, authServer{svc: svc})
	memberv1.RegisterMemberServiceServer(s, memberServer{svc: svc, loyalty: loyalty})
	memberv1.RegisterAddressServiceServer(s, addressServer{svc: svc})
}

// toStatus is the one mapping from domain errors to gRPC statuses.
func toStatus(ctx context.Context, err error) error { return errs.Status(ctx, errDomain, err) }

func toProto(m domain.Member, fullPhone bool) *memberv1.Member {
	phone := m.Phone
	if !fullPhone {
		phone = logx.MaskPhone(phone)
	}
	return &memberv1.Member{Id: m.ID, Phone: phone, Nickname: m.Nickname, AvatarUrl: m.AvatarURL, Channel: m.Channel, CreateTime: timestamppb.New(m.CreatedAt),
		Gender: genderToProto[m.Gender], Birthday: m.Birthday, InviterId: m.InviterID, InviteCode: domain.InviteCode(m.ID), Blocked: m.Blocked, WechatBound: m.WechatBound(), Deleted: m.Deleted,
		MarketingConsent: &memberv1.MarketingConsent{Sms: m.Consent.SMS, WechatSubscribe: m.Consent.WechatSubscribe, InApp: m.Consent.InApp}}
}

type authServer struct {
	memberv1.UnimplementedAuthServiceServer
	svc *app.Service
}

func (a authServer) SendSmsCode(ctx context.Context, req *memberv1.SendSmsCodeRequest) (*memberv1.SendSmsCodeResponse, error) {
	res, err := a.svc.SendSmsCode(ctx, req.GetPhone(), auth.ClientIP(ctx))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.SendSmsCodeResponse{RetryAfterSeconds: int32(res.RetryAfterSeconds), DevCode: res.DevCode}, nil
}

func (a authServer) SmsLogin(ctx context.Context, req *memberv1.SmsLoginRequest) (*memberv1.SmsLoginResponse, error) {
	res, err := a.svc.SmsLogin(ctx, req.GetPhone(), req.GetCode(), app.Registration{Channel: req.GetChannel(), InviteCode: req.GetInviteCode(), InviterID: req.GetInviterId()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.SmsLoginResponse{
		AccessToken: res.Access, RefreshToken: res.Refresh,
		AccessTokenExpireTime: timestamppb.New(res.AccessExpiry), RefreshTokenExpireTime: timestamppb.New(res.RefreshExpiry),
		Member: toProto(res.Member, true), Registered: res.Registered,
	}, nil
}

func (a authServer) RefreshToken(ctx context.Context, req *memberv1.RefreshTokenRequest) (*memberv1.RefreshTokenResponse, error) {
	t, err := a.svc.Refresh(ctx, req.GetRefreshToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.RefreshTokenResponse{AccessToken: t.Access, RefreshToken: t.Refresh,
		AccessTokenExpireTime: timestamppb.New(t.AccessExpiry), RefreshTokenExpireTime: timestamppb.New(t.RefreshExpiry)}, nil
}

func (a authServer) Logout(ctx context.Context, req *memberv1.LogoutRequest) (*memberv1.LogoutResponse, error) {
	if err := a.svc.Logout(ctx, req.GetRefreshToken()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.LogoutResponse{}, nil
}

func (a authServer) AdminLogin(ctx context.Context, req *memberv1.AdminLoginRequest) (*memberv1.AdminLoginResponse, error) {
	t, admin, err := a.svc.AdminLogin(ctx, req.GetUsername(), req.GetPassword(), auth.ClientIP(ctx))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.AdminLoginResponse{AccessToken: t.Access, AccessTokenExpireTime: timestamppb.New(t.AccessExpiry), Username: admin.Username, Roles: admin.Roles,
		RefreshToken: t.Refresh, RefreshTokenExpireTime: timestamppb.New(t.RefreshExpiry)}, nil
}

type memberServer struct {
	memberv1.UnimplementedMemberServiceServer
	svc     *app.Service
	loyalty *app.Loyalty
}

func (m memberServer) GetMe(ctx context.Context, _ *memberv1.GetMeRequest) (*memberv1.GetMeResponse, error) {
	id, _ := auth.FromContext(ctx) // the policy guarantees a member
	got, err := m.svc.Me(ctx, id.Subject)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMeResponse{Member: toProto(got, true)}, nil
}

// GetMember is for operators; only owners see full phone numbers.
func (m memberServer) GetMember(ctx context.Context, req *memberv1.GetMemberRequest) (*memberv1.GetMemberResponse, error) {
	if req.GetMemberId() == "" {
		return nil, toStatus(ctx, domain.ErrMemberIDRequired.With("field", "member_id"))
	}
	got, err := m.svc.GetMember(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	id, _ := auth.FromContext(ctx)
	return &memberv1.GetMemberResponse{Member: toProto(got, id.HasRole(auth.RoleOwner) || id.Kind == auth.KindService)}, nil
}

// GetMemberWechatOpenId gives a service the member's openid in one of the
// shop's WeChat apps.
func (m memberServer) GetMemberWechatOpenId(ctx context.Context, req *memberv1.GetMemberWechatOpenIdRequest) (*memberv1.GetMemberWechatOpenIdResponse, error) {
	if req.GetMemberId() == "" {
		return nil, toStatus(ctx, domain.ErrMemberIDRequired)
	}
	got, err := m.svc.GetMember(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMemberWechatOpenIdResponse{Openid: got.OpenIDFor(req.GetAppId())}, nil
}

// CheckSession answers the gateway's question about the caller's own token.
func (m memberServer) CheckSession(ctx context.Context, _ *memberv1.CheckSessionRequest) (*memberv1.CheckSessionResponse, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, toStatus(ctx, domain.ErrTokenMissing)
	}
	if err := m.svc.CheckSession(ctx, id); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.CheckSessionResponse{}, nil
}
