package grpcapi

import (
	"context"
	"sort"

	"google.golang.org/protobuf/types/known/timestamppb"

	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

func broadcastProto(b domain.Broadcast) *messagingv1.Broadcast {
	out := &messagingv1.Broadcast{BroadcastId: b.ID, Name: b.Name, SegmentId: b.SegmentID, Title: b.Title, Body: b.Body, Link: b.Link,
		WechatTemplateId: b.WechatTemplateID, SendTime: timestamppb.New(b.SendAt), PerSecond: int32(b.PerSecond), Status: string(b.Status),
		Targeted: b.Targeted, Sent: b.Sent, Failed: b.Failed, Suppressed: b.Suppressed, CreateTime: timestamppb.New(b.CreatedAt)}
	for _, c := range b.Channels {
		out.Channels = append(out.Channels, string(c))
	}
	if !b.FinishedAt.IsZero() {
		out.FinishTime = timestamppb.New(b.FinishedAt)
	}
	return out
}

type broadcastServer struct {
	messagingv1.UnimplementedBroadcastServiceServer
	broadcasts *app.Broadcasts
}

func (s broadcastServer) CreateBroadcast(ctx context.Context, req *messagingv1.CreateBroadcastRequest) (*messagingv1.CreateBroadcastResponse, error) {
	in := req.GetBroadcast()
	b := domain.Broadcast{Name: in.GetName(), SegmentID: in.GetSegmentId(), Title: in.GetTitle(), Body: in.GetBody(), Link: in.GetLink(),
		WechatTemplateID: in.GetWechatTemplateId(), PerSecond: int(in.GetPerSecond())}
	if in.GetSendTime() != nil {
		b.SendAt = in.GetSendTime().AsTime()
	}
	for _, c := range in.GetChannels() {
		b.Channels = append(b.Channels, domain.Channel(c))
	}
	got, err := s.broadcasts.Create(ctx, req.GetRequestId(), b)
	if err != nil {
		return nil, err
	}
	return &messagingv1.CreateBroadcastResponse{Broadcast: broadcastProto(got)}, nil
}

func (s broadcastServer) GetBroadcast(ctx context.Context, req *messagingv1.GetBroadcastRequest) (*messagingv1.GetBroadcastResponse, error) {
	b, err := s.broadcasts.Get(ctx, req.GetBroadcastId())
	if err != nil {
		return nil, err
	}
	return &messagingv1.GetBroadcastResponse{Broadcast: broadcastProto(b)}, nil
}

func (s broadcastServer) ListBroadcasts(ctx context.Context, _ *messagingv1.ListBroadcastsRequest) (*messagingv1.ListBroadcastsResponse, error) {
	bs, err := s.broadcasts.Recent(ctx)
	if err != nil {
		return nil, err
	}
	out := &messagingv1.ListBroadcastsResponse{}
	for _, b := range bs {
		out.Broadcasts = append(out.Broadcasts, broadcastProto(b))
	}
	return out, nil
}

func (s broadcastServer) CancelBroadcast(ctx context.Context, req *messagingv1.CancelBroadcastRequest) (*messagingv1.CancelBroadcastResponse, error) {
	b, err := s.broadcasts.Cancel(ctx, req.GetBroadcastId())
	if err != nil {
		return nil, err
	}
	return &messagingv1.CancelBroadcastResponse{Broadcast: broadcastProto(b)}, nil
}

func (s inboxServer) UpdateChannelPreference(ctx context.Context, req *messagingv1.UpdateChannelPreferenceRequest) (*messagingv1.UpdateChannelPreferenceResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	off, err := s.inboxes.SetUnsubscribed(ctx, m, domain.Channel(req.GetChannel()), req.GetUnsubscribed())
	if err != nil {
		return nil, err
	}
	out := &messagingv1.UpdateChannelPreferenceResponse{}
	for c, on := range off {
		if on {
			out.Unsubscribed = append(out.Unsubscribed, string(c))
		}
	}
	sort.Strings(out.Unsubscribed)
	return out, nil
}
