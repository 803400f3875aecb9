package grpcapi

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/pagetoken"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/domain"
)

// LoyaltyPolicy is who may call the points, sign-in and level RPCs. The
// checkout saga's holds (freeze, confirm, release) are for the order
// service's token only; spending is for services and operators.
var LoyaltyPolicy = auth.Policy{
	memberv1.PointsService_GetMyPoints_FullMethodName:             auth.MemberOnly,
	memberv1.PointsService_ListMyPointsEntries_FullMethodName:     auth.MemberOnly,
	memberv1.PointsService_FreezePoints_FullMethodName:            auth.ServiceOnly,
	memberv1.PointsService_ConfirmPoints_FullMethodName:           auth.ServiceOnly,
	memberv1.PointsService_ReleasePoints_FullMethodName:           auth.ServiceOnly,
	memberv1.PointsService_SpendPoints_FullMethodName:             auth.Operators,
	memberv1.PointsService_AdjustPoints_FullMethodName:            auth.Operators,
	memberv1.PointsService_GetMemberPoints_FullMethodName:         auth.Staff,
	memberv1.PointsService_ListMemberPointsEntries_FullMethodName: auth.Staff,
	memberv1.PointsService_GetLoyaltySettings_FullMethodName:      auth.Staff,
	memberv1.PointsService_UpdateLoyaltySettings_FullMethodName:   auth.Operators,
	memberv1.SignInService_SignIn_FullMethodName:                  auth.MemberOnly,
	memberv1.SignInService_GetSignInCalendar_FullMethodName:       auth.MemberOnly,
	memberv1.LevelService_ListLevelTiers_FullMethodName:           auth.Public,
	memberv1.LevelService_SetLevelTiers_FullMethodName:            auth.Operators,
	memberv1.LevelService_GetMyLevel_FullMethodName:               auth.MemberOnly,
	memberv1.LevelService_GetMemberLevel_FullMethodName:           auth.Staff,
	memberv1.LevelService_GetMemberStanding_FullMethodName:        auth.ServiceOnly,
}

// RegisterLoyalty adds the points, sign-in, level, tag and segment services to s.
func RegisterLoyalty(s *grpc.Server, l *app.Loyalty) {
	memberv1.RegisterPointsServiceServer(s, pointsServer{l: l})
	memberv1.RegisterSignInServiceServer(s, signInServer{l: l})
	memberv1.RegisterLevelServiceServer(s, levelServer{l: l})
	registerTags(s, l)
}

// requireManager admits owners and operators (customer service only reads).
func requireManager(ctx context.Context) (auth.Identity, error) {
	id, _ := auth.FromContext(ctx)
	if id.Kind == auth.KindAdmin && (id.HasRole(auth.RoleOwner) || id.HasRole(auth.RoleOperator)) {
		return id, nil
	}
	return id, toStatus(ctx, domain.ErrRoleRequired.WithMsg("only owners and operators may change points or loyalty rules").With("required", auth.RoleOperator))
}

func memberIDOf(ctx context.Context) string {
	id, _ := auth.FromContext(ctx) // the policy guarantees a member
	return id.Subject
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func accountProto(a domain.Account) *memberv1.PointsAccount {
	out := &memberv1.PointsAccount{MemberId: a.MemberID, AvailablePoints: a.Available(), FrozenPoints: a.Frozen()}
	for _, l := range a.Lots {
		if l.Remaining > 0 {
			out.Lots = append(out.Lots, &memberv1.PointsLot{Id: l.ID, SourceId: l.Source, EarnedPoints: l.Points, RemainingPoints: l.Remaining, EarnTime: ts(l.EarnedAt), ExpireTime: ts(l.ExpiresAt)})
		}
	}
	at, pts := a.NextExpiry()
	out.NextExpireTime, out.NextExpirePoints = ts(at), pts
	return out
}

func holdProto(d domain.Debit) *memberv1.PointsHold {
	return &memberv1.PointsHold{OrderId: d.Key, Points: d.Points, State: d.State}
}

// entriesPage pages a ledger newest first.
func entriesPage(a domain.Account, size int32, token string) (*memberv1.ListMyPointsEntriesResponse, error) {
	n, err := pagetoken.PageSize(size, 20, 100)
	if err != nil {
		return nil, err
	}
	tok, err := pagetoken.Decode(token, "points:"+a.MemberID)
	if err != nil {
		return nil, err
	}
	// The token holds the sequence number the next page starts below, so
	// entries written between two pages shift nothing.
	out := &memberv1.ListMyPointsEntriesResponse{}
	start := len(a.Entries) - 1
	if tok.Offset > 0 {
		start = min(tok.Offset-1, len(a.Entries)) - 1
	}
	for i := start; i >= 0 && len(out.Entries) < n; i-- {
		e := a.Entries[i]
		out.Entries = append(out.Entries, &memberv1.PointsEntry{Seq: e.Seq, Kind: e.Kind, Delta: e.Delta, FrozenDelta: e.FrozenDelta,
			AvailableAfter: e.Available, FrozenAfter: e.Frozen, Reason: e.Reason, SourceId: e.Source, OperatorId: e.Operator, CreateTime: ts(e.At)})
	}
	if k := len(out.Entries); k > 0 && out.Entries[k-1].Seq > 1 {
		out.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: int(out.Entries[k-1].Seq), Filter: "points:" + a.MemberID})
	}
	return out, nil
}

// requireID checks an id field; missing is the domain's fault for it.
func requireID(ctx context.Context, v string, missing *domain.Error, field string) error {
	if v == "" {
		return toStatus(ctx, missing.WithMsg(field+" is required").With("field", field))
	}
	if len(v) > 128 {
		return toStatus(ctx, missing.WithMsg(field+" is at most 128 bytes").With("field", field))
	}
	return nil
}

type pointsServer struct {
	memberv1.UnimplementedPointsServiceServer
	l *app.Loyalty
}

func (p pointsServer) GetMyPoints(ctx context.Context, _ *memberv1.GetMyPointsRequest) (*memberv1.GetMyPointsResponse, error) {
	a, err := p.l.Account(ctx, memberIDOf(ctx))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMyPointsResponse{Account: accountProto(a)}, nil
}

func (p pointsServer) ListMyPointsEntries(ctx context.Context, req *memberv1.ListMyPointsEntriesRequest) (*memberv1.ListMyPointsEntriesResponse, error) {
	a, err := p.l.Account(ctx, memberIDOf(ctx))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	page, err := entriesPage(a, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return page, nil
}

func (p pointsServer) FreezePoints(ctx context.Context, req *memberv1.FreezePointsRequest) (*memberv1.FreezePointsResponse, error) {
	if err := requireID(ctx, req.GetMemberId(), domain.ErrMemberIDRequired, "member_id"); err != nil {
		return nil, err
	}
	if err := requireID(ctx, req.GetOrderId(), domain.ErrOrderIDRequired, "order_id"); err != nil {
		return nil, err
	}
	d, a, err := p.l.Freeze(ctx, req.GetMemberId(), req.GetOrderId(), req.GetPoints())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.FreezePointsResponse{Hold: holdProto(d), Account: accountProto(a)}, nil
}

func (p pointsServer) ConfirmPoints(ctx context.Context, req *memberv1.ConfirmPointsRequest) (*memberv1.ConfirmPointsResponse, error) {
	if err := requireID(ctx, req.GetMemberId(), domain.ErrMemberIDRequired, "member_id"); err != nil {
		return nil, err
	}
	if err := requireID(ctx, req.GetOrderId(), domain.ErrOrderIDRequired, "order_id"); err != nil {
		return nil, err
	}
	d, a, err := p.l.Confirm(ctx, req.GetMemberId(), req.GetOrderId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ConfirmPointsResponse{Hold: holdProto(d), Account: accountProto(a)}, nil
}

func (p pointsServer) ReleasePoints(ctx context.Context, req *memberv1.ReleasePointsRequest) (*memberv1.ReleasePointsResponse, error) {
	if err := requireID(ctx, req.GetMemberId(), domain.ErrMemberIDRequired, "member_id"); err != nil {
		return nil, err
	}
	if err := requireID(ctx, req.GetOrderId(), domain.ErrOrderIDRequired, "order_id"); err != nil {
		return nil, err
	}
	d, a, err := p.l.Release(ctx, req.GetMemberId(), req.GetOrderId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ReleasePointsResponse{Hold: holdProto(d), Account: accountProto(a)}, nil
}

func (p pointsServer) SpendPoints(ctx context.Context, req *memberv1.SpendPointsRequest) (*memberv1.SpendPointsResponse, error) {
	if err := requireID(ctx, req.GetMemberId(), domain.ErrMemberIDRequired, "member_id"); err != nil {
		return nil, err
	}
	if err := requireID(ctx, req.GetSourceId(), domain.ErrPointsSourceRequired, "source_id"); err != nil {
		return nil, err
	}
	a, err := p.l.Spend(ctx, req.GetMemberId(), req.GetSourceId(), req.GetPoints(), req.GetReason())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.SpendPointsResponse{Account: accountProto(a)}, nil
}

func (p pointsServer) AdjustPoints(ctx context.Context, req *memberv1.AdjustPointsRequest) (*memberv1.AdjustPointsResponse, error) {
	id, err := requireManager(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireID(ctx, req.GetRequestId(), domain.ErrRequestIDRequired, "request_id"); err != nil {
		return nil, err
	}
	a, err := p.l.Adjust(ctx, req.GetMemberId(), req.GetRequestId(), req.GetPoints(), req.GetReason(), id.Subject)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.AdjustPointsResponse{Account: accountProto(a)}, nil
}

func (p pointsServer) GetMemberPoints(ctx context.Context, req *memberv1.GetMemberPointsRequest) (*memberv1.GetMemberPointsResponse, error) {
	a, err := p.l.MemberAccount(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMemberPointsResponse{Account: accountProto(a)}, nil
}

func (p pointsServer) ListMemberPointsEntries(ctx context.Context, req *memberv1.ListMemberPointsEntriesRequest) (*memberv1.ListMemberPointsEntriesResponse, error) {
	a, err := p.l.MemberAccount(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	page, err := entriesPage(a, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListMemberPointsEntriesResponse{Entries: page.Entries, NextPageToken: page.NextPageToken}, nil
}

func settingsProto(s domain.Settings) *memberv1.LoyaltySettings {
	return &memberv1.LoyaltySettings{EarnPointsPerYuanPermille: s.EarnPermillePerYuan, GrowthPerYuanPermille: s.GrowthPermillePerYuan, ExpiryYears: int32(s.ExpiryYears),
		SignInDailyPoints: s.SignInDailyPoints, SignInBonusEveryDays: int32(s.SignInBonusEveryDays), SignInBonusPoints: s.SignInBonusPoints, InviteRewardPoints: s.InviteRewardPoints}
}

func (p pointsServer) GetLoyaltySettings(ctx context.Context, _ *memberv1.GetLoyaltySettingsRequest) (*memberv1.GetLoyaltySettingsResponse, error) {
	s, err := p.l.Settings(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetLoyaltySettingsResponse{Settings: settingsProto(s)}, nil
}

func (p pointsServer) UpdateLoyaltySettings(ctx context.Context, req *memberv1.UpdateLoyaltySettingsRequest) (*memberv1.UpdateLoyaltySettingsResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	in := req.GetSettings()
	if in == nil {
		return nil, toStatus(ctx, domain.ErrSettingsInvalid.WithMsg("settings are required").With("field", "settings"))
	}
	s, err := p.l.UpdateSettings(ctx, domain.Settings{EarnPermillePerYuan: in.GetEarnPointsPerYuanPermille(), GrowthPermillePerYuan: in.GetGrowthPerYuanPermille(),
		ExpiryYears: int(in.GetExpiryYears()), SignInDailyPoints: in.GetSignInDailyPoints(), SignInBonusEveryDays: int(in.GetSignInBonusEveryDays()), SignInBonusPoints: in.GetSignInBonusPoints(),
		InviteRewardPoints: in.GetInviteRewardPoints()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.UpdateLoyaltySettingsResponse{Settings: settingsProto(s)}, nil
}

type signInServer struct {
	memberv1.UnimplementedSignInServiceServer
	l *app.Loyalty
}

func (s signInServer) SignIn(ctx context.Context, _ *memberv1.SignInRequest) (*memberv1.SignInResponse, error) {
	r, err := s.l.SignIn(ctx, memberIDOf(ctx))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.SignInResponse{Day: r.Day, Streak: int32(r.Streak), Points: r.Points, AlreadySignedIn: r.Already}, nil
}

func (s signInServer) GetSignInCalendar(ctx context.Context, _ *memberv1.GetSignInCalendarRequest) (*memberv1.GetSignInCalendarResponse, error) {
	c, err := s.l.SignInCalendar(ctx, memberIDOf(ctx))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetSignInCalendarResponse{Month: c.Month, SignedDays: c.Days, Streak: int32(c.Streak), SignedToday: c.Today}, nil
}

type levelServer struct {
	memberv1.UnimplementedLevelServiceServer
	l *app.Loyalty
}

func tierProto(t domain.Tier) *memberv1.LevelTier {
	return &memberv1.LevelTier{Id: t.ID, Name: t.Name, GrowthThreshold: t.GrowthThreshold, DiscountPermille: int32(t.DiscountPermille), Benefits: t.Benefits}
}

func tiersProto(ts []domain.Tier) []*memberv1.LevelTier {
	out := make([]*memberv1.LevelTier, 0, len(ts))
	for _, t := range ts {
		out = append(out, tierProto(t))
	}
	return out
}

func levelProto(memberID string, l app.Level) *memberv1.MemberLevel {
	out := &memberv1.MemberLevel{MemberId: memberID, Growth: l.Growth, Tier: tierProto(l.Tier)}
	if l.Next != nil {
		out.NextTier, out.GrowthToNext = tierProto(*l.Next), l.Next.GrowthThreshold-l.Growth
	}
	return out
}

func (v levelServer) ListLevelTiers(ctx context.Context, _ *memberv1.ListLevelTiersRequest) (*memberv1.ListLevelTiersResponse, error) {
	s, err := v.l.Settings(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListLevelTiersResponse{Tiers: tiersProto(s.Tiers)}, nil
}

func (v levelServer) SetLevelTiers(ctx context.Context, req *memberv1.SetLevelTiersRequest) (*memberv1.SetLevelTiersResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	var tiers []domain.Tier
	for _, t := range req.GetTiers() {
		tiers = append(tiers, domain.Tier{ID: t.GetId(), Name: t.GetName(), GrowthThreshold: t.GetGrowthThreshold(), DiscountPermille: int(t.GetDiscountPermille()), Benefits: t.GetBenefits()})
	}
	got, err := v.l.SetTiers(ctx, tiers)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.SetLevelTiersResponse{Tiers: tiersProto(got)}, nil
}

func (v levelServer) GetMyLevel(ctx context.Context, _ *memberv1.GetMyLevelRequest) (*memberv1.GetMyLevelResponse, error) {
	id := memberIDOf(ctx)
	l, err := v.l.MemberLevel(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMyLevelResponse{Level: levelProto(id, l)}, nil
}

func (v levelServer) GetMemberLevel(ctx context.Context, req *memberv1.GetMemberLevelRequest) (*memberv1.GetMemberLevelResponse, error) {
	l, err := v.l.AdminMemberLevel(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMemberLevelResponse{Level: levelProto(req.GetMemberId(), l)}, nil
}

func (v levelServer) GetMemberStanding(ctx context.Context, req *memberv1.GetMemberStandingRequest) (*memberv1.GetMemberStandingResponse, error) {
	st, err := v.l.Standing(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.GetMemberStandingResponse{MemberId: st.Member.ID, Blocked: st.Member.Blocked, Deleted: st.Member.Deleted,
		Level: levelProto(st.Member.ID, st.Level), AvailablePoints: st.Available}, nil
}
