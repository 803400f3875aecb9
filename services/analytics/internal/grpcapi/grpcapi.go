// Package grpcapi serves the analytics contract.
package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	analyticsv1 "siyu.dev/proto/siyu/analytics/v1"
	"siyu.dev/services/analytics/internal/app"
	"siyu.dev/services/analytics/internal/domain"
)

// Policy: anyone tracks (a member token adds the member); staff read counts.
var Policy = auth.Policy{
	analyticsv1.TrackingService_TrackEvents_FullMethodName:         auth.Public,
	analyticsv1.TrackingAdminService_GetEventCounts_FullMethodName: auth.Staff,
}

// Register serves the analytics contract on s.
func Register(s grpc.ServiceRegistrar, t *app.Tracking) {
	analyticsv1.RegisterTrackingServiceServer(s, &trackingServer{t: t})
	analyticsv1.RegisterTrackingAdminServiceServer(s, &adminServer{t: t})
}

type trackingServer struct {
	analyticsv1.UnimplementedTrackingServiceServer
	t *app.Tracking
}

func (s *trackingServer) TrackEvents(ctx context.Context, req *analyticsv1.TrackEventsRequest) (*analyticsv1.TrackEventsResponse, error) {
	b := domain.Batch{DeviceID: req.GetDeviceId()}
	if id, ok := auth.FromContext(ctx); ok && id.Kind == auth.KindMember {
		b.MemberID = id.Subject
	}
	for _, e := range req.GetEvents() {
		ev := domain.Event{Type: e.GetType(), Path: e.GetPath(), ProductID: e.GetProductId(), Query: e.GetQuery(), Props: e.GetProps()}
		if e.GetOccurredAt() != nil {
			ev.At = e.GetOccurredAt().AsTime()
		}
		b.Events = append(b.Events, ev)
	}
	n, err := s.t.Track(ctx, b)
	if err != nil {
		return nil, err
	}
	return &analyticsv1.TrackEventsResponse{Accepted: int32(n)}, nil
}

type adminServer struct {
	analyticsv1.UnimplementedTrackingAdminServiceServer
	t *app.Tracking
}

func (s *adminServer) GetEventCounts(ctx context.Context, req *analyticsv1.GetEventCountsRequest) (*analyticsv1.GetEventCountsResponse, error) {
	day, counts, err := s.t.Counts(ctx, req.GetDay())
	if err != nil {
		return nil, err
	}
	return &analyticsv1.GetEventCountsResponse{Day: day, Counts: counts}, nil
}
