package grpcapi

import (
	"context"
	"fmt"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/pagetoken"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

type inboxServer struct {
	messagingv1.UnimplementedInboxServiceServer
	svc Services
}

func (s *inboxServer) ListMyMessages(ctx context.Context, req *messagingv1.ListMyMessagesRequest) (*messagingv1.ListMyMessagesResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	n, err := pagetoken.PageSize(req.GetPageSize(), defaultPage, maxPage)
	if err != nil {
		return nil, status(ctx, err)
	}
	after, err := pagetoken.DecodeAfter(req.GetPageToken(), "inbox:"+me)
	if err != nil {
		return nil, status(ctx, err)
	}
	page, more, unread, err := s.svc.Inbox.List(ctx, me, after, n)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListMyMessagesResponse{UnreadCount: int32(unread)}
	for _, m := range page {
		out.Messages = append(out.Messages, messageProto(m))
	}
	if more && len(page) > 0 {
		out.NextPageToken = pagetoken.EncodeAfter("inbox:"+me, page[len(page)-1].ID)
	}
	return out, nil
}

func (s *inboxServer) MarkMessagesRead(ctx context.Context, req *messagingv1.MarkMessagesReadRequest) (*messagingv1.MarkMessagesReadResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.svc.Inbox.MarkRead(ctx, me, req.GetMessageIds(), req.GetAll())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.MarkMessagesReadResponse{UnreadCount: int32(n)}, nil
}

func (s *inboxServer) DeleteMyMessage(ctx context.Context, req *messagingv1.DeleteMyMessageRequest) (*messagingv1.DeleteMyMessageResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.svc.Inbox.Delete(ctx, me, req.GetMessageId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.DeleteMyMessageResponse{UnreadCount: int32(n)}, nil
}

func (s *inboxServer) GetMyMessageSettings(ctx context.Context, _ *messagingv1.GetMyMessageSettingsRequest) (*messagingv1.GetMyMessageSettingsResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Inbox.Settings(ctx, me)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.GetMyMessageSettingsResponse{Settings: settingsProto(v)}, nil
}

func (s *inboxServer) SetChannelSubscription(ctx context.Context, req *messagingv1.SetChannelSubscriptionRequest) (*messagingv1.SetChannelSubscriptionResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Inbox.SetSubscribed(ctx, me, domain.Channel(req.GetChannel()), req.GetSubscribed())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.SetChannelSubscriptionResponse{Settings: settingsProto(v)}, nil
}

func (s *inboxServer) GrantWechatSubscriptions(ctx context.Context, req *messagingv1.GrantWechatSubscriptionsRequest) (*messagingv1.GrantWechatSubscriptionsResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Inbox.Grant(ctx, me, req.GetWechatTemplateIds())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.GrantWechatSubscriptionsResponse{Settings: settingsProto(v)}, nil
}

type templateServer struct {
	messagingv1.UnimplementedTemplateServiceServer
	svc Services
}

func (s *templateServer) CreateTemplate(ctx context.Context, req *messagingv1.CreateTemplateRequest) (*messagingv1.CreateTemplateResponse, error) {
	t, err := templateFrom(req.GetTemplate())
	if err == nil {
		t, err = s.svc.Admin.CreateTemplate(ctx, t)
	}
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.CreateTemplateResponse{Template: templateProto(t)}, nil
}

func (s *templateServer) UpdateTemplate(ctx context.Context, req *messagingv1.UpdateTemplateRequest) (*messagingv1.UpdateTemplateResponse, error) {
	t, err := templateFrom(req.GetTemplate())
	if err == nil {
		t, err = s.svc.Admin.UpdateTemplate(ctx, t)
	}
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.UpdateTemplateResponse{Template: templateProto(t)}, nil
}

func (s *templateServer) GetTemplate(ctx context.Context, req *messagingv1.GetTemplateRequest) (*messagingv1.GetTemplateResponse, error) {
	t, err := s.svc.Admin.Template(ctx, req.GetTemplateId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.GetTemplateResponse{Template: templateProto(t)}, nil
}

func (s *templateServer) ListTemplates(ctx context.Context, _ *messagingv1.ListTemplatesRequest) (*messagingv1.ListTemplatesResponse, error) {
	list, err := s.svc.Admin.Templates(ctx)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListTemplatesResponse{}
	for _, t := range list {
		out.Templates = append(out.Templates, templateProto(t))
	}
	return out, nil
}

func (s *templateServer) DeleteTemplate(ctx context.Context, req *messagingv1.DeleteTemplateRequest) (*messagingv1.DeleteTemplateResponse, error) {
	if err := s.svc.Admin.DeleteTemplate(ctx, req.GetTemplateId()); err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.DeleteTemplateResponse{}, nil
}

func (s *templateServer) PreviewTemplate(ctx context.Context, req *messagingv1.PreviewTemplateRequest) (*messagingv1.PreviewTemplateResponse, error) {
	var unsaved *domain.Template
	if req.GetTemplate() != nil {
		t, err := templateFrom(req.GetTemplate())
		if err != nil {
			return nil, status(ctx, err)
		}
		unsaved = &t
	} else if req.GetTemplateId() == "" {
		return nil, status(ctx, fault.New(fault.Invalid, domain.ReasonTemplateInvalid, "name a template_id or give a template", "field", "template_id"))
	}
	out, err := s.svc.Admin.Preview(ctx, req.GetTemplateId(), unsaved, channels(req.GetChannels()), req.GetVariables())
	if err != nil {
		return nil, status(ctx, err)
	}
	resp := &messagingv1.PreviewTemplateResponse{}
	for _, r := range out {
		resp.Rendered = append(resp.Rendered, renderedProto(r))
	}
	return resp, nil
}

type ruleServer struct {
	messagingv1.UnimplementedNotificationRuleServiceServer
	svc Services
}

func (s *ruleServer) SetNotificationRule(ctx context.Context, req *messagingv1.SetNotificationRuleRequest) (*messagingv1.SetNotificationRuleResponse, error) {
	r, err := s.svc.Admin.SetRule(ctx, ruleFrom(req.GetRule()))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.SetNotificationRuleResponse{Rule: ruleProto(r)}, nil
}

func (s *ruleServer) ListNotificationRules(ctx context.Context, _ *messagingv1.ListNotificationRulesRequest) (*messagingv1.ListNotificationRulesResponse, error) {
	list, err := s.svc.Admin.Rules(ctx)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListNotificationRulesResponse{}
	for _, r := range list {
		out.Rules = append(out.Rules, ruleProto(r))
	}
	return out, nil
}

func (s *ruleServer) DeleteNotificationRule(ctx context.Context, req *messagingv1.DeleteNotificationRuleRequest) (*messagingv1.DeleteNotificationRuleResponse, error) {
	if _, ok := domain.EventTypes[req.GetEventType()]; !ok {
		return nil, status(ctx, fault.New(fault.Invalid, domain.ReasonEventTypeUnknown, fmt.Sprintf("unknown event type %q", req.GetEventType()), "field", "event_type"))
	}
	if err := s.svc.Admin.DeleteRule(ctx, req.GetEventType()); err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.DeleteNotificationRuleResponse{}, nil
}

type deliveryServer struct {
	messagingv1.UnimplementedDeliveryServiceServer
	svc Services
}

func (s *deliveryServer) list(ctx context.Context, f app.DeliveryFilter, size int32, tok string) ([]*messagingv1.Delivery, string, error) {
	n, err := pagetoken.PageSize(size, defaultPage, maxPage)
	if err != nil {
		return nil, "", err
	}
	key := fmt.Sprintf("deliveries:%+v", f)
	after, err := pagetoken.DecodeAfter(tok, key)
	if err != nil {
		return nil, "", err
	}
	got, err := s.svc.Admin.Deliveries(ctx, f, after, n+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(got) > n {
		got = got[:n]
		next = pagetoken.EncodeAfter(key, got[n-1].ID)
	}
	out := make([]*messagingv1.Delivery, 0, len(got))
	for _, d := range got {
		out = append(out, deliveryProto(d))
	}
	return out, next, nil
}

func (s *deliveryServer) ListDeliveries(ctx context.Context, req *messagingv1.ListDeliveriesRequest) (*messagingv1.ListDeliveriesResponse, error) {
	out, next, err := s.list(ctx, app.DeliveryFilter{MemberID: req.GetMemberId(), Status: domain.Status(req.GetStatus()), Cause: req.GetCause()}, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.ListDeliveriesResponse{Deliveries: out, NextPageToken: next}, nil
}

func (s *deliveryServer) ListDeadLetters(ctx context.Context, req *messagingv1.ListDeadLettersRequest) (*messagingv1.ListDeadLettersResponse, error) {
	out, next, err := s.list(ctx, app.DeliveryFilter{Status: domain.StatusDead}, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.ListDeadLettersResponse{Deliveries: out, NextPageToken: next}, nil
}

func (s *deliveryServer) RetryDelivery(ctx context.Context, req *messagingv1.RetryDeliveryRequest) (*messagingv1.RetryDeliveryResponse, error) {
	id, _ := auth.FromContext(ctx)
	d, err := s.svc.Admin.Retry(ctx, req.GetDeliveryId(), id.Subject)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.RetryDeliveryResponse{Delivery: deliveryProto(d)}, nil
}

type broadcastServer struct {
	messagingv1.UnimplementedBroadcastServiceServer
	svc Services
}

func (s *broadcastServer) CreateBroadcast(ctx context.Context, req *messagingv1.CreateBroadcastRequest) (*messagingv1.CreateBroadcastResponse, error) {
	p := req.GetBroadcast()
	b := domain.Broadcast{SegmentID: p.GetSegmentId(), TemplateID: p.GetTemplateId(), Channels: channels(p.GetChannels()), Vars: p.GetVariables(), PerMinute: int(p.GetPerMinute())}
	if p.GetSendTime() != nil {
		b.SendAt = p.GetSendTime().AsTime()
	}
	got, err := s.svc.Broadcasts.Create(ctx, req.GetRequestId(), b)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.CreateBroadcastResponse{Broadcast: broadcastProto(got)}, nil
}

func (s *broadcastServer) GetBroadcast(ctx context.Context, req *messagingv1.GetBroadcastRequest) (*messagingv1.GetBroadcastResponse, error) {
	b, err := s.svc.Broadcasts.Get(ctx, req.GetBroadcastId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.GetBroadcastResponse{Broadcast: broadcastProto(b)}, nil
}

func (s *broadcastServer) ListBroadcasts(ctx context.Context, _ *messagingv1.ListBroadcastsRequest) (*messagingv1.ListBroadcastsResponse, error) {
	list, err := s.svc.Broadcasts.List(ctx)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListBroadcastsResponse{}
	for _, b := range list {
		out.Broadcasts = append(out.Broadcasts, broadcastProto(b))
	}
	return out, nil
}

func (s *broadcastServer) CancelBroadcast(ctx context.Context, req *messagingv1.CancelBroadcastRequest) (*messagingv1.CancelBroadcastResponse, error) {
	b, err := s.svc.Broadcasts.Cancel(ctx, req.GetBroadcastId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.CancelBroadcastResponse{Broadcast: broadcastProto(b)}, nil
}
