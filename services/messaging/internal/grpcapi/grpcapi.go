// Package grpcapi serves the messaging service's gRPC contract: it checks
// the caller, converts messages, and leaves faults to the server's one
// mapping.
package grpcapi

import (
	"context"
	"encoding/base64"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/fault"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Policy is who may call what: members their own inbox and preferences,
// staff the delivery log and broadcasts, owners and operators sending them.
var Policy = auth.Policy{
	messagingv1.InboxService_ListMyMessages_FullMethodName:          auth.MemberOnly,
	messagingv1.InboxService_MarkMyMessagesRead_FullMethodName:      auth.MemberOnly,
	messagingv1.InboxService_DeleteMyMessage_FullMethodName:         auth.MemberOnly,
	messagingv1.InboxService_ReportSubscriptions_FullMethodName:     auth.MemberOnly,
	messagingv1.InboxService_UpdateChannelPreference_FullMethodName: auth.MemberOnly,

	messagingv1.BroadcastService_CreateBroadcast_FullMethodName: auth.Operators,
	messagingv1.BroadcastService_CancelBroadcast_FullMethodName: auth.Operators,
	messagingv1.BroadcastService_GetBroadcast_FullMethodName:    auth.Staff,
	messagingv1.BroadcastService_ListBroadcasts_FullMethodName:  auth.Staff,

	messagingv1.MessagingAdminService_ListMemberDeliveries_FullMethodName: auth.Staff,
}

// Register serves the contract on s.
func Register(s grpc.ServiceRegistrar, inboxes *app.Inboxes, notifier *app.Notifier, broadcasts *app.Broadcasts) {
	messagingv1.RegisterInboxServiceServer(s, inboxServer{inboxes: inboxes})
	messagingv1.RegisterMessagingAdminServiceServer(s, adminServer{notifier: notifier})
	messagingv1.RegisterBroadcastServiceServer(s, broadcastServer{broadcasts: broadcasts})
}

// member is the calling member (the policy admits members only).
func member(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindMember || id.Subject == "" {
		return "", fault.New(fault.Unauthenticated, domain.ReasonTokenMissing, "a member token is required")
	}
	return id.Subject, nil
}

type inboxServer struct {
	messagingv1.UnimplementedInboxServiceServer
	inboxes *app.Inboxes
}

func (s inboxServer) ListMyMessages(ctx context.Context, req *messagingv1.ListMyMessagesRequest) (*messagingv1.ListMyMessagesResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	after := ""
	if tok := req.GetPageToken(); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) == 0 {
			return nil, fault.New(fault.Invalid, domain.ReasonPageTokenInvalid, "page_token is not a token this listing issued", "field", "page_token")
		}
		after = string(b)
	}
	p, err := s.inboxes.List(ctx, m, after, int(req.GetPageSize()), req.GetUnreadOnly())
	if err != nil {
		return nil, err
	}
	out := &messagingv1.ListMyMessagesResponse{UnreadCount: int32(p.Unread)}
	for _, msg := range p.Messages {
		out.Messages = append(out.Messages, &messagingv1.InboxMessage{MessageId: msg.ID, Title: msg.Title, Body: msg.Body, Link: msg.Link, Read: msg.Read,
			CreateTime: timestamppb.New(msg.At), EventType: msg.EventType})
	}
	if p.After != "" {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(p.After))
	}
	return out, nil
}

func (s inboxServer) MarkMyMessagesRead(ctx context.Context, req *messagingv1.MarkMyMessagesReadRequest) (*messagingv1.MarkMyMessagesReadResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.inboxes.MarkRead(ctx, m, req.GetMessageIds(), req.GetAll())
	if err != nil {
		return nil, err
	}
	return &messagingv1.MarkMyMessagesReadResponse{UnreadCount: int32(n)}, nil
}

func (s inboxServer) DeleteMyMessage(ctx context.Context, req *messagingv1.DeleteMyMessageRequest) (*messagingv1.DeleteMyMessageResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.inboxes.Delete(ctx, m, req.GetMessageId())
	if err != nil {
		return nil, err
	}
	return &messagingv1.DeleteMyMessageResponse{UnreadCount: int32(n)}, nil
}

func (s inboxServer) ReportSubscriptions(ctx context.Context, req *messagingv1.ReportSubscriptionsRequest) (*messagingv1.ReportSubscriptionsResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.inboxes.Subscribe(ctx, m, req.GetTemplateIds())
	if err != nil {
		return nil, err
	}
	out := &messagingv1.ReportSubscriptionsResponse{Quota: map[string]int32{}}
	for k, v := range q {
		out.Quota[k] = int32(v)
	}
	return out, nil
}

type adminServer struct {
	messagingv1.UnimplementedMessagingAdminServiceServer
	notifier *app.Notifier
}

func (s adminServer) ListMemberDeliveries(ctx context.Context, req *messagingv1.ListMemberDeliveriesRequest) (*messagingv1.ListMemberDeliveriesResponse, error) {
	ds, err := s.notifier.Deliveries(ctx, req.GetMemberId())
	if err != nil {
		return nil, err
	}
	out := &messagingv1.ListMemberDeliveriesResponse{}
	for _, d := range ds {
		pd := &messagingv1.Delivery{DeliveryId: d.ID, Channel: string(d.Channel), TemplateId: d.TemplateID, Status: string(d.Status), Attempts: int32(d.Attempts)}
		for _, e := range d.Log {
			pd.Log = append(pd.Log, &messagingv1.DeliveryStep{Time: timestamppb.New(e.At), Status: string(e.Status), Detail: e.Detail})
		}
		if len(d.Log) > 0 {
			pd.CreateTime = timestamppb.New(d.Log[0].At)
		}
		out.Deliveries = append(out.Deliveries, pd)
	}
	return out, nil
}
