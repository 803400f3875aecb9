package grpcapi

import (
	"context"

	"siyu.dev/pkg/auth"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/domain"
)

// GetMemberOverview is the member 360 view: what customer service needs on
// one screen, read from the identity and loyalty halves of the service.
func (m memberServer) GetMemberOverview(ctx context.Context, req *memberv1.GetMemberOverviewRequest) (*memberv1.GetMemberOverviewResponse, error) {
	memberID := req.GetMemberId()
	if memberID == "" {
		return nil, toStatus(ctx, domain.ErrMemberIDRequired)
	}
	got, err := m.svc.GetMember(ctx, memberID)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	addrs, err := m.memberAddresses(ctx, memberID)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	sessions, err := m.svc.ListSessions(ctx, memberID)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	loyalty, err := m.loyalty.MemberOverview(ctx, memberID)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	id, _ := auth.FromContext(ctx)
	return &memberv1.GetMemberOverviewResponse{
		Member:    toProto(got, id.HasRole(auth.RoleOwner) || id.Kind == auth.KindService),
		Level:     levelProto(memberID, loyalty.Level),
		Points:    accountProto(loyalty.Account),
		Tags:      tagsProto(loyalty.Tags),
		Addresses: addrs,
		Sessions:  sessionsProto(sessions, ""),
	}, nil
}
