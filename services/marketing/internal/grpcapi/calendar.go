package grpcapi

import (
	"context"

	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
)

type calendarServer struct {
	marketingv1.UnimplementedActivityCalendarServiceServer
	svc Services
}

func (s *calendarServer) ListActivities(ctx context.Context, req *marketingv1.ListActivitiesRequest) (*marketingv1.ListActivitiesResponse, error) {
	entries, err := s.svc.Calendar.Between(ctx, timeOf(req.GetFrom()), timeOf(req.GetTo()))
	if err != nil {
		return nil, err
	}
	now := s.svc.Calendar.Now()
	out := &marketingv1.ListActivitiesResponse{}
	for _, e := range entries {
		out.Entries = append(out.Entries, &marketingv1.CalendarEntry{Kind: string(e.Kind), Id: e.ID, Name: e.Name, StartTime: ts(e.Start), EndTime: ts(e.End),
			Status: e.Status(now)})
	}
	return out, nil
}
