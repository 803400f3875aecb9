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

// TagPolicy: tags and segments are for operators (customer service may
// read a member's tags); the segment stream feeds marketing and messaging
// and is for services only.
var TagPolicy = auth.Policy{
	memberv1.TagService_ListTagRules_FullMethodName:             auth.Staff,
	memberv1.TagService_CreateTagRule_FullMethodName:            auth.Operators,
	memberv1.TagService_DisableTagRule_FullMethodName:           auth.Operators,
	memberv1.TagService_AddMemberTag_FullMethodName:             auth.Operators,
	memberv1.TagService_RemoveMemberTag_FullMethodName:          auth.Operators,
	memberv1.TagService_ListMemberTags_FullMethodName:           auth.Staff,
	memberv1.SegmentService_CreateSegment_FullMethodName:        auth.Operators,
	memberv1.SegmentService_ListSegments_FullMethodName:         auth.Operators,
	memberv1.SegmentService_UpdateSegment_FullMethodName:        auth.Operators,
	memberv1.SegmentService_DeleteSegment_FullMethodName:        auth.Operators,
	memberv1.SegmentService_CountSegmentMembers_FullMethodName:  auth.Operators,
	memberv1.SegmentService_ListSegmentMembers_FullMethodName:   auth.Operators,
	memberv1.SegmentService_StreamSegmentMembers_FullMethodName: auth.ServiceOnly,
}

func registerTags(s *grpc.Server, l *app.Loyalty) {
	memberv1.RegisterTagServiceServer(s, tagServer{l: l})
	memberv1.RegisterSegmentServiceServer(s, segmentServer{l: l})
}

func ruleProto(r domain.TagRule) *memberv1.TagRule {
	return &memberv1.TagRule{Id: r.ID, Name: r.Name, Kind: r.Kind, Threshold: r.Threshold, WindowDays: int32(r.WindowDays), Promotions: r.Promotions, Enabled: r.Enabled, CreateTime: ts(r.CreatedAt)}
}

func tagsProto(ms []domain.TagMark) []*memberv1.MemberTag {
	out := make([]*memberv1.MemberTag, 0, len(ms))
	for _, m := range ms {
		out = append(out, &memberv1.MemberTag{Id: m.ID, Source: m.Source, CreateTime: ts(m.At)})
	}
	return out
}

type tagServer struct {
	memberv1.UnimplementedTagServiceServer
	l *app.Loyalty
}

func (s tagServer) ListTagRules(ctx context.Context, _ *memberv1.ListTagRulesRequest) (*memberv1.ListTagRulesResponse, error) {
	rs, err := s.l.TagRules(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &memberv1.ListTagRulesResponse{}
	for _, r := range rs {
		out.Rules = append(out.Rules, ruleProto(r))
	}
	return out, nil
}

func (s tagServer) CreateTagRule(ctx context.Context, req *memberv1.CreateTagRuleRequest) (*memberv1.CreateTagRuleResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	in := req.GetRule()
	r, err := s.l.CreateTagRule(ctx, domain.TagRule{ID: in.GetId(), Name: in.GetName(), Kind: in.GetKind(), Threshold: in.GetThreshold(), WindowDays: int(in.GetWindowDays()), Promotions: in.GetPromotions()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.CreateTagRuleResponse{Rule: ruleProto(r)}, nil
}

func (s tagServer) DisableTagRule(ctx context.Context, req *memberv1.DisableTagRuleRequest) (*memberv1.DisableTagRuleResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	r, err := s.l.DisableTagRule(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.DisableTagRuleResponse{Rule: ruleProto(r)}, nil
}

func (s tagServer) AddMemberTag(ctx context.Context, req *memberv1.AddMemberTagRequest) (*memberv1.AddMemberTagResponse, error) {
	tags, err := s.l.AddTag(ctx, req.GetMemberId(), req.GetTagId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.AddMemberTagResponse{Tags: tagsProto(tags)}, nil
}

func (s tagServer) RemoveMemberTag(ctx context.Context, req *memberv1.RemoveMemberTagRequest) (*memberv1.RemoveMemberTagResponse, error) {
	tags, err := s.l.RemoveTag(ctx, req.GetMemberId(), req.GetTagId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.RemoveMemberTagResponse{Tags: tagsProto(tags)}, nil
}

func (s tagServer) ListMemberTags(ctx context.Context, req *memberv1.ListMemberTagsRequest) (*memberv1.ListMemberTagsResponse, error) {
	tags, err := s.l.MemberTags(ctx, req.GetMemberId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.ListMemberTagsResponse{Tags: tagsProto(tags)}, nil
}

type segmentServer struct {
	memberv1.UnimplementedSegmentServiceServer
	l *app.Loyalty
}

func tsVal(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func filterFromProto(f *memberv1.SegmentFilter) domain.SegmentFilter {
	if f == nil { // no filter: every member
		return domain.SegmentFilter{}
	}
	return domain.SegmentFilter{TierIDs: f.GetTierIds(), Tags: f.GetTags(), MinPoints: f.MinPoints, MaxPoints: f.MaxPoints,
		RegisteredAfter: tsVal(f.GetRegisteredAfter()), RegisteredBefore: tsVal(f.GetRegisteredBefore()), Channels: f.GetChannels(),
		ActiveAfter: tsVal(f.GetActiveAfter()), InactiveSince: tsVal(f.GetInactiveSince()), MinOrders: f.MinOrders, MaxOrders: f.MaxOrders,
		MinSpendFen: f.MinSpendFen, MaxSpendFen: f.MaxSpendFen, Consents: f.GetConsents()}
}

func filterProto(f domain.SegmentFilter) *memberv1.SegmentFilter {
	return &memberv1.SegmentFilter{TierIds: f.TierIDs, Tags: f.Tags, MinPoints: f.MinPoints, MaxPoints: f.MaxPoints,
		RegisteredAfter: ts(f.RegisteredAfter), RegisteredBefore: ts(f.RegisteredBefore), Channels: f.Channels,
		ActiveAfter: ts(f.ActiveAfter), InactiveSince: ts(f.InactiveSince), MinOrders: f.MinOrders, MaxOrders: f.MaxOrders,
		MinSpendFen: f.MinSpendFen, MaxSpendFen: f.MaxSpendFen, Consents: f.Consents}
}

func segmentProto(s domain.Segment) *memberv1.Segment {
	return &memberv1.Segment{Id: s.ID, Name: s.Name, Filter: filterProto(s.Filter), CreateTime: ts(s.CreatedAt), UpdateTime: ts(s.UpdatedAt), Version: s.Version}
}

func segmentMemberProto(m domain.SegmentMember) *memberv1.SegmentMember {
	return &memberv1.SegmentMember{MemberId: m.MemberID, TierId: m.TierID, AvailablePoints: m.Available, Tags: m.Tags, Channel: m.Channel,
		OrderCount: m.OrderCount, SpendFen: m.SpendFen, LastActiveTime: ts(m.LastActive)}
}

func (s segmentServer) CreateSegment(ctx context.Context, req *memberv1.CreateSegmentRequest) (*memberv1.CreateSegmentResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	seg, err := s.l.CreateSegment(ctx, req.GetName(), filterFromProto(req.GetFilter()))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.CreateSegmentResponse{Segment: segmentProto(seg)}, nil
}

func (s segmentServer) UpdateSegment(ctx context.Context, req *memberv1.UpdateSegmentRequest) (*memberv1.UpdateSegmentResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	var p app.SegmentPatch
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		paths = []string{"name", "filter"}
	}
	for _, path := range paths {
		switch path {
		case "name":
			name := req.GetName()
			p.Name = &name
		case "filter":
			f := filterFromProto(req.GetFilter())
			p.Filter = &f
		default:
			return nil, toStatus(ctx, domain.ErrSegmentInvalid)
		}
	}
	seg, err := s.l.UpdateSegment(ctx, req.GetSegmentId(), req.GetVersion(), p)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.UpdateSegmentResponse{Segment: segmentProto(seg)}, nil
}

func (s segmentServer) DeleteSegment(ctx context.Context, req *memberv1.DeleteSegmentRequest) (*memberv1.DeleteSegmentResponse, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	if err := s.l.DeleteSegment(ctx, req.GetSegmentId(), req.GetVersion()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.DeleteSegmentResponse{}, nil
}

func (s segmentServer) ListSegments(ctx context.Context, _ *memberv1.ListSegmentsRequest) (*memberv1.ListSegmentsResponse, error) {
	segs, err := s.l.Segments(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &memberv1.ListSegmentsResponse{}
	for _, seg := range segs {
		out.Segments = append(out.Segments, segmentProto(seg))
	}
	return out, nil
}

func (s segmentServer) CountSegmentMembers(ctx context.Context, req *memberv1.CountSegmentMembersRequest) (*memberv1.CountSegmentMembersResponse, error) {
	n, err := s.l.CountSegment(ctx, req.GetSegmentId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &memberv1.CountSegmentMembersResponse{Count: n}, nil
}

func (s segmentServer) ListSegmentMembers(ctx context.Context, req *memberv1.ListSegmentMembersRequest) (*memberv1.ListSegmentMembersResponse, error) {
	n, err := pagetoken.PageSize(req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	tok, err := pagetoken.Decode(req.GetPageToken(), "segment:"+req.GetSegmentId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	ms, err := s.l.SegmentMembers(ctx, req.GetSegmentId(), tok.Offset, n+1)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &memberv1.ListSegmentMembersResponse{}
	for i, m := range ms {
		if i == n {
			out.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: tok.Offset + n, Filter: "segment:" + req.GetSegmentId()})
			break
		}
		out.Members = append(out.Members, segmentMemberProto(m))
	}
	return out, nil
}

func (s segmentServer) StreamSegmentMembers(req *memberv1.StreamSegmentMembersRequest, stream grpc.ServerStreamingServer[memberv1.StreamSegmentMembersResponse]) error {
	ctx := stream.Context()
	err := s.l.EachSegmentMember(ctx, req.GetSegmentId(), req.GetConsents(), func(m domain.SegmentMember) error {
		return stream.Send(&memberv1.StreamSegmentMembersResponse{Member: segmentMemberProto(m)})
	})
	if err != nil {
		return toStatus(ctx, err)
	}
	return nil
}
