package grpcapi

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"siyu.dev/pkg/fault"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/domain"
)

func groupBuyProto(a domain.GroupBuyActivity) *marketingv1.GroupBuy {
	out := &marketingv1.GroupBuy{Id: a.ID, Name: a.Name, ProductId: a.ProductID, GroupSize: int32(a.GroupSize), GroupTtl: durationpb.New(a.GroupTTL),
		StartTime: ts(a.Start), EndTime: ts(a.End), PerMemberLimit: int32(a.PerMemberLimit), VirtualCompletion: a.VirtualCompletion,
		MinRealMembers: int32(a.MinRealMembers)}
	for _, p := range a.Prices {
		out.Prices = append(out.Prices, &marketingv1.GroupPrice{SkuId: p.SKUID, PriceFen: p.PriceFen})
	}
	return out
}

func groupBuyOf(p *marketingv1.GroupBuy) (domain.GroupBuyActivity, error) {
	if p == nil {
		return domain.GroupBuyActivity{}, fault.New(fault.Invalid, domain.ReasonActivityInvalid, "group_buy is required", "field", "group_buy")
	}
	a := domain.GroupBuyActivity{Name: p.GetName(), ProductID: p.GetProductId(), GroupSize: int(p.GetGroupSize()), GroupTTL: p.GetGroupTtl().AsDuration(),
		Start: timeOf(p.GetStartTime()), End: timeOf(p.GetEndTime()), PerMemberLimit: int(p.GetPerMemberLimit()),
		VirtualCompletion: p.GetVirtualCompletion(), MinRealMembers: int(p.GetMinRealMembers())}
	for _, x := range p.GetPrices() {
		a.Prices = append(a.Prices, domain.GroupPrice{SKUID: x.GetSkuId(), PriceFen: x.GetPriceFen()})
	}
	return a, nil
}

func groupProto(g domain.Group, caller string) *marketingv1.Group {
	_, mine := g.Member(caller)
	return &marketingv1.Group{Id: g.ID, GroupBuyId: g.ActivityID, Size: int32(g.Size), Seated: int32(len(g.Members)), Paid: int32(g.PaidCount()),
		Status: string(g.Status), Deadline: ts(g.Deadline), Mine: caller != "" && mine}
}

type groupBuyServer struct {
	marketingv1.UnimplementedGroupBuyServiceServer
	svc Services
}

func (s *groupBuyServer) ListGroupBuys(ctx context.Context, _ *marketingv1.ListGroupBuysRequest) (*marketingv1.ListGroupBuysResponse, error) {
	all, err := s.svc.GroupBuys.Activities(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListGroupBuysResponse{}
	now := time.Now()
	for _, a := range all {
		if a.Active(now) == nil {
			out.GroupBuys = append(out.GroupBuys, groupBuyProto(a))
		}
	}
	return out, nil
}

func (s *groupBuyServer) GetGroupBuy(ctx context.Context, req *marketingv1.GetGroupBuyRequest) (*marketingv1.GetGroupBuyResponse, error) {
	a, err := s.svc.GroupBuys.Activity(ctx, req.GetGroupBuyId())
	if err != nil {
		return nil, err
	}
	open, err := s.svc.GroupBuys.OpenGroups(ctx, a.ID, 20)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.GetGroupBuyResponse{GroupBuy: groupBuyProto(a)}
	for _, g := range open {
		out.OpenGroups = append(out.OpenGroups, groupProto(g, visitor(ctx)))
	}
	return out, nil
}

func (s *groupBuyServer) GetGroup(ctx context.Context, req *marketingv1.GetGroupRequest) (*marketingv1.GetGroupResponse, error) {
	g, err := s.svc.GroupBuys.Group(ctx, req.GetGroupId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.GetGroupResponse{Group: groupProto(g, visitor(ctx))}, nil
}

type groupBuyAdminServer struct {
	marketingv1.UnimplementedGroupBuyAdminServiceServer
	svc Services
}

func (s *groupBuyAdminServer) CreateGroupBuy(ctx context.Context, req *marketingv1.CreateGroupBuyRequest) (*marketingv1.CreateGroupBuyResponse, error) {
	a, err := groupBuyOf(req.GetGroupBuy())
	if err != nil {
		return nil, err
	}
	if req.GetValidateOnly() {
		err = a.Validate()
	} else {
		a, err = s.svc.GroupBuys.CreateActivity(ctx, a)
	}
	if err != nil {
		return nil, err
	}
	return &marketingv1.CreateGroupBuyResponse{GroupBuy: groupBuyProto(a)}, nil
}

func (s *groupBuyAdminServer) EndGroupBuy(ctx context.Context, req *marketingv1.EndGroupBuyRequest) (*marketingv1.EndGroupBuyResponse, error) {
	a, err := s.svc.GroupBuys.End(ctx, req.GetGroupBuyId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.EndGroupBuyResponse{GroupBuy: groupBuyProto(a)}, nil
}

func (s *groupBuyAdminServer) AdminListGroupBuys(ctx context.Context, _ *marketingv1.AdminListGroupBuysRequest) (*marketingv1.AdminListGroupBuysResponse, error) {
	all, err := s.svc.GroupBuys.Activities(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.AdminListGroupBuysResponse{}
	for _, a := range all {
		p := groupBuyProto(a)
		if p.Results, err = s.svc.results(ctx, a.ID); err != nil {
			return nil, err
		}
		out.GroupBuys = append(out.GroupBuys, p)
	}
	return out, nil
}

func bargainActivityProto(a domain.BargainActivity) *marketingv1.BargainActivity {
	return &marketingv1.BargainActivity{Id: a.ID, Name: a.Name, ProductId: a.ProductID, SkuId: a.SKUID, ListPriceFen: a.ListPriceFen,
		FloorPriceFen: a.FloorPriceFen, HelpersNeeded: int32(a.HelpersNeeded), TimeLimit: durationpb.New(a.TimeLimit),
		StartTime: ts(a.Start), EndTime: ts(a.End)}
}

func bargainActivityOf(p *marketingv1.BargainActivity) (domain.BargainActivity, error) {
	if p == nil {
		return domain.BargainActivity{}, fault.New(fault.Invalid, domain.ReasonActivityInvalid, "activity is required", "field", "activity")
	}
	return domain.BargainActivity{Name: p.GetName(), ProductID: p.GetProductId(), SKUID: p.GetSkuId(), ListPriceFen: p.GetListPriceFen(),
		FloorPriceFen: p.GetFloorPriceFen(), HelpersNeeded: int(p.GetHelpersNeeded()), TimeLimit: p.GetTimeLimit().AsDuration(),
		Start: timeOf(p.GetStartTime()), End: timeOf(p.GetEndTime())}, nil
}

func bargainProto(b domain.Bargain, caller string) *marketingv1.Bargain {
	out := &marketingv1.Bargain{Id: b.ID, ActivityId: b.ActivityID, ProductId: b.ProductID, SkuId: b.SKUID, ListPriceFen: b.ListPriceFen,
		FloorPriceFen: b.FloorPriceFen, PriceFen: b.PriceFen, HelpersLeft: int32(b.HelpersLeft()), Status: string(b.Status),
		Deadline: ts(b.Deadline), Mine: caller != "" && b.StarterID == caller}
	for _, c := range b.Cuts {
		out.CutsFen = append(out.CutsFen, c.AmountFen)
	}
	if caller != "" {
		_, out.Helped = b.Helped(caller)
	}
	return out
}

type bargainServer struct {
	marketingv1.UnimplementedBargainServiceServer
	svc Services
}

func (s *bargainServer) ListBargainActivities(ctx context.Context, _ *marketingv1.ListBargainActivitiesRequest) (*marketingv1.ListBargainActivitiesResponse, error) {
	all, err := s.svc.Bargains.Activities(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListBargainActivitiesResponse{}
	now := time.Now()
	for _, a := range all {
		if a.Active(now) == nil {
			out.Activities = append(out.Activities, bargainActivityProto(a))
		}
	}
	return out, nil
}

func (s *bargainServer) StartBargain(ctx context.Context, req *marketingv1.StartBargainRequest) (*marketingv1.StartBargainResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	b, err := s.svc.Bargains.Start(ctx, me, req.GetActivityId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.StartBargainResponse{Bargain: bargainProto(b, me)}, nil
}

func (s *bargainServer) GetBargain(ctx context.Context, req *marketingv1.GetBargainRequest) (*marketingv1.GetBargainResponse, error) {
	b, err := s.svc.Bargains.Get(ctx, req.GetBargainId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.GetBargainResponse{Bargain: bargainProto(b, visitor(ctx))}, nil
}

func (s *bargainServer) HelpBargain(ctx context.Context, req *marketingv1.HelpBargainRequest) (*marketingv1.HelpBargainResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	cut, b, err := s.svc.Bargains.Help(ctx, req.GetBargainId(), me)
	if err != nil {
		return nil, err
	}
	return &marketingv1.HelpBargainResponse{CutFen: cut.AmountFen, Bargain: bargainProto(b, me)}, nil
}

type bargainAdminServer struct {
	marketingv1.UnimplementedBargainAdminServiceServer
	svc Services
}

func (s *bargainAdminServer) CreateBargainActivity(ctx context.Context, req *marketingv1.CreateBargainActivityRequest) (*marketingv1.CreateBargainActivityResponse, error) {
	a, err := bargainActivityOf(req.GetActivity())
	if err != nil {
		return nil, err
	}
	if req.GetValidateOnly() {
		err = a.Validate()
	} else {
		a, err = s.svc.Bargains.CreateActivity(ctx, a)
	}
	if err != nil {
		return nil, err
	}
	return &marketingv1.CreateBargainActivityResponse{Activity: bargainActivityProto(a)}, nil
}

func (s *bargainAdminServer) EndBargainActivity(ctx context.Context, req *marketingv1.EndBargainActivityRequest) (*marketingv1.EndBargainActivityResponse, error) {
	a, err := s.svc.Bargains.End(ctx, req.GetActivityId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.EndBargainActivityResponse{Activity: bargainActivityProto(a)}, nil
}

func (s *bargainAdminServer) AdminListBargainActivities(ctx context.Context, _ *marketingv1.AdminListBargainActivitiesRequest) (*marketingv1.AdminListBargainActivitiesResponse, error) {
	all, err := s.svc.Bargains.Activities(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.AdminListBargainActivitiesResponse{}
	for _, a := range all {
		p := bargainActivityProto(a)
		if p.Results, err = s.svc.results(ctx, a.ID); err != nil {
			return nil, err
		}
		out.Activities = append(out.Activities, p)
	}
	return out, nil
}

// results reads an activity's results for the operators' lists.
func (s Services) results(ctx context.Context, activityID string) (*marketingv1.ActivityResults, error) {
	r, err := s.Results.Results(ctx, activityID)
	return resultsProto(r), err
}
