package grpcapi

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/logx"
	"siyu.dev/pkg/pagetoken"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/domain"
)

var genderToProto = map[domain.Gender]memberv1.Gender{
	domain.GenderUnspecified: memberv1.Gender_GENDER_UNSPECIFIED,
	domain.GenderMale:        memberv1.Gender_GENDER_MALE,
	domain.GenderFemale:      memberv1.Gender_GENDER_FEMALE,
	domain.GenderOther:       memberv1.Gender_GENDER_OTHER,
}

var genderFromProto = map[memberv1.Gender]domain.Gender{
	memberv1.Gender_GENDER_UNSPECIFIED: domain.GenderUnspecified,
	memberv1.Gender_GENDER_MALE:        domain.GenderMale,
	memberv1.Gender_GENDER_FEMALE:      domain.GenderFemale,
	memberv1.Gender_GENDER_OTHER:       domain.GenderOther,
}

// profileChange reads the masked fields of m. Paths are proto field names,
// which is also what the gateway derives from a PATCH body.
func profileChange(m *memberv1.Member, paths []string) (domain.ProfileChange, error) {
	if m == nil {
		m = &memberv1.Member{}
	}
	c := m.GetMarketingConsent()
	var p domain.ProfileChange
	for _, path := range paths {
		switch path {
		case "nickname":
			p.Nickname = ptr(m.GetNickname())
		case "avatar_url":
			p.AvatarURL = ptr(m.GetAvatarUrl())
		case "gender":
			g, ok := genderFromProto[m.GetGender()]
			if !ok {
				return p, domain.ErrGenderInvalid
			}
			p.Gender = &g
		case "birthday":
			p.Birthday = ptr(m.GetBirthday())
		case "marketing_consent":
			p.SMS, p.WechatSubscribe, p.InApp = ptr(c.GetSms()), ptr(c.GetWechatSubscribe()), ptr(c.GetInApp())
		case "marketing_consent.sms":
			p.SMS = ptr(c.GetSms())
		case "marketing_consent.wechat_subscribe":
			p.WechatSubscribe = ptr(c.GetWechatSubscribe())
		case "marketing_consent.in_app":
			p.InApp = ptr(c.GetInApp())
		default:
			if len(path) > 64 {
				path = path[:64]
			}
			return p, domain.ErrFieldNotUpdatable(path)
		}
	}
	return p, nil
}

func ptr[T any](v T) *T { return &v }

func (m memberServer) UpdateMe(ctx context.Context, req *memberv1.UpdateMeRequest) (*memberv1.UpdateMeResponse, error) {
	id, _ := auth.FromContext(ctx)
	p, err := profileChange(req.GetMember(), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	got, err := m.svc.UpdateProfile(ctx, id.Subject, p)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.UpdateMeResponse{Member: toProto(got, true)}, nil
}

func (m memberServer) DeleteMe(ctx context.Context, _ *memberv1.DeleteMeRequest) (*memberv1.DeleteMeResponse, error) {
	id, _ := auth.FromContext(ctx)
	if err := m.svc.DeleteAccount(ctx, id.Subject); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.DeleteMeResponse{}, nil
}

func (m memberServer) ListMySessions(ctx context.Context, _ *memberv1.ListMySessionsRequest) (*memberv1.ListMySessionsResponse, error) {
	id, _ := auth.FromContext(ctx)
	list, err := m.svc.ListSessions(ctx, id.Subject)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListMySessionsResponse{Sessions: sessionsProto(list, id.SessionID)}, nil
}

// sessionsProto converts sessions, marking the one of currentID.
func sessionsProto(list []domain.Session, currentID string) []*memberv1.Session {
	out := make([]*memberv1.Session, len(list))
	for i, s := range list {
		out[i] = &memberv1.Session{Id: s.ID, Method: s.Method, CreateTime: timestamppb.New(s.CreatedAt), ExpireTime: timestamppb.New(s.ExpiresAt), Current: s.ID == currentID}
	}
	return out
}

func (m memberServer) RevokeMySession(ctx context.Context, req *memberv1.RevokeMySessionRequest) (*memberv1.RevokeMySessionResponse, error) {
	id, _ := auth.FromContext(ctx)
	if err := m.svc.RevokeSession(ctx, id.Subject, req.GetSessionId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.RevokeMySessionResponse{}, nil
}

// requireRole admits operators holding one of roles. Service tokens are
// not operators: back-office writes always have a person behind them.
func requireRole(ctx context.Context, roles ...string) (auth.Identity, error) {
	id, _ := auth.FromContext(ctx)
	if id.Kind == auth.KindAdmin {
		for _, r := range roles {
			if id.HasRole(r) {
				return id, nil
			}
		}
	}
	return id, toStatus(ctx, domain.ErrRoleRequired.WithMsg("this needs one of the roles "+strings.Join(roles, ", ")))
}

func (m memberServer) SearchMembers(ctx context.Context, req *memberv1.SearchMembersRequest) (*memberv1.SearchMembersResponse, error) {
	size, err := pagetoken.PageSize(req.GetPageSize(), 20, 100)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	q := domain.MemberQuery{Phone: req.GetPhone(), Nickname: req.GetNickname(), Channel: req.GetChannel()}
	tok, err := pagetoken.Decode(req.GetPageToken(), "phone="+q.Phone+"\x00nickname="+q.Nickname+"\x00channel="+q.Channel)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	// One extra row tells whether another page exists.
	list, err := m.svc.SearchMembers(ctx, q, tok.Offset, size+1)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	res := &memberv1.SearchMembersResponse{}
	if len(list) > size {
		list = list[:size]
		res.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: tok.Offset + size, Filter: tok.Filter})
	}
	id, _ := auth.FromContext(ctx)
	for _, mem := range list {
		res.Members = append(res.Members, toProto(mem, id.HasRole(auth.RoleOwner)))
	}
	return res, nil
}

func (m memberServer) setBlocked(ctx context.Context, memberID string, blocked bool, reason string) (*memberv1.Member, error) {
	id, err := requireRole(ctx, auth.RoleOwner, auth.RoleOperator)
	if err != nil {
		return nil, err
	}
	got, err := m.svc.SetBlocked(ctx, memberID, blocked, id.Subject, reason)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return toProto(got, id.HasRole(auth.RoleOwner)), nil
}

func (m memberServer) BlockMember(ctx context.Context, req *memberv1.BlockMemberRequest) (*memberv1.BlockMemberResponse, error) {
	got, err := m.setBlocked(ctx, req.GetMemberId(), true, req.GetReason())
	if err != nil {
		return nil, err
	}
	return &memberv1.BlockMemberResponse{Member: got}, nil
}

func (m memberServer) UnblockMember(ctx context.Context, req *memberv1.UnblockMemberRequest) (*memberv1.UnblockMemberResponse, error) {
	got, err := m.setBlocked(ctx, req.GetMemberId(), false, "")
	if err != nil {
		return nil, err
	}
	return &memberv1.UnblockMemberResponse{Member: got}, nil
}

func (m memberServer) CreateOperator(ctx context.Context, req *memberv1.CreateOperatorRequest) (*memberv1.CreateOperatorResponse, error) {
	if _, err := requireRole(ctx, auth.RoleOwner); err != nil {
		return nil, err
	}
	a, err := m.svc.CreateOperator(ctx, req.GetUsername(), req.GetPassword(), req.GetRoles())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.CreateOperatorResponse{Username: a.Username, Roles: a.Roles}, nil
}

func (m memberServer) ListOperatorSessions(ctx context.Context, req *memberv1.ListOperatorSessionsRequest) (*memberv1.ListOperatorSessionsResponse, error) {
	list, err := m.svc.OperatorSessions(ctx, req.GetUsername())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListOperatorSessionsResponse{Sessions: sessionsProto(list, "")}, nil
}

func (m memberServer) RevokeOperatorSessions(ctx context.Context, req *memberv1.RevokeOperatorSessionsRequest) (*memberv1.RevokeOperatorSessionsResponse, error) {
	if err := m.svc.RevokeOperatorSessions(ctx, req.GetUsername()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.RevokeOperatorSessionsResponse{}, nil
}

type addressServer struct {
	memberv1.UnimplementedAddressServiceServer
	svc *app.Service
}

func addressToProto(a domain.Address) *memberv1.Address {
	return &memberv1.Address{Id: a.ID, ReceiverName: a.ReceiverName, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District,
		Detail: a.Detail, IsDefault: a.IsDefault, CreateTime: timestamppb.New(a.CreatedAt), UpdateTime: timestamppb.New(a.UpdatedAt)}
}

func addressFromProto(a *memberv1.Address) (domain.Address, error) {
	if a == nil {
		return domain.Address{}, domain.ErrAddressRequired
	}
	return domain.Address{ReceiverName: a.GetReceiverName(), Phone: a.GetPhone(), Province: a.GetProvince(), City: a.GetCity(), District: a.GetDistrict(),
		Detail: a.GetDetail(), IsDefault: a.GetIsDefault()}, nil
}

func (s addressServer) ListMyAddresses(ctx context.Context, _ *memberv1.ListMyAddressesRequest) (*memberv1.ListMyAddressesResponse, error) {
	id, _ := auth.FromContext(ctx)
	b, err := s.svc.AddressBook(ctx, id.Subject)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	res := &memberv1.ListMyAddressesResponse{}
	for _, a := range b.Sorted() {
		res.Addresses = append(res.Addresses, addressToProto(a))
	}
	return res, nil
}

func (s addressServer) GetMyAddress(ctx context.Context, req *memberv1.GetMyAddressRequest) (*memberv1.GetMyAddressResponse, error) {
	id, _ := auth.FromContext(ctx)
	a, err := s.svc.Address(ctx, id.Subject, req.GetAddressId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMyAddressResponse{Address: addressToProto(a)}, nil
}

func (s addressServer) CreateMyAddress(ctx context.Context, req *memberv1.CreateMyAddressRequest) (*memberv1.CreateMyAddressResponse, error) {
	id, _ := auth.FromContext(ctx)
	in, err := addressFromProto(req.GetAddress())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.CreateAddress(ctx, id.Subject, in)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.CreateMyAddressResponse{Address: addressToProto(a)}, nil
}

func (s addressServer) UpdateMyAddress(ctx context.Context, req *memberv1.UpdateMyAddressRequest) (*memberv1.UpdateMyAddressResponse, error) {
	id, _ := auth.FromContext(ctx)
	in, err := addressFromProto(req.GetAddress())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.UpdateAddress(ctx, id.Subject, req.GetAddressId(), in)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.UpdateMyAddressResponse{Address: addressToProto(a)}, nil
}

func (s addressServer) DeleteMyAddress(ctx context.Context, req *memberv1.DeleteMyAddressRequest) (*memberv1.DeleteMyAddressResponse, error) {
	id, _ := auth.FromContext(ctx)
	if err := s.svc.DeleteAddress(ctx, id.Subject, req.GetAddressId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.DeleteMyAddressResponse{}, nil
}

func (a authServer) WechatLogin(ctx context.Context, req *memberv1.WechatLoginRequest) (*memberv1.WechatLoginResponse, error) {
	res, err := a.svc.WechatLogin(ctx, req.GetAppId(), req.GetCode(), req.GetPhoneCode(), app.Registration{Channel: req.GetChannel(), InviteCode: req.GetInviteCode(), InviterID: req.GetInviterId()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.WechatLoginResponse{
		AccessToken: res.Access, RefreshToken: res.Refresh,
		AccessTokenExpireTime: timestamppb.New(res.AccessExpiry), RefreshTokenExpireTime: timestamppb.New(res.RefreshExpiry),
		Member: toProto(res.Member, true), Registered: res.Registered,
	}, nil
}

func (m memberServer) BindWechat(ctx context.Context, req *memberv1.BindWechatRequest) (*memberv1.BindWechatResponse, error) {
	id, _ := auth.FromContext(ctx)
	got, err := m.svc.BindWechat(ctx, id.Subject, req.GetAppId(), req.GetCode())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.BindWechatResponse{Member: toProto(got, true)}, nil
}

// ListMemberAddresses is the addresses part of the member 360 view.
func (m memberServer) ListMemberAddresses(ctx context.Context, req *memberv1.ListMemberAddressesRequest) (*memberv1.ListMemberAddressesResponse, error) {
	if req.GetMemberId() == "" {
		return nil, toStatus(ctx, domain.ErrMemberIDRequired)
	}
	addrs, err := m.memberAddresses(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListMemberAddressesResponse{Addresses: addrs}, nil
}

// memberAddresses is a member's address book as operators see it: receiver
// phones masked except for owners.
func (m memberServer) memberAddresses(ctx context.Context, memberID string) ([]*memberv1.Address, error) {
	b, err := m.svc.AddressBook(ctx, memberID)
	if err != nil {
		return nil, err
	}
	id, _ := auth.FromContext(ctx)
	var out []*memberv1.Address
	for _, a := range b.Sorted() {
		if !id.HasRole(auth.RoleOwner) {
			a.Phone = logx.MaskPhone(a.Phone)
		}
		out = append(out, addressToProto(a))
	}
	return out, nil
}

// ListMemberSessions is the sessions part of the member 360 view.
func (m memberServer) ListMemberSessions(ctx context.Context, req *memberv1.ListMemberSessionsRequest) (*memberv1.ListMemberSessionsResponse, error) {
	if req.GetMemberId() == "" {
		return nil, toStatus(ctx, domain.ErrMemberIDRequired)
	}
	if _, err := m.svc.GetMember(ctx, req.GetMemberId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	list, err := m.svc.ListSessions(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListMemberSessionsResponse{Sessions: sessionsProto(list, "")}, nil
}
